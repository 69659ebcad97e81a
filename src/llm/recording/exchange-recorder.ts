import { redactedPlaceholder } from '../../core/redact-secrets.ts';
import type { TokenUsage } from '../language-model-provider.ts';
import {
  type ExchangeKind,
  fingerprintOf,
  type RecordedExchange,
  type RecordedResponse,
} from './recorded-exchange.ts';

/** Collects one execution's exchanges in the order they happen; the execution service stores them. */
export interface ExchangeRecorder {
  record(exchange: {
    kind: ExchangeKind;
    request: Record<string, unknown>;
    response: RecordedResponse;
    usage: TokenUsage | null;
    latencyMs: number;
  }): void;
  /** Secrets the recording must never hold (the provider keys of the call), added as targets resolve. */
  addSecrets(secrets: readonly string[]): void;
  exchanges(): RecordedExchange[];
}

/** A recorder for one execution. Known secrets are cut out of every stored string. */
export function createExchangeRecorder(): ExchangeRecorder {
  const recorded: RecordedExchange[] = [];
  const secrets = new Set<string>();
  const scrub = (value: unknown): unknown => {
    if (typeof value === 'string') {
      let text = value;
      for (const secret of secrets) text = text.split(secret).join(redactedPlaceholder);
      return text;
    }
    if (Array.isArray(value)) return value.map(scrub);
    if (typeof value === 'object' && value !== null)
      return Object.fromEntries(Object.entries(value).map(([key, entry]) => [key, scrub(entry)]));
    return value;
  };
  return {
    record(exchange) {
      // The fingerprint is of the request as sent, so a replay of the same request matches it.
      const fingerprint = fingerprintOf(exchange.request);
      recorded.push({
        sequence: recorded.length,
        kind: exchange.kind,
        fingerprint,
        request: scrub(exchange.request) as Record<string, unknown>,
        response: scrub(exchange.response) as RecordedResponse,
        usage: exchange.usage,
        latencyMs: exchange.latencyMs,
      });
    },
    addSecrets(values) {
      for (const value of values) if (value.length >= 8) secrets.add(value);
    },
    exchanges: () => [...recorded],
  };
}
