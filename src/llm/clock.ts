import { sleep } from '../core/clock.ts';

/**
 * The provider layer's view of the one clock (src/core/clock.ts) in milliseconds, which its
 * durations, deadlines and breaker windows subtract. It shares the core `sleep`; it stays a
 * view of its own until model-caller.ts and model-call-state.ts read `now().getTime()`.
 */
export interface Clock {
  /** Milliseconds, monotonic enough for durations. */
  now(): number;
  /** Resolves after the delay; rejects with the signal's reason when it aborts first. */
  sleep(milliseconds: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => performance.timeOrigin + performance.now(),
  sleep,
};
