import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeProvider, startFakeProvider } from '../../src/llm/fake-provider/index.ts';
import { apiClient } from '../executions/execution-test-kit.ts';
import { createWorkspaceFixture, type WorkspaceFixture } from '../support/identity-fixture.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

describe('honest costs for models without a price', () => {
  let testApp: TestApp;
  let fake: FakeProvider;
  let fixture: WorkspaceFixture;
  let api: ReturnType<typeof apiClient>;
  let keyId: string;

  beforeAll(async () => {
    testApp = await createTestApp();
    fake = await startFakeProvider();
    fixture = await createWorkspaceFixture(testApp.services, 'unpriced');
    api = apiClient(testApp, fixture);
    keyId = (await api.addFakeKey(fake, 'openai-compatible')).id;
  });
  afterAll(async () => {
    await testApp.close();
    await fake.close();
  });

  it('refuses a live run of an unpriced model under a budget with 422 price_unknown, until a price is set', async () => {
    const agent = await api.createAgent({
      name: 'Custom model',
      provider: 'openai-compatible',
      model: 'house-model-7b',
      providerKeyId: keyId,
      retry: { maxAttempts: 1 },
    });
    // Without any limit the run goes ahead, recorded as not priced.
    const free = await api.post(`/agents/${agent.id}/executions`, { input: 'hello' });
    expect(free.statusCode, free.body).toBe(201);
    expect(free.json()).toMatchObject({ costUsd: null, costPriced: false });

    const owner = {
      workspaceId: fixture.workspaceId,
      role: 'owner' as const,
      userId: fixture.users.owner,
      tokenId: null,
    };
    await testApp.services.workspaces.update(owner, { settings: { monthlyBudgetUsd: 5 } });
    fake.reset();
    const refused = await api.post(`/agents/${agent.id}/executions`, { input: 'hello' });
    expect(refused.statusCode).toBe(422);
    expect(refused.json().error.code).toBe('price_unknown');
    expect(refused.json().error.message).toContain('house-model-7b');
    expect(fake.calls).toHaveLength(0);
    // Mock runs cost nothing and are not refused.
    expect(
      (await api.post(`/agents/${agent.id}/executions`, { input: 'hello', mode: 'mock' })).statusCode,
    ).toBe(201);

    await testApp.services.workspaces.update(owner, {
      settings: {
        priceOverrides: [{ model: 'house-model-7b', inputPerMillionUsd: 1, outputPerMillionUsd: 2 }],
      },
    });
    const priced = await api.post(`/agents/${agent.id}/executions`, { input: 'hello' });
    expect(priced.statusCode).toBe(201);
    expect(priced.json().costPriced).toBe(true);
    expect(priced.json().costUsd).toBeGreaterThan(0);
  });
});
