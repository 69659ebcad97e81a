import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeProvider, startFakeProvider } from '../../src/llm/fake-provider/index.ts';
import { countPromptTokens } from '../../src/llm/index.ts';
import { apiClient } from '../executions/execution-test-kit.ts';
import { createWorkspaceFixture, type WorkspaceFixture } from '../support/identity-fixture.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

/** About 4,000 characters of prose-like text (o200k counts it at roughly 4.5 characters a token). */
function longInput(seed: number): string {
  const words = ['budget', 'ledger', 'overshoot', 'provider', 'tokens', 'estimate', 'reserve', 'limit'];
  const parts: string[] = [];
  let length = 0;
  for (let index = 0; length < 4_000; index++) {
    const word = words[(index * 7 + seed) % words.length] ?? 'word';
    parts.push(index % 11 === 0 ? `${word}.` : word);
    length += word.length + 1;
  }
  return parts.join(' ').slice(0, 4_000);
}

const owner = (fixture: WorkspaceFixture) => ({
  workspaceId: fixture.workspaceId,
  role: 'owner' as const,
  userId: fixture.users.owner,
  tokenId: null,
});

/**
 * Each dialect with a model of a different tokenizer family, and a fake that reports more prompt
 * tokens than the o200k count (the old estimate assumed at most 25 % more): the 136 % overshoot of
 * issue 19 came from input-heavy calls whose provider counted more than the estimate.
 */
const dialects = [
  { provider: 'openai', model: 'gpt-4o-mini', promptTokenFactor: 1 },
  { provider: 'anthropic', model: 'claude-3-5-haiku-latest', promptTokenFactor: 1.3 },
  { provider: 'openai-compatible', model: 'local-llama', promptTokenFactor: 1.6 },
] as const;

describe.each(dialects)('budget overshoot on the $provider dialect', (dialect) => {
  let fake: FakeProvider;
  let testApp: TestApp;
  beforeAll(async () => {
    fake = await startFakeProvider({ promptTokenFactor: dialect.promptTokenFactor, text: 'Short answer.' });
    testApp = await createTestApp();
  });
  afterAll(async () => {
    await testApp.close();
    await fake.close();
  });

  it('never commits more than the limit with 200 concurrent 4,000-character inputs', async () => {
    const fixture = await createWorkspaceFixture(testApp.services, `overshoot-${dialect.provider}`);
    const api = apiClient(testApp, fixture);
    // The fixture has a default openai-compatible key (a dead port): name ours.
    const key = await api.addFakeKey(fake, dialect.provider);
    if (dialect.provider === 'openai-compatible') {
      await testApp.services.workspaces.update(owner(fixture), {
        settings: {
          priceOverrides: [
            {
              model: 'local-llama',
              provider: 'openai-compatible',
              inputPerMillionUsd: 2,
              outputPerMillionUsd: 6,
            },
          ],
        },
      });
    }
    // Input-heavy: a small output bound, so the prompt is most of what a call costs.
    const agent = await api.createAgent({
      name: `Overshoot ${dialect.provider}`,
      provider: dialect.provider,
      model: dialect.model,
      providerKeyId: key.id,
      promptTemplate: '{{ input.text }}',
      maxTokens: 32,
    });
    const inputs = Array.from({ length: 200 }, (_, index) => longInput(index));
    const { estimate } = await testApp.services.executions.estimateFor(owner(fixture), agent.id, {
      input: { text: inputs[0] },
      mode: 'live',
    });
    const limit = estimate * 50.5;
    await testApp.services.workspaces.update(owner(fixture), { settings: { monthlyBudgetUsd: limit } });
    const callsBefore = fake.calls.length;

    const answers = await Promise.all(
      inputs.map((text) => api.post(`/agents/${agent.id}/executions`, { input: { text }, mode: 'live' })),
    );
    const statuses = answers.map((answer) => answer.statusCode);
    expect(statuses.filter((status) => status !== 201 && status !== 402)).toEqual([]);
    const admitted = answers.filter((answer) => answer.statusCode === 201);
    // About 50: the inputs' estimates differ a little from the first one's.
    expect(admitted.length).toBeGreaterThanOrEqual(45);

    // The provider really counted more than the text's own count would say…
    const calls = fake.calls.slice(callsBefore);
    const reported = calls[0]?.usage?.promptTokens ?? 0;
    const counted = countPromptTokens({ messages: [{ role: 'user', content: inputs[0] ?? '' }] });
    if (dialect.provider !== 'openai') expect(reported).toBeGreaterThan(counted * 1.25);
    else expect(reported).toBeGreaterThan(counted);
    // …and every request carried the output bound the reservation assumed.
    for (const call of calls) {
      const body = call.body as Record<string, unknown>;
      expect(body.max_tokens ?? body.max_completion_tokens).toBe(32);
    }

    await testApp.services.budgets.returnLeases();
    const usage = (await api.get('/usage')).json();
    expect(usage.spentUsd).toBeGreaterThan(0);
    expect(usage.spentUsd).toBeLessThanOrEqual(limit);
    expect(usage.reservedUsd).toBe(0);
  }, 120_000);
});

describe('budget overshoot beyond the family factor', () => {
  let fake: FakeProvider;
  let testApp: TestApp;
  beforeAll(async () => {
    // A model counting 3 times what the fake's 4 characters a token would: past any factor.
    fake = await startFakeProvider({ promptTokenFactor: 3, text: 'Short answer.' });
    testApp = await createTestApp();
  });
  afterAll(async () => {
    await testApp.close();
    await fake.close();
  });

  it('records the overage in full and raises the next estimate of that model', async () => {
    const fixture = await createWorkspaceFixture(testApp.services, 'calibration');
    const api = apiClient(testApp, fixture);
    await api.addFakeKey(fake, 'openai');
    const agent = await api.createAgent({
      name: 'Calibrated',
      provider: 'openai',
      model: 'gpt-4o-mini',
      promptTemplate: '{{ input.text }}',
      maxTokens: 32,
    });
    const request = { input: { text: longInput(1) }, mode: 'live' as const };
    const before = await testApp.services.executions.estimateFor(owner(fixture), agent.id, request);
    const answer = await api.post(`/agents/${agent.id}/executions`, request);
    expect(answer.statusCode).toBe(201);
    const record = answer.json();
    // The provider's count is what was spent, even past the hold.
    expect(record.costUsd).toBeGreaterThan(before.estimate);
    await testApp.services.budgets.returnLeases();
    expect((await api.get('/usage')).json().spentUsd).toBeCloseTo(record.costUsd, 12);
    const after = await testApp.services.executions.estimateFor(owner(fixture), agent.id, request);
    expect(after.estimate).toBeGreaterThanOrEqual(record.costUsd);
  });
});
