import { and, desc, eq, isNull, lt, or } from 'drizzle-orm';
import type { Database } from '../database.ts';
import { apiTokens, memberships, users } from '../schema/index.ts';

export type ApiTokenRow = typeof apiTokens.$inferSelect;

export interface ApiTokenListRow extends ApiTokenRow {
  creator: { id: string; email: string; name: string };
}

/** Workspace API tokens, stored as hashes; every query names the workspace or the hash. */
export function createApiTokenRepository(database: Database) {
  return {
    async insert(token: typeof apiTokens.$inferInsert): Promise<ApiTokenRow> {
      const [row] = await database.insert(apiTokens).values(token).returning();
      if (!row) throw new Error('insert returned no row');
      return row;
    },
    /**
     * The live token for a presented secret, with its creator's current role in the token's
     * workspace (null when the creator has left), so a token never outlives its maker's rights.
     */
    async findActiveByHash(
      tokenHash: string,
    ): Promise<{ token: ApiTokenRow; creatorRole: string | null } | undefined> {
      const [row] = await database
        .select({ token: apiTokens, creatorRole: memberships.role })
        .from(apiTokens)
        .leftJoin(
          memberships,
          and(
            eq(memberships.workspaceId, apiTokens.workspaceId),
            eq(memberships.userId, apiTokens.createdBy),
            // A creator removed and invited again holds no rights until they accept.
            eq(memberships.status, 'active'),
          ),
        )
        .where(and(eq(apiTokens.tokenHash, tokenHash), isNull(apiTokens.revokedAt)));
      return row;
    },
    async listActive(workspaceId: string): Promise<ApiTokenListRow[]> {
      const rows = await database
        .select({ token: apiTokens, creator: { id: users.id, email: users.email, name: users.name } })
        .from(apiTokens)
        .innerJoin(users, eq(users.id, apiTokens.createdBy))
        .where(and(eq(apiTokens.workspaceId, workspaceId), isNull(apiTokens.revokedAt)))
        .orderBy(desc(apiTokens.createdAt), desc(apiTokens.id));
      return rows.map((row) => ({ ...row.token, creator: row.creator }));
    },
    async findActive(workspaceId: string, tokenId: string): Promise<ApiTokenRow | undefined> {
      const [row] = await database
        .select()
        .from(apiTokens)
        .where(
          and(eq(apiTokens.workspaceId, workspaceId), eq(apiTokens.id, tokenId), isNull(apiTokens.revokedAt)),
        );
      return row;
    },
    async revoke(workspaceId: string, tokenId: string, now: Date): Promise<boolean> {
      const rows = await database
        .update(apiTokens)
        .set({ revokedAt: now })
        .where(
          and(eq(apiTokens.workspaceId, workspaceId), eq(apiTokens.id, tokenId), isNull(apiTokens.revokedAt)),
        )
        .returning({ id: apiTokens.id });
      return rows.length > 0;
    },
    /** Records use, at most once a minute per token to spare writes on busy tokens. */
    async touch(tokenId: string, now: Date): Promise<void> {
      await database
        .update(apiTokens)
        .set({ lastUsedAt: now })
        .where(
          and(
            eq(apiTokens.id, tokenId),
            or(isNull(apiTokens.lastUsedAt), lt(apiTokens.lastUsedAt, new Date(now.getTime() - 60_000))),
          ),
        );
    },
  };
}
