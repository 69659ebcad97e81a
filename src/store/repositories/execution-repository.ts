import { and, desc, eq, lt, sql } from 'drizzle-orm';
import type { Database } from '../database.ts';
import { queryRows } from '../query-rows.ts';
import { type ExecutionStatus, executions } from '../schema/index.ts';
import { createExecutionEndWrites, type ExecutionEndWrites } from './execution-end-writes.ts';
import type { ExecutionFinish, FinishedExecution } from './execution-finish-statements.ts';
import { insertSelectList, jsonRecord } from './execution-json-rows.ts';
import { exactStatsLimit, rollupStats, rollupWindowCount } from './execution-rollup-stats.ts';
import { createStatementBatcher } from './statement-batcher.ts';

export type { ExecutionAttemptColumn, ExecutionToolCallColumn } from '../schema/index.ts';

export type ExecutionRow = typeof executions.$inferSelect;
export type ExecutionInsert = typeof executions.$inferInsert;
export type { ExecutionFinish, FinishedExecution } from './execution-finish-statements.ts';

export interface ExecutionFilters {
  agentId?: string;
  agentVersionId?: string;
  status?: ExecutionStatus;
  mode?: string;
  trigger?: string;
  from?: Date;
  to?: Date;
  /** Case-insensitive text in the error code or message. */
  errorText?: string;
}

export interface ExecutionStatsQuery {
  from: Date;
  to: Date;
  interval: 'hour' | 'day';
  agentId?: string;
  mode?: string;
}

/** Aggregates of one group of executions; `latency` percentiles are over finished executions. */
export interface ExecutionAggregateRow {
  count: number;
  completed: number;
  failed: number;
  running: number;
  p50LatencyMs: number | null;
  p95LatencyMs: number | null;
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
  /** Cost of the priced executions only: unpriced ones (`unpricedCount`) are not in it as $0. */
  costUsd: number;
  /** Executions of a model without a price (`cost_priced` false). */
  unpricedCount: number;
}

export interface ExecutionStatsRows {
  totals: ExecutionAggregateRow;
  series: Array<ExecutionAggregateRow & { bucket: Date }>;
  byAgent: Array<ExecutionAggregateRow & { agentId: string }>;
}

const escapeLike = (text: string) => text.replace(/[\\%_]/g, (character) => `\\${character}`);

export interface ExecutionRepositoryOptions {
  /**
   * Group commit (default on): the `running` inserts and the finishes of executions that arrive
   * within one turn of the event loop go out as one multi-row statement each. Off inside a
   * transaction (a batch would leave it) and for the bench's before.
   */
  groupCommit?: boolean;
  /** Rows a batch statement writes unnamed before it is named (see grown-statement-name.ts). */
  namedStatementsAfterRows?: number;
  /** The finishes' batcher, shared with the budget repository's settlements (createRepositories). */
  endWrites?: ExecutionEndWrites;
}

/** Execution records: one insert when a run starts, one update when it ends, shared by concurrent runs. */
export function createExecutionRepository(database: Database, options: ExecutionRepositoryOptions = {}) {
  const groupCommit = options.groupCommit ?? true;
  // Rows without a key never conflict (the unique index is partial); with one already taken in the
  // workspace, the row is skipped and answers undefined (the caller then reads the first). Built
  // once: constant text, the rows as one JSON parameter, planned once per connection (an insert
  // plan does not depend on the table's size).
  const insertRunning = database
    .insert(executions)
    .select(
      sql`select ${sql.raw(insertSelectList)} from json_populate_recordset(null::executions, ${sql.placeholder('rows')}::json) as batch`,
    )
    .onConflictDoNothing({
      target: [executions.workspaceId, executions.idempotencyKey],
      where: sql`${executions.idempotencyKey} is not null`,
    })
    .returning()
    .prepare('execution_insert_running');
  // Resolves once its statement committed: the `running` row is durable before the provider call.
  const inserts = createStatementBatcher<ExecutionInsert, ExecutionRow | undefined>({
    enabled: groupCommit,
    async flush(rows) {
      const inserted = await insertRunning.execute({ rows: JSON.stringify(rows.map(jsonRecord)) });
      const byId = new Map(inserted.map((row) => [row.id, row]));
      return rows.map((row) => byId.get(row.id));
    },
  });
  // Finishes share their statements (and commit) with the budget settlements of the same turn.
  const endWrites = options.endWrites ?? createExecutionEndWrites(database, options);
  return {
    /**
     * Inserts a running execution. With an idempotency key already taken in the workspace, inserts
     * nothing and answers undefined (the caller then reads the first execution).
     */
    insertRunning(row: ExecutionInsert): Promise<ExecutionRow | undefined> {
      return inserts.submit(row);
    },

    /** Finishes a running execution; answers undefined when it is no longer running (already swept). */
    finish(
      workspaceId: string,
      executionId: string,
      finish: ExecutionFinish,
    ): Promise<FinishedExecution | undefined> {
      return endWrites.finish({ workspaceId, executionId, finish });
    },

    async findById(workspaceId: string, executionId: string): Promise<ExecutionRow | undefined> {
      const [row] = await database
        .select()
        .from(executions)
        .where(and(eq(executions.workspaceId, workspaceId), eq(executions.id, executionId)));
      return row;
    },

    async findByIdempotencyKey(workspaceId: string, key: string): Promise<ExecutionRow | undefined> {
      const [row] = await database
        .select()
        .from(executions)
        .where(and(eq(executions.workspaceId, workspaceId), eq(executions.idempotencyKey, key)));
      return row;
    },

    /** Frees an expired idempotency key so a new execution may use it. */
    async releaseIdempotencyKey(
      workspaceId: string,
      executionId: string,
      createdBefore: Date,
    ): Promise<void> {
      await database
        .update(executions)
        .set({ idempotencyKey: null })
        .where(
          and(
            eq(executions.workspaceId, workspaceId),
            eq(executions.id, executionId),
            lt(executions.createdAt, createdBefore),
          ),
        );
    },

    /** Newest first by (created_at, id); `after` is the last row of the previous page. */
    async list(
      workspaceId: string,
      filters: ExecutionFilters,
      options: { limit: number; after?: { createdAt: Date; id: string } },
    ): Promise<ExecutionRow[]> {
      const conditions = [eq(executions.workspaceId, workspaceId)];
      if (filters.agentId) conditions.push(eq(executions.agentId, filters.agentId));
      if (filters.agentVersionId) conditions.push(eq(executions.agentVersionId, filters.agentVersionId));
      if (filters.status) conditions.push(eq(executions.status, filters.status));
      if (filters.mode) conditions.push(eq(executions.mode, filters.mode));
      if (filters.trigger) conditions.push(eq(executions.trigger, filters.trigger));
      if (filters.from) conditions.push(sql`${executions.createdAt} >= ${filters.from}`);
      if (filters.to) conditions.push(sql`${executions.createdAt} < ${filters.to}`);
      if (filters.errorText) {
        const pattern = `%${escapeLike(filters.errorText)}%`;
        conditions.push(
          sql`(${executions.errorMessage} ilike ${pattern} or ${executions.errorCode} ilike ${pattern})`,
        );
      }
      if (options.after) {
        conditions.push(
          sql`(${executions.createdAt}, ${executions.id}) < (${options.after.createdAt}, ${options.after.id})`,
        );
      }
      return database
        .select()
        .from(executions)
        .where(and(...conditions))
        .orderBy(desc(executions.createdAt), desc(executions.id))
        .limit(options.limit);
    },

    /**
     * Totals, a time series and a per-agent breakdown. Up to `exactStatsLimit` executions (and with
     * an agent filter): one scan (grouping sets), exact percentiles by `percentile_cont`. Larger
     * windows: from `execution_rollups` plus the window's partial edges (see execution-rollup-stats.ts).
     */
    async stats(workspaceId: string, query: ExecutionStatsQuery): Promise<ExecutionStatsRows> {
      // Large windows come from the rollup (percentiles from histograms); small ones stay exact.
      if (
        query.agentId === undefined &&
        (await rollupWindowCount(database, workspaceId, query)) > exactStatsLimit
      )
        return rollupStats(database, workspaceId, query);
      return this.exactStats(workspaceId, query);
    },

    /** The stats of a window by one scan of its executions, percentiles exact. */
    async exactStats(workspaceId: string, query: ExecutionStatsQuery): Promise<ExecutionStatsRows> {
      const filters = [
        sql`workspace_id = ${workspaceId}`,
        sql`created_at >= ${query.from}`,
        sql`created_at < ${query.to}`,
      ];
      if (query.agentId) filters.push(sql`agent_id = ${query.agentId}`);
      if (query.mode) filters.push(sql`mode = ${query.mode}`);
      const unit = query.interval === 'hour' ? sql.raw(`'hour'`) : sql.raw(`'day'`);
      const rows = await queryRows<Record<string, unknown>>(
        database,
        sql`select
              grouping(bucket) as "noBucket",
              grouping(agent_id) as "noAgent",
              bucket,
              agent_id as "agentId",
              count(*)::int as "count",
              (count(*) filter (where status = 'completed'))::int as "completed",
              (count(*) filter (where status = 'failed'))::int as "failed",
              (count(*) filter (where status = 'running'))::int as "running",
              percentile_cont(0.5) within group (order by latency_ms) as "p50LatencyMs",
              percentile_cont(0.95) within group (order by latency_ms) as "p95LatencyMs",
              coalesce(sum(input_tokens), 0)::float8 as "inputTokens",
              coalesce(sum(output_tokens), 0)::float8 as "outputTokens",
              coalesce(sum(total_tokens), 0)::float8 as "totalTokens",
              coalesce(sum(cost_usd), 0)::float8 as "costUsd",
              (count(*) filter (where not cost_priced))::int as "unpricedCount"
            from (
              select date_trunc(${unit}, created_at, 'UTC') as bucket, agent_id, status, latency_ms,
                     input_tokens, output_tokens, total_tokens, cost_usd, cost_priced
              from executions
              where ${sql.join(filters, sql` and `)}
            ) as scoped
            group by grouping sets ((), (bucket), (agent_id))`,
      );
      const aggregate = (row: Record<string, unknown>): ExecutionAggregateRow => ({
        count: Number(row.count),
        completed: Number(row.completed),
        failed: Number(row.failed),
        running: Number(row.running),
        p50LatencyMs: row.p50LatencyMs === null ? null : Number(row.p50LatencyMs),
        p95LatencyMs: row.p95LatencyMs === null ? null : Number(row.p95LatencyMs),
        inputTokens: Number(row.inputTokens),
        outputTokens: Number(row.outputTokens),
        totalTokens: Number(row.totalTokens),
        costUsd: Number(row.costUsd),
        unpricedCount: Number(row.unpricedCount),
      });
      const empty: ExecutionAggregateRow = {
        count: 0,
        completed: 0,
        failed: 0,
        running: 0,
        p50LatencyMs: null,
        p95LatencyMs: null,
        inputTokens: 0,
        outputTokens: 0,
        totalTokens: 0,
        costUsd: 0,
        unpricedCount: 0,
      };
      const result: ExecutionStatsRows = { totals: empty, series: [], byAgent: [] };
      for (const row of rows) {
        const noBucket = Number(row.noBucket) === 1;
        const noAgent = Number(row.noAgent) === 1;
        if (noBucket && noAgent) result.totals = aggregate(row);
        else if (!noBucket)
          result.series.push({ ...aggregate(row), bucket: new Date(row.bucket as string | Date) });
        else result.byAgent.push({ ...aggregate(row), agentId: String(row.agentId) });
      }
      result.series.sort((left, right) => left.bucket.getTime() - right.bucket.getTime());
      result.byAgent.sort(
        (left, right) => right.count - left.count || left.agentId.localeCompare(right.agentId),
      );
      return result;
    },

    /**
     * Marks orphaned running executions failed with `interrupted`: those whose deadline passed before
     * `deadlineBefore` (any node), or every running one when `everyRunning` (the embedded mode, where
     * this process is the only one). Answers how many were marked.
     */
    /**
     * Clears the bodies (input, output, raw text, rendered request) of finished executions older
     * than their workspace's `executionRetentionDays`, at most `limit` per call; the metadata (status,
     * tokens, cost, timing) stays for stats and audit. Answers how many were cleared.
     */
    async clearContentPastRetention(options: { now: Date; limit: number }): Promise<number> {
      const rows = await queryRows<{ id: string }>(
        database,
        sql`update executions set input = null, output = null, raw_output = null, request = null
            where id in (
              select e.id from executions e join workspaces w on w.id = e.workspace_id
              where w.settings->>'executionRetentionDays' is not null
                and e.finished_at is not null
                and e.finished_at < ${options.now}::timestamptz
                  - make_interval(days => (w.settings->>'executionRetentionDays')::int)
                and (e.input is not null or e.output is not null or e.raw_output is not null
                  or e.request is not null)
              limit ${options.limit})
            returning id`,
      );
      return rows.length;
    },

    async markInterrupted(options: {
      now: Date;
      deadlineBefore: Date;
      everyRunning: boolean;
      message: string;
    }): Promise<number> {
      const rows = await database
        .update(executions)
        .set({
          status: 'failed',
          errorCode: 'interrupted',
          errorMessage: options.message,
          finishedAt: options.now,
        })
        .where(
          options.everyRunning
            ? eq(executions.status, 'running')
            : and(eq(executions.status, 'running'), lt(executions.deadlineAt, options.deadlineBefore)),
        )
        .returning({ id: executions.id });
      return rows.length;
    },
  };
}

export type ExecutionRepository = ReturnType<typeof createExecutionRepository>;
