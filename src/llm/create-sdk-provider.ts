import type { LanguageModel, LanguageModelUsage, ModelMessage, ToolSet } from 'ai';
import { jsonSchema, Output, streamText, tool } from 'ai';
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
  ToolResultMessage,
} from './language-model-provider.ts';
import { ProviderError } from './provider-error.ts';
import { toProviderError } from './to-provider-error.ts';

/** An AI SDK provider's model as the provider specification (v4) defines it. */
export type SpecificationModel = Extract<LanguageModel, { readonly specificationVersion: 'v4' }>;
type SpecificationCallOptions = Parameters<SpecificationModel['doGenerate']>[0];
type SpecificationPrompt = SpecificationCallOptions['prompt'];
type SpecificationResult = Awaited<ReturnType<SpecificationModel['doGenerate']>>;

export interface SdkProviderSettings {
  kind: Exclude<ProviderKind, 'mock'>;
  baseUrl: string;
  /** Builds the AI SDK model for a model id (e.g. `openai.chat(id)`). */
  languageModel: (modelId: string) => SpecificationModel;
  /** The key the adapter calls with, scrubbed from every error text. */
  apiKey?: string;
}

/**
 * Wraps an AI SDK provider as our port. The SDK's own retries are always off (`maxRetries: 0`):
 * the model caller retries, so every attempt is counted and recorded once.
 *
 * `generate` calls the provider's model through the provider specification (`doGenerate`), not
 * `generateText`: the provider package still builds the request and reads the answer (model rules,
 * schema normalisation, error bodies stay the SDK's), but `generateText`'s step loop, telemetry,
 * output parsing and copying cost about 220 µs of CPU per call (bench/llm-transport.ts), a sixth
 * of a live execution. What it did that we need is done here: the prompt in the specification's
 * shape, tool call arguments parsed, the structured answer parsed. Streams keep `streamText`.
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
        usage: toTokenUsage({
          inputTokens: result.usage.inputTokens.total,
          outputTokens: result.usage.outputTokens.total,
          inputTokenDetails: {
            cacheReadTokens: result.usage.inputTokens.cacheRead,
            cacheWriteTokens: result.usage.inputTokens.cacheWrite,
          },
        }),
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
        output: toolResultOutput(result),
      })),
    };
  });
}

function readRequestId(headers: Record<string, string> | undefined): string | undefined {
  return headers?.['x-request-id'] ?? headers?.['request-id'];
}

/** Normalises AI SDK usage; providers that omit a count report zero rather than unknown. */
export function toTokenUsage(
  usage: Pick<LanguageModelUsage, 'inputTokens' | 'outputTokens'> & {
    totalTokens?: number | undefined;
    inputTokenDetails?: { cacheReadTokens?: number | undefined; cacheWriteTokens?: number | undefined };
  },
): TokenUsage {
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
