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
    async setPassword(id: string, passwordHash: string): Promise<void> {
      await database.update(users).set({ passwordHash, updatedAt: new Date() }).where(eq(users.id, id));
    },
  };
}
