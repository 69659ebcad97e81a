import { context, type Span, SpanKind, trace } from '@opentelemetry/api';
import type {
  GenerateRequest,
  GenerateResult,
  LanguageModelProvider,
  ProviderStreamEvent,
} from '../llm/language-model-provider.ts';
import type { ModelCaller, ModelCallRequest } from '../llm/model-caller.ts';
import { toProviderError } from '../llm/to-provider-error.ts';
import { errorType, markError, tracer } from './tracing.ts';

/** Whether a workspace lets prompts and outputs onto spans. */
export type ContentPolicy = (workspaceId: string) => Promise<boolean>;

/**
 * One `chat {model}` span per provider attempt, with the GenAI semantic conventions. The caller's
 * retries, backoff, breakers and fallbacks stay as they are: each target's provider is wrapped for
 * the call, so every attempt it makes is a span. Only while a recording span is active (tracing on).
 */
export function traceModelCalls(caller: ModelCaller, contentAllowed: ContentPolicy): ModelCaller {
  const traced = async (request: ModelCallRequest): Promise<ModelCallRequest> => {
    const withContent = await contentAllowed(request.workspaceId).catch(() => false);
    let attempt = 0;
    const next = () => ++attempt;
    return {
      ...request,
      targets: request.targets.map((target) => ({
        ...target,
        provider: traceProvider(target.provider, { withContent, next }),
      })),
    };
  };
  const recording = () => trace.getSpan(context.active())?.isRecording() === true;
  return {
    async generate(request) {
      return caller.generate(recording() ? await traced(request) : request);
    },
    async *stream(request) {
      yield* caller.stream(recording() ? await traced(request) : request);
    },
  };
}

function traceProvider(
  provider: LanguageModelProvider,
  options: { withContent: boolean; next: () => number },
): LanguageModelProvider {
  const start = (request: GenerateRequest): Span => {
    const span = tracer().startSpan(`chat ${request.model}`, {
      kind: SpanKind.CLIENT,
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': provider.kind,
        'gen_ai.request.model': request.model,
        'flightdeck.attempt': options.next(),
        ...(request.temperature === undefined ? {} : { 'gen_ai.request.temperature': request.temperature }),
        ...(request.maxOutputTokens === undefined
          ? {}
          : { 'gen_ai.request.max_tokens': request.maxOutputTokens }),
        ...(request.outputSchema || request.jsonMode ? { 'gen_ai.output.type': 'json' } : {}),
        ...(options.withContent ? inputContent(request) : {}),
      },
    });
    return span;
  };
  const succeed = (span: Span, result: GenerateResult) => {
    span.setAttributes({
      'gen_ai.response.model': result.model,
      'gen_ai.response.finish_reasons': [result.finishReason],
      'gen_ai.usage.input_tokens': result.usage.inputTokens,
      'gen_ai.usage.output_tokens': result.usage.outputTokens,
      ...(result.requestId ? { 'gen_ai.response.id': result.requestId } : {}),
      ...(options.withContent
        ? {
            'gen_ai.output.messages': JSON.stringify([
              {
                role: 'assistant',
                parts: [{ type: 'text', content: result.text }],
                finish_reason: result.finishReason,
              },
            ]),
          }
        : {}),
    });
    span.end();
  };
  const fail = (span: Span, error: unknown, model: string) => {
    // The stable code the attempt is recorded with (provider_rate_limited, …), as the caller maps it.
    const mapped = toProviderError(error, { provider: provider.kind, model });
    markError(span, mapped?.code ?? errorType(error));
    span.end();
  };
  return {
    kind: provider.kind,
    baseUrl: provider.baseUrl,
    async generate(request) {
      const span = start(request);
      try {
        const result = await provider.generate(request);
        succeed(span, result);
        return result;
      } catch (error) {
        fail(span, error, request.model);
        throw error;
      }
    },
    async *stream(request): AsyncIterable<ProviderStreamEvent> {
      const span = start(request);
      let ended = false;
      try {
        for await (const event of provider.stream(request)) {
          if (event.type === 'finish') {
            succeed(span, event.result);
            ended = true;
          }
          yield event;
        }
      } catch (error) {
        if (!ended) fail(span, error, request.model);
        ended = true;
        throw error;
      } finally {
        // The consumer stopped early (a retry after a cut stream, a client gone).
        if (!ended) fail(span, { code: 'stream_abandoned' }, request.model);
      }
    },
  };
}

/** The prompt as GenAI `gen_ai.input.messages` (and the system prompt); opted-in workspaces only. */
function inputContent(request: GenerateRequest) {
  return {
    ...(request.system
      ? { 'gen_ai.system_instructions': JSON.stringify([{ type: 'text', content: request.system }]) }
      : {}),
    'gen_ai.input.messages': JSON.stringify(
      request.messages.map((message) => ({
        role: message.role,
        parts: [{ type: 'text', content: message.content }],
      })),
    ),
  };
}
