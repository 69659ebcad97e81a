import { describe, expect, it } from 'vitest';
import { decideRetry } from './decide-retry.ts';
import type { ProviderErrorCode } from './provider-error.ts';
import { ProviderError } from './provider-error.ts';
import { resolveRetryPolicy } from './retry-policy.ts';

const policy = resolveRetryPolicy({
  maxAttempts: 3,
  baseDelayMs: 100,
  maxDelayMs: 1_000,
  maxRetryAfterMs: 5_000,
});
const decide = (error: ProviderError, attemptNumber = 1, remainingMs = 60_000) =>
  decideRetry({ error, attemptNumber, policy, remainingMs, random: () => 0.5 });

describe('decideRetry', () => {
  it.each([
    [408, 'provider_timeout'],
    [409, 'provider_unavailable'],
    [429, 'provider_rate_limited'],
    [500, 'provider_unavailable'],
    [503, 'provider_unavailable'],
  ] as const)('retries status %i', (statusCode, code) => {
    expect(decide(new ProviderError({ code, statusCode }))).toEqual({
      retry: true,
      delayMs: 50,
      source: 'backoff',
    });
  });

  it.each([
    [400, 'provider_bad_request'],
    [401, 'provider_auth_failed'],
    [403, 'provider_auth_failed'],
    [404, 'provider_bad_request'],
    [422, 'provider_bad_request'],
  ] as const)('never retries status %i', (statusCode, code: ProviderErrorCode) => {
    expect(decide(new ProviderError({ code, statusCode }))).toEqual({
      retry: false,
      reason: 'not_retryable',
    });
  });

  it('stops after the last attempt', () => {
    expect(decide(new ProviderError({ code: 'provider_unavailable' }), 3)).toEqual({
      retry: false,
      reason: 'attempts_exhausted',
    });
  });

  it('waits exactly the Retry-After, but not beyond the cap or the deadline', () => {
    const limited = (retryAfterMs: number) =>
      new ProviderError({ code: 'provider_rate_limited', retryAfterMs });
    expect(decide(limited(1_200))).toEqual({ retry: true, delayMs: 1_200, source: 'retry-after' });
    expect(decide(limited(6_000))).toEqual({ retry: false, reason: 'retry_after_too_long' });
    expect(decide(limited(1_200), 1, 1_000)).toEqual({ retry: false, reason: 'deadline_exceeded' });
  });

  it('does not start a backoff that ends after the deadline', () => {
    expect(decide(new ProviderError({ code: 'provider_unavailable' }), 1, 10)).toEqual({
      retry: false,
      reason: 'deadline_exceeded',
    });
  });
});
