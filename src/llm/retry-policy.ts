/** How many times and how patiently one (provider, model) target is retried. Overridable per agent. */
export interface RetryPolicy {
  /** Attempts per target, the first one included. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** A provider's `retry-after` longer than this is not waited for: the target gives up (and falls back). */
  maxRetryAfterMs: number;
}

export const defaultRetryPolicy: RetryPolicy = {
  maxAttempts: 3,
  baseDelayMs: 1_000,
  maxDelayMs: 10_000,
  maxRetryAfterMs: 60_000,
};

/** Merges an agent's partial retry settings over the defaults, clamped to sane bounds. */
export function resolveRetryPolicy(overrides: Partial<RetryPolicy> | undefined): RetryPolicy {
  const merged = { ...defaultRetryPolicy, ...stripUndefined(overrides ?? {}) };
  return {
    maxAttempts: Math.max(1, Math.floor(merged.maxAttempts)),
    baseDelayMs: Math.max(0, merged.baseDelayMs),
    maxDelayMs: Math.max(0, merged.maxDelayMs),
    maxRetryAfterMs: Math.max(0, merged.maxRetryAfterMs),
  };
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as Partial<T>;
}
