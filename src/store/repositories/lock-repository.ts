import { sql } from 'drizzle-orm';
import type { Database } from '../database.ts';

/** Transaction-scoped advisory locks, for rules that must hold across nodes (one first owner). */
export function createLockRepository(database: Database) {
  return {
    /** Blocks until no other transaction holds the named lock; released at commit or rollback. */
    async lockUntilCommit(name: string): Promise<void> {
      await database.execute(sql`select pg_advisory_xact_lock(hashtext(${name}))`);
    },
  };
}
