/**
 * The provider port: the one shape every adapter (openai, anthropic, openai-compatible, mock)
 * implements. It is deliberately small — one generate, one stream — so retries, fallback and
 * the circuit breaker live once, in the model caller, instead of in every adapter.
 */

export type ProviderKind = 'openai' | 'anthropic' | 'openai-compatible' | 'mock';

export const providerKinds: readonly ProviderKind[] = ['openai', 'anthropic', 'openai-compatible', 'mock'];

/** A JSON Schema (draft 2020-12) as plain data, e.g. an agent's output schema. */
export type JsonSchema = Record<string, unknown>;

/** A tool the model may call: its name, what it does, and the JSON Schema of its arguments. */
export interface ToolDefinition {
  name: string;
  description: string;
  parameters: JsonSchema;
}

/** A call the model asked for; `id` is the provider's and pairs the call with its result. */
export interface ToolCallRequest {
  id: string;
  name: string;
  arguments: unknown;
}

/** What a tool answered, sent back to the model; `isError` marks a failure the model should see. */
export interface ToolResultMessage {
  id: string;
  name: string;
  value: unknown;
  isError: boolean;
}

/**
 * One turn of the conversation. An assistant turn may carry tool calls (then its text may be
 * empty); a `tool` turn carries the results of the calls of the assistant turn before it.
 */
export type ChatMessage =
  | { role: 'user'; content: string }
  | { role: 'assistant'; content: string; toolCalls?: ToolCallRequest[] }
  /** `content` is the results as JSON text, for token counts and traces; `results` is what is sent. */
  | { role: 'tool'; content: string; results: ToolResultMessage[] };

export interface GenerateRequest {
  model: string;
  system?: string;
  messages: ChatMessage[];
  temperature?: number;
  maxOutputTokens?: number;
  /** When set, the answer is a JSON value valid against this schema, returned in `object`. */
  outputSchema?: JsonSchema;
  /** Name of the structured output, used by providers as a tool or schema name. */
  outputName?: string;
  /**
   * Without an `outputSchema`: ask for a JSON value (OpenAI's JSON mode). The answer stays text and
   * `object` undefined; providers without a JSON mode answer as usual.
   */
  jsonMode?: boolean;
  seed?: number;
  /** Tools the model may call; an answer that calls some ends with finishReason `tool-calls`. */
  tools?: ToolDefinition[];
  /** Extra request headers for this call only (e.g. `Idempotency-Key`). */
  headers?: Record<string, string>;
  abortSignal?: AbortSignal;
}

export interface TokenUsage {
  /** All input tokens, cached ones included. */
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
  /** Input tokens read from the provider's prompt cache, where the provider reports them. */
  cachedInputTokens?: number;
  /** Input tokens written to the prompt cache (Anthropic), where reported. */
  cacheWriteInputTokens?: number;
}

export type FinishReason = 'stop' | 'length' | 'content-filter' | 'tool-calls' | 'error' | 'other';

export interface GenerateResult {
  text: string;
  /** The parsed JSON value when the request had an `outputSchema`; otherwise undefined. */
  object: unknown;
  usage: TokenUsage;
  finishReason: FinishReason;
  /** The provider's request id (`x-request-id`, `request-id`), when it sent one. */
  requestId: string | undefined;
  /** The model that answered, as the provider reported it. */
  model: string;
  latencyMs: number;
  /** Only for streamed calls: time from sending the request to the first text delta. */
  timeToFirstTokenMs: number | undefined;
  /** The calls the model asked for (finishReason `tool-calls`); empty otherwise. */
  toolCalls: ToolCallRequest[];
}

export type ProviderStreamEvent =
  | { type: 'text-delta'; text: string }
  | { type: 'finish'; result: GenerateResult };

export interface LanguageModelProvider {
  readonly kind: ProviderKind;
  /** Base URL the adapter talks to; part of the circuit breaker key. Empty for the mock. */
  readonly baseUrl: string;
  generate(request: GenerateRequest): Promise<GenerateResult>;
  /** Yields text deltas, then exactly one `finish` event; throws a ProviderError on failure. */
  stream(request: GenerateRequest): AsyncIterable<ProviderStreamEvent>;
}
