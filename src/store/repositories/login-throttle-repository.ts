import { eq, inArray, sql } from 'drizzle-orm';
import type { Database } from '../database.ts';
import { loginThrottles } from '../schema/index.ts';

/** One counter after an attempt was counted: how many in its window, and when the window began. */
export interface ThrottleCount {
  key: string;
  attempts: number;
  windowStartedAt: Date;
}

/**
 * Sign-in attempt counters in fixed windows, shared by every node through the database. The
 * `failures` column counts attempts taken up front (a success gives its slot back), so the
 * counter and the decision are one statement: no two nodes can both see "4 of 5" and both check.
 */
export function createLoginThrottleRepository(database: Database) {
  return {
    /**
     * Counts one attempt against each key in a single statement and returns the new counts,
     * starting a new window for a key whose window has ended.
     */
    async countAttempt(keys: string[], now: Date, windowMs: number): Promise<ThrottleCount[]> {
      const windowStart = new Date(now.getTime() - windowMs);
      const rows = await database
        .insert(loginThrottles)
        .values(keys.map((key) => ({ key, failures: 1, windowStartedAt: now })))
        .onConflictDoUpdate({
          target: loginThrottles.key,
          set: {
            failures: sql`case when ${loginThrottles.windowStartedAt} < ${windowStart} then 1 else ${loginThrottles.failures} + 1 end`,
            windowStartedAt: sql`case when ${loginThrottles.windowStartedAt} < ${windowStart} then ${now} else ${loginThrottles.windowStartedAt} end`,
          },
        })
        .returning({
          key: loginThrottles.key,
          attempts: loginThrottles.failures,
          windowStartedAt: loginThrottles.windowStartedAt,
        });
      return rows;
    },
    /** Gives back one counted attempt per key (a success, or an attempt refused for another key's sake). */
    async giveBack(keys: string[]): Promise<void> {
      if (keys.length === 0) return;
      await database
        .update(loginThrottles)
        .set({ failures: sql`greatest(${loginThrottles.failures} - 1, 0)` })
        .where(inArray(loginThrottles.key, keys));
    },
    async clear(key: string): Promise<void> {
      await database.delete(loginThrottles).where(eq(loginThrottles.key, key));
    },
  };
}
