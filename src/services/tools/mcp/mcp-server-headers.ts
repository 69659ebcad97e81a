import { invalidError } from '../../../core/errors.ts';
import type { McpHeaderHint } from '../../../store/schema/index.ts';

/** The envelope purpose of a server's headers; the AAD also binds the workspace and the row id. */
export const mcpHeadersPurpose = 'mcp-server-headers';

export const maxMcpHeaders = 20;
export const maxMcpHeaderValueLength = 8192;
/** Shorter values show no characters at all: four of eight would give half the secret away. */
const minLengthToShowLastFour = 12;
const mask = '••••';

/** An HTTP token (RFC 9110 field-name). */
const headerNamePattern = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}$/;
/** Visible ASCII, spaces and tabs, and obs-text: no line breaks or other control characters. */
const headerValuePattern = /^[\t\x20-\x7e\x80-\xff]*$/;

/**
 * Headers the transport sets itself: a value of ours would break the protocol or the request
 * (the session and protocol headers, the content negotiation, the framing).
 */
const reservedHeaderNames = new Set([
  'accept',
  'content-type',
  'content-length',
  'host',
  'connection',
  'transfer-encoding',
  'mcp-session-id',
  'mcp-protocol-version',
  'last-event-id',
]);

/** Checks the headers a user registers with a server; 400 `mcp_server_header_invalid` names the header. */
export function checkMcpHeaders(headers: Record<string, string>): Record<string, string> {
  const entries = Object.entries(headers);
  if (entries.length > maxMcpHeaders) {
    throw invalidError('mcp_server_header_invalid', `An MCP server takes at most ${maxMcpHeaders} headers.`, {
      field: 'headers',
    });
  }
  const seen = new Set<string>();
  for (const [name, value] of entries) {
    const field = `headers.${name}`;
    if (!headerNamePattern.test(name)) {
      throw invalidError(
        'mcp_server_header_invalid',
        `The header name ${JSON.stringify(name)} is not a valid HTTP header name (letters, digits and - _ . ! # $ % & ' * + ^ \` | ~).`,
        { field },
      );
    }
    const lower = name.toLowerCase();
    if (reservedHeaderNames.has(lower)) {
      throw invalidError(
        'mcp_server_header_invalid',
        `The header ${name} is set by the MCP transport itself; remove it.`,
        { field },
      );
    }
    if (seen.has(lower)) {
      throw invalidError(
        'mcp_server_header_invalid',
        `The header ${name} is given twice (names ignore case).`,
        {
          field,
        },
      );
    }
    seen.add(lower);
    // The message never quotes the value: it is a credential.
    if (value.length === 0 || value.length > maxMcpHeaderValueLength || !headerValuePattern.test(value)) {
      throw invalidError(
        'mcp_server_header_invalid',
        `The value of the header ${name} must be 1 to ${maxMcpHeaderValueLength} characters without line breaks or control characters.`,
        { field },
      );
    }
  }
  return headers;
}

/** What answers show of each header: its name as typed and at most the value's last four characters. */
export function headerHintsOf(headers: Record<string, string>): McpHeaderHint[] {
  return Object.entries(headers).map(([name, value]) => ({
    name,
    lastFour: value.length >= minLengthToShowLastFour ? value.slice(-4) : '',
  }));
}

/** The masked header object of a view, in the order the user gave the headers. */
export function maskedHeaders(hints: readonly McpHeaderHint[]): Record<string, string> {
  return Object.fromEntries(hints.map((hint) => [hint.name, `${mask}${hint.lastFour}`]));
}
