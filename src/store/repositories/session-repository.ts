import { and, eq, gt, lt, or } from 'drizzle-orm';
import type { Database } from '../database.ts';
import { sessions, users } from '../schema/index.ts';

export type SessionRow = typeof sessions.$inferSelect;

/** Server-side sessions, looked up by the hash of the cookie value. */
export function createSessionRepository(database: Database) {
  return {
    async insert(session: typeof sessions.$inferInsert): Promise<void> {
      await database.insert(sessions).values(session);
    },
    /** The live session and its user, or nothing when unknown, expired or idle too long. */
    async findActive(
      idHash: string,
      now: Date,
      idleCutoff: Date,
    ): Promise<{ session: SessionRow; user: { id: string; email: string; name: string } } | undefined> {
      const [row] = await database
        .select({ session: sessions, user: { id: users.id, email: users.email, name: users.name } })
        .from(sessions)
        .innerJoin(users, eq(users.id, sessions.userId))
        .where(
          and(eq(sessions.idHash, idHash), gt(sessions.expiresAt, now), gt(sessions.lastSeenAt, idleCutoff)),
        );
      return row;
    },
    /** Moves the idle clock, at most once a minute per session to spare writes. */
    async touch(idHash: string, now: Date): Promise<void> {
      await database
        .update(sessions)
        .set({ lastSeenAt: now })
        .where(and(eq(sessions.idHash, idHash), lt(sessions.lastSeenAt, new Date(now.getTime() - 60_000))));
    },
    async delete(idHash: string): Promise<void> {
      await database.delete(sessions).where(eq(sessions.idHash, idHash));
    },
    async deleteForUser(userId: string): Promise<void> {
      await database.delete(sessions).where(eq(sessions.userId, userId));
    },
    async deleteExpired(now: Date, idleCutoff: Date): Promise<number> {
      const rows = await database
        .delete(sessions)
        .where(or(lt(sessions.expiresAt, now), lt(sessions.lastSeenAt, idleCutoff)))
        .returning({ idHash: sessions.idHash });
      return rows.length;
    },
  };
}
