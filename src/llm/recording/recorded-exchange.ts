import { createHash } from 'node:crypto';
import { stableStringify } from '../../core/stable-stringify.ts';
import type { GenerateRequest, GenerateResult, TokenUsage } from '../language-model-provider.ts';
import type { ProviderErrorCode } from '../provider-error.ts';

/** `model`: one provider call; `tool`: one tool result of the agent tool loop, recorded the same way. */
export type ExchangeKind = 'model' | 'tool';

/** What an exchange answered: a result, or the provider's failure (so retries and fallbacks replay too). */
export type RecordedResponse =
  | { ok: true; result: Omit<GenerateResult, 'latencyMs' | 'timeToFirstTokenMs'> | Record<string, unknown> }
  | {
      ok: false;
      /** A provider's failure carries a ProviderErrorCode; a tool's, its own code (null: not ours). */
      error: {
        code: ProviderErrorCode | string | null;
        statusCode: number | null;
        isRetryable: boolean;
        message: string;
      };
      /** Text a stream had sent before it failed. */
      partialText?: string;
    };

/** One stored exchange of a recorded execution, in the order it happened. */
export interface RecordedExchange {
  sequence: number;
  kind: ExchangeKind;
  fingerprint: string;
  /** The canonical request: no headers, abort signals or idempotency keys; never a credential. */
  request: Record<string, unknown>;
  response: RecordedResponse;
  usage: TokenUsage | null;
  latencyMs: number;
}

/** The exchanges of one recorded execution; a replay answers from one of these. */
export interface Recording {
  executionId: string;
  exchanges: RecordedExchange[];
}

/**
 * The request as a recording keeps it and a replay compares it: everything that shapes the answer,
 * nothing that changes per attempt or carries a credential (headers hold Idempotency-Key and any
 * custom header a key was configured with; the signal is not data).
 */
export function canonicalModelRequest(request: GenerateRequest): Record<string, unknown> {
  // The model caller's own settings ride along on the port request; the time left before the
  // deadline changes from run to run and says nothing about what was asked.
  const {
    headers: _headers,
    abortSignal: _abortSignal,
    deadlineMs: _deadline,
    attemptTimeoutMs: _attemptTimeout,
    ...rest
  } = request as GenerateRequest & { deadlineMs?: number; attemptTimeoutMs?: number };
  // Through JSON: undefined fields drop out, so a field left unset and one never known compare equal.
  return JSON.parse(JSON.stringify(rest)) as Record<string, unknown>;
}

/** SHA-256 of the canonical request with sorted keys: equal requests, equal fingerprints. */
export function fingerprintOf(canonicalRequest: unknown): string {
  return createHash('sha256').update(stableStringify(canonicalRequest)).digest('hex');
}
