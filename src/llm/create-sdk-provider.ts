import type { LanguageModel } from 'ai';
import type {
  FinishReason,
  GenerateRequest,
  GenerateResult,
  LanguageModelProvider,
  ProviderKind,
  ProviderStreamEvent,
  TokenUsage,
  ToolCallRequest,
  ToolResultMessage,
} from './language-model-provider.ts';
import { ProviderError } from './provider-error.ts';
import { toProviderError } from './to-provider-error.ts';

/** An AI SDK provider's model as the provider specification (v4) defines it. */
export type SpecificationModel = Extract<LanguageModel, { readonly specificationVersion: 'v4' }>;
type SpecificationCallOptions = Parameters<SpecificationModel['doGenerate']>[0];
type SpecificationPrompt = SpecificationCallOptions['prompt'];
type SpecificationResult = Awaited<ReturnType<SpecificationModel['doGenerate']>>;
type SpecificationUsage = SpecificationResult['usage'];

export interface SdkProviderSettings {
  kind: Exclude<ProviderKind, 'mock'>;
  baseUrl: string;
  /** Builds the AI SDK model for a model id (e.g. `openai.chat(id)`). */
  languageModel: (modelId: string) => SpecificationModel;
  /** The key the adapter calls with, scrubbed from every error text. */
  apiKey?: string;
}

/**
 * Wraps an AI SDK provider as our port. The specification call has no retries of its own: the
 * model caller retries, so every attempt is counted and recorded once.
 *
 * `generate` calls the provider's model through the provider specification (`doGenerate`), not
 * `generateText`: the provider package still builds the request and reads the answer (model rules,
 * schema normalisation, error bodies stay the SDK's), but `generateText`'s step loop, telemetry,
 * output parsing and copying cost about 220 µs of CPU per call (bench/llm-transport.ts), a sixth
 * of a live execution. `stream` calls `doStream` for the same reason (streamText adds its stream
 * transforms on top). What they did that we need is done here: the prompt in the specification's
 * shape, tool call arguments parsed, the structured answer parsed.
 */
export function createSdkProvider(settings: SdkProviderSettings): LanguageModelProvider {
  const { kind } = settings;

  function mapError(error: unknown, request: GenerateRequest): unknown {
    if (request.abortSignal?.aborted) return error;
    const secrets = settings.apiKey ? [settings.apiKey] : [];
    return toProviderError(error, { provider: kind, model: request.model, secrets }) ?? error;
  }

  function checkFinish(
    finishReason: FinishReason,
    request: GenerateRequest,
    requestId: string | undefined,
  ): void {
    if (finishReason === 'content-filter') {
      throw new ProviderError({
        code: 'provider_content_filtered',
        provider: kind,
        model: request.model,
        requestId,
      });
    }
  }

  return {
    kind,
    baseUrl: settings.baseUrl,

    async generate(request) {
      const startedAt = performance.now();
      let result: SpecificationResult;
      try {
        result = await settings.languageModel(request.model).doGenerate(specificationCallOptions(request));
      } catch (error) {
        throw mapError(error, request);
      }
      const requestId = readRequestId(result.response?.headers);
      const finishReason = toFinishReason(result.finishReason.unified);
      checkFinish(finishReason, request, requestId);
      let text = '';
      const toolCalls: ToolCallRequest[] = [];
      for (const part of result.content) {
        if (part.type === 'text') text += part.text;
        else if (part.type === 'tool-call' && !part.providerExecuted) {
          toolCalls.push({ id: part.toolCallId, name: part.toolName, arguments: parseToolInput(part.input) });
        }
      }
      return {
        text,
        object:
          request.outputSchema && toolCalls.length === 0
            ? parseStructured(text, request, requestId)
            : undefined,
        toolCalls,
        usage: fromSpecificationUsage(result.usage),
        finishReason,
        requestId,
        model: result.response?.modelId || request.model,
        latencyMs: performance.now() - startedAt,
        timeToFirstTokenMs: undefined,
      } satisfies GenerateResult;
    },

    async *stream(request): AsyncIterable<ProviderStreamEvent> {
      const startedAt = performance.now();
      const schema = request.outputSchema;
      let text = '';
      const toolCalls: ToolCallRequest[] = [];
      let timeToFirstTokenMs: number | undefined;
      let modelId: string | undefined;
      let finishStep:
        | { usage: SpecificationUsage; finishReason: string; headers?: Record<string, string> }
        | undefined;
      try {
        const result = await settings
          .languageModel(request.model)
          .doStream(specificationCallOptions(request));
        const headers = result.response?.headers;
        checkEventStream(headers, request);
        for await (const part of result.stream) {
          if (part.type === 'text-delta') {
            if (part.delta === '') continue;
            timeToFirstTokenMs ??= performance.now() - startedAt;
            text += part.delta;
            yield { type: 'text-delta', text: part.delta };
          } else if (part.type === 'tool-call' && !part.providerExecuted) {
            toolCalls.push({
              id: part.toolCallId,
              name: part.toolName,
              arguments: parseToolInput(part.input),
            });
          } else if (part.type === 'response-metadata') {
            modelId = part.modelId ?? modelId;
          } else if (part.type === 'error') {
            throw part.error;
          } else if (part.type === 'finish') {
            finishStep = { usage: part.usage, finishReason: part.finishReason.unified, headers };
          }
        }
      } catch (error) {
        throw mapError(error, request);
      }
      if (request.abortSignal?.aborted) throw request.abortSignal.reason;
      if (!finishStep) {
        throw new ProviderError({
          code: 'provider_unavailable',
          provider: kind,
          model: request.model,
          reason: 'stream_cut',
          detail: 'the stream ended before the provider finished the answer',
        });
      }
      const requestId = readRequestId(finishStep.headers);
      const finishReason = toFinishReason(finishStep.finishReason);
      checkAnswered({ text, toolCalls, finishReason }, request, requestId);
      checkFinish(finishReason, request, requestId);
      yield {
        type: 'finish',
        result: {
          text,
          object: schema && toolCalls.length === 0 ? parseStructured(text, request, requestId) : undefined,
          toolCalls,
          usage: fromSpecificationUsage(finishStep.usage),
          finishReason,
          requestId,
          model: modelId || request.model,
          latencyMs: performance.now() - startedAt,
          timeToFirstTokenMs,
        },
      };
    },
  };

  /**
   * A server that answers the streaming request with JSON (or a cut body) carries no events, and
   * the SDK's parser ends such a stream as if it had finished: it would be recorded as a completed,
   * empty answer. An answer that is not an event stream is an invalid response, as the
   * non-streaming path says of a body it cannot read.
   */
  function checkEventStream(headers: Record<string, string> | undefined, request: GenerateRequest): void {
    const contentType = headers?.['content-type'];
    if (contentType === undefined || contentType.toLowerCase().includes('text/event-stream')) return;
    throw new ProviderError({
      code: 'provider_invalid_response',
      provider: kind,
      model: request.model,
      requestId: readRequestId(headers),
      detail: `the provider answered the streaming request with ${contentType.split(';')[0]}, not an event stream`,
    });
  }

  /** A stream with no answer and no finish reason is as invalid as a body that is not a stream. */
  function checkAnswered(
    answer: { text: string; toolCalls: ToolCallRequest[]; finishReason: FinishReason },
    request: GenerateRequest,
    requestId: string | undefined,
  ): void {
    if (answer.text !== '' || answer.toolCalls.length > 0 || answer.finishReason !== 'other') return;
    throw new ProviderError({
      code: 'provider_invalid_response',
      provider: kind,
      model: request.model,
      requestId,
      detail: 'the stream ended without an answer or a finish reason',
    });
  }

  function parseStructured(text: string, request: GenerateRequest, requestId: string | undefined): unknown {
    try {
      return JSON.parse(text);
    } catch (error) {
      throw new ProviderError({
        code: 'provider_invalid_response',
        provider: kind,
        model: request.model,
        requestId,
        detail: 'the structured answer is not valid JSON',
        cause: error,
      });
    }
  }
}

/**
 * The call as the provider specification takes it, as `generateText` would build it from the same
 * request: the system prompt as a system message, every turn's content as parts, function tools
 * with `toolChoice: auto`, and a JSON response format for structured answers and JSON mode.
 */
function specificationCallOptions(request: GenerateRequest): SpecificationCallOptions {
  const tools = request.tools && request.tools.length > 0 ? request.tools : undefined;
  return {
    prompt: toSpecificationPrompt(request),
    maxOutputTokens: request.maxOutputTokens,
    temperature: request.temperature,
    seed: request.seed,
    ...(tools
      ? {
          tools: tools.map((definition) => ({
            type: 'function' as const,
            name: definition.name,
            description: definition.description,
            inputSchema: definition.parameters as never,
          })),
          toolChoice: { type: 'auto' as const },
        }
      : {}),
    responseFormat: request.outputSchema
      ? {
          type: 'json',
          schema: request.outputSchema as never,
          ...(request.outputName !== undefined ? { name: request.outputName } : {}),
        }
      : request.jsonMode
        ? { type: 'json', ...(request.outputName !== undefined ? { name: request.outputName } : {}) }
        : undefined,
    headers: request.headers,
    abortSignal: request.abortSignal,
  };
}

function toSpecificationPrompt(request: GenerateRequest): SpecificationPrompt {
  const prompt: SpecificationPrompt = [];
  if (request.system != null) prompt.push({ role: 'system', content: request.system });
  for (const message of request.messages) {
    if (message.role === 'user') {
      prompt.push({ role: 'user', content: [{ type: 'text', text: message.content }] });
    } else if (message.role === 'assistant') {
      const calls = message.toolCalls ?? [];
      prompt.push({
        role: 'assistant',
        content: [
          // Like generateText: an empty text part is dropped next to tool calls, kept alone.
          ...(message.content !== '' || calls.length === 0
            ? [{ type: 'text' as const, text: message.content }]
            : []),
          ...calls.map((call) => ({
            type: 'tool-call' as const,
            toolCallId: call.id,
            toolName: call.name,
            input: call.arguments,
          })),
        ],
      });
    } else {
      prompt.push({
        role: 'tool',
        content: message.results.map((result) => ({
          type: 'tool-result' as const,
          toolCallId: result.id,
          toolName: result.name,
          output: toolResultOutput(result),
        })),
      });
    }
  }
  return prompt;
}

function toolResultOutput(result: ToolResultMessage) {
  return result.isError
    ? {
        type: 'error-text' as const,
        value: typeof result.value === 'string' ? result.value : JSON.stringify(result.value),
      }
    : { type: 'json' as const, value: (result.value ?? null) as never };
}

/**
 * A tool call's arguments as the model sent them: parsed JSON, `{}` for none, and the raw text when
 * it is not JSON (as generateText hands back an invalid call), so the tool loop can tell the model.
 */
function parseToolInput(input: string): unknown {
  if (input.trim() === '') return {};
  try {
    return JSON.parse(input);
  } catch {
    return input;
  }
}

function readRequestId(headers: Record<string, string> | undefined): string | undefined {
  return headers?.['x-request-id'] ?? headers?.['request-id'];
}

/**
 * The specification's usage as ours; providers that omit a count report zero rather than unknown,
 * and the total is input plus output, as the AI SDK adds them.
 */
function fromSpecificationUsage(usage: SpecificationUsage): TokenUsage {
  const inputTokens = usage.inputTokens.total ?? 0;
  const outputTokens = usage.outputTokens.total ?? 0;
  const tokenUsage: TokenUsage = { inputTokens, outputTokens, totalTokens: inputTokens + outputTokens };
  if (usage.inputTokens.cacheRead !== undefined) tokenUsage.cachedInputTokens = usage.inputTokens.cacheRead;
  if (usage.inputTokens.cacheWrite !== undefined)
    tokenUsage.cacheWriteInputTokens = usage.inputTokens.cacheWrite;
  return tokenUsage;
}

function toFinishReason(reason: string): FinishReason {
  switch (reason) {
    case 'stop':
    case 'length':
    case 'content-filter':
    case 'tool-calls':
    case 'error':
      return reason;
    default:
      return 'other';
  }
}
