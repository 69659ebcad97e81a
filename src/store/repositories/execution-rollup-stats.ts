import { type SQL, sql } from 'drizzle-orm';
import type { Database } from '../database.ts';
import { queryRows } from '../query-rows.ts';
import type {
  ExecutionAggregateRow,
  ExecutionStatsQuery,
  ExecutionStatsRows,
} from './execution-repository.ts';

/**
 * Windows holding more executions than this (by the rollup's count) are answered from
 * `execution_rollups`; smaller ones, and windows filtered by agent, exactly from `executions`.
 */
export const exactStatsLimit = 20_000;

/** Ratio between the bounds of a latency histogram bucket (must match migration 0007). */
const bucketRatio = 1.2;

/**
 * A latency percentile from histogram counts: the geometric middle of the bucket that holds the
 * rank `percentile_cont` would interpolate at. Within about ±10 % (√1.2 − 1) of the exact value.
 */
export function histogramPercentile(histogram: Map<number, number>, fraction: number): number | null {
  let total = 0;
  for (const count of histogram.values()) total += count;
  if (total === 0) return null;
  const rank = fraction * (total - 1);
  let seen = 0;
  for (const bucket of [...histogram.keys()].sort((left, right) => left - right)) {
    seen += histogram.get(bucket) ?? 0;
    if (seen > rank) return bucket === 0 ? 0.5 : bucketRatio ** (bucket - 0.5);
  }
  return null;
}

interface Accumulator {
  count: number;
  completed: number;
  failed: number;
  running: number;
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
  costUsd: number;
  unpricedCount: number;
  histogram: Map<number, number>;
}

type PartRow = {
  key: string | Date | null;
  count: unknown;
  completed: unknown;
  failed: unknown;
  running: unknown;
  inputTokens: unknown;
  outputTokens: unknown;
  totalTokens: unknown;
  costUsd: unknown;
  unpricedCount: unknown;
  /** One histogram, or (from the rollup) a list of them. */
  latency: Record<string, unknown> | Array<Record<string, unknown>> | string | null;
};

const measures = sql`sum(count)::float8 as "count", sum(completed)::float8 as "completed",
  sum(failed)::float8 as "failed", sum(running)::float8 as "running",
  sum(input_tokens)::float8 as "inputTokens", sum(output_tokens)::float8 as "outputTokens",
  sum(total_tokens)::float8 as "totalTokens", sum(cost_usd)::float8 as "costUsd",
  sum(unpriced)::float8 as "unpricedCount"`;

/**
 * Totals, series and per-agent figures from the rollup: whole hours (series, totals) and whole
 * days (per agent) come from `execution_rollups`; the partial hours and days at the window's
 * edges, and executions still running (the rollup holds finished ones only), from `executions`.
 * Counts, tokens, cost and unpriced counts are exact; p50/p95 come from the latency histograms.
 */
export async function rollupStats(
  database: Database,
  workspaceId: string,
  query: ExecutionStatsQuery,
): Promise<ExecutionStatsRows> {
  const unit = query.interval === 'hour' ? sql.raw(`'hour'`) : sql.raw(`'day'`);
  // Four independent queries: on PostgreSQL they run side by side on the pool.
  const [hourRows, hourEdges, dayRows, dayEdges] = await Promise.all([
    rollupPart(database, workspaceId, query, 'hour', sql`date_trunc(${unit}, bucket, 'UTC')`),
    rawPart(database, workspaceId, query, 'hour', sql`date_trunc(${unit}, created_at, 'UTC')`),
    rollupPart(database, workspaceId, query, 'day', sql`agent_id`),
    rawPart(database, workspaceId, query, 'day', sql`agent_id`),
  ]);
  const seriesParts = [...hourRows, ...hourEdges];
  const agentParts = [...dayRows, ...dayEdges];
  const series = merge(seriesParts, true);
  const byAgent = merge(agentParts, false);
  const totals = merge(
    seriesParts.map((row) => ({ ...row, key: 'total' })),
    false,
  );
  return {
    totals: toAggregate(totals.get('total')),
    series: [...series.values()]
      .map((accumulator) => ({ ...toAggregate(accumulator), bucket: accumulator.key as Date }))
      .sort((left, right) => left.bucket.getTime() - right.bucket.getTime()),
    byAgent: [...byAgent.values()]
      .map((accumulator) => ({ ...toAggregate(accumulator), agentId: String(accumulator.key) }))
      .sort((left, right) => right.count - left.count || left.agentId.localeCompare(right.agentId)),
  };
}

/** The whole `grain` buckets inside the window; empty (both ends at `to`) when there is none. */
function middleOf(query: ExecutionStatsQuery, grain: 'hour' | 'day'): { start: Date; end: Date } {
  const size = grain === 'hour' ? 3_600_000 : 86_400_000;
  const start = Math.ceil(query.from.getTime() / size) * size;
  const end = Math.floor(query.to.getTime() / size) * size;
  if (start >= end) return { start: query.to, end: query.to };
  return { start: new Date(start), end: new Date(end) };
}

async function rollupPart(
  database: Database,
  workspaceId: string,
  query: ExecutionStatsQuery,
  grain: 'hour' | 'day',
  key: SQL,
): Promise<PartRow[]> {
  const middle = middleOf(query, grain);
  if (middle.start.getTime() >= middle.end.getTime()) return [];
  const filters = [
    sql`workspace_id = ${workspaceId}`,
    sql`grain = ${grain}`,
    sql`bucket >= ${middle.start}`,
    sql`bucket < ${middle.end}`,
  ];
  if (grain === 'hour') filters.push(sql`agent_id = ''`);
  // One row per mode: without a mode filter, the modes' rows are summed.
  if (query.mode) filters.push(sql`mode = ${query.mode}`);
  // The histograms are merged here rather than by expanding them in SQL, which costs several times more.
  return queryRows<PartRow>(
    database,
    sql`select ${key} as key, ${measures}, jsonb_agg(latency) as latency
        from (select *, 0 as running from execution_rollups where ${sql.join(filters, sql` and `)}) as picked
        group by 1`,
  );
}

async function rawPart(
  database: Database,
  workspaceId: string,
  query: ExecutionStatsQuery,
  grain: 'hour' | 'day',
  key: SQL,
): Promise<PartRow[]> {
  const middle = middleOf(query, grain);
  const scoped = [sql`workspace_id = ${workspaceId}`];
  if (query.mode) scoped.push(sql`mode = ${query.mode}`);
  const where = sql.join(scoped, sql` and `);
  const columns = sql`${key} as key, status, latency_ms, input_tokens, output_tokens, total_tokens, cost_usd, cost_priced`;
  return queryRows<PartRow>(
    database,
    sql`with picked as (
          select ${columns} from executions
          where ${where} and created_at >= ${query.from} and created_at < ${middle.start}
          union all
          select ${columns} from executions
          where ${where} and created_at >= ${middle.end} and created_at < ${query.to}
          union all
          select ${columns} from executions
          where ${where} and status = 'running' and created_at >= ${middle.start} and created_at < ${middle.end}
        ),
        per_bucket as (
          select key, execution_latency_bucket(latency_ms) as bucket, count(*) as count,
                 count(latency_ms) as timed,
                 count(*) filter (where status = 'completed') as completed,
                 count(*) filter (where status = 'failed') as failed,
                 count(*) filter (where status = 'running') as running,
                 coalesce(sum(input_tokens), 0) as input_tokens, coalesce(sum(output_tokens), 0) as output_tokens,
                 coalesce(sum(total_tokens), 0) as total_tokens, coalesce(sum(cost_usd), 0) as cost_usd,
                 count(*) filter (where not cost_priced) as unpriced
          from picked group by 1, 2
        )
        select key, ${measures},
               coalesce(jsonb_object_agg(bucket::text, timed) filter (where bucket is not null), '{}'::jsonb) as latency
        from per_bucket group by key`,
  );
}

function merge(rows: PartRow[], timeKeys: boolean): Map<string, Accumulator & { key: unknown }> {
  const merged = new Map<string, Accumulator & { key: unknown }>();
  for (const row of rows) {
    const normalised = timeKeys ? new Date(row.key as string | Date) : String(row.key);
    const mapKey = normalised instanceof Date ? String(normalised.getTime()) : normalised;
    let accumulator = merged.get(mapKey);
    if (!accumulator) {
      accumulator = {
        key: normalised,
        count: 0,
        completed: 0,
        failed: 0,
        running: 0,
        inputTokens: 0,
        outputTokens: 0,
        totalTokens: 0,
        costUsd: 0,
        unpricedCount: 0,
        histogram: new Map(),
      };
      merged.set(mapKey, accumulator);
    }
    accumulator.count += Number(row.count);
    accumulator.completed += Number(row.completed);
    accumulator.failed += Number(row.failed);
    accumulator.running += Number(row.running);
    accumulator.inputTokens += Number(row.inputTokens);
    accumulator.outputTokens += Number(row.outputTokens);
    accumulator.totalTokens += Number(row.totalTokens);
    accumulator.costUsd += Number(row.costUsd);
    accumulator.unpricedCount += Number(row.unpricedCount);
    const latency: unknown = typeof row.latency === 'string' ? JSON.parse(row.latency) : (row.latency ?? {});
    for (const histogram of Array.isArray(latency) ? latency : [latency]) {
      for (const [bucket, count] of Object.entries(histogram as Record<string, unknown>)) {
        const index = Number(bucket);
        accumulator.histogram.set(index, (accumulator.histogram.get(index) ?? 0) + Number(count));
      }
    }
  }
  return merged;
}

function toAggregate(accumulator: Accumulator | undefined): ExecutionAggregateRow {
  if (!accumulator) {
    return {
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
  }
  return {
    count: accumulator.count,
    completed: accumulator.completed,
    failed: accumulator.failed,
    running: accumulator.running,
    p50LatencyMs: histogramPercentile(accumulator.histogram, 0.5),
    p95LatencyMs: histogramPercentile(accumulator.histogram, 0.95),
    inputTokens: accumulator.inputTokens,
    outputTokens: accumulator.outputTokens,
    totalTokens: accumulator.totalTokens,
    costUsd: accumulator.costUsd,
    unpricedCount: accumulator.unpricedCount,
  };
}

/** How many finished executions the rollup holds for the hours the window touches (an upper bound). */
export async function rollupWindowCount(
  database: Database,
  workspaceId: string,
  query: ExecutionStatsQuery,
): Promise<number> {
  const filters = [
    sql`workspace_id = ${workspaceId}`,
    sql`grain = 'hour'`,
    sql`agent_id = ''`,
    sql`bucket >= date_trunc('hour', ${query.from}::timestamptz, 'UTC')`,
    sql`bucket < ${query.to}`,
  ];
  if (query.mode) filters.push(sql`mode = ${query.mode}`);
  const [row] = await queryRows<{ count: unknown }>(
    database,
    sql`select coalesce(sum(count), 0)::float8 as count from execution_rollups where ${sql.join(filters, sql` and `)}`,
  );
  return Number(row?.count ?? 0);
}
