import { and, asc, eq, gt, isNull, lt, or } from 'drizzle-orm';
import type { Database } from '../database.ts';
import { providerKeys } from '../schema/index.ts';

export type ProviderKeyRow = typeof providerKeys.$inferSelect;

/** Provider keys; every query names the workspace. The envelope leaves only towards the keyring. */
export function createProviderKeyRepository(database: Database) {
  return {
    async insert(row: typeof providerKeys.$inferInsert): Promise<ProviderKeyRow> {
      const [inserted] = await database.insert(providerKeys).values(row).returning();
      if (!inserted) throw new Error('insert returned no row');
      return inserted;
    },
    async list(workspaceId: string): Promise<ProviderKeyRow[]> {
      return database
        .select()
        .from(providerKeys)
        .where(eq(providerKeys.workspaceId, workspaceId))
        .orderBy(asc(providerKeys.provider), asc(providerKeys.createdAt), asc(providerKeys.id));
    },
    async find(workspaceId: string, id: string): Promise<ProviderKeyRow | undefined> {
      const [row] = await database
        .select()
        .from(providerKeys)
        .where(and(eq(providerKeys.workspaceId, workspaceId), eq(providerKeys.id, id)));
      return row;
    },
    async findDefault(workspaceId: string, provider: string): Promise<ProviderKeyRow | undefined> {
      const [row] = await database
        .select()
        .from(providerKeys)
        .where(
          and(
            eq(providerKeys.workspaceId, workspaceId),
            eq(providerKeys.provider, provider),
            eq(providerKeys.isDefault, true),
          ),
        );
      return row;
    },
    async update(
      workspaceId: string,
      id: string,
      changes: Partial<Omit<typeof providerKeys.$inferInsert, 'id' | 'workspaceId' | 'provider'>>,
    ): Promise<ProviderKeyRow | undefined> {
      const [row] = await database
        .update(providerKeys)
        .set({ ...changes, updatedAt: new Date() })
        .where(and(eq(providerKeys.workspaceId, workspaceId), eq(providerKeys.id, id)))
        .returning();
      return row;
    },
    /** Clears the default flag of the provider's other keys (before marking a new default). */
    async clearDefault(workspaceId: string, provider: string): Promise<void> {
      await database
        .update(providerKeys)
        .set({ isDefault: false })
        .where(
          and(
            eq(providerKeys.workspaceId, workspaceId),
            eq(providerKeys.provider, provider),
            eq(providerKeys.isDefault, true),
          ),
        );
    },
    async delete(workspaceId: string, id: string): Promise<ProviderKeyRow | undefined> {
      const [row] = await database
        .delete(providerKeys)
        .where(and(eq(providerKeys.workspaceId, workspaceId), eq(providerKeys.id, id)))
        .returning();
      return row;
    },
    async recordTest(
      workspaceId: string,
      id: string,
      result: { at: Date; ok: boolean; errorCode: string | null; latencyMs: number },
    ): Promise<ProviderKeyRow | undefined> {
      const [row] = await database
        .update(providerKeys)
        .set({
          lastTestedAt: result.at,
          lastTestOk: result.ok,
          lastTestErrorCode: result.errorCode,
          lastTestLatencyMs: result.latencyMs,
        })
        .where(and(eq(providerKeys.workspaceId, workspaceId), eq(providerKeys.id, id)))
        .returning();
      return row;
    },
    /** Records use, at most once a minute per key to spare writes. */
    async touch(id: string, now: Date): Promise<void> {
      await database
        .update(providerKeys)
        .set({ lastUsedAt: now })
        .where(
          and(
            eq(providerKeys.id, id),
            or(
              isNull(providerKeys.lastUsedAt),
              lt(providerKeys.lastUsedAt, new Date(now.getTime() - 60_000)),
            ),
          ),
        );
    },

    /** One page of every workspace's envelopes, in id order, for the start-up check and rotation. */
    async pageOfEnvelopes(
      afterId: string | null,
      limit: number,
    ): Promise<Array<{ id: string; workspaceId: string; secretEnvelope: string }>> {
      return database
        .select({
          id: providerKeys.id,
          workspaceId: providerKeys.workspaceId,
          secretEnvelope: providerKeys.secretEnvelope,
        })
        .from(providerKeys)
        .where(afterId === null ? undefined : gt(providerKeys.id, afterId))
        .orderBy(asc(providerKeys.id))
        .limit(limit);
    },
    /**
     * Swaps one envelope for its re-encrypted form only if nobody replaced the secret meanwhile,
     * so a rotation running beside the server never overwrites a newer secret.
     */
    async replaceEnvelope(id: string, expected: string, replacement: string): Promise<boolean> {
      const rows = await database
        .update(providerKeys)
        .set({ secretEnvelope: replacement })
        .where(and(eq(providerKeys.id, id), eq(providerKeys.secretEnvelope, expected)))
        .returning({ id: providerKeys.id });
      return rows.length > 0;
    },
  };
}
