import { and, asc, eq, gt, inArray, isNotNull, isNull } from 'drizzle-orm';
import type { Database } from '../database.ts';
import { type McpListedTool, mcpServers } from '../schema/index.ts';

export type McpServerRow = typeof mcpServers.$inferSelect;

/** The MCP servers a workspace registered; every query names the workspace. */
export function createMcpServerRepository(database: Database) {
  const byId = (workspaceId: string, id: string) =>
    and(eq(mcpServers.workspaceId, workspaceId), eq(mcpServers.id, id));
  return {
    async insert(row: typeof mcpServers.$inferInsert): Promise<McpServerRow> {
      const [inserted] = await database.insert(mcpServers).values(row).returning();
      if (!inserted) throw new Error('insert returned no row');
      return inserted;
    },
    async list(workspaceId: string): Promise<McpServerRow[]> {
      return database
        .select()
        .from(mcpServers)
        .where(eq(mcpServers.workspaceId, workspaceId))
        .orderBy(asc(mcpServers.name), asc(mcpServers.id));
    },
    async find(workspaceId: string, id: string): Promise<McpServerRow | undefined> {
      const [row] = await database.select().from(mcpServers).where(byId(workspaceId, id));
      return row;
    },
    /** The named servers that exist in the workspace, in one query (an agent may use several). */
    async findMany(workspaceId: string, ids: readonly string[]): Promise<McpServerRow[]> {
      if (ids.length === 0) return [];
      return database
        .select()
        .from(mcpServers)
        .where(and(eq(mcpServers.workspaceId, workspaceId), inArray(mcpServers.id, [...ids])));
    },
    async update(
      workspaceId: string,
      id: string,
      changes: Partial<
        Pick<
          typeof mcpServers.$inferInsert,
          'name' | 'url' | 'headersEnvelope' | 'headerHints' | 'tools' | 'toolsListedAt' | 'updatedAt'
        >
      >,
    ): Promise<McpServerRow | undefined> {
      const [row] = await database.update(mcpServers).set(changes).where(byId(workspaceId, id)).returning();
      return row;
    },
    /**
     * Stores a fresh tool list only while the server still has the URL and headers it was listed
     * with, so a list fetched from the old address never lands on a server that moved meanwhile.
     */
    async storeTools(
      workspaceId: string,
      id: string,
      expected: { url: string; headersEnvelope: string | null },
      listed: { tools: McpListedTool[]; at: Date },
    ): Promise<boolean> {
      const rows = await database
        .update(mcpServers)
        .set({ tools: listed.tools, toolsListedAt: listed.at })
        .where(
          and(
            byId(workspaceId, id),
            eq(mcpServers.url, expected.url),
            expected.headersEnvelope === null
              ? isNull(mcpServers.headersEnvelope)
              : eq(mcpServers.headersEnvelope, expected.headersEnvelope),
          ),
        )
        .returning({ id: mcpServers.id });
      return rows.length > 0;
    },
    async delete(workspaceId: string, id: string): Promise<McpServerRow | undefined> {
      const [row] = await database.delete(mcpServers).where(byId(workspaceId, id)).returning();
      return row;
    },

    /** One page of every workspace's header envelopes, in id order, for the start-up check and rotation. */
    async pageOfEnvelopes(
      afterId: string | null,
      limit: number,
    ): Promise<Array<{ id: string; workspaceId: string; headersEnvelope: string }>> {
      const rows = await database
        .select({
          id: mcpServers.id,
          workspaceId: mcpServers.workspaceId,
          headersEnvelope: mcpServers.headersEnvelope,
        })
        .from(mcpServers)
        // Servers without headers hold no secret.
        .where(
          and(
            isNotNull(mcpServers.headersEnvelope),
            afterId === null ? undefined : gt(mcpServers.id, afterId),
          ),
        )
        .orderBy(asc(mcpServers.id))
        .limit(limit);
      return rows.map((row) => ({ ...row, headersEnvelope: row.headersEnvelope ?? '' }));
    },
    /** Swaps one envelope for its re-encrypted form only if nobody replaced the headers meanwhile. */
    async replaceEnvelope(id: string, expected: string, replacement: string): Promise<boolean> {
      const rows = await database
        .update(mcpServers)
        .set({ headersEnvelope: replacement })
        .where(and(eq(mcpServers.id, id), eq(mcpServers.headersEnvelope, expected)))
        .returning({ id: mcpServers.id });
      return rows.length > 0;
    },
  };
}
