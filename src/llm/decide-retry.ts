import { backoffDelay } from './backoff-delay.ts';
import type { ProviderError } from './provider-error.ts';
import type { RetryPolicy } from './retry-policy.ts';

export type RetryDecision =
  | { retry: true; delayMs: number; source: 'backoff' | 'retry-after' }
  | {
      retry: false;
      reason: 'not_retryable' | 'attempts_exhausted' | 'retry_after_too_long' | 'deadline_exceeded';
    };

/**
 * The one place that decides whether a failed attempt is retried on the same target and after
 * how long. Retryability comes from the error's structured fields (status 408, 409, 429, 5xx,
 * connection resets, timeouts), never from its message.
 */
export function decideRetry(options: {
  error: ProviderError;
  /** Attempts already made on this target, the failed one included. */
  attemptNumber: number;
  policy: RetryPolicy;
  /** Milliseconds left before the overall deadline. */
  remainingMs: number;
  random: () => number;
}): RetryDecision {
  const { error, attemptNumber, policy } = options;
  if (!error.isRetryable) return { retry: false, reason: 'not_retryable' };
  if (attemptNumber >= policy.maxAttempts) return { retry: false, reason: 'attempts_exhausted' };
  if (error.retryAfterMs !== undefined) {
    // The provider told us when it will accept us again: waiting less is a wasted attempt,
    // waiting longer than the cap would hold the execution hostage, so we fall back instead.
    if (error.retryAfterMs > policy.maxRetryAfterMs) return { retry: false, reason: 'retry_after_too_long' };
    if (error.retryAfterMs >= options.remainingMs) return { retry: false, reason: 'deadline_exceeded' };
    return { retry: true, delayMs: error.retryAfterMs, source: 'retry-after' };
  }
  const delayMs = backoffDelay({
    retryNumber: attemptNumber,
    baseDelayMs: policy.baseDelayMs,
    maxDelayMs: policy.maxDelayMs,
    random: options.random,
  });
  if (delayMs >= options.remainingMs) return { retry: false, reason: 'deadline_exceeded' };
  return { retry: true, delayMs, source: 'backoff' };
}
