import { describe, expect, it } from 'vitest';
import { sleep, systemClock } from './clock.ts';

describe('system clock', () => {
  it('tells the current moment', () => {
    const before = Date.now();
    const now = systemClock.now().getTime();
    expect(now).toBeGreaterThanOrEqual(before);
    expect(now).toBeLessThanOrEqual(Date.now());
  });

  it('sleeps at least the delay', async () => {
    const started = performance.now();
    await systemClock.sleep(20);
    // Timers may fire a fraction of a millisecond early against performance.now().
    expect(performance.now() - started).toBeGreaterThanOrEqual(19);
  });

  it('rejects with the reason when aborted, before or during the wait', async () => {
    const early = new AbortController();
    early.abort(new Error('early'));
    await expect(sleep(10_000, early.signal)).rejects.toThrow('early');

    const during = new AbortController();
    const waiting = sleep(10_000, during.signal);
    during.abort(new Error('during'));
    await expect(waiting).rejects.toThrow('during');
  });
});
