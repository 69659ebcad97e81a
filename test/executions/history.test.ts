import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/core/ids.ts';
import type { ExecutionInsert } from '../../src/store/repositories/index.ts';
import { createWorkspaceFixture, type WorkspaceFixture } from '../support/identity-fixture.ts';
import { storeTargets } from '../support/store-targets.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';
import { apiClient } from './execution-test-kit.ts';

interface FixtureRow {
  agent: 'a' | 'b';
  at: string;
  status: 'running' | 'completed' | 'failed';
  latencyMs: number | null;
  tokens: [number, number];
  costUsd: number | null;
  mode?: 'live' | 'mock';
  trigger?: 'test' | 'api';
  error?: string;
}

/** A hand-computed fixture: the expected figures in the test below were worked out on paper. */
const rows: FixtureRow[] = [
  {
    agent: 'a',
    at: '2026-11-01T10:00:00Z',
    status: 'completed',
    latencyMs: 100,
    tokens: [10, 5],
    costUsd: 0.01,
  },
  {
    agent: 'a',
    at: '2026-11-01T11:00:00Z',
    status: 'completed',
    latencyMs: 200,
    tokens: [20, 10],
    costUsd: 0.02,
    trigger: 'test',
  },
  {
    agent: 'b',
    at: '2026-11-01T12:00:00Z',
    status: 'failed',
    latencyMs: 300,
    tokens: [0, 0],
    costUsd: null,
    error: 'Provider rate limited this key',
  },
  {
    agent: 'a',
    at: '2026-11-01T13:00:00Z',
    status: 'running',
    latencyMs: null,
    tokens: [0, 0],
    costUsd: null,
    mode: 'mock',
  },
  {
    agent: 'b',
    at: '2026-11-02T09:00:00Z',
    status: 'completed',
    latencyMs: 400,
    tokens: [30, 20],
    costUsd: 0.05,
  },
  {
    agent: 'a',
    at: '2026-11-02T10:30:00Z',
    status: 'failed',
    latencyMs: 1000,
    tokens: [5, 0],
    costUsd: 0.001,
    error: 'Output did not match the schema',
  },
  // Outside the window [2026-11-01, 2026-11-03):
  { agent: 'a', at: '2026-10-31T23:59:59Z', status: 'completed', latencyMs: 5, tokens: [1, 1], costUsd: 1 },
  { agent: 'a', at: '2026-11-03T00:00:00Z', status: 'completed', latencyMs: 5, tokens: [1, 1], costUsd: 1 },
];

describe.each(storeTargets)('execution history, stats and comparison on $name', (target) => {
  let testApp: TestApp;
  let dispose: () => Promise<void>;
  let fixture: WorkspaceFixture;
  let api: ReturnType<typeof apiClient>;
  const agentIds: Record<'a' | 'b', string> = { a: '', b: '' };
  const seeded: Array<{ id: string; at: number }> = [];
  const newestFirst = () => [...seeded].sort((left, right) => right.at - left.at).map((row) => row.id);

  beforeAll(async () => {
    const opened = await target.open();
    dispose = opened.dispose;
    testApp = await createTestApp({ store: opened.store });
    fixture = await createWorkspaceFixture(testApp.services, 'history');
    api = apiClient(testApp, fixture);
    agentIds.a = (await api.createAgent({ name: 'Agent A', provider: 'mock', model: 'm' })).id;
    agentIds.b = (await api.createAgent({ name: 'Agent B', provider: 'mock', model: 'm' })).id;
    const versions = {
      a: (await api.get(`/agents/${agentIds.a}`)).json().versionId,
      b: (await api.get(`/agents/${agentIds.b}`)).json().versionId,
    };
    const other = await createWorkspaceFixture(testApp.services, 'history-other');
    for (const [index, row] of [
      ...rows,
      { ...rows[0], workspace: other.workspaceId } as FixtureRow,
    ].entries()) {
      const createdAt = new Date(row.at);
      const insert: ExecutionInsert = {
        id: newId(createdAt.getTime()),
        workspaceId: (row as { workspace?: string }).workspace ?? fixture.workspaceId,
        agentId: agentIds[row.agent],
        agentVersionId: versions[row.agent],
        agentVersion: 1,
        status: row.status,
        mode: row.mode ?? 'live',
        trigger: row.trigger ?? 'api',
        input: { index },
        output: row.status === 'completed' ? `out ${index}` : null,
        errorCode: row.error ? 'provider_rate_limited' : null,
        errorMessage: row.error ?? null,
        inputTokens: row.tokens[0],
        outputTokens: row.tokens[1],
        totalTokens: row.tokens[0] + row.tokens[1],
        costUsd: row.costUsd,
        latencyMs: row.latencyMs,
        nodeId: 'fixture',
        deadlineAt: new Date(createdAt.getTime() + 60_000),
        createdAt,
        finishedAt: row.status === 'running' ? null : new Date(createdAt.getTime() + (row.latencyMs ?? 0)),
      };
      await testApp.services.repositories.executions.insertRunning(insert);
      if (insert.workspaceId === fixture.workspaceId) seeded.push({ id: insert.id, at: createdAt.getTime() });
    }
  });
  afterAll(async () => {
    await testApp.app.close();
    await dispose();
  });

  it('computes totals, a daily series and a per-agent breakdown that match the hand-computed fixture', async () => {
    const response = await api.get(
      '/executions/stats?from=2026-11-01T00:00:00Z&to=2026-11-03T00:00:00Z&interval=day',
    );
    expect(response.statusCode).toBe(200);
    const stats = response.json();
    const closeTo = (value: number) => expect.closeTo(value, 9);
    expect(stats.totals).toEqual({
      count: 6,
      completed: 3,
      failed: 2,
      running: 1,
      successRate: closeTo(0.6),
      p50LatencyMs: closeTo(300),
      p95LatencyMs: closeTo(880),
      inputTokens: 65,
      outputTokens: 35,
      totalTokens: 100,
      costUsd: closeTo(0.081),
      unpricedCount: 0,
    });
    expect(stats.series).toEqual([
      {
        bucket: '2026-11-01T00:00:00.000Z',
        count: 4,
        completed: 2,
        failed: 1,
        running: 1,
        successRate: closeTo(2 / 3),
        p50LatencyMs: closeTo(200),
        p95LatencyMs: closeTo(290),
        inputTokens: 30,
        outputTokens: 15,
        totalTokens: 45,
        costUsd: closeTo(0.03),
        unpricedCount: 0,
      },
      {
        bucket: '2026-11-02T00:00:00.000Z',
        count: 2,
        completed: 1,
        failed: 1,
        running: 0,
        successRate: closeTo(0.5),
        p50LatencyMs: closeTo(700),
        p95LatencyMs: closeTo(970),
        inputTokens: 35,
        outputTokens: 20,
        totalTokens: 55,
        costUsd: closeTo(0.051),
        unpricedCount: 0,
      },
    ]);
    expect(stats.byAgent).toEqual([
      expect.objectContaining({
        agentId: agentIds.a,
        agentSlug: 'agent-a',
        agentName: 'Agent A',
        count: 4,
        completed: 2,
        failed: 1,
        running: 1,
        p50LatencyMs: closeTo(200),
        p95LatencyMs: closeTo(920),
        totalTokens: 50,
        costUsd: closeTo(0.031),
      }),
      expect.objectContaining({
        agentId: agentIds.b,
        count: 2,
        successRate: closeTo(0.5),
        p50LatencyMs: closeTo(350),
        p95LatencyMs: closeTo(395),
        totalTokens: 50,
        costUsd: closeTo(0.05),
      }),
    ]);
  });

  it('answers by hour with empty buckets filled, per agent, and refuses bad ranges', async () => {
    const hourly = (
      await api.get('/executions/stats?from=2026-11-01T10:00:00Z&to=2026-11-01T13:00:00Z&interval=hour')
    ).json();
    expect(hourly.series.map((point: { count: number }) => point.count)).toEqual([1, 1, 1]);
    const wide = (
      await api.get('/executions/stats?from=2026-11-01T09:00:00Z&to=2026-11-01T15:00:00Z&interval=hour')
    ).json();
    expect(wide.series.map((point: { count: number }) => point.count)).toEqual([0, 1, 1, 1, 1, 0]);
    expect(wide.series[0]).toMatchObject({ successRate: null, p50LatencyMs: null, costUsd: 0 });
    const agentB = (
      await api.get('/executions/stats?from=2026-11-01T00:00:00Z&to=2026-11-03T00:00:00Z&agentId=agent-b')
    ).json();
    expect(agentB.totals).toMatchObject({ count: 2, completed: 1, failed: 1 });
    expect(
      (await api.get('/executions/stats?from=2026-11-03T00:00:00Z&to=2026-11-01T00:00:00Z')).json().error
        .code,
    ).toBe('range_invalid');
    expect(
      (
        await api.get('/executions/stats?from=2025-01-01T00:00:00Z&to=2026-11-01T00:00:00Z&interval=hour')
      ).json().error.code,
    ).toBe('range_too_large');
    expect((await api.get('/executions/stats?from=yesterday')).statusCode).toBe(400);
  });

  it('lists newest first with filters and a cursor that neither skips nor repeats', async () => {
    const window = '2026-11-05T00:00:00Z';
    // `to` leaves out the execution the workspace fixture made today.
    const all = (await api.get(`/executions?limit=200&to=${window}`)).json();
    expect(all.items.map((item: { id: string }) => item.id)).toEqual(newestFirst());
    const pages: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: Array<{ id: string }>; nextCursor: string | null } = (
        await api.get(`/executions?limit=3&to=${window}${cursor ? `&cursor=${cursor}` : ''}`)
      ).json();
      pages.push(...page.items.map((item) => item.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(pages).toEqual(newestFirst());

    const count = async (query: string) =>
      (await api.get(`/executions?limit=200&${query}`)).json().items.length;
    expect(await count(`agentId=${agentIds.b}`)).toBe(2);
    expect(await count('agentId=agent-a')).toBe(6);
    expect(await count('status=failed')).toBe(2);
    expect(await count('status=running&mode=mock')).toBe(1);
    expect(await count('trigger=test')).toBe(1);
    expect(await count('from=2026-11-01T00:00:00Z&to=2026-11-02T00:00:00Z')).toBe(4);
    expect(await count('error=RATE%20LIMITED')).toBe(1);
    expect(await count('error=provider_rate')).toBe(2);
    expect(await count('error=100%25')).toBe(0);
    expect((await api.get('/executions?status=paused')).statusCode).toBe(400);
    expect((await api.get('/executions?cursor=bm9wZQ')).json().error.code).toBe('cursor_invalid');
    expect((await api.get(`/executions/${newId()}`)).json().error.code).toBe('execution_not_found');
  });

  it('compares two runs of different versions: version diff and metric deltas', async () => {
    const agent = await api.createAgent({
      name: 'Compared',
      provider: 'mock',
      model: 'small',
      promptTemplate: 'v1 {{ input.q }}',
      temperature: 0.1,
    });
    const first = (
      await api.post(`/agents/${agent.id}/executions`, { input: { q: 'x' }, mode: 'mock' })
    ).json();
    await api.patch(`/agents/${agent.id}`, {
      promptTemplate: 'version two, longer prompt {{ input.q }}',
      model: 'large',
      temperature: 0.7,
      outputSchema: { type: 'object', properties: { answer: { type: 'string' } }, required: ['answer'] },
      description: 'now structured',
      publish: true,
    });
    const second = (
      await api.post(`/agents/${agent.id}/executions`, { input: { q: 'x' }, mode: 'mock' })
    ).json();
    const response = await api.get(`/executions/compare?a=${first.id}&b=${second.id}`);
    expect(response.statusCode).toBe(200);
    const comparison = response.json();
    expect(comparison.a.id).toBe(first.id);
    expect(comparison.b.id).toBe(second.id);
    expect(comparison.versionDiff).toMatchObject({ sameAgent: true, sameVersion: false });
    expect(
      comparison.versionDiff.changes.map((change: { field: string; group: string }) => [
        change.field,
        change.group,
      ]),
    ).toEqual([
      ['description', 'identity'],
      ['model', 'model'],
      ['promptTemplate', 'prompt'],
      ['temperature', 'parameters'],
      ['outputSchema', 'schemas'],
    ]);
    expect(comparison.versionDiff.changes[1]).toMatchObject({ a: 'small', b: 'large' });
    expect(comparison.metrics.inputTokens).toEqual({
      a: first.usage.inputTokens,
      b: second.usage.inputTokens,
      delta: second.usage.inputTokens - first.usage.inputTokens,
    });
    expect(comparison.metrics.costUsd).toEqual({ a: 0, b: 0, delta: 0 });
    expect(comparison.sameOutput).toBe(false);

    const self = (await api.get(`/executions/compare?a=${first.id}&b=${first.id}`)).json();
    expect(self).toMatchObject({ versionDiff: { sameVersion: true, changes: [] }, sameOutput: true });
    expect((await api.get(`/executions/compare?a=${first.id}&b=${newId()}`)).json().error.code).toBe(
      'execution_not_found',
    );
    expect((await api.get(`/executions/compare?a=${first.id}`)).statusCode).toBe(400);
  });
});
