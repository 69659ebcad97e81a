import { eq, sql } from 'drizzle-orm';
import type { Database } from '../database.ts';
import { loginThrottles } from '../schema/index.ts';

/** Failed sign-in counters in fixed windows, shared by every node through the database. */
export function createLoginThrottleRepository(database: Database) {
  return {
    async find(key: string): Promise<{ failures: number; windowStartedAt: Date } | undefined> {
      const [row] = await database
        .select({ failures: loginThrottles.failures, windowStartedAt: loginThrottles.windowStartedAt })
        .from(loginThrottles)
        .where(eq(loginThrottles.key, key));
      return row;
    },
    /** Adds one failure atomically, starting a new window when the old one has ended. */
    async recordFailure(key: string, now: Date, windowMs: number): Promise<void> {
      const windowStart = new Date(now.getTime() - windowMs);
      await database
        .insert(loginThrottles)
        .values({ key, failures: 1, windowStartedAt: now })
        .onConflictDoUpdate({
          target: loginThrottles.key,
          set: {
            failures: sql`case when ${loginThrottles.windowStartedAt} < ${windowStart} then 1 else ${loginThrottles.failures} + 1 end`,
            windowStartedAt: sql`case when ${loginThrottles.windowStartedAt} < ${windowStart} then ${now} else ${loginThrottles.windowStartedAt} end`,
          },
        });
    },
    async clear(key: string): Promise<void> {
      await database.delete(loginThrottles).where(eq(loginThrottles.key, key));
    },
  };
}
