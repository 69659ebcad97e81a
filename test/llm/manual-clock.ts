import type { Clock } from '../../src/llm/clock.ts';

/** A clock that moves only when told to; `sleep` advances it instantly, so backoff never waits. */
export function createManualClock(
  start = 1_000_000,
): Clock & { advance(milliseconds: number): void; slept: number[] } {
  let now = start;
  const slept: number[] = [];
  return {
    now: () => now,
    slept,
    advance(milliseconds) {
      now += milliseconds;
    },
    async sleep(milliseconds) {
      slept.push(milliseconds);
      now += milliseconds;
    },
  };
}
