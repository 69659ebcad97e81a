import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backoffDelay } from './backoff-delay.ts';

describe('backoffDelay', () => {
  it('stays within [0, min(cap, base · 2^(retry-1))] for any inputs', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 0, max: 60_000 }),
        fc.integer({ min: 0, max: 600_000 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (retryNumber, baseDelayMs, maxDelayMs, randomValue) => {
          const delay = backoffDelay({ retryNumber, baseDelayMs, maxDelayMs, random: () => randomValue });
          const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** (retryNumber - 1));
          expect(Number.isInteger(delay)).toBe(true);
          expect(delay).toBeGreaterThanOrEqual(0);
          expect(delay).toBeLessThanOrEqual(ceiling);
          expect(delay).toBeLessThanOrEqual(maxDelayMs);
        },
      ),
    );
  });

  it('uses the full jitter range: the ceiling grows exponentially until the cap', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10 }), (retryNumber) => {
        const almostOne = () => 0.999_999;
        const delay = backoffDelay({ retryNumber, baseDelayMs: 100, maxDelayMs: 10_000, random: almostOne });
        expect(delay).toBe(Math.floor(0.999_999 * Math.min(10_000, 100 * 2 ** (retryNumber - 1))));
      }),
    );
    expect(backoffDelay({ retryNumber: 3, baseDelayMs: 100, maxDelayMs: 10_000, random: () => 0 })).toBe(0);
  });

  it('never overflows for very large retry numbers', () => {
    expect(
      backoffDelay({ retryNumber: 10_000, baseDelayMs: 1_000, maxDelayMs: 10_000, random: () => 0.5 }),
    ).toBe(5_000);
  });
});
