import { backoffDelay } from '../core/backoff-delay.ts';
import type { ProviderError, ProviderErrorCode } from './provider-error.ts';
import type { RetryPolicy } from './retry-policy.ts';

/*
 * The model caller's whole policy after a failed attempt, in one place: retry the same target
 * (and after how long), fall back to the next target, or give up; and what the failure says about
 * the endpoint's health, for its circuit breaker. Every answer comes from the error's structured
 * fields, never from its message.
 */

export type RetryDecision =
  | { retry: true; delayMs: number; source: 'backoff' | 'retry-after' }
  | {
      retry: false;
      reason: 'not_retryable' | 'attempts_exhausted' | 'retry_after_too_long' | 'deadline_exceeded';
    };

type RefusedRetry = Extract<RetryDecision, { retry: false }>['reason'];

/** What the model caller does after a failed attempt. */
export type NextStep =
  | { step: 'retry'; delayMs: number; source: 'backoff' | 'retry-after' }
  /** The target gave up on a failure another target may not share; after the last target the call fails with it. */
  | { step: 'fall-back'; reason: RefusedRetry }
  | { step: 'give-up'; reason: RefusedRetry | 'text_yielded' };

export type EndpointHealth = 'healthy' | 'unhealthy';

interface RetryOptions {
  error: ProviderError;
  /** Attempts already made on this target, the failed one included. */
  attemptNumber: number;
  policy: RetryPolicy;
  /** Milliseconds left before the overall deadline. */
  remainingMs: number;
  random: () => number;
}

/**
 * Decides what follows a failed attempt. Once a stream's text reached the consumer, nothing
 * follows: a retry or a fallback would repeat it.
 */
export function decideNextStep(options: RetryOptions & { textYielded: boolean }): NextStep {
  if (options.textYielded) return { step: 'give-up', reason: 'text_yielded' };
  const retry = decideRetry(options);
  if (retry.retry) return { step: 'retry', delayMs: retry.delayMs, source: retry.source };
  if (decideFallback(options.error)) return { step: 'fall-back', reason: retry.reason };
  return { step: 'give-up', reason: retry.reason };
}

/**
 * The one place that decides whether a failed attempt is retried on the same target and after
 * how long. Retryability comes from the error's structured fields (status 408, 409, 429, 5xx,
 * connection resets, timeouts), never from its message.
 */
export function decideRetry(options: RetryOptions): RetryDecision {
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

/** Failures another endpoint or model may not share; a circuit refusing calls is one of them. */
const fallbackCodes = new Set<ProviderErrorCode>([
  'provider_unavailable',
  'provider_timeout',
  'provider_rate_limited',
]);

/**
 * After a target gave up: may the next target be tried? Not after a failure of the request
 * itself (a bad request, a rejected key, filtered content), which the next target would repeat.
 */
export function decideFallback(error: ProviderError): boolean {
  return error.isRetryable || fallbackCodes.has(error.code);
}

/** Failures that say the endpoint is unhealthy; a 400 or a rejected key says nothing about its health. */
const unhealthyCodes = new Set<ProviderErrorCode>([
  'provider_unavailable',
  'provider_timeout',
  'provider_rate_limited',
  'provider_invalid_response',
]);

/** What a failed attempt says about its endpoint: the circuit breaker counts only unhealthy ones as failures. */
export function classifyEndpointHealth(error: ProviderError): EndpointHealth {
  return unhealthyCodes.has(error.code) ? 'unhealthy' : 'healthy';
}
