import { and, desc, eq, isNull, lt, lte, or, sql } from 'drizzle-orm';
import type { Database } from '../database.ts';
import { workflows, workflowVersions } from '../schema/index.ts';

export type WorkflowRow = typeof workflows.$inferSelect;
export type WorkflowVersionRow = typeof workflowVersions.$inferSelect;

/** A workflow with the version it currently points at. */
export interface WorkflowWithVersion {
  workflow: WorkflowRow;
  version: WorkflowVersionRow;
}

/** Workflows and their immutable versions. Every query names the workspace, except the webhook and schedule entry points. */
export function createWorkflowRepository(database: Database) {
  const byReference = (workspaceId: string, reference: string) =>
    and(
      eq(workflows.workspaceId, workspaceId),
      isNull(workflows.deletedAt),
      or(eq(workflows.id, reference), eq(workflows.slug, reference)),
    );

  return {
    /** Inserts a workflow and its first version; call inside a transaction. */
    async insert(
      workflow: typeof workflows.$inferInsert,
      version: typeof workflowVersions.$inferInsert,
    ): Promise<WorkflowWithVersion> {
      const [workflowRow] = await database.insert(workflows).values(workflow).returning();
      const [versionRow] = await database.insert(workflowVersions).values(version).returning();
      if (!workflowRow || !versionRow) throw new Error('insert returned no row');
      return { workflow: workflowRow, version: versionRow };
    },

    /** The workflow and its current version, by id or slug. */
    async find(workspaceId: string, reference: string): Promise<WorkflowWithVersion | undefined> {
      const [row] = await database
        .select({ workflow: workflows, version: workflowVersions })
        .from(workflows)
        .innerJoin(workflowVersions, eq(workflowVersions.id, workflows.currentVersionId))
        .where(byReference(workspaceId, reference));
      return row;
    },

    /** A live workflow by id alone, for the webhook entry point (the secret is checked by the caller). */
    async findById(workflowId: string): Promise<WorkflowWithVersion | undefined> {
      const [row] = await database
        .select({ workflow: workflows, version: workflowVersions })
        .from(workflows)
        .innerJoin(workflowVersions, eq(workflowVersions.id, workflows.currentVersionId))
        .where(and(eq(workflows.id, workflowId), isNull(workflows.deletedAt)));
      return row;
    },

    /** The workflow row locked until the transaction ends, so two edits cannot take the same number. */
    async findForUpdate(workspaceId: string, reference: string): Promise<WorkflowRow | undefined> {
      const [row] = await database
        .select()
        .from(workflows)
        .where(byReference(workspaceId, reference))
        .for('update');
      return row;
    },

    /** Newest first; `after` is the last row of the previous page. */
    async list(
      workspaceId: string,
      options: { limit: number; after?: { createdAt: Date; id: string }; search?: string },
    ): Promise<WorkflowWithVersion[]> {
      const conditions = [
        eq(workflows.workspaceId, workspaceId),
        isNull(workflows.deletedAt),
        // Work sessions run on a workflow of their own that is not the user's to list.
        eq(workflows.kind, 'workflow'),
      ];
      if (options.after) {
        conditions.push(
          sql`(${workflows.createdAt}, ${workflows.id}) < (${options.after.createdAt}, ${options.after.id})`,
        );
      }
      if (options.search) {
        const pattern = `%${options.search.replace(/[\\%_]/g, (character) => `\\${character}`)}%`;
        conditions.push(
          sql`(${workflows.slug} ilike ${pattern} or ${workflowVersions.definition}->>'name' ilike ${pattern})`,
        );
      }
      return database
        .select({ workflow: workflows, version: workflowVersions })
        .from(workflows)
        .innerJoin(workflowVersions, eq(workflowVersions.id, workflows.currentVersionId))
        .where(and(...conditions))
        .orderBy(desc(workflows.createdAt), desc(workflows.id))
        .limit(options.limit);
    },

    /** Adds a version and points the workflow at it; call inside a transaction after `findForUpdate`. */
    async addVersion(
      workspaceId: string,
      workflowId: string,
      version: typeof workflowVersions.$inferInsert,
      changes: { slug: string; updatedAt: Date; scheduleNextAt: Date | null },
    ): Promise<WorkflowWithVersion> {
      const [versionRow] = await database.insert(workflowVersions).values(version).returning();
      const [workflowRow] = await database
        .update(workflows)
        .set({ currentVersionId: version.id, version: version.number, ...changes })
        .where(and(eq(workflows.workspaceId, workspaceId), eq(workflows.id, workflowId)))
        .returning();
      if (!workflowRow || !versionRow) throw new Error('update returned no row');
      return { workflow: workflowRow, version: versionRow };
    },

    async softDelete(workspaceId: string, reference: string, now: Date): Promise<boolean> {
      const rows = await database
        .update(workflows)
        .set({ deletedAt: now, updatedAt: now, scheduleNextAt: null, webhookSecretHash: null })
        .where(byReference(workspaceId, reference))
        .returning({ id: workflows.id });
      return rows.length > 0;
    },

    /** Versions of one workflow, newest first; `beforeNumber` pages. */
    async listVersions(
      workspaceId: string,
      workflowId: string,
      options: { limit: number; beforeNumber?: number },
    ): Promise<WorkflowVersionRow[]> {
      const conditions = [
        eq(workflowVersions.workspaceId, workspaceId),
        eq(workflowVersions.workflowId, workflowId),
      ];
      if (options.beforeNumber !== undefined)
        conditions.push(lt(workflowVersions.number, options.beforeNumber));
      return database
        .select()
        .from(workflowVersions)
        .where(and(...conditions))
        .orderBy(desc(workflowVersions.number))
        .limit(options.limit);
    },

    async findVersion(workspaceId: string, versionId: string): Promise<WorkflowVersionRow | undefined> {
      const [row] = await database
        .select()
        .from(workflowVersions)
        .where(and(eq(workflowVersions.workspaceId, workspaceId), eq(workflowVersions.id, versionId)));
      return row;
    },

    async setWebhookSecretHash(workspaceId: string, workflowId: string, hash: string): Promise<boolean> {
      const rows = await database
        .update(workflows)
        .set({ webhookSecretHash: hash })
        .where(
          and(
            eq(workflows.workspaceId, workspaceId),
            eq(workflows.id, workflowId),
            isNull(workflows.deletedAt),
          ),
        )
        .returning({ id: workflows.id });
      return rows.length > 0;
    },

    /** Workflows whose next schedule tick is due, oldest first. */
    async listDueSchedules(now: Date, limit: number): Promise<WorkflowWithVersion[]> {
      return database
        .select({ workflow: workflows, version: workflowVersions })
        .from(workflows)
        .innerJoin(workflowVersions, eq(workflowVersions.id, workflows.currentVersionId))
        .where(and(isNull(workflows.deletedAt), lte(workflows.scheduleNextAt, now)))
        .orderBy(workflows.scheduleNextAt)
        .limit(limit);
    },

    /**
     * Moves a schedule from the tick it was seen at to the next one. Exactly one node wins a tick:
     * the update only matches while `schedule_next_at` still holds the tick it read.
     */
    async claimScheduleTick(workflowId: string, seenTick: Date, nextTick: Date | null): Promise<boolean> {
      const rows = await database
        .update(workflows)
        .set({ scheduleNextAt: nextTick })
        .where(and(eq(workflows.id, workflowId), eq(workflows.scheduleNextAt, seenTick)))
        .returning({ id: workflows.id });
      return rows.length > 0;
    },
  };
}

export type WorkflowRepository = ReturnType<typeof createWorkflowRepository>;
