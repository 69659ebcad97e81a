import type { Clock } from './clock.ts';
import { systemClock } from './clock.ts';

export type CircuitState = 'closed' | 'open' | 'half-open';

export interface CircuitBreakerSettings {
  /** Consecutive failures that open the circuit. */
  consecutiveFailureThreshold: number;
  /** Failure rate over the window that opens the circuit, once `minimumCalls` were made in it. */
  failureRateThreshold: number;
  minimumCalls: number;
  windowMs: number;
  /** Time the circuit stays open before one half-open probe is let through. */
  cooldownMs: number;
}

export const defaultCircuitBreakerSettings: CircuitBreakerSettings = {
  consecutiveFailureThreshold: 5,
  failureRateThreshold: 0.5,
  minimumCalls: 10,
  windowMs: 60_000,
  cooldownMs: 30_000,
};

export type CircuitPermit = { allowed: true; probe: boolean } | { allowed: false; retryAfterMs: number };

export interface CircuitSnapshot {
  state: CircuitState;
  consecutiveFailures: number;
  windowCalls: number;
  windowFailures: number;
  openedAt: number | null;
  /** When the next half-open probe will be allowed, while open. */
  probeAt: number | null;
}

export interface CircuitBreaker {
  /** Asks to make a call. While open, refuses (fail fast); after the cooldown, lets one probe through. */
  acquire(): CircuitPermit;
  recordSuccess(): void;
  recordFailure(): void;
  snapshot(): CircuitSnapshot;
}

/**
 * A circuit breaker for one provider endpoint. Opening on either consecutive failures or a failure
 * rate catches both a dead endpoint (every call fails) and a flaky one (half the calls fail) without
 * waiting for a long streak.
 */
export function createCircuitBreaker(
  settings: Partial<CircuitBreakerSettings> = {},
  clock: Pick<Clock, 'now'> = systemClock,
): CircuitBreaker {
  const options = { ...defaultCircuitBreakerSettings, ...settings };
  let state: CircuitState = 'closed';
  let consecutiveFailures = 0;
  let openedAt: number | null = null;
  let probeInFlight = false;
  // Outcomes inside the sliding window, oldest first: [timestamp, failed].
  const outcomes: Array<[number, boolean]> = [];

  function prune(now: number): void {
    while (outcomes.length > 0 && (outcomes[0]?.[0] ?? now) <= now - options.windowMs) outcomes.shift();
  }

  function open(now: number): void {
    state = 'open';
    openedAt = now;
    probeInFlight = false;
  }

  function windowFailures(): number {
    let failures = 0;
    for (const [, failed] of outcomes) if (failed) failures++;
    return failures;
  }

  return {
    acquire() {
      const now = clock.now();
      switch (state) {
        case 'closed':
          return { allowed: true, probe: false };
        case 'open': {
          const probeAt = (openedAt ?? now) + options.cooldownMs;
          if (now < probeAt) return { allowed: false, retryAfterMs: probeAt - now };
          state = 'half-open';
          probeInFlight = true;
          return { allowed: true, probe: true };
        }
        case 'half-open':
          // Only one probe at a time: the rest keep failing fast until it reports.
          if (probeInFlight) return { allowed: false, retryAfterMs: options.cooldownMs };
          probeInFlight = true;
          return { allowed: true, probe: true };
      }
    },
    recordSuccess() {
      const now = clock.now();
      consecutiveFailures = 0;
      if (state === 'half-open') {
        state = 'closed';
        openedAt = null;
        probeInFlight = false;
        outcomes.length = 0;
        return;
      }
      outcomes.push([now, false]);
      prune(now);
    },
    recordFailure() {
      const now = clock.now();
      consecutiveFailures++;
      if (state === 'half-open') {
        open(now);
        return;
      }
      if (state === 'open') return;
      outcomes.push([now, true]);
      prune(now);
      const failures = windowFailures();
      const rateExceeded =
        outcomes.length >= options.minimumCalls && failures / outcomes.length >= options.failureRateThreshold;
      if (consecutiveFailures >= options.consecutiveFailureThreshold || rateExceeded) open(now);
    },
    snapshot() {
      const now = clock.now();
      prune(now);
      return {
        state,
        consecutiveFailures,
        windowCalls: outcomes.length,
        windowFailures: windowFailures(),
        openedAt,
        probeAt: state === 'open' && openedAt !== null ? openedAt + options.cooldownMs : null,
      };
    },
  };
}
