import { count, eq, sql } from 'drizzle-orm';
import type { Database } from '../database.ts';
import { users } from '../schema/index.ts';

export type UserRow = typeof users.$inferSelect;

/** Users are global (one account, many workspaces); everything else is scoped by workspace. */
export function createUserRepository(database: Database) {
  return {
    async count(): Promise<number> {
      const [row] = await database.select({ value: count() }).from(users);
      return row?.value ?? 0;
    },
    async findByEmail(email: string): Promise<UserRow | undefined> {
      const [row] = await database.select().from(users).where(sql`lower(${users.email}) = lower(${email})`);
      return row;
    },
    async findById(id: string): Promise<UserRow | undefined> {
      const [row] = await database.select().from(users).where(eq(users.id, id));
      return row;
    },
    async insert(user: {
      id: string;
      email: string;
      name: string;
      passwordHash: string | null;
    }): Promise<UserRow> {
      const [row] = await database.insert(users).values(user).returning();
      if (!row) throw new Error('insert returned no row');
      return row;
    },
    /**
     * Inserts the user unless an account with the same email (any case) exists, and returns the
     * account either way. Two workspaces inviting one new address at once converge on one row:
     * the loser's insert waits for the winner's commit, does nothing, and reads the winner's row.
     */
    async insertOrFind(user: {
      id: string;
      email: string;
      name: string;
      passwordHash: string | null;
    }): Promise<{ user: UserRow; created: boolean }> {
      const [row] = await database.insert(users).values(user).onConflictDoNothing().returning();
      if (row) return { user: row, created: true };
      const [existing] = await database
        .select()
        .from(users)
        .where(sql`lower(${users.email}) = lower(${user.email})`);
      if (!existing) throw new Error('user insert conflicted but no row with this email was found');
      return { user: existing, created: false };
    },
    /** Records that the holder proved control of the address; the first proof's time is kept. */
    async markEmailVerified(id: string, now: Date): Promise<void> {
      await database
        .update(users)
        .set({ emailVerifiedAt: sql`coalesce(${users.emailVerifiedAt}, ${now.toISOString()}::timestamptz)` })
        .where(eq(users.id, id));
    },
    async setPassword(id: string, passwordHash: string): Promise<void> {
      await database.update(users).set({ passwordHash, updatedAt: new Date() }).where(eq(users.id, id));
    },
  };
}
