/**
 * Exponential backoff with full jitter: a uniform delay in [0, min(cap, base · 2^(retry-1))].
 * Full jitter spreads clients that failed together, which plain exponential backoff does not
 * (AWS Architecture Blog, "Exponential Backoff And Jitter").
 */
export function backoffDelay(options: {
  /** 1 for the first retry (the wait after attempt 1). */
  retryNumber: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Uniform in [0, 1). */
  random: () => number;
}): number {
  const exponent = Math.min(Math.max(options.retryNumber - 1, 0), 52);
  const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** exponent);
  return Math.floor(options.random() * ceiling);
}
