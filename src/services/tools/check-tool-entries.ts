import { invalidError } from '../../core/errors.ts';
import { compileJsonSchema } from '../../core/json-schema.ts';
import { parseTemplate } from '../../core/template.ts';
import { headerSecretNames, parseBodyTemplate } from './render-tool-template.ts';
import { type ToolDefinitionEntry, toolKinds, toolNamePattern } from './tool-definition.ts';

const httpMethods = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']);
const commonFields = ['kind', 'name', 'description', 'parameters', 'resultSchema', 'approval', 'timeoutMs'];
const httpFields = new Set([...commonFields, 'method', 'url', 'headers', 'body']);
const agentFields = new Set([...commonFields, 'agent']);
const maxTools = 32;

const problem = (code: string, field: string, message: string) =>
  invalidError(code, `${field}: ${message}`, { field });

/**
 * Checks an agent's `tools` when it is saved — what the request schema cannot say — with one stable
 * code per problem and the field it is about (`tools[1].url`): unique names the providers accept,
 * parameters that are a JSON Schema of an object, an http URL that is absolute http(s) with a fixed
 * host (arguments may fill its path and query, never its host), headers that name only secrets.
 * References to other records (an agent tool's agent, an mcp server) are checked by the agent
 * service, which can read them.
 */
export function checkToolEntries(entries: readonly ToolDefinitionEntry[]): void {
  if (entries.length > maxTools) {
    throw problem('tools_too_many', 'tools', `an agent may have at most ${maxTools} tools.`);
  }
  const names = new Set<string>();
  for (const [index, entry] of entries.entries()) {
    const at = (field: string) => `tools[${index}].${field}`;
    if (!(toolKinds as readonly string[]).includes(entry.kind)) {
      throw problem('tool_kind_invalid', at('kind'), `use one of ${toolKinds.join(', ')}.`);
    }
    if (typeof entry.name !== 'string' || !toolNamePattern.test(entry.name)) {
      throw problem(
        'tool_name_invalid',
        at('name'),
        '1 to 64 letters, digits, "_" or "-" (what OpenAI and Anthropic accept as a tool name).',
      );
    }
    if (names.has(entry.name)) {
      throw problem('tool_name_duplicate', at('name'), `another tool is already named "${entry.name}".`);
    }
    names.add(entry.name);
    if (entry.kind === 'mcp') continue;
    // A misspelt field (`headrs`) would otherwise be stored and silently do nothing.
    const known = entry.kind === 'http' ? httpFields : agentFields;
    const unknown = Object.keys(entry).find((key) => !known.has(key));
    if (unknown !== undefined) {
      throw problem(
        'tool_field_unknown',
        at(unknown),
        `${entry.kind} tools have no field "${unknown}"; they take ${[...known].join(', ')}.`,
      );
    }
    if (typeof entry.description !== 'string' || entry.description.trim() === '') {
      throw problem(
        'tool_description_missing',
        at('description'),
        'say what the tool does: the model decides from it when to call the tool.',
      );
    }
    checkParameters(entry.parameters, at('parameters'));
    if (entry.resultSchema) compileJsonSchema(entry.resultSchema, at('resultSchema'));
    checkApproval(entry.approval, at('approval'));
    if (entry.kind === 'http') checkHttpEntry(entry, at);
    if (entry.kind === 'agent' && (typeof entry.agent !== 'string' || entry.agent.trim() === '')) {
      throw problem('tool_agent_missing', at('agent'), 'name the agent to call, by id or slug.');
    }
  }
}

function checkParameters(parameters: unknown, field: string): void {
  if (typeof parameters !== 'object' || parameters === null || Array.isArray(parameters)) {
    throw problem('tool_parameters_invalid', field, 'must be a JSON Schema object.');
  }
  const schema = parameters as Record<string, unknown>;
  // Providers take tool arguments as one JSON object: the schema must describe one.
  if (schema.type !== 'object') {
    throw problem('tool_parameters_invalid', field, 'must be a JSON Schema with "type": "object".');
  }
  compileJsonSchema(schema, field);
}

function checkApproval(approval: unknown, field: string): void {
  if (approval === undefined || approval === 'required' || approval === 'never') return;
  const rule = approval as { path?: unknown; below?: unknown; above?: unknown };
  const valid =
    typeof approval === 'object' &&
    approval !== null &&
    typeof rule.path === 'string' &&
    (rule.below === undefined || typeof rule.below === 'number') &&
    (rule.above === undefined || typeof rule.above === 'number');
  if (!valid) {
    throw problem(
      'tool_approval_invalid',
      field,
      'use "required", "never", or a rule { path, below?, above?, equals? } over the arguments.',
    );
  }
}

function checkHttpEntry(
  entry: Extract<ToolDefinitionEntry, { kind: 'http' }>,
  at: (field: string) => string,
): void {
  if (!httpMethods.has(entry.method)) {
    throw problem('tool_method_invalid', at('method'), 'use GET, POST, PUT, PATCH or DELETE.');
  }
  if (typeof entry.url !== 'string') throw problem('tool_url_invalid', at('url'), 'must be a URL.');
  parseTemplate(entry.url);
  // Placeholders stand for path or query text; what is left must be an absolute http(s) URL.
  const origin = /^(https?:\/\/[^/?#]*)/i.exec(entry.url)?.[1];
  if (!origin) {
    throw problem('tool_url_invalid', at('url'), 'must be an absolute http:// or https:// URL.');
  }
  if (origin.includes('{{')) {
    throw problem(
      'tool_url_invalid',
      at('url'),
      'the host may not come from the arguments; put them in the path, the query or the body.',
    );
  }
  try {
    new URL(entry.url.replace(/\{\{[^{}]*\}\}/g, 'x'));
  } catch {
    throw problem('tool_url_invalid', at('url'), 'is not a valid URL.');
  }
  for (const [name, value] of Object.entries(entry.headers ?? {})) {
    if (typeof value !== 'string') {
      throw problem('tool_header_invalid', at(`headers.${name}`), 'header values are text.');
    }
    headerSecretNames(name, value, at(`headers.${name}`));
  }
  if (entry.body !== undefined) parseBodyTemplate(entry.body);
  if (entry.timeoutMs !== undefined && (entry.timeoutMs < 100 || entry.timeoutMs > 300_000)) {
    throw problem('tool_timeout_invalid', at('timeoutMs'), 'between 100 and 300000 ms.');
  }
}
