import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeProvider, startFakeProvider } from '../../src/llm/fake-provider/index.ts';
import { markInterruptedExecutions } from '../../src/services/executions/execution-recovery.ts';
import { createWorkspaceFixture } from '../support/identity-fixture.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';
import { apiClient } from './execution-test-kit.ts';

async function until(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('an idempotent retry of an interrupted execution', () => {
  let fake: FakeProvider;
  let testApp: TestApp;
  beforeAll(async () => {
    fake = await startFakeProvider();
    testApp = await createTestApp();
  });
  afterAll(async () => {
    await testApp.close();
    await fake.close();
  });

  it('answers 409 interrupted with the original id, and runs again under a new key', async () => {
    const fixture = await createWorkspaceFixture(testApp.services, 'interrupted-retry');
    const api = apiClient(testApp, fixture);
    await api.addFakeKey(fake);
    const agent = await api.createAgent({ name: 'Cut off', provider: 'openai', model: 'gpt-4o-mini' });
    const body = { input: { topic: 'crash' } };

    // The first request's process "dies" mid-call: its row is left running, then swept as interrupted.
    fake.script([{ fault: 'hang', ms: 1_500 }]);
    const first = api.post(`/agents/${agent.id}/executions`, body, { 'idempotency-key': 'key-before-crash' });
    await until(() => fake.calls.length === 1);
    expect(await markInterruptedExecutions(testApp.store, { atStart: true })).toBe(1);
    const [interrupted] = (await api.get('/executions?status=failed')).json().items;
    expect(interrupted.error.code).toBe('interrupted');
    await first;

    const retried = await api.post(`/agents/${agent.id}/executions`, body, {
      'idempotency-key': 'key-before-crash',
    });
    expect(retried.statusCode).toBe(409);
    expect(retried.json().error).toMatchObject({
      code: 'interrupted',
      details: { executionId: interrupted.id },
    });
    expect(retried.json().error.message).toContain('new Idempotency-Key');
    expect(retried.headers['retry-after']).toBeUndefined();

    const again = await api.post(`/agents/${agent.id}/executions`, body, {
      'idempotency-key': 'key-after-crash',
    });
    expect(again.statusCode).toBe(201);
    expect(again.json()).toMatchObject({ status: 'completed' });
    expect(again.json().id).not.toBe(interrupted.id);
  }, 30_000);
});
