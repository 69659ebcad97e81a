import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeProvider, startFakeProvider } from '../../src/llm/fake-provider/index.ts';
import { createWorkspaceFixture, type WorkspaceFixture } from '../support/identity-fixture.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';
import { apiClient } from './execution-test-kit.ts';

describe('stats and usage of executions of a model without a price', () => {
  let testApp: TestApp;
  let fake: FakeProvider;
  let fixture: WorkspaceFixture;
  beforeAll(async () => {
    fake = await startFakeProvider();
    testApp = await createTestApp();
    fixture = await createWorkspaceFixture(testApp.services, 'unpriced-stats');
  });
  afterAll(async () => {
    await testApp.close();
    await fake.close();
  });

  it('report the priced cost and count the unpriced executions apart, never as $0', async () => {
    const api = apiClient(testApp, fixture);
    const customKey = await api.addFakeKey(fake, 'openai-compatible');
    const openAiKey = await api.addFakeKey(fake, 'openai');
    const custom = await api.createAgent({
      name: 'House model',
      provider: 'openai-compatible',
      model: 'house-model-13b',
      providerKeyId: customKey.id,
    });
    const catalogued = await api.createAgent({
      name: 'Catalogued',
      provider: 'openai',
      model: 'gpt-4o-mini',
      providerKeyId: openAiKey.id,
    });
    const run = async (agentId: string, mode: 'live' | 'mock') => {
      const response = await api.post(`/agents/${agentId}/executions`, { input: {}, mode });
      expect(response.statusCode, response.body).toBe(201);
      return response.json() as { costUsd: number | null; costPriced: boolean };
    };
    const unpriced = [await run(custom.id, 'live'), await run(custom.id, 'live')];
    for (const execution of unpriced) expect(execution).toMatchObject({ costUsd: null, costPriced: false });
    // A mock run costs nothing and is priced at that: it is not "not priced".
    expect(await run(custom.id, 'mock')).toMatchObject({ costUsd: 0, costPriced: true });
    const priced = await run(catalogued.id, 'live');
    expect(priced.costPriced).toBe(true);
    expect(priced.costUsd).toBeGreaterThan(0);

    const from = new Date(Date.now() - 3_600_000).toISOString();
    const to = new Date(Date.now() + 3_600_000).toISOString();
    const response = await api.get(`/executions/stats?from=${from}&to=${to}&interval=hour`);
    expect(response.statusCode).toBe(200);
    const stats = response.json();
    // Five: the fixture made one (mock) execution of its own.
    expect(stats.totals).toMatchObject({ count: 5, unpricedCount: 2 });
    expect(stats.totals.costUsd).toBeCloseTo(priced.costUsd ?? 0, 12);
    const byAgent = new Map(stats.byAgent.map((row: { agentId: string }) => [row.agentId, row] as const));
    expect(byAgent.get(custom.id)).toMatchObject({ count: 3, unpricedCount: 2, costUsd: 0 });
    expect(byAgent.get(catalogued.id)).toMatchObject({ count: 1, unpricedCount: 0 });
    const series = stats.series as Array<{ count: number; unpricedCount: number }>;
    expect(series.reduce((sum, point) => sum + point.unpricedCount, 0)).toBe(2);
    expect(series.find((point) => point.count > 0)?.unpricedCount).toBe(2);

    // This month's usage: the calls settle at 0 in the ledger, so they are counted apart there too.
    const usage = (await api.get('/usage')).json();
    expect(usage.unpricedCalls).toBe(2);
    expect(usage.spentUsd).toBeCloseTo(priced.costUsd ?? 0, 12);
    const usageOf = (agentId: string) =>
      usage.byAgent.find((line: { agentId: string }) => line.agentId === agentId);
    expect(usageOf(custom.id)).toMatchObject({ calls: 2, unpricedCalls: 2, spentUsd: 0 });
    expect(usageOf(catalogued.id)).toMatchObject({ calls: 1, unpricedCalls: 0 });
    const byKey = usage.byProviderKey.find(
      (line: { providerKeyId: string }) => line.providerKeyId === customKey.id,
    );
    expect(byKey).toMatchObject({ calls: 2, unpricedCalls: 2 });
  });
});
