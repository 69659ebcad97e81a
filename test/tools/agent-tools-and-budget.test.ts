/**
 * Agent tools (a linked child execution whose cost is in the parent's total) and the loop's budget
 * holds (a loop stops before the model call that would pass the limit; under 50 concurrent loops
 * the committed spend stays within it), against the fake provider through the real SDK adapter.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FakeProvider, startFakeProvider } from '../../src/llm/fake-provider/index.ts';
import { openStore } from '../../src/store/database.ts';
import { apiClient } from '../executions/execution-test-kit.ts';
import { createWorkspaceFixture, type WorkspaceFixture } from '../support/identity-fixture.ts';
import { createTemporaryDatabase, type TemporaryDatabase } from '../support/postgres.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

const parameters = {
  type: 'object',
  properties: { question: { type: 'string' } },
  required: ['question'],
};

describe('agent tools and budgets in the loop', () => {
  let testApp: TestApp;
  let fake: FakeProvider;

  beforeAll(async () => {
    testApp = await createTestApp();
    fake = await startFakeProvider();
  });
  afterAll(async () => {
    await testApp.close();
    await fake.close();
  });
  beforeEach(() => fake.reset());

  const owner = (fixture: WorkspaceFixture) => ({
    workspaceId: fixture.workspaceId,
    role: 'owner' as const,
    userId: fixture.users.owner,
    tokenId: null,
  });
  const configure = (fixture: WorkspaceFixture, settings: Record<string, unknown>) =>
    testApp.services.workspaces.update(owner(fixture), { settings });

  it('runs another agent as a linked child execution and counts its cost in the parent total', async () => {
    const fixture = await createWorkspaceFixture(testApp.services, 'agent-tools');
    const api = apiClient(testApp, fixture);
    await api.addFakeKey(fake);
    const helper = await api.createAgent({
      name: 'Helper',
      provider: 'openai',
      model: 'gpt-4o-mini',
      inputSchema: parameters,
      promptTemplate: 'Answer briefly: {{ input.question }}',
    });
    const parent = await api.createAgent({
      name: 'Lead',
      provider: 'openai',
      model: 'gpt-4o-mini',
      tools: [
        {
          kind: 'agent',
          name: 'ask_helper',
          description: 'Asks the helper agent',
          parameters,
          agent: helper.slug,
        },
      ],
    });
    fake.respondWith((conversation) => {
      // The helper is offered no tools; the lead asks it once, then answers with what it said.
      if (conversation.tools.length === 0) return { text: `helper on "${conversation.lastUserMessage}"` };
      return conversation.toolResults.length === 0
        ? { toolCalls: [{ name: 'ask_helper', arguments: { question: 'tides?' } }] }
        : { text: `lead: ${conversation.toolResults[0]?.content}` };
    });
    const response = await api.post(`/agents/${parent.id}/executions`, { input: 'go' });
    expect(response.statusCode, response.body).toBe(201);
    const execution = response.json();
    expect(execution.output).toContain('helper on \\"Answer briefly: tides?\\"');
    const [call] = execution.toolCalls;
    expect(call).toMatchObject({ tool: 'ask_helper', kind: 'agent', status: 'succeeded' });
    const child = (await api.get(`/executions/${call.childExecutionId}`)).json();
    expect(child).toMatchObject({ agentId: helper.id, parentExecutionId: execution.id, status: 'completed' });
    expect(child.input).toEqual({ question: 'tides?' });
    expect(call.result).toBe(child.output);
    expect(child.costUsd).toBeGreaterThan(0);
    expect(call.costUsd).toBe(child.costUsd);
    expect(execution.totalCostUsd).toBeCloseTo(execution.costUsd + child.costUsd, 12);
    // Three model calls in all: two of the lead's, one of the helper's.
    expect(fake.calls.filter((entry) => entry.status === 200)).toHaveLength(3);
  });

  const loopingAgent = (fixture: WorkspaceFixture, lookups: number) =>
    createLoopingAgent(testApp, fake, fixture, lookups);

  it('stops the loop before the model call that would pass the budget', async () => {
    const fixture = await createWorkspaceFixture(testApp.services, 'loop-budget');
    const { api, agent } = await loopingAgent(fixture, 5);
    const { estimate } = await testApp.services.executions.estimateFor(owner(fixture), agent.id, {
      input: 'x',
      mode: 'live',
    });
    // Room for the first call's hold, not for a second one beside it.
    await configure(fixture, { monthlyBudgetUsd: estimate * 1.5 });
    const response = await api.post(`/agents/${agent.id}/executions`, { input: 'x' });
    expect(response.statusCode, response.body).toBe(402);
    const error = response.json().error;
    expect(error.code).toBe('budget_exceeded');
    expect(error.message).toContain('before its next model call');
    const execution = error.details.execution;
    // One model call was made and paid for, its tool call ran, and the second call never went out.
    expect(fake.calls.filter((entry) => entry.status === 200)).toHaveLength(1);
    expect(execution.toolCalls).toHaveLength(1);
    expect(execution.toolCalls[0].status).toBe('succeeded');
    expect(execution.costUsd).toBeGreaterThan(0);
    await testApp.services.budgets.returnLeases();
    const usage = (await api.get('/usage')).json();
    expect(usage.spentUsd).toBeCloseTo(execution.costUsd, 12);
    expect(usage.reservedUsd).toBe(0);
  });

  it(
    'keeps committed spend within the limit under 50 concurrent looping executions',
    () => raceOfLoops(testApp, fake, { ledgerMatches: true }),
    120_000,
  );
});

describe('50 concurrent looping executions on PostgreSQL', () => {
  let database: TemporaryDatabase;
  let testApp: TestApp;
  let fake: FakeProvider;
  beforeAll(async () => {
    fake = await startFakeProvider();
    database = await createTemporaryDatabase();
    testApp = await createTestApp({ store: await openStore({ databaseUrl: database.url, poolSize: 8 }) });
  });
  afterAll(async () => {
    await testApp.close();
    await database.drop();
    await fake.close();
  });

  // A lease is never given back while a settlement of one of its holds is still queued
  // (budget-leases.ts, `settling`): loops holding leases past their 2 s grant hit that on PostgreSQL.
  it(
    'keeps committed spend within the limit, and the ledger equal to what the executions cost',
    () => raceOfLoops(testApp, fake, { ledgerMatches: true }),
    120_000,
  );
});

const ownerOf = (fixture: WorkspaceFixture) => ({
  workspaceId: fixture.workspaceId,
  role: 'owner' as const,
  userId: fixture.users.owner,
  tokenId: null,
});

/** A looping agent: asks for `lookups` tool calls one turn at a time, then answers. */
async function createLoopingAgent(
  testApp: TestApp,
  fake: FakeProvider,
  fixture: WorkspaceFixture,
  lookups: number,
) {
  const api = apiClient(testApp, fixture);
  await api.addFakeKey(fake);
  const helper = await api.createAgent({
    name: `Echo ${randomBytes(3).toString('hex')}`,
    provider: 'mock',
    model: 'mock',
  });
  const agent = await api.createAgent({
    name: `Looper ${randomBytes(3).toString('hex')}`,
    provider: 'openai',
    model: 'gpt-4o-mini',
    maxTokens: 200,
    promptTemplate: 'Look things up: {{ input }}',
    // A mock-provider agent as the tool: no cost, no network, so only the loop's own calls spend.
    tools: [{ kind: 'agent', name: 'lookup', description: 'Looks up', parameters, agent: helper.id }],
  });
  fake.respondWith((conversation) =>
    conversation.tools.length > 0 && conversation.toolResults.length < lookups
      ? { toolCalls: [{ name: 'lookup', arguments: { question: `q${conversation.toolResults.length}` } }] }
      : { text: 'done' },
  );
  return { api, agent };
}

/** 50 loops of three model calls each race for a budget that holds about a third of them. */
async function raceOfLoops(
  testApp: TestApp,
  fake: FakeProvider,
  options: { ledgerMatches: boolean },
): Promise<void> {
  const fixture = await createWorkspaceFixture(testApp.services, 'loop-race');
  const configure = (settings: Record<string, unknown>) =>
    testApp.services.workspaces.update(ownerOf(fixture), { settings });
  await configure({ rateLimitPerMinute: 10_000 });
  const { api, agent } = await createLoopingAgent(testApp, fake, fixture, 2);
  const { estimate } = await testApp.services.executions.estimateFor(ownerOf(fixture), agent.id, {
    input: 'x',
    mode: 'live',
  });
  const limit = estimate * 50;
  await configure({ monthlyBudgetUsd: limit });
  const answers = await Promise.all(
    Array.from({ length: 50 }, () => api.post(`/agents/${agent.id}/executions`, { input: 'x' })),
  );
  const completed = answers.filter((answer) => answer.statusCode === 201);
  const refused = answers.filter((answer) => answer.statusCode === 402);
  expect(completed.length + refused.length, answers.map((answer) => answer.statusCode).join(',')).toBe(50);
  expect(completed.length).toBeGreaterThan(0);
  expect(refused.length).toBeGreaterThan(0);
  for (const answer of completed) expect(answer.json().toolCalls).toHaveLength(2);
  await testApp.services.budgets.returnLeases();
  const usage = (await api.get('/usage')).json();
  expect(usage.spentUsd).toBeLessThanOrEqual(limit);
  expect(usage.reservedUsd).toBe(0);
  // The ledger is what the executions say they cost, loops stopped mid-way included.
  const spentByExecutions = answers.reduce(
    (sum, answer) =>
      sum +
      (answer.statusCode === 201
        ? answer.json().costUsd
        : (answer.json().error.details?.execution?.costUsd ?? 0)),
    0,
  );
  if (options.ledgerMatches) expect(usage.spentUsd).toBeCloseTo(spentByExecutions, 9);
  expect(await testApp.services.repositories.budgets.openReservationCount(fixture.workspaceId)).toBe(0);
}
