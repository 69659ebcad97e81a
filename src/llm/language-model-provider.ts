/**
 * The provider port: the one shape every adapter (openai, anthropic, openai-compatible, mock)
 * implements. It is deliberately small — one generate, one stream — so retries, fallback and
 * the circuit breaker live once, in the model caller, instead of in every adapter.
 */

export type ProviderKind = 'openai' | 'anthropic' | 'openai-compatible' | 'mock';

export const providerKinds: readonly ProviderKind[] = ['openai', 'anthropic', 'openai-compatible', 'mock'];

/** A JSON Schema (draft 2020-12) as plain data, e.g. an agent's output schema. */
export type JsonSchema = Record<string, unknown>;

export interface ChatMessage {
  role: 'user' | 'assistant';
  content: string;
}

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
