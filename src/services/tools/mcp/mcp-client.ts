import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { type ErrorKind, FlightdeckError } from '../../../core/errors.ts';
import type { McpListedTool } from '../../../store/schema/index.ts';
import { scrubSecrets } from '../../workflows/run-http-step.ts';

/** Where a server is and what to send it; the header values are decrypted credentials. */
export interface McpEndpoint {
  /** The server's name in the workspace, for messages. */
  name: string;
  url: string;
  headers: Record<string, string>;
}

export interface McpRequestSettings {
  /** The SSRF-guarded fetch: every request and redirect of the transport goes through it. */
  fetch: typeof globalThis.fetch;
  timeoutMs: number;
  abortSignal?: AbortSignal | undefined;
}

/** What a tool call gave back: its value for the model, or the error the tool reported. */
export type McpToolOutcome = { ok: true; value: unknown } | { ok: false; message: string };

/** Tool results larger than this are refused, like http tool answers over 1 MiB. */
export const maxMcpResultCharacters = 1024 * 1024;
/** A server listing more than this is cut off: a model could not choose among so many anyway. */
export const maxListedTools = 500;
const maxListPages = 50;
const clientInfo = { name: 'flightdeck', version: '1' };

type McpSdk = typeof import('@modelcontextprotocol/sdk/client/index.js') &
  typeof import('@modelcontextprotocol/sdk/client/streamableHttp.js') &
  typeof import('@modelcontextprotocol/sdk/types.js');
let mcpSdk: Promise<McpSdk> | undefined;

/** The SDK is imported at the first MCP call: about 20 MB that a node without MCP servers never needs. */
function loadMcpSdk(): Promise<McpSdk> {
  mcpSdk ??= Promise.all([
    import('@modelcontextprotocol/sdk/client/index.js'),
    import('@modelcontextprotocol/sdk/client/streamableHttp.js'),
    import('@modelcontextprotocol/sdk/types.js'),
  ]).then(([client, transport, types]) => ({ ...types, ...transport, ...client }));
  return mcpSdk;
}

/** Lists every tool the server offers, page by page. */
export async function listMcpTools(
  endpoint: McpEndpoint,
  settings: McpRequestSettings,
): Promise<McpListedTool[]> {
  return withClient(endpoint, settings, async (client, options) => {
    const tools: McpListedTool[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < maxListPages && tools.length < maxListedTools; page++) {
      const listed = await client.listTools(cursor === undefined ? {} : { cursor }, options);
      for (const tool of listed.tools) {
        tools.push({
          name: tool.name,
          title: tool.title ?? tool.annotations?.title ?? null,
          description: tool.description ?? null,
          inputSchema: tool.inputSchema as Record<string, unknown>,
          outputSchema: (tool.outputSchema as Record<string, unknown> | undefined) ?? null,
        });
      }
      cursor = listed.nextCursor;
      if (cursor === undefined) break;
    }
    return tools.slice(0, maxListedTools);
  });
}

/**
 * Calls one tool. A result the server marks `isError` is an outcome, not a throw: the loop gives it
 * to the model. Header values never appear in what comes back.
 */
export async function callMcpTool(
  endpoint: McpEndpoint,
  call: { tool: string; arguments: Record<string, unknown> },
  settings: McpRequestSettings,
): Promise<McpToolOutcome> {
  const secrets = secretsOf(endpoint.headers);
  return withClient(endpoint, settings, async (client, options) => {
    const result = await client.callTool({ name: call.tool, arguments: call.arguments }, undefined, options);
    const value = scrubValue(resultValue(result), secrets);
    // The same cap as http tools: a result is recorded and shown, and goes back to the model.
    const size = typeof value === 'string' ? value.length : (JSON.stringify(value) ?? '').length;
    if (size > maxMcpResultCharacters) {
      throw new FlightdeckError({
        code: 'mcp_tool_result_too_large',
        kind: 'bad_gateway',
        message: `The MCP server ${endpoint.name} answered ${call.tool} with ${size} characters; at most ${maxMcpResultCharacters} are kept.`,
        details: { server: endpoint.name, size },
      });
    }
    if (result.isError === true) {
      const message = typeof value === 'string' && value !== '' ? value : JSON.stringify(value);
      return { ok: false, message: message.slice(0, 2_000) };
    }
    return { ok: true, value };
  });
}

type RequestOptions = { timeout: number; signal: AbortSignal; maxTotalTimeout: number };

/** Connects, does the work and closes, turning every failure into a FlightdeckError with an `mcp_*` code. */
async function withClient<Result>(
  endpoint: McpEndpoint,
  settings: McpRequestSettings,
  work: (client: Client, options: RequestOptions) => Promise<Result>,
): Promise<Result> {
  const timeoutSignal = AbortSignal.timeout(settings.timeoutMs);
  const signal = settings.abortSignal
    ? AbortSignal.any([settings.abortSignal, timeoutSignal])
    : timeoutSignal;
  const options = { timeout: settings.timeoutMs, maxTotalTimeout: settings.timeoutMs, signal };
  const mcp = await loadMcpSdk();
  const transport = new mcp.StreamableHTTPClientTransport(new URL(endpoint.url), {
    fetch: settings.fetch,
    requestInit: { headers: endpoint.headers },
    // The guarded fetch follows redirects itself, re-checking each target.
    redirectPolicy: 'follow',
    // One call, one connection: no reconnect loop after the work is done.
    reconnectionOptions: {
      maxRetries: 0,
      initialReconnectionDelay: 1_000,
      maxReconnectionDelay: 1_000,
      reconnectionDelayGrowFactor: 1,
    },
  });
  const client = new mcp.Client(clientInfo, { capabilities: {} });
  try {
    await client.connect(transport, options);
    return await work(client, options);
  } catch (error) {
    throw toMcpError(error, endpoint, { settings, timeoutSignal, mcp });
  } finally {
    // In the background: the caller has its answer; closing first would abort the DELETE.
    void endConnection(transport, client);
  }
}

/** How long ending a server's session may take before the connection is dropped anyway. */
const sessionEndTimeoutMs = 5_000;

/** Ends the session a stateful server opened for this connection (DELETE), then closes the client. */
async function endConnection(transport: StreamableHTTPClientTransport, client: Client): Promise<void> {
  if (transport.sessionId !== undefined) {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      transport.terminateSession().catch(() => undefined),
      new Promise((resolve) => {
        timer = setTimeout(resolve, sessionEndTimeoutMs);
        timer.unref();
      }),
    ]);
    clearTimeout(timer);
  }
  await client.close().catch(() => undefined);
}

/**
 * What must never come back from a server: each header value, and the credential after its scheme
 * (`Bearer <token>`), which a server is more likely to echo than the whole header.
 */
function secretsOf(headers: Record<string, string>): string[] {
  const secrets: string[] = [];
  for (const value of Object.values(headers)) {
    secrets.push(value);
    const credential = /^\S+\s+(\S.*)$/.exec(value)?.[1];
    if (credential && credential.length >= 8) secrets.push(credential);
  }
  return secrets;
}

/** The value the model sees: structured content when the tool gave it, otherwise its content as text. */
function resultValue(result: Record<string, unknown>): unknown {
  if (result.structuredContent !== undefined) return result.structuredContent;
  // Servers of protocol 2024-10-07 answer `toolResult` instead of content.
  if ('toolResult' in result) return result.toolResult;
  const content = Array.isArray(result.content) ? (result.content as Array<Record<string, unknown>>) : [];
  return content.map(contentText).join('\n');
}

function contentText(block: Record<string, unknown>): string {
  switch (block.type) {
    case 'text':
      return String(block.text ?? '');
    case 'resource': {
      const resource = (block.resource ?? {}) as Record<string, unknown>;
      return typeof resource.text === 'string' ? resource.text : `[resource ${String(resource.uri ?? '')}]`;
    }
    case 'resource_link':
      return `[resource ${String(block.uri ?? '')}]`;
    default:
      // Images and audio are base64 the model cannot use as text; say what there was.
      return `[${String(block.type)} ${String(block.mimeType ?? '')}]`.replace(' ]', ']');
  }
}

function scrubValue(value: unknown, secrets: readonly string[]): unknown {
  if (secrets.length === 0) return value;
  if (typeof value === 'string') return scrubSecrets(value, secrets);
  if (value === null || typeof value !== 'object') return value;
  return JSON.parse(scrubSecrets(JSON.stringify(value), secrets));
}

function toMcpError(
  error: unknown,
  endpoint: McpEndpoint,
  context: { settings: McpRequestSettings; timeoutSignal: AbortSignal; mcp: McpSdk },
): FlightdeckError {
  const { McpError, ErrorCode, StreamableHTTPError } = context.mcp;
  const secrets = secretsOf(endpoint.headers);
  const scrub = (text: string) => scrubSecrets(text, secrets);
  const server = `The MCP server ${endpoint.name} (${endpoint.url})`;
  const make = (code: string, kind: ErrorKind, message: string, details?: Record<string, unknown>) =>
    new FlightdeckError({
      code,
      kind,
      message: scrub(message),
      details: { server: endpoint.name, ...details },
    });

  // Our own verdicts on an answer (too large) stand as they are.
  if (FlightdeckError.isInstance(error) && error.code.startsWith('mcp_')) return error;
  const abortSignal = context.settings.abortSignal;
  // The loop aborts at the tool's timeout through the signal: a timeout reason is a timeout.
  const timedOut =
    context.timeoutSignal.aborted ||
    (abortSignal?.aborted === true &&
      (abortSignal.reason as { name?: unknown } | undefined)?.name === 'TimeoutError') ||
    (error instanceof McpError && error.code === ErrorCode.RequestTimeout);
  if (abortSignal?.aborted && !timedOut) {
    return make('mcp_call_cancelled', 'unavailable', `${server}: the call was cancelled.`);
  }
  const refused = findInCauses(error, (candidate) =>
    FlightdeckError.isInstance(candidate) && candidate.code === 'provider_url_refused'
      ? candidate
      : undefined,
  );
  if (refused) {
    const reason = /is refused: (.*?)\.?$/s.exec(refused.message)?.[1] ?? refused.message;
    return make('mcp_server_url_refused', 'invalid', `${server} is refused: ${reason}.`, {
      url: endpoint.url,
    });
  }
  if (timedOut) {
    return make(
      'mcp_server_timeout',
      'timeout',
      `${server} did not answer within ${context.settings.timeoutMs} ms.`,
      { timeoutMs: context.settings.timeoutMs },
    );
  }
  if (error instanceof StreamableHTTPError) {
    const status = error.code;
    const hint =
      status === 401 || status === 403
        ? ' Check the headers registered with the server (an Authorization header, an API key).'
        : status === 404 || status === 405
          ? ' Check the URL: it should be the streamable HTTP endpoint, often ending in /mcp.'
          : '';
    return make(
      'mcp_server_unreachable',
      'bad_gateway',
      `${server} answered ${status ?? 'an error'}: ${error.message.slice(0, 300)}.${hint}`,
      { statusCode: status ?? null },
    );
  }
  if (error instanceof McpError) {
    return make(
      'mcp_server_error',
      'bad_gateway',
      `${server} reported an error: ${error.message.slice(0, 500)}`,
      {
        mcpCode: error.code,
      },
    );
  }
  const reason = connectionReason(error);
  return make('mcp_server_unreachable', 'bad_gateway', `${server} could not be reached (${reason}).`, {
    statusCode: null,
  });
}

function findInCauses<Found>(
  error: unknown,
  pick: (candidate: unknown) => Found | undefined,
): Found | undefined {
  for (let current = error, depth = 0; current && depth < 6; depth++) {
    const found = pick(current);
    if (found !== undefined) return found;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** The socket-level reason of a failed fetch (`ECONNREFUSED`, a DNS failure), not undici's "fetch failed". */
function connectionReason(error: unknown): string {
  const code = findInCauses(error, (candidate) => {
    const value = (candidate as { code?: unknown }).code;
    return typeof value === 'string' ? value : undefined;
  });
  if (code) return code;
  return error instanceof Error ? error.message.slice(0, 200) : String(error).slice(0, 200);
}
