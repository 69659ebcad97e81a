import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeProvider, startFakeProvider } from '../../src/llm/fake-provider/index.ts';
import { createKeyring } from '../../src/security/keyring.ts';
import { makeMasterKey } from '../../src/security/keyring-master-keys.ts';
import { openStore } from '../../src/store/database.ts';
import { apiClient, parseEventStream } from '../executions/execution-test-kit.ts';
import { createWorkspaceFixture, type WorkspaceFixture } from '../support/identity-fixture.ts';
import { createTemporaryDatabase, type TemporaryDatabase } from '../support/postgres.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

const redisUrl = process.env.FLIGHTDECK_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

async function configure(testApp: TestApp, fixture: WorkspaceFixture, settings: Record<string, unknown>) {
  await testApp.services.workspaces.update(
    { workspaceId: fixture.workspaceId, role: 'owner', userId: fixture.users.owner, tokenId: null },
    { settings },
  );
}

/** A priced agent (gpt-4o-mini through a stored openai key) pointing at the fake provider. */
async function pricedAgent(testApp: TestApp, fixture: WorkspaceFixture, fake: FakeProvider) {
  const api = apiClient(testApp, fixture);
  await api.addFakeKey(fake, 'openai');
  const agent = await api.createAgent({
    name: `Priced ${randomBytes(3).toString('hex')}`,
    provider: 'openai',
    model: 'gpt-4o-mini',
    promptTemplate: 'Summarise: {{ input.text }}',
    maxTokens: 200,
  });
  return { api, agent };
}

describe('guardrails on executions (embedded)', () => {
  let testApp: TestApp;
  let fake: FakeProvider;
  beforeAll(async () => {
    fake = await startFakeProvider();
    testApp = await createTestApp();
  });
  afterAll(async () => {
    await testApp.close();
    await fake.close();
  });

  it('keeps committed spend within the budget when 200 executions race, and leaves no hold', async () => {
    const fixture = await createWorkspaceFixture(testApp.services, 'race');
    const { api, agent } = await pricedAgent(testApp, fixture, fake);
    // Measure one run's estimate and real cost on an unlimited budget first.
    const probe = await api.post(`/agents/${agent.id}/executions`, {
      input: { text: 'probe' },
      mode: 'live',
    });
    expect(probe.statusCode).toBe(201);
    const realCost: number = probe.json().costUsd;
    expect(realCost).toBeGreaterThan(0);
    // The probe's lease (this node's slice of the then unlimited budget) goes back first.
    await testApp.services.budgets.returnLeases();
    const { spentUsd: spentBefore } = await testApp.services.budgets.usage(fixture.workspaceId);
    const { estimate } = await testApp.services.executions.estimateFor(
      { workspaceId: fixture.workspaceId, role: 'owner', userId: fixture.users.owner, tokenId: null },
      agent.id,
      { input: { text: 'race' }, mode: 'live' },
    );
    expect(estimate).toBeGreaterThan(realCost);
    // Room for about 50 pessimistic holds on top of what the probe spent.
    const limit = spentBefore + estimate * 50.5;
    await configure(testApp, fixture, { monthlyBudgetUsd: limit });
    const callsBefore = fake.calls.length;

    const answers = await Promise.all(
      Array.from({ length: 200 }, () =>
        api.post(`/agents/${agent.id}/executions`, { input: { text: 'race' }, mode: 'live' }),
      ),
    );
    const admitted = answers.filter((answer) => answer.statusCode === 201);
    const refused = answers.filter((answer) => answer.statusCode === 402);
    expect(admitted.length + refused.length).toBe(200);
    expect(admitted.length).toBeGreaterThanOrEqual(50);
    expect(refused.length).toBeGreaterThan(0);
    expect(refused[0]?.json().error.code).toBe('budget_exceeded');
    // A refused execution never reached the provider.
    expect(fake.calls.length - callsBefore).toBe(admitted.length);

    // The node's lease holds the unspent rest until it is given back (idle, or here at once).
    await testApp.services.budgets.returnLeases();
    const usage = (await api.get('/usage')).json();
    expect(usage.reservedUsd).toBe(0);
    expect(usage.spentUsd).toBeLessThanOrEqual(limit);
    expect(usage.spentUsd).toBeCloseTo(spentBefore + admitted.length * realCost, 9);
    expect(await testApp.services.repositories.budgets.openReservationCount(fixture.workspaceId)).toBe(0);
  }, 120_000);

  it('never blocks mock mode, and answers 402 before any provider call when over budget', async () => {
    const fixture = await createWorkspaceFixture(testApp.services, 'mock');
    const { api, agent } = await pricedAgent(testApp, fixture, fake);
    await configure(testApp, fixture, { monthlyBudgetUsd: 0 });
    const callsBefore = fake.calls.length;
    const live = await api.post(`/agents/${agent.id}/executions`, { input: { text: 'x' }, mode: 'live' });
    expect(live.statusCode).toBe(402);
    expect(live.json().error.message).toMatch(/monthly budget.*resets on/);
    const mock = await api.post(`/agents/${agent.id}/executions`, { input: { text: 'x' }, mode: 'mock' });
    expect(mock.statusCode).toBe(201);
    expect(mock.json().costUsd).toBe(0);
    expect(fake.calls.length).toBe(callsBefore);
  });

  it('settles what a stream used when the client goes away mid-way', async () => {
    const slow = await startFakeProvider({ chunkDelayMs: 40, text: 'word '.repeat(200) });
    try {
      const fixture = await createWorkspaceFixture(testApp.services, 'abort');
      const { api, agent } = await pricedAgent(testApp, fixture, slow);
      await configure(testApp, fixture, { monthlyBudgetUsd: 100 });
      const address = await testApp.app.listen({ port: 0, host: '127.0.0.1' });
      const controller = new AbortController();
      const response = await fetch(`${address}${api.base}/agents/${agent.id}/executions`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${(fixture.tokens.owner as { token: string }).token}`,
          'content-type': 'application/json',
          accept: 'text/event-stream',
        },
        body: JSON.stringify({ input: { text: 'long' }, mode: 'live' }),
        signal: controller.signal,
      });
      const reader = response.body?.getReader();
      let received = '';
      while (!received.includes('text-delta')) {
        const chunk = await reader?.read();
        if (!chunk || chunk.done) break;
        received += new TextDecoder().decode(chunk.value);
      }
      expect(
        parseEventStream(received.slice(0, received.lastIndexOf('\n\n') + 2)).some(
          (event) => event.event === 'text-delta',
        ),
      ).toBe(true);
      controller.abort();

      let record: { status: string; error: { code: string } | null; costUsd: number } | undefined;
      for (let attempt = 0; attempt < 100 && record?.status !== 'failed'; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        record = (await api.get('/executions?limit=1')).json().items[0];
      }
      expect(record?.error?.code).toBe('client_closed');
      expect(record?.costUsd).toBeGreaterThan(0);
      await testApp.services.budgets.returnLeases();
      const usage = (await api.get('/usage')).json();
      expect(usage.reservedUsd).toBe(0);
      expect(usage.spentUsd).toBeCloseTo(record?.costUsd ?? -1, 9);
    } finally {
      await slow.close();
    }
  });
});

describe('guardrails on executions across three nodes (PostgreSQL and Redis)', () => {
  let database: TemporaryDatabase;
  let fake: FakeProvider;
  const nodes: TestApp[] = [];
  beforeAll(async () => {
    fake = await startFakeProvider();
    database = await createTemporaryDatabase();
    // Nodes of one installation share the master key.
    const keyring = createKeyring([makeMasterKey('shared', randomBytes(32))]);
    const first = await openStore({ databaseUrl: database.url, poolSize: 4 });
    await first.migrate();
    await first.close();
    for (let index = 0; index < 3; index++) {
      nodes.push(
        await createTestApp({
          store: await openStore({ databaseUrl: database.url, poolSize: 8 }),
          redisUrl,
          keyring,
        }),
      );
    }
  });
  afterAll(async () => {
    for (const node of nodes) {
      await node.services.close();
      await node.close();
    }
    await database.drop();
    await fake.close();
  });

  it('holds the budget and the rate limit in total, not per node', async () => {
    const [first] = nodes;
    if (!first) throw new Error('no node');
    const fixture = await createWorkspaceFixture(first.services, 'nodes');
    const { agent } = await pricedAgent(first, fixture, fake);
    const { estimate } = await first.services.executions.estimateFor(
      { workspaceId: fixture.workspaceId, role: 'owner', userId: fixture.users.owner, tokenId: null },
      agent.id,
      { input: { text: 'race' }, mode: 'live' },
    );
    const limit = estimate * 30.5;
    await configure(first, fixture, { monthlyBudgetUsd: limit, rateLimitPerMinute: 1000 });
    const run = (index: number) =>
      apiClient(nodes[index % 3] ?? first, fixture).post(`/agents/${agent.id}/executions`, {
        input: { text: 'race' },
        mode: 'live',
      });
    const answers = await Promise.all(Array.from({ length: 150 }, (_, index) => run(index)));
    const statuses = answers.map((answer) => answer.statusCode);
    expect(statuses.filter((status) => status === 201).length).toBeGreaterThanOrEqual(30);
    expect(statuses.filter((status) => status !== 201 && status !== 402)).toEqual([]);
    await Promise.all(nodes.map((node) => node.services.budgets.returnLeases()));
    const usage = (await apiClient(first, fixture).get('/usage')).json();
    expect(usage.spentUsd).toBeLessThanOrEqual(limit);
    expect(usage.reservedUsd).toBe(0);

    // The execution rate limit: 20 a minute for the workspace, whichever node answers.
    const limited = await createWorkspaceFixture(first.services, 'limited');
    // Set before any request: nodes cache a workspace's limit for a few seconds.
    await configure(first, limited, { rateLimitPerMinute: 20 });
    const limitedAgent = await apiClient(first, limited).createAgent({
      name: 'Mocked',
      provider: 'openai',
      model: 'gpt-4o-mini',
    });
    const burst = await Promise.all(
      Array.from({ length: 45 }, (_, index) =>
        apiClient(nodes[index % 3] ?? first, limited).post(`/agents/${limitedAgent.id}/executions`, {
          input: {},
          mode: 'mock',
        }),
      ),
    );
    const burstStatuses = burst.map((answer) => answer.statusCode);
    expect(burstStatuses.filter((status) => status === 201)).toHaveLength(20);
    expect(burstStatuses.filter((status) => status === 429)).toHaveLength(25);
    const refusal = burst.find((answer) => answer.statusCode === 429);
    expect(refusal?.headers['retry-after']).toBeDefined();
    expect(refusal?.headers['ratelimit-limit']).toBe('20');
  }, 120_000);
});
