import { and, asc, eq, isNotNull, sql } from 'drizzle-orm';
import type { Database } from '../database.ts';
import { queryRows } from '../query-rows.ts';
import { recordedExchanges } from '../schema/index.ts';

export type RecordedExchangeRow = typeof recordedExchanges.$inferSelect;
export type RecordedExchangeInsert = typeof recordedExchanges.$inferInsert;

/** The provider exchanges of recorded executions. Every query names the workspace. */
export function createRecordedExchangeRepository(database: Database) {
  return {
    /** Stores one execution's exchanges in one statement. */
    async insertMany(rows: readonly RecordedExchangeInsert[]): Promise<void> {
      if (rows.length === 0) return;
      await database.insert(recordedExchanges).values([...rows]);
    },

    /** One execution's exchanges in the order they happened; empty when it was not recorded. */
    async listOfExecution(workspaceId: string, executionId: string): Promise<RecordedExchangeRow[]> {
      return database
        .select()
        .from(recordedExchanges)
        .where(
          and(eq(recordedExchanges.workspaceId, workspaceId), eq(recordedExchanges.executionId, executionId)),
        )
        .orderBy(asc(recordedExchanges.sequence));
    },

    /** Every recorded exchange of one step of a run (all its executions), by execution then sequence. */
    async listOfRunStep(workspaceId: string, runId: string, stepId: string): Promise<RecordedExchangeRow[]> {
      return database
        .select()
        .from(recordedExchanges)
        .where(
          and(
            eq(recordedExchanges.workspaceId, workspaceId),
            eq(recordedExchanges.runId, runId),
            eq(recordedExchanges.stepId, stepId),
          ),
        )
        .orderBy(asc(recordedExchanges.executionId), asc(recordedExchanges.sequence));
    },

    /**
     * Deletes recordings older than their workspace's `executionRetentionDays` (they hold prompts
     * and answers, like the execution bodies the same sweep clears), at most `limit` rows per call.
     */
    async deletePastRetention(options: { now: Date; limit: number }): Promise<number> {
      const rows = await queryRows<{ id: string }>(
        database,
        sql`delete from recorded_exchanges
            where id in (
              select r.id from recorded_exchanges r join workspaces w on w.id = r.workspace_id
              where w.settings->>'executionRetentionDays' is not null
                and r.created_at < ${options.now}::timestamptz
                  - make_interval(days => (w.settings->>'executionRetentionDays')::int)
              limit ${options.limit})
            returning id`,
      );
      return rows.length;
    },

    /** Whether any step of the run was recorded. */
    async runHasRecording(workspaceId: string, runId: string): Promise<boolean> {
      const [row] = await database
        .select({ id: recordedExchanges.id })
        .from(recordedExchanges)
        .where(
          and(
            eq(recordedExchanges.workspaceId, workspaceId),
            eq(recordedExchanges.runId, runId),
            isNotNull(recordedExchanges.stepId),
          ),
        )
        .limit(1);
      return row !== undefined;
    },
  };
}

export type RecordedExchangeRepository = ReturnType<typeof createRecordedExchangeRepository>;
