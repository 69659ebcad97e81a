import { FlightdeckError } from '../../core/errors.ts';
import { parseTemplate } from '../../core/template.ts';
import type { ChatMessage, JsonSchema } from '../../llm/index.ts';

/** A chat message as OpenAI clients send it; only the fields the mapping reads. */
export interface OpenAiChatMessage {
  role: string;
  content?: unknown;
  tool_calls?: unknown;
  function_call?: unknown;
}

/** What an agent version offers the mapping. */
export interface MappedAgent {
  inputSchema: JsonSchema | null;
  promptTemplate: string;
}

export interface MappedConversation {
  /** The agent's input, from the last user message. */
  input: unknown;
  /** The user and assistant turns before it, oldest first. */
  history: ChatMessage[];
}

/** A 400 whose `param` names the offending request field in OpenAI's notation (`messages[2].content`). */
export function invalidParam(code: string, message: string, param = 'messages'): FlightdeckError {
  return new FlightdeckError({ code, kind: 'invalid', message, details: { param } });
}

/**
 * Maps a chat conversation onto one agent execution. System (and developer) messages are left
 * out: the agent's own system prompt is part of its version. The last user message becomes the
 * input (see `inputFromText`); the user and assistant messages before it become history.
 */
export function messagesToInput(
  messages: readonly OpenAiChatMessage[],
  agent: MappedAgent,
): MappedConversation {
  const turns: Array<{ message: ChatMessage; index: number }> = [];
  messages.forEach((message, index) => {
    const param = `messages[${index}]`;
    switch (message.role) {
      case 'system':
      case 'developer':
        return;
      case 'user':
      case 'assistant': {
        if (message.role === 'assistant' && (message.tool_calls || message.function_call)) {
          throw invalidParam(
            'tool_calls_unsupported',
            `${param} carries tool calls; Flightdeck agents answer with text or JSON only.`,
            `${param}.tool_calls`,
          );
        }
        turns.push({ message: { role: message.role, content: contentText(message.content, param) }, index });
        return;
      }
      default:
        throw invalidParam(
          'message_role_unsupported',
          `${param}.role is "${String(message.role)}"; use system, developer, user or assistant (tool messages are not supported).`,
          `${param}.role`,
        );
    }
  });
  const last = turns.at(-1);
  if (last?.message.role !== 'user') {
    throw invalidParam(
      'last_message_not_user',
      'The last non-system message must be a user message: it is the input of the agent.',
    );
  }
  return {
    input: inputFromText(last.message.content, agent, `messages[${last.index}].content`),
    history: turns.slice(0, -1).map((turn) => turn.message),
  };
}

function contentText(content: unknown, param: string): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((part: unknown, index) => {
        const typed = part as { type?: unknown; text?: unknown } | null;
        if (typed?.type === 'text' && typeof typed.text === 'string') return typed.text;
        throw invalidParam(
          'content_part_unsupported',
          `${param}.content[${index}] is a "${String(typed?.type)}" part; agents take text parts only.`,
          `${param}.content[${index}]`,
        );
      })
      .join('\n');
  }
  throw invalidParam(
    'content_missing',
    `${param}.content must be a string or an array of text parts.`,
    `${param}.content`,
  );
}

/**
 * The agent's input from the text of the last user message:
 * - a JSON object, when the text parses as one;
 * - otherwise, with an input schema, the text fills its only required string field (or its only
 *   field, when none is required), or is the input itself when the schema is a string;
 * - otherwise, without an input schema, the text fills the one field the prompt template looks up
 *   (`{{ input.question }}`), or is the input itself (the default template `{{ input }}`).
 * Anything else is a 400 naming the field and saying what to send.
 */
export function inputFromText(text: string, agent: MappedAgent, param: string): unknown {
  const parsed = parseObject(text);
  if (parsed !== undefined) return parsed;
  const schema = agent.inputSchema;
  if (!schema) {
    const fields = templateFields(agent.promptTemplate);
    if (fields === 'whole' || fields.length === 0) return text;
    if (fields.length === 1 && fields[0] !== undefined) return { [fields[0]]: text };
    throw invalidParam(
      'input_not_mappable',
      `This agent's prompt uses the fields ${fields.join(', ')}: send the input as a JSON object in ${param}, e.g. ${JSON.stringify(Object.fromEntries(fields.map((field) => [field, '…'])))}.`,
      param,
    );
  }
  if (acceptsString(schema) && !acceptsObject(schema)) return text;
  const properties = (isRecord(schema.properties) ? schema.properties : {}) as Record<string, unknown>;
  const required = Array.isArray(schema.required)
    ? schema.required.filter((name) => typeof name === 'string')
    : [];
  const names = Object.keys(properties);
  const target =
    required.length === 1 ? required[0] : required.length === 0 && names.length === 1 ? names[0] : null;
  if (acceptsObject(schema) && target && acceptsString(properties[target])) return { [target]: text };
  throw invalidParam(
    'input_not_mappable',
    `Plain text can only fill an input schema with one required string field; this agent takes ${describeFields(properties, required)}. Send the input as a JSON object in ${param}.`,
    param,
  );
}

function parseObject(text: string): Record<string, unknown> | undefined {
  const trimmed = text.trim();
  if (!trimmed.startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(trimmed);
    return isRecord(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** The top-level input fields a template looks up, or `whole` when it renders the input itself. */
function templateFields(template: string): string[] | 'whole' {
  const fields = new Set<string>();
  for (const path of parseTemplate(template).paths) {
    const field = path[1];
    if (field === undefined) return 'whole';
    fields.add(field);
  }
  return [...fields];
}

function typesOf(schema: unknown): string[] | null {
  if (!isRecord(schema)) return null;
  if (typeof schema.type === 'string') return [schema.type];
  if (Array.isArray(schema.type)) return schema.type.filter((type) => typeof type === 'string');
  return null;
}

/** An untyped field accepts a string too. */
function acceptsString(schema: unknown): boolean {
  if (schema === true || schema === undefined) return true;
  const types = typesOf(schema);
  return types === null || types.includes('string');
}

function acceptsObject(schema: JsonSchema): boolean {
  const types = typesOf(schema);
  return types === null ? isRecord(schema.properties) : types.includes('object');
}

function describeFields(properties: Record<string, unknown>, required: string[]): string {
  const names = [...new Set([...required, ...Object.keys(properties)])];
  if (names.length === 0) return 'no named fields';
  return names
    .map((name) => {
      const types = typesOf(properties[name]);
      const type = types ? types.join(' | ') : 'any';
      return `${name} (${type}${required.includes(name) ? ', required' : ''})`;
    })
    .join(', ');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
