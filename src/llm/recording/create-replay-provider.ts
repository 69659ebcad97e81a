import type {
  GenerateResult,
  LanguageModelProvider,
  ProviderKind,
  ProviderStreamEvent,
} from '../language-model-provider.ts';
import { ProviderError, type ProviderErrorCode } from '../provider-error.ts';
import type { RecordedExchange } from './recorded-exchange.ts';
import { canonicalModelRequest } from './recorded-exchange.ts';
import type { ReplayCursor } from './replay-cursor.ts';

/** The base URL replay targets report: their circuit breakers never share one with a real endpoint. */
export const replayBaseUrl = 'replay:';

/**
 * A provider that answers from a recording and never touches the network: each call is matched
 * against the next recorded exchange (fingerprint), then answered with its result, or fails as the
 * recorded call failed, so retries and fallbacks happen as they did.
 */
export function createReplayProvider(kind: ProviderKind, cursor: ReplayCursor): LanguageModelProvider {
  const answer = (exchange: RecordedExchange): GenerateResult => {
    if (!exchange.response.ok) {
      const recorded = exchange.response.error;
      throw new ProviderError({
        code: (recorded.code ?? 'provider_invalid_response') as ProviderErrorCode,
        statusCode: recorded.statusCode ?? undefined,
        isRetryable: recorded.isRetryable,
        detail: 'replayed from the recording',
      });
    }
    const result = exchange.response.result as Omit<GenerateResult, 'latencyMs' | 'timeToFirstTokenMs'>;
    return { ...result, toolCalls: result.toolCalls ?? [], latencyMs: 0, timeToFirstTokenMs: undefined };
  };
  return {
    kind,
    baseUrl: replayBaseUrl,
    async generate(request) {
      return answer(cursor.next('model', canonicalModelRequest(request)));
    },
    async *stream(request): AsyncIterable<ProviderStreamEvent> {
      const exchange = cursor.next('model', canonicalModelRequest(request));
      if (!exchange.response.ok) {
        if (exchange.response.partialText) yield { type: 'text-delta', text: exchange.response.partialText };
        answer(exchange);
      }
      const result = answer(exchange);
      if (result.text) yield { type: 'text-delta', text: result.text };
      yield { type: 'finish', result: { ...result, timeToFirstTokenMs: 0 } };
    },
  };
}
