import { and, desc, eq, getTableColumns, is, lt, SQL, sql } from 'drizzle-orm';
import type { Database } from '../database.ts';
import { createGrownStatementName } from '../grown-statement-name.ts';
import { queryRows } from '../query-rows.ts';
import { type ExecutionStatus, executions } from '../schema/index.ts';
import { exactStatsLimit, rollupStats, rollupWindowCount } from './execution-rollup-stats.ts';
import { createStatementBatcher } from './statement-batcher.ts';

export type { ExecutionAttemptColumn, ExecutionToolCallColumn } from '../schema/index.ts';

export type ExecutionRow = typeof executions.$inferSelect;
export type ExecutionInsert = typeof executions.$inferInsert;
/** A finish that took: the row was still running. */
export type FinishedExecution = Pick<ExecutionRow, 'id' | 'status'>;

/** What finishing an execution writes; the row must still be `running`. */
export type ExecutionFinish = Pick<
  ExecutionInsert,
  | 'output'
  | 'rawOutput'
  | 'errorCode'
  | 'errorMessage'
  | 'errorDetails'
  | 'inputTokens'
  | 'outputTokens'
  | 'totalTokens'
  | 'costUsd'
  | 'costPriced'
  | 'latencyMs'
  | 'timeToFirstTokenMs'
  | 'retries'
  | 'attempts'
  | 'fallbackUsed'
  | 'repaired'
  | 'provider'
  | 'model'
  | 'toolCalls'
  | 'loopState'
> & {
  /** `waiting_approval`: a tool call waits for a person; the execution after the decision continues it. */
  status: 'completed' | 'failed' | 'waiting_approval';
  finishedAt: Date;
};

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
}

interface FinishItem {
  workspaceId: string;
  executionId: string;
  finish: ExecutionFinish;
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
  const finishMany = createFinishStatements(database, options.namedStatementsAfterRows);
  const finishes = createStatementBatcher<FinishItem, FinishedExecution | undefined>({
    enabled: groupCommit,
    async flush(items) {
      // One statement per set of written columns (normally all items write the same ones).
      const groups = new Map<string, FinishGroup>();
      for (const item of items) {
        const keys = writtenColumns(item.finish);
        const signature = keys.join(',');
        const group = groups.get(signature);
        if (group) group.items.push(item);
        else groups.set(signature, { signature, keys, items: [item] });
      }
      const finished = new Map<string, FinishedExecution>();
      await Promise.all(
        [...groups.values()].map(async (group) => {
          for (const row of await finishMany(group)) finished.set(row.id, row);
        }),
      );
      return items.map((item) => finished.get(item.executionId));
    },
  });
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
      return finishes.submit({ workspaceId, executionId, finish });
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

type ExecutionColumnKey = keyof typeof executions.$inferInsert;

/** The finish fields given (undefined ones leave their column as it is, as drizzle's `set` does). */
function writtenColumns(finish: ExecutionFinish): ExecutionColumnKey[] {
  return (Object.keys(finish) as ExecutionColumnKey[])
    .filter((key) => finish[key as keyof ExecutionFinish] !== undefined && key in executions)
    .sort();
}

/** A column's default as SQL text (the insert's `coalesce`), or null when it has none. */
function defaultSql(column: (typeof executions)['_']['columns'][keyof (typeof executions)['_']['columns']]) {
  if (!column.hasDefault) return null;
  const value: unknown = column.default;
  if (is(value, SQL)) {
    // The one SQL default on this table is now(); any other would need rendering here.
    if (column.name !== 'created_at') throw new Error(`no insert default for ${column.name}`);
    return 'now()';
  }
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value) || (typeof value === 'object' && value !== null))
    return `'${JSON.stringify(value).replaceAll("'", "''")}'::${column.getSQLType()}`;
  throw new Error(`no insert default for ${column.name}`);
}

/**
 * The select list of a batch insert: every column of the table in drizzle's order, read from the
 * rows' JSON (json columns keep their text, so key order survives), a given column's default when a
 * row leaves it out. Built once: drizzle building a multi-row VALUES list cost a parameter object
 * per column and row, the largest share of its CPU on the execution path.
 */
const executionColumns = getTableColumns(executions);

const insertSelectList = Object.values(executionColumns)
  .map((column) => {
    const read = `batch."${column.name}"`;
    const fallback = defaultSql(column);
    return fallback ? `coalesce(${read}, ${fallback})` : read;
  })
  .join(', ');

/**
 * One row as `json_populate_recordset` reads it: the given fields under their column names, dates
 * as ISO text; an undefined field is left out (the insert's default, or the update leaves it).
 */
function jsonRecord(values: Partial<ExecutionInsert>): Record<string, unknown> {
  const record: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(values)) {
    const column = executionColumns[key as keyof typeof executionColumns];
    if (column && value !== undefined)
      record[column.name] = value instanceof Date ? value.toISOString() : value;
  }
  return record;
}

/**
 * The finish of one set of written columns, built once: several running executions in one update,
 * the rows as one JSON array read by `json_populate_recordset` into the table's own row type (json
 * columns keep their text, so key order survives); only rows still `running` change. The rollup
 * trigger is per statement, so it runs once for the whole batch. `name` is the statement name
 * (empty: unnamed, see grown-statement-name.ts).
 */
function buildFinish(database: Database, keys: readonly ExecutionColumnKey[], name: string) {
  const set: Record<string, SQL> = {};
  for (const key of keys) set[key] = sql.raw(`batch."${executionColumns[key].name}"`);
  return (
    database
      .update(executions)
      .set(set)
      // The limit tells the planner how many rows the JSON holds (it assumes 100).
      .from(
        sql`(select * from json_populate_recordset(null::executions, ${sql.placeholder('rows')}::json) limit ${sql.placeholder('count')}) as batch`,
      )
      .where(
        and(
          sql`${executions.workspaceId} = batch.workspace_id`,
          sql`${executions.id} = batch.id`,
          // Through a sub-select the planner cannot match `running` to the partial index of running
          // rows, so it finds each row by primary key. That index keeps an entry for every row that
          // ever ran until vacuum removes it: scanned on every batch, the finish cost 4 ms with 11k
          // executions behind it (0.2 ms by key), and more as the table grew.
          sql`${executions.status} = (select ${'running'}::text)`,
        ),
      )
      // Only what tells the caller it finished: the caller holds the rest (its running row and the
      // fields it wrote), and mapping whole rows back (input, output, request) cost more than the update.
      .returning({ id: executions.id, status: executions.status })
      .prepare(name)
  );
}

type FinishStatement = ReturnType<typeof buildFinish>;

/** Finishes that write the same columns: one statement. */
interface FinishGroup {
  signature: string;
  keys: ExecutionColumnKey[];
  items: FinishItem[];
}

/**
 * Finish statements by the set of columns they write (normally one or two sets), each built once
 * per statement name: building it with drizzle on every batch cost more CPU than sending it.
 */
function createFinishStatements(database: Database, namedAfterRows: number | undefined) {
  const bySignature = new Map<
    string,
    { nameFor: (batchRows: number) => string; built: Map<string, FinishStatement> }
  >();
  return async ({ signature, keys, items }: FinishGroup): Promise<FinishedExecution[]> => {
    let entry = bySignature.get(signature);
    if (!entry) {
      entry = {
        // Execution rows are wide (a few to a page): measured, a generic plan finds them by key from
        // about 1,000 rows on (it seq-scanned 400).
        nameFor: createGrownStatementName(
          `execution_finish_${bySignature.size + 1}`,
          namedAfterRows ?? 1_000,
        ),
        built: new Map(),
      };
      bySignature.set(signature, entry);
    }
    const name = entry.nameFor(items.length);
    let statement = entry.built.get(name);
    if (!statement) {
      statement = buildFinish(database, keys, name);
      entry.built.set(name, statement);
    }
    const records = items.map((item) =>
      jsonRecord({ ...item.finish, workspaceId: item.workspaceId, id: item.executionId }),
    );
    return statement.execute({ rows: JSON.stringify(records), count: records.length });
  };
}
