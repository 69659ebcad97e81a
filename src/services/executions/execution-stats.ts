import type { ExecutionAggregateRow, ExecutionStatsRows } from '../../store/repositories/index.ts';

export interface StatsQuery {
  from: Date;
  to: Date;
  interval: 'hour' | 'day';
  agentId?: string;
  mode?: string;
}

/** Metrics of one group of executions. */
export interface ExecutionMetrics {
  count: number;
  completed: number;
  failed: number;
  running: number;
  /** completed / (completed + failed); null when none finished. */
  successRate: number | null;
  p50LatencyMs: number | null;
  p95LatencyMs: number | null;
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
  /** What the priced executions cost; executions of a model without a price are not in it as $0. */
  costUsd: number;
  /** Executions whose model had no price: their cost is unknown, so `costUsd` leaves them out. */
  unpricedCount: number;
}

export interface ExecutionStats {
  from: Date;
  to: Date;
  interval: 'hour' | 'day';
  totals: ExecutionMetrics;
  /** One point per hour or day from `from` to `to`, empty buckets included. */
  series: Array<ExecutionMetrics & { bucket: Date }>;
  byAgent: Array<ExecutionMetrics & { agentId: string; agentSlug: string | null; agentName: string | null }>;
}

/** At most this many points in a series, so a wide range by hour cannot blow up an answer. */
export const maxSeriesPoints = 2_000;

function metrics(row: ExecutionAggregateRow): ExecutionMetrics {
  const finished = row.completed + row.failed;
  return { ...row, successRate: finished === 0 ? null : row.completed / finished };
}

const emptyRow: ExecutionAggregateRow = {
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

/** The start of the UTC hour or day that contains `date`. */
export function bucketStart(date: Date, interval: 'hour' | 'day'): Date {
  const start = new Date(date);
  if (interval === 'day') start.setUTCHours(0, 0, 0, 0);
  else start.setUTCMinutes(0, 0, 0);
  return start;
}

/** Adds success rates, fills empty buckets and labels agents. */
export function buildExecutionStats(
  query: StatsQuery,
  rows: ExecutionStatsRows,
  labels: Map<string, { slug: string; name: string }>,
): ExecutionStats {
  const step = query.interval === 'hour' ? 3_600_000 : 86_400_000;
  const byBucket = new Map(rows.series.map((row) => [row.bucket.getTime(), row]));
  const series: ExecutionStats['series'] = [];
  for (
    let time = bucketStart(query.from, query.interval).getTime();
    time < query.to.getTime() && series.length < maxSeriesPoints;
    time += step
  ) {
    series.push({ ...metrics(byBucket.get(time) ?? emptyRow), bucket: new Date(time) });
  }
  return {
    from: query.from,
    to: query.to,
    interval: query.interval,
    totals: metrics(rows.totals),
    series,
    byAgent: rows.byAgent.map((row) => ({
      ...metrics(row),
      agentId: row.agentId,
      agentSlug: labels.get(row.agentId)?.slug ?? null,
      agentName: labels.get(row.agentId)?.name ?? null,
    })),
  };
}
