import { describe, expect, it } from 'vitest';
import { createCircuitBreaker } from './circuit-breaker.ts';
import { createCircuitBreakerRegistry } from './circuit-breaker-registry.ts';

function manualClock() {
  let now = 0;
  return { now: () => now, advance: (milliseconds: number) => (now += milliseconds) };
}

describe('createCircuitBreaker', () => {
  it('opens after consecutive failures and fails fast until the cooldown', () => {
    const clock = manualClock();
    const breaker = createCircuitBreaker({ consecutiveFailureThreshold: 3, cooldownMs: 1_000 }, clock);
    for (let index = 0; index < 2; index++) breaker.recordFailure();
    expect(breaker.snapshot().state).toBe('closed');
    breaker.recordFailure();
    expect(breaker.snapshot()).toMatchObject({ state: 'open', openedAt: 0, probeAt: 1_000 });
    clock.advance(400);
    expect(breaker.acquire()).toEqual({ allowed: false, retryAfterMs: 600 });
  });

  it('lets exactly one half-open probe through; success closes, failure reopens', () => {
    const clock = manualClock();
    const breaker = createCircuitBreaker({ consecutiveFailureThreshold: 1, cooldownMs: 1_000 }, clock);
    breaker.recordFailure();
    clock.advance(1_000);
    expect(breaker.acquire()).toEqual({ allowed: true, probe: true });
    expect(breaker.snapshot().state).toBe('half-open');
    expect(breaker.acquire().allowed).toBe(false);
    breaker.recordFailure();
    expect(breaker.snapshot()).toMatchObject({ state: 'open', openedAt: 1_000 });
    clock.advance(1_000);
    expect(breaker.acquire()).toEqual({ allowed: true, probe: true });
    breaker.recordSuccess();
    expect(breaker.snapshot()).toMatchObject({ state: 'closed', consecutiveFailures: 0 });
    expect(breaker.acquire()).toEqual({ allowed: true, probe: false });
  });

  it('opens on a failure rate over the window even without a streak', () => {
    const clock = manualClock();
    const breaker = createCircuitBreaker(
      { consecutiveFailureThreshold: 100, failureRateThreshold: 0.5, minimumCalls: 10, windowMs: 10_000 },
      clock,
    );
    for (let index = 0; index < 5; index++) {
      breaker.recordSuccess();
      clock.advance(10);
      breaker.recordFailure();
      clock.advance(10);
    }
    expect(breaker.snapshot()).toMatchObject({ state: 'open', windowCalls: 10, windowFailures: 5 });
  });

  it('forgets outcomes older than the window', () => {
    const clock = manualClock();
    const breaker = createCircuitBreaker(
      { consecutiveFailureThreshold: 100, failureRateThreshold: 0.5, minimumCalls: 4, windowMs: 1_000 },
      clock,
    );
    breaker.recordFailure();
    breaker.recordFailure();
    breaker.recordSuccess();
    clock.advance(1_001);
    breaker.recordSuccess();
    breaker.recordSuccess();
    breaker.recordFailure();
    expect(breaker.snapshot()).toMatchObject({ state: 'closed', windowCalls: 3, windowFailures: 1 });
  });
});

describe('createCircuitBreakerRegistry', () => {
  it('keeps one breaker per workspace, provider and base URL', () => {
    const registry = createCircuitBreakerRegistry({ consecutiveFailureThreshold: 1 });
    registry.get({ workspaceId: 'a', provider: 'openai', baseUrl: 'https://x' }).recordFailure();
    expect(
      registry.get({ workspaceId: 'a', provider: 'openai', baseUrl: 'https://x' }).snapshot().state,
    ).toBe('open');
    expect(
      registry.get({ workspaceId: 'b', provider: 'openai', baseUrl: 'https://x' }).snapshot().state,
    ).toBe('closed');
    expect(
      registry.get({ workspaceId: 'a', provider: 'openai', baseUrl: 'https://y' }).snapshot().state,
    ).toBe('closed');
    expect(registry.list().map((entry) => [entry.workspaceId, entry.baseUrl, entry.state])).toEqual([
      ['a', 'https://x', 'open'],
      ['b', 'https://x', 'closed'],
      ['a', 'https://y', 'closed'],
    ]);
  });
});
