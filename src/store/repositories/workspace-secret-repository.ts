import { and, asc, eq, gt, inArray } from 'drizzle-orm';
import type { Database } from '../database.ts';
import { userSecrets } from '../schema/index.ts';

export type WorkspaceSecretRow = typeof userSecrets.$inferSelect;

/**
 * The secrets a workspace names for workflow http steps (`{{ secrets.NAME }}`), in `user_secrets`;
 * every query names the workspace. (`workspace_secrets` holds the system's own signing secrets.)
 */
export function createWorkspaceSecretRepository(database: Database) {
  return {
    async insert(row: typeof userSecrets.$inferInsert): Promise<WorkspaceSecretRow> {
      const [inserted] = await database.insert(userSecrets).values(row).returning();
      if (!inserted) throw new Error('insert returned no row');
      return inserted;
    },
    async list(workspaceId: string): Promise<WorkspaceSecretRow[]> {
      return database
        .select()
        .from(userSecrets)
        .where(eq(userSecrets.workspaceId, workspaceId))
        .orderBy(asc(userSecrets.name));
    },
    async findByName(workspaceId: string, name: string): Promise<WorkspaceSecretRow | undefined> {
      const [row] = await database
        .select()
        .from(userSecrets)
        .where(and(eq(userSecrets.workspaceId, workspaceId), eq(userSecrets.name, name)));
      return row;
    },
    /** The named secrets that exist, in one query (a step may use several). */
    async findByNames(workspaceId: string, names: readonly string[]): Promise<WorkspaceSecretRow[]> {
      if (names.length === 0) return [];
      return database
        .select()
        .from(userSecrets)
        .where(and(eq(userSecrets.workspaceId, workspaceId), inArray(userSecrets.name, [...names])));
    },
    /** Stores a new value's envelope (and its mask) on the named secret. */
    async replaceValue(
      workspaceId: string,
      name: string,
      changes: { secretEnvelope: string; lastFour: string; updatedAt: Date },
    ): Promise<WorkspaceSecretRow | undefined> {
      const [row] = await database
        .update(userSecrets)
        .set(changes)
        .where(and(eq(userSecrets.workspaceId, workspaceId), eq(userSecrets.name, name)))
        .returning();
      return row;
    },
    async delete(workspaceId: string, name: string): Promise<WorkspaceSecretRow | undefined> {
      const [row] = await database
        .delete(userSecrets)
        .where(and(eq(userSecrets.workspaceId, workspaceId), eq(userSecrets.name, name)))
        .returning();
      return row;
    },

    /** One page of every workspace's envelopes, in id order, for the start-up check and rotation. */
    async pageOfEnvelopes(
      afterId: string | null,
      limit: number,
    ): Promise<Array<{ id: string; workspaceId: string; secretEnvelope: string }>> {
      return database
        .select({
          id: userSecrets.id,
          workspaceId: userSecrets.workspaceId,
          secretEnvelope: userSecrets.secretEnvelope,
        })
        .from(userSecrets)
        .where(afterId === null ? undefined : gt(userSecrets.id, afterId))
        .orderBy(asc(userSecrets.id))
        .limit(limit);
    },
    /**
     * Swaps one envelope for its re-encrypted form only if nobody replaced the value meanwhile,
     * so a rotation running beside the server never overwrites a newer value.
     */
    async replaceEnvelope(id: string, expected: string, replacement: string): Promise<boolean> {
      const rows = await database
        .update(userSecrets)
        .set({ secretEnvelope: replacement })
        .where(and(eq(userSecrets.id, id), eq(userSecrets.secretEnvelope, expected)))
        .returning({ id: userSecrets.id });
      return rows.length > 0;
    },
  };
}
