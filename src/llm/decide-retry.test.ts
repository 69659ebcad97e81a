import { describe, expect, it } from 'vitest';
import { classifyEndpointHealth, decideFallback, decideNextStep, decideRetry } from './decide-retry.ts';
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

describe('decideNextStep', () => {
  const next = (error: ProviderError, options: { attemptNumber?: number; textYielded?: boolean } = {}) =>
    decideNextStep({
      error,
      attemptNumber: options.attemptNumber ?? 1,
      textYielded: options.textYielded ?? false,
      policy,
      remainingMs: 60_000,
      random: () => 0.5,
    });

  it('retries the same target while the retry policy allows it', () => {
    expect(next(new ProviderError({ code: 'provider_unavailable', statusCode: 503 }))).toEqual({
      step: 'retry',
      delayMs: 50,
      source: 'backoff',
    });
  });

  it('falls back once the target gave up on a failure another target may not share', () => {
    expect(next(new ProviderError({ code: 'provider_unavailable' }), { attemptNumber: 3 })).toEqual({
      step: 'fall-back',
      reason: 'attempts_exhausted',
    });
    const circuitOpen = new ProviderError({
      code: 'provider_unavailable',
      isRetryable: false,
      reason: 'circuit_open',
    });
    expect(next(circuitOpen)).toEqual({ step: 'fall-back', reason: 'not_retryable' });
  });

  it('gives up on a failure of the request itself', () => {
    expect(next(new ProviderError({ code: 'provider_bad_request', statusCode: 400 }))).toEqual({
      step: 'give-up',
      reason: 'not_retryable',
    });
  });

  it('gives up once text reached the consumer, even on a retryable failure', () => {
    expect(next(new ProviderError({ code: 'provider_unavailable' }), { textYielded: true })).toEqual({
      step: 'give-up',
      reason: 'text_yielded',
    });
  });
});

describe('decideFallback', () => {
  it.each([
    ['provider_unavailable', true],
    ['provider_timeout', true],
    ['provider_rate_limited', true],
    ['provider_auth_failed', false],
    ['provider_bad_request', false],
    ['provider_invalid_response', false],
    ['provider_content_filtered', false],
    ['provider_not_configured', false],
  ] as const)('%s falls back: %s', (code, expected) => {
    expect(decideFallback(new ProviderError({ code, isRetryable: false }))).toBe(expected);
  });

  it('falls back on any failure its adapter called retryable', () => {
    expect(decideFallback(new ProviderError({ code: 'provider_invalid_response', isRetryable: true }))).toBe(
      true,
    );
  });
});

describe('classifyEndpointHealth', () => {
  it.each([
    ['provider_unavailable', 'unhealthy'],
    ['provider_timeout', 'unhealthy'],
    ['provider_rate_limited', 'unhealthy'],
    ['provider_invalid_response', 'unhealthy'],
    ['provider_auth_failed', 'healthy'],
    ['provider_bad_request', 'healthy'],
    ['provider_content_filtered', 'healthy'],
    ['provider_not_configured', 'healthy'],
  ] as const)('%s leaves the endpoint %s', (code, expected) => {
    expect(classifyEndpointHealth(new ProviderError({ code }))).toBe(expected);
  });
});
