import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeProvider, startFakeProvider } from '../../src/llm/fake-provider/index.ts';
import { createWorkspaceFixture, type WorkspaceFixture } from '../support/identity-fixture.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';
import { apiClient } from './execution-test-kit.ts';

describe('workspace price overrides', () => {
  let testApp: TestApp;
  let fake: FakeProvider;
  let fixture: WorkspaceFixture;
  beforeAll(async () => {
    fake = await startFakeProvider();
    testApp = await createTestApp();
    fixture = await createWorkspaceFixture(testApp.services, 'prices');
  });
  afterAll(async () => {
    await testApp.close();
    await fake.close();
  });

  it('prices a model the catalog does not know, and budgets it', async () => {
    const api = apiClient(testApp, fixture);
    // The fixture already has a default openai-compatible key (a dead port); name ours.
    const key = await api.addFakeKey(fake, 'openai-compatible');
    const agent = await api.createAgent({
      name: 'Local',
      provider: 'openai-compatible',
      model: 'local-llama',
      providerKeyId: key.id,
      maxTokens: 100,
    });

    const unpriced = await api.post(`/agents/${agent.id}/executions`, { input: {}, mode: 'live' });
    expect(unpriced.statusCode, unpriced.body).toBe(201);
    expect(unpriced.json()).toMatchObject({ costUsd: null, costPriced: false });

    const settings = await api.patch('', {
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
    expect(settings.statusCode).toBe(200);
    expect(settings.json().settings.priceOverrides).toHaveLength(1);

    const priced = await api.post(`/agents/${agent.id}/executions`, { input: {}, mode: 'live' });
    const record = priced.json();
    expect(record.costPriced).toBe(true);
    const expected = (record.usage.inputTokens * 2 + record.usage.outputTokens * 6) / 1_000_000;
    expect(record.costUsd).toBeCloseTo(expected, 12);
    expect(record.costUsd).toBeGreaterThan(0);

    // Now that it has a price, the budget holds it back.
    await api.patch('', { settings: { monthlyBudgetUsd: 0.0000001 } });
    const refused = await api.post(`/agents/${agent.id}/executions`, { input: {}, mode: 'live' });
    expect(refused.statusCode).toBe(402);
  });

  it('refuses malformed overrides with the field named', async () => {
    const api = apiClient(testApp, fixture);
    const duplicate = await api.patch('', {
      settings: {
        priceOverrides: [
          { model: 'm', inputPerMillionUsd: 1, outputPerMillionUsd: 1 },
          { model: 'm', inputPerMillionUsd: 2, outputPerMillionUsd: 2 },
        ],
      },
    });
    expect(duplicate.statusCode).toBe(400);
    expect(duplicate.json().error.message).toContain('priceOverrides');
    const negative = await api.patch('', {
      settings: { priceOverrides: [{ model: 'm', inputPerMillionUsd: -1, outputPerMillionUsd: 1 }] },
    });
    expect(negative.statusCode).toBe(400);
  });
});
