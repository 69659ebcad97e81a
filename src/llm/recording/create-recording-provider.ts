import type {
  GenerateRequest,
  GenerateResult,
  LanguageModelProvider,
  ProviderStreamEvent,
} from '../language-model-provider.ts';
import { toProviderError } from '../to-provider-error.ts';
import type { ExchangeRecorder } from './exchange-recorder.ts';
import { canonicalModelRequest, type RecordedResponse } from './recorded-exchange.ts';

/**
 * Wraps an adapter so every call it makes (each attempt, fallbacks and repairs included) is
 * recorded: the canonical request, then the result or the failure. Answers are passed through
 * unchanged; the model caller around it retries and falls back as usual.
 */
export function createRecordingProvider(
  inner: LanguageModelProvider,
  recorder: ExchangeRecorder,
): LanguageModelProvider {
  const succeeded = (request: GenerateRequest, result: GenerateResult, startedAt: number) => {
    const { latencyMs: _latency, timeToFirstTokenMs: _firstToken, ...kept } = result;
    recorder.record({
      kind: 'model',
      request: canonicalModelRequest(request),
      response: { ok: true, result: kept },
      usage: result.usage,
      latencyMs: performance.now() - startedAt,
    });
  };
  const failed = (request: GenerateRequest, error: unknown, startedAt: number, partialText: string) => {
    recorder.record({
      kind: 'model',
      request: canonicalModelRequest(request),
      response: failureOf(inner, request, error, partialText),
      usage: null,
      latencyMs: performance.now() - startedAt,
    });
  };
  return {
    kind: inner.kind,
    baseUrl: inner.baseUrl,
    async generate(request) {
      const startedAt = performance.now();
      try {
        const result = await inner.generate(request);
        succeeded(request, result, startedAt);
        return result;
      } catch (error) {
        failed(request, error, startedAt, '');
        throw error;
      }
    },
    async *stream(request): AsyncIterable<ProviderStreamEvent> {
      const startedAt = performance.now();
      let partialText = '';
      try {
        for await (const event of inner.stream(request)) {
          if (event.type === 'text-delta') partialText += event.text;
          else succeeded(request, event.result, startedAt);
          yield event;
        }
      } catch (error) {
        failed(request, error, startedAt, partialText);
        throw error;
      }
    },
  };
}

function failureOf(
  inner: LanguageModelProvider,
  request: GenerateRequest,
  error: unknown,
  partialText: string,
): RecordedResponse {
  // An attempt cut by its timeout or the caller shows up as an abort here; the model caller calls it
  // a timeout, and so does the recording. What no mapping knows is recorded as unreadable.
  const aborted = request.abortSignal?.aborted === true;
  const mapped = aborted ? undefined : toProviderError(error, { provider: inner.kind, model: request.model });
  const code = mapped?.code ?? (aborted ? 'provider_timeout' : 'provider_invalid_response');
  return {
    ok: false,
    error: {
      code,
      statusCode: mapped?.statusCode ?? null,
      isRetryable: mapped?.isRetryable ?? aborted,
      message: mapped?.message ?? (aborted ? 'The provider did not answer in time.' : 'The call failed.'),
    },
    ...(partialText ? { partialText } : {}),
  };
}
