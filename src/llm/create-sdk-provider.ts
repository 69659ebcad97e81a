import type { LanguageModel, LanguageModelUsage, ModelMessage, ToolSet } from 'ai';
import { generateText, jsonSchema, Output, streamText, tool } from 'ai';
import type {
  ChatMessage,
  FinishReason,
  GenerateRequest,
  GenerateResult,
  LanguageModelProvider,
  ProviderKind,
  ProviderStreamEvent,
  TokenUsage,
  ToolCallRequest,
  ToolDefinition,
} from './language-model-provider.ts';
import { ProviderError } from './provider-error.ts';
import { toProviderError } from './to-provider-error.ts';

export interface SdkProviderSettings {
  kind: Exclude<ProviderKind, 'mock'>;
  baseUrl: string;
  /** Builds the AI SDK model for a model id (e.g. `openai.chat(id)`). */
  languageModel: (modelId: string) => LanguageModel;
  /** The key the adapter calls with, scrubbed from every error text. */
  apiKey?: string;
}

/**
 * Wraps an AI SDK provider as our port. The SDK's own retries are always off (`maxRetries: 0`):
 * the model caller retries, so every attempt is counted and recorded once.
 */
export function createSdkProvider(settings: SdkProviderSettings): LanguageModelProvider {
  const { kind } = settings;

  function callOptions(request: GenerateRequest) {
    return {
      model: settings.languageModel(request.model),
      system: request.system,
      messages: toModelMessages(request.messages),
      ...(request.tools && request.tools.length > 0 ? { tools: toToolSet(request.tools) } : {}),
      temperature: request.temperature,
      maxOutputTokens: request.maxOutputTokens,
      seed: request.seed,
      headers: request.headers,
      abortSignal: request.abortSignal,
      maxRetries: 0,
    };
  }

  function outputFor(request: GenerateRequest) {
    if (!request.outputSchema)
      return request.jsonMode ? Output.json({ name: request.outputName }) : undefined;
    return Output.object({ schema: jsonSchema(request.outputSchema), name: request.outputName });
  }

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
      const output = outputFor(request);
      try {
        const result = output
          ? await generateText({ ...callOptions(request), output })
          : await generateText(callOptions(request));
        const requestId = readRequestId(result.response.headers);
        const finishReason = toFinishReason(result.finishReason);
        checkFinish(finishReason, request, requestId);
        const toolCalls = result.toolCalls.map(toToolCallRequest);
        return {
          text: result.text,
          object: request.outputSchema && toolCalls.length === 0 ? result.output : undefined,
          toolCalls,
          usage: toTokenUsage(result.usage),
          finishReason,
          requestId,
          model: result.response.modelId || request.model,
          latencyMs: performance.now() - startedAt,
          timeToFirstTokenMs: undefined,
        } satisfies GenerateResult;
      } catch (error) {
        throw mapError(error, request);
      }
    },

    async *stream(request): AsyncIterable<ProviderStreamEvent> {
      const startedAt = performance.now();
      const schema = request.outputSchema;
      const output = outputFor(request);
      // The default onError logs to the console; errors reach us as `error` parts instead.
      const result = output
        ? streamText({ ...callOptions(request), output, onError: () => {} })
        : streamText({ ...callOptions(request), onError: () => {} });
      let text = '';
      const toolCalls: ToolCallRequest[] = [];
      let timeToFirstTokenMs: number | undefined;
      let finishStep:
        | {
            usage: LanguageModelUsage;
            finishReason: string;
            modelId: string;
            headers?: Record<string, string>;
          }
        | undefined;
      try {
        for await (const part of result.fullStream) {
          if (part.type === 'text-delta') {
            if (part.text === '') continue;
            timeToFirstTokenMs ??= performance.now() - startedAt;
            text += part.text;
            yield { type: 'text-delta', text: part.text };
          } else if (part.type === 'tool-call') {
            toolCalls.push(toToolCallRequest(part));
          } else if (part.type === 'error') {
            throw part.error;
          } else if (part.type === 'finish-step') {
            finishStep = {
              usage: part.usage,
              finishReason: part.finishReason,
              modelId: part.response.modelId,
              headers: part.response.headers,
            };
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
      checkStreamBody(finishStep, { text, toolCalls, finishReason }, request, requestId);
      checkFinish(finishReason, request, requestId);
      yield {
        type: 'finish',
        result: {
          text,
          object: schema && toolCalls.length === 0 ? parseStructured(text, request, requestId) : undefined,
          toolCalls,
          usage: toTokenUsage(finishStep.usage),
          finishReason,
          requestId,
          model: finishStep.modelId || request.model,
          latencyMs: performance.now() - startedAt,
          timeToFirstTokenMs,
        },
      };
    },
  };

  /**
   * Some SDK parsers end a stream that carried no events as if it had finished: a server that
   * answers the streaming request with JSON (or a cut body) would be recorded as a completed,
   * empty answer. An answer that is not an event stream, or a stream with no answer and no
   * finish reason, is an invalid response, as the non-streaming path says of a body it cannot read.
   */
  function checkStreamBody(
    finishStep: { headers?: Record<string, string>; finishReason: string },
    answer: { text: string; toolCalls: ToolCallRequest[]; finishReason: FinishReason },
    request: GenerateRequest,
    requestId: string | undefined,
  ): void {
    const contentType = finishStep.headers?.['content-type'];
    const notAStream = contentType !== undefined && !contentType.toLowerCase().includes('text/event-stream');
    const empty = answer.text === '' && answer.toolCalls.length === 0 && answer.finishReason === 'other';
    if (!notAStream && !empty) return;
    throw new ProviderError({
      code: 'provider_invalid_response',
      provider: kind,
      model: request.model,
      requestId,
      detail: notAStream
        ? `the provider answered the streaming request with ${contentType.split(';')[0]}, not an event stream`
        : 'the stream ended without an answer or a finish reason',
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
 * Our tools as the SDK's, without `execute`: the SDK stops at the model's tool calls and hands them
 * back, so the execution's own loop runs them (recorded, validated by Ajv, approved, budgeted).
 * `jsonSchema` without a validator: arguments are checked by our loop, which tells the model what
 * was wrong instead of failing the call.
 */
function toToolSet(tools: readonly ToolDefinition[]): ToolSet {
  const set: ToolSet = {};
  for (const definition of tools) {
    set[definition.name] = tool({
      description: definition.description,
      inputSchema: jsonSchema(definition.parameters as Parameters<typeof jsonSchema>[0]),
    });
  }
  return set;
}

function toToolCallRequest(call: { toolCallId: string; toolName: string; input: unknown }): ToolCallRequest {
  return { id: call.toolCallId, name: call.toolName, arguments: call.input ?? {} };
}

/** Our turns as the SDK's messages: assistant tool calls as `tool-call` parts, results as a `tool` message. */
export function toModelMessages(messages: readonly ChatMessage[]): ModelMessage[] {
  return messages.map((message): ModelMessage => {
    if (message.role === 'user') return { role: 'user', content: message.content };
    if (message.role === 'assistant') {
      if (!message.toolCalls || message.toolCalls.length === 0)
        return { role: 'assistant', content: message.content };
      return {
        role: 'assistant',
        content: [
          ...(message.content ? [{ type: 'text' as const, text: message.content }] : []),
          ...message.toolCalls.map((call) => ({
            type: 'tool-call' as const,
            toolCallId: call.id,
            toolName: call.name,
            input: call.arguments,
          })),
        ],
      };
    }
    return {
      role: 'tool',
      content: message.results.map((result) => ({
        type: 'tool-result' as const,
        toolCallId: result.id,
        toolName: result.name,
        output: result.isError
          ? {
              type: 'error-text' as const,
              value: typeof result.value === 'string' ? result.value : JSON.stringify(result.value),
            }
          : { type: 'json' as const, value: (result.value ?? null) as never },
      })),
    };
  });
}

function readRequestId(headers: Record<string, string> | undefined): string | undefined {
  return headers?.['x-request-id'] ?? headers?.['request-id'];
}

/** Normalises AI SDK usage; providers that omit a count report zero rather than unknown. */
export function toTokenUsage(usage: LanguageModelUsage): TokenUsage {
  const inputTokens = usage.inputTokens ?? 0;
  const outputTokens = usage.outputTokens ?? 0;
  const tokenUsage: TokenUsage = {
    inputTokens,
    outputTokens,
    totalTokens: usage.totalTokens ?? inputTokens + outputTokens,
  };
  const cacheRead = usage.inputTokenDetails?.cacheReadTokens;
  const cacheWrite = usage.inputTokenDetails?.cacheWriteTokens;
  if (cacheRead !== undefined) tokenUsage.cachedInputTokens = cacheRead;
  if (cacheWrite !== undefined) tokenUsage.cacheWriteInputTokens = cacheWrite;
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
