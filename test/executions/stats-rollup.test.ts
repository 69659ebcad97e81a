import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rollupStats } from '../../src/store/repositories/execution-rollup-stats.ts';
import type { ExecutionStatsQuery, ExecutionStatsRows } from '../../src/store/repositories/index.ts';
import { createWorkspaceFixture } from '../support/identity-fixture.ts';
import { storeTargets } from '../support/store-targets.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

const start = Date.parse('2026-10-01T00:00:00Z');
const total = 24_000;
const spanMs = 3 * 86_400_000;

/** Percentiles from the histogram are within ±10 % of the exact ones (bucket ratio 1.2). */
function expectClose(approximate: number | null, exact: number | null) {
  if (exact === null) return expect(approximate).toBeNull();
  expect(approximate).not.toBeNull();
  expect(Math.abs((approximate ?? 0) / exact - 1)).toBeLessThanOrEqual(0.1);
}

function expectSameFigures(
  approximate: Omit<ExecutionStatsRows['totals'], never>,
  exact: ExecutionStatsRows['totals'],
) {
  const { p50LatencyMs, p95LatencyMs, costUsd, ...counts } = approximate;
  const { p50LatencyMs: exactP50, p95LatencyMs: exactP95, costUsd: exactCost, ...exactCounts } = exact;
  expect(counts).toEqual(exactCounts);
  expect(costUsd).toBeCloseTo(exactCost, 6);
  expectClose(p50LatencyMs, exactP50);
  expectClose(p95LatencyMs, exactP95);
}

describe.each(storeTargets)('stats of large windows from the rollup on $name', (target) => {
  let testApp: TestApp;
  let dispose: () => Promise<void>;
  let workspaceId: string;

  beforeAll(async () => {
    const opened = await target.open();
    dispose = opened.dispose;
    testApp = await createTestApp({ store: opened.store });
    workspaceId = (await createWorkspaceFixture(testApp.services, 'rollup')).workspaceId;
    const database = testApp.store.database;
    // Finished rows inserted directly (the insert trigger) and rows inserted running, most of them
    // finished afterwards (the update trigger); some stay running.
    await database.execute(
      sql`insert into executions (id, workspace_id, agent_id, agent_version_id, agent_version, status, mode,
            trigger, input_tokens, output_tokens, total_tokens, cost_usd, cost_priced, latency_ms, node_id, deadline_at, created_at)
          select 'rollup-' || n, ${workspaceId}, 'agent-' || (n % 3), 'version', 1,
                 case when n % 10 = 0 then 'running' when n % 7 = 0 then 'failed' else 'completed' end,
                 case when n % 4 = 0 then 'mock' else 'live' end, 'api', n % 50, n % 30, n % 50 + n % 30,
                 case when n % 10 = 0 or n % 13 = 0 then null else (n % 50) * 0.0001 end,
                 n % 13 <> 0,
                 case when n % 10 = 0 then null else 40 + (n * 37) % 2500 end, 'test',
                 to_timestamp(${start / 1000} + n * ${spanMs / 1000 / total}::float8) + interval '1 minute',
                 to_timestamp(${start / 1000} + n * ${spanMs / 1000 / total}::float8)
          from generate_series(1, ${total}) as n`,
    );
    await database.execute(
      sql`update executions set status = 'completed', latency_ms = 15 + (substr(id, 8)::int % 900), cost_usd = 0.002
          where workspace_id = ${workspaceId} and status = 'running' and substr(id, 8)::int % 20 = 0`,
    );
  });
  afterAll(async () => {
    await testApp.app.close();
    await dispose();
  });

  const windows: Array<[string, ExecutionStatsQuery]> = [
    [
      'by hour, edges inside hours',
      {
        from: new Date(start + 90 * 60_000 + 17_000),
        to: new Date(start + spanMs - 45 * 60_000),
        interval: 'hour',
      },
    ],
    [
      'by day, edges inside days, live only',
      {
        from: new Date(start + 5 * 3_600_000 + 1),
        to: new Date(start + spanMs - 7 * 3_600_000),
        interval: 'day',
        mode: 'live',
      },
    ],
    ['whole days', { from: new Date(start), to: new Date(start + spanMs + 86_400_000), interval: 'day' }],
  ];

  it.each(windows)('agrees with the exact figures: %s', async (_label, query) => {
    const repository = testApp.services.repositories.executions;
    const exact = await repository.exactStats(workspaceId, query);
    expect(exact.totals.count).toBeGreaterThan(10_000);
    // Every 13th execution's model had no price; the rollup must count them as the rows do.
    expect(exact.totals.unpricedCount).toBeGreaterThan(500);
    // Whatever the size threshold says, this is the rollup path.
    const approximate = await rollupStats(testApp.store.database, workspaceId, query);
    expectSameFigures(approximate.totals, exact.totals);
    expect(approximate.series.map((point) => point.bucket.getTime())).toEqual(
      exact.series.map((point) => point.bucket.getTime()),
    );
    for (const [index, point] of approximate.series.entries()) {
      const exactPoint = exact.series[index];
      if (!exactPoint) throw new Error('missing point');
      expect(point.count).toBe(exactPoint.count);
      expect(point.running).toBe(exactPoint.running);
      expect(point.totalTokens).toBe(exactPoint.totalTokens);
      expect(point.unpricedCount).toBe(exactPoint.unpricedCount);
    }
    expect(approximate.byAgent.map((row) => row.agentId)).toEqual(exact.byAgent.map((row) => row.agentId));
    for (const [index, row] of approximate.byAgent.entries()) {
      const { agentId, ...figures } = row;
      const { agentId: _exactAgent, ...exactFigures } = exact.byAgent[index] ?? row;
      expect(agentId).toBe(_exactAgent);
      expectSameFigures(figures, exactFigures);
    }
  });
});
