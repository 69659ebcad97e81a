import { and, desc, eq, inArray, isNull, lt, or, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import type { Database } from '../database.ts';
import { agents, agentVersions } from '../schema/index.ts';

export type AgentRow = typeof agents.$inferSelect;
export type AgentVersionRow = typeof agentVersions.$inferSelect;

/** An agent with the version it currently points at. */
export interface AgentWithVersion {
  agent: AgentRow;
  version: AgentVersionRow;
}

/** Agents and their immutable versions. Every query names the workspace; deleted agents are invisible. */
export function createAgentRepository(database: Database) {
  /** Matches an agent by id or by slug: both are unique among the workspace's live agents. */
  const byReference = (workspaceId: string, reference: string) =>
    and(
      eq(agents.workspaceId, workspaceId),
      isNull(agents.deletedAt),
      or(eq(agents.id, reference), eq(agents.slug, reference)),
    );

  return {
    /** Inserts an agent and its first version; call inside a transaction. */
    async insert(
      agent: typeof agents.$inferInsert,
      version: typeof agentVersions.$inferInsert,
    ): Promise<AgentWithVersion> {
      const [agentRow] = await database.insert(agents).values(agent).returning();
      const [versionRow] = await database.insert(agentVersions).values(version).returning();
      if (!agentRow || !versionRow) throw new Error('insert returned no row');
      return { agent: agentRow, version: versionRow };
    },

    /** The agent and its current version, by id or slug. */
    async find(workspaceId: string, reference: string): Promise<AgentWithVersion | undefined> {
      const [row] = await database
        .select({ agent: agents, version: agentVersions })
        .from(agents)
        .innerJoin(agentVersions, eq(agentVersions.id, agents.currentVersionId))
        .where(byReference(workspaceId, reference));
      return row;
    },

    /**
     * The agent and the version callers run when they name none: the published one. The version is
     * undefined for an agent created as a draft and never published.
     */
    async findPublished(
      workspaceId: string,
      reference: string,
    ): Promise<{ agent: AgentRow | undefined; version: AgentVersionRow | undefined }> {
      const [row] = await database
        .select({ agent: agents, version: agentVersions })
        .from(agents)
        .leftJoin(agentVersions, eq(agentVersions.id, agents.publishedVersionId))
        .where(byReference(workspaceId, reference));
      return { agent: row?.agent, version: row?.version ?? undefined };
    },

    /** Points the `production` label (what callers run by default) at a version; after `findForUpdate`. */
    async setPublished(
      workspaceId: string,
      agentId: string,
      published: { versionId: string; number: number; updatedAt: Date },
    ): Promise<AgentRow> {
      const [row] = await database
        .update(agents)
        .set({
          publishedVersionId: published.versionId,
          publishedVersion: published.number,
          updatedAt: published.updatedAt,
        })
        .where(and(eq(agents.workspaceId, workspaceId), eq(agents.id, agentId)))
        .returning();
      if (!row) throw new Error('update returned no row');
      return row;
    },

    /** Replaces the agent's other labels (label → version number); after `findForUpdate`. */
    async setLabels(
      workspaceId: string,
      agentId: string,
      labels: Record<string, number>,
      updatedAt: Date,
    ): Promise<AgentRow> {
      const [row] = await database
        .update(agents)
        .set({ labels, updatedAt })
        .where(and(eq(agents.workspaceId, workspaceId), eq(agents.id, agentId)))
        .returning();
      if (!row) throw new Error('update returned no row');
      return row;
    },

    /** The agent row locked until the transaction ends, so two edits cannot both take the next number. */
    async findForUpdate(workspaceId: string, reference: string): Promise<AgentWithVersion | undefined> {
      const [agent] = await database
        .select()
        .from(agents)
        .where(byReference(workspaceId, reference))
        .for('update');
      if (!agent) return undefined;
      const [version] = await database
        .select()
        .from(agentVersions)
        .where(eq(agentVersions.id, agent.currentVersionId));
      return version ? { agent, version } : undefined;
    },

    /** The agent by id or slug with a given version of it (current when `versionId` is null). */
    async findWithVersion(
      workspaceId: string,
      reference: string,
      versionId: string | null,
    ): Promise<{ agent: AgentRow | undefined; version: AgentVersionRow | undefined }> {
      if (versionId === null) {
        const found = await this.find(workspaceId, reference);
        return { agent: found?.agent, version: found?.version };
      }
      const [row] = await database
        .select({ agent: agents, version: agentVersions })
        .from(agents)
        .leftJoin(
          agentVersions,
          and(
            eq(agentVersions.id, versionId),
            eq(agentVersions.agentId, agents.id),
            eq(agentVersions.workspaceId, workspaceId),
          ),
        )
        .where(byReference(workspaceId, reference));
      return { agent: row?.agent, version: row?.version ?? undefined };
    },

    /** Newest first; `after` is the last row of the previous page. */
    async list(
      workspaceId: string,
      options: { limit: number; after?: { createdAt: Date; id: string }; search?: string; tag?: string },
    ): Promise<AgentWithVersion[]> {
      const conditions = [eq(agents.workspaceId, workspaceId), isNull(agents.deletedAt)];
      if (options.after) {
        conditions.push(
          sql`(${agents.createdAt}, ${agents.id}) < (${options.after.createdAt}, ${options.after.id})`,
        );
      }
      if (options.search) {
        const pattern = `%${options.search.replace(/[\\%_]/g, (character) => `\\${character}`)}%`;
        conditions.push(
          sql`(${agents.slug} ilike ${pattern} or ${agentVersions.definition}->>'name' ilike ${pattern})`,
        );
      }
      if (options.tag) conditions.push(sql`(${agentVersions.definition}->'tags')::jsonb ? ${options.tag}`);
      return database
        .select({ agent: agents, version: agentVersions })
        .from(agents)
        .innerJoin(agentVersions, eq(agentVersions.id, agents.currentVersionId))
        .where(and(...conditions))
        .orderBy(desc(agents.createdAt), desc(agents.id))
        .limit(options.limit);
    },

    /** Adds a version and points the agent at it; call inside a transaction after `findForUpdate`. */
    async addVersion(
      workspaceId: string,
      agentId: string,
      version: typeof agentVersions.$inferInsert,
      changes: { slug: string; updatedAt: Date },
    ): Promise<AgentWithVersion> {
      const [versionRow] = await database.insert(agentVersions).values(version).returning();
      const [agentRow] = await database
        .update(agents)
        .set({
          currentVersionId: version.id,
          version: version.number,
          slug: changes.slug,
          updatedAt: changes.updatedAt,
        })
        .where(and(eq(agents.workspaceId, workspaceId), eq(agents.id, agentId)))
        .returning();
      if (!agentRow || !versionRow) throw new Error('update returned no row');
      return { agent: agentRow, version: versionRow };
    },

    /** Hides the agent; answers its id, or undefined when no live agent matched. */
    async softDelete(workspaceId: string, reference: string, now: Date): Promise<{ id: string } | undefined> {
      const [row] = await database
        .update(agents)
        .set({ deletedAt: now, updatedAt: now })
        .where(byReference(workspaceId, reference))
        .returning({ id: agents.id });
      return row;
    },

    /** Versions of one agent, newest first; `beforeNumber` pages. */
    async listVersions(
      workspaceId: string,
      agentId: string,
      options: { limit: number; beforeNumber?: number },
    ): Promise<AgentVersionRow[]> {
      const conditions = [eq(agentVersions.workspaceId, workspaceId), eq(agentVersions.agentId, agentId)];
      if (options.beforeNumber !== undefined) conditions.push(lt(agentVersions.number, options.beforeNumber));
      return database
        .select()
        .from(agentVersions)
        .where(and(...conditions))
        .orderBy(desc(agentVersions.number))
        .limit(options.limit);
    },

    async findVersion(workspaceId: string, versionId: string): Promise<AgentVersionRow | undefined> {
      const [row] = await database
        .select()
        .from(agentVersions)
        .where(and(eq(agentVersions.workspaceId, workspaceId), eq(agentVersions.id, versionId)));
      return row;
    },

    /** One version of an agent by its number (1 is the first). */
    async findVersionByNumber(
      workspaceId: string,
      agentId: string,
      number: number,
    ): Promise<AgentVersionRow | undefined> {
      const [row] = await database
        .select()
        .from(agentVersions)
        .where(
          and(
            eq(agentVersions.workspaceId, workspaceId),
            eq(agentVersions.agentId, agentId),
            eq(agentVersions.number, number),
          ),
        );
      return row;
    },

    /**
     * Live agents whose draft or published version names the provider key, as its own key or in a
     * fallback: what stops working when the key is deleted. Older versions are left out on purpose:
     * nothing runs them unless a caller names them, and a long history would bury the ones that matter.
     */
    async listUsingProviderKey(
      workspaceId: string,
      providerKeyId: string,
    ): Promise<Array<{ id: string; slug: string; name: string }>> {
      const usedVersion = alias(agentVersions, 'used_version');
      // `fallbacks` is a json column (key order kept); jsonb only for the containment test.
      const fallbackNames = sql`(${usedVersion.definition}->'fallbacks')::jsonb @> jsonb_build_array(jsonb_build_object('providerKeyId', ${providerKeyId}::text))`;
      return database
        .selectDistinct({
          id: agents.id,
          slug: agents.slug,
          name: sql<string>`${agentVersions.definition}->>'name'`,
        })
        .from(agents)
        .innerJoin(agentVersions, eq(agentVersions.id, agents.currentVersionId))
        .innerJoin(
          usedVersion,
          or(eq(usedVersion.id, agents.currentVersionId), eq(usedVersion.id, agents.publishedVersionId)),
        )
        .where(
          and(
            eq(agents.workspaceId, workspaceId),
            isNull(agents.deletedAt),
            or(sql`${usedVersion.definition}->>'providerKeyId' = ${providerKeyId}`, fallbackNames),
          ),
        )
        .orderBy(agents.slug);
    },

    /** Slug and name of agents (deleted ones included), for labels in stats. */
    async findLabels(
      workspaceId: string,
      agentIds: string[],
    ): Promise<Map<string, { slug: string; name: string }>> {
      if (agentIds.length === 0) return new Map();
      const rows = await database
        .select({ id: agents.id, slug: agents.slug, name: sql<string>`${agentVersions.definition}->>'name'` })
        .from(agents)
        .innerJoin(agentVersions, eq(agentVersions.id, agents.currentVersionId))
        .where(and(eq(agents.workspaceId, workspaceId), inArray(agents.id, agentIds)));
      return new Map(rows.map((row) => [row.id, { slug: row.slug, name: row.name }]));
    },
  };
}

export type AgentRepository = ReturnType<typeof createAgentRepository>;
