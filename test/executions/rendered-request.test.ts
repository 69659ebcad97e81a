import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FakeProvider, startFakeProvider } from '../../src/llm/fake-provider/index.ts';
import { clearExecutionContentPastRetention } from '../../src/services/executions/execution-recovery.ts';
import { createWorkspaceFixture } from '../support/identity-fixture.ts';
import { storeTargets } from '../support/store-targets.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';
import { apiClient } from './execution-test-kit.ts';

const outputSchema = {
  type: 'object',
  properties: { reasoning: { type: 'string' }, answer: { type: 'string' } },
  required: ['reasoning', 'answer'],
  additionalProperties: false,
};
const apiKey = 'sk-canary-rendered-request-0042';

/** "See what was sent" (issue 17): the rendered request, the privacy switch and the retention sweep. */
describe.each(storeTargets)('the request as sent, on $name', (target) => {
  let testApp: TestApp;
  let fake: FakeProvider;
  let dispose: () => Promise<void>;

  beforeAll(async () => {
    const opened = await target.open();
    dispose = opened.dispose;
    testApp = await createTestApp({ store: opened.store });
    fake = await startFakeProvider();
  });
  afterAll(async () => {
    await testApp.app.close();
    await dispose();
    await fake.close();
  });
  beforeEach(() => fake.reset());

  async function workspaceWithAgent(name: string) {
    const fixture = await createWorkspaceFixture(testApp.services, name);
    const api = apiClient(testApp, fixture);
    await api.addFakeKey(fake, 'openai', apiKey);
    const agent = await api.createAgent({
      name: 'Explainer',
      provider: 'openai',
      model: 'gpt-4o-mini',
      systemPrompt: 'You explain things to new engineers.',
      promptTemplate: 'Explain {{ input.topic }}.',
      temperature: 0.3,
      maxTokens: 300,
      outputSchema,
    });
    const run = async () => {
      const response = await api.post(`/agents/${agent.id}/executions`, {
        input: { topic: 'queues', audience: 'new engineers' },
      });
      expect(response.statusCode).toBe(201);
      return response.json();
    };
    return { fixture, api, run };
  }

  it('stores the rendered request with the execution, in the order sent and without the key', async () => {
    const { api, run } = await workspaceWithAgent('rendered');
    const execution = await run();
    expect(execution.request).toEqual({
      provider: 'openai',
      model: 'gpt-4o-mini',
      system: 'You explain things to new engineers.',
      messages: [{ role: 'user', content: 'Explain queues.' }],
      temperature: 0.3,
      maxOutputTokens: 300,
      outputSchema,
      outputName: expect.any(String),
    });
    expect(Object.keys(execution.request.outputSchema.properties)).toEqual(['reasoning', 'answer']);
    // It is what the provider got.
    const sent = JSON.stringify(fake.calls[0]?.body);
    expect(sent).toContain('You explain things to new engineers.');
    expect(sent).toContain('Explain queues.');
    const stored = (await api.get(`/executions/${execution.id}`)).json();
    expect(stored.request).toEqual(execution.request);
    expect(JSON.stringify(stored)).not.toContain(apiKey);
  });

  it('keeps no rendered request when the workspace turns content storage off', async () => {
    const { api, run } = await workspaceWithAgent('private');
    const patched = await api.patch('', { settings: { storeExecutionContent: false } });
    expect(patched.statusCode).toBe(200);
    expect(patched.json().settings.storeExecutionContent).toBe(false);
    const execution = await run();
    expect(execution.status).toBe('completed');
    expect(execution.request).toBeNull();
    // The validated output stays: workflow steps and idempotent replays read it.
    expect(execution.output).toMatchObject({ answer: expect.any(String) });
  });

  it('clears execution bodies past the retention period and keeps their metadata', async () => {
    const kept = await workspaceWithAgent('keeps-forever');
    const expiring = await workspaceWithAgent('retention');
    await expiring.api.patch('', { settings: { executionRetentionDays: 1 } });
    const old = await expiring.run();
    const forever = await kept.run();

    // A day later nothing is old enough yet.
    const inADay = new Date(Date.now() + 23 * 3_600_000);
    expect(await clearExecutionContentPastRetention(testApp.store, { now: inADay })).toBe(0);
    const twoDaysLater = new Date(Date.now() + 48 * 3_600_000);
    // The fixture's own mock execution in that workspace goes too; none of the other workspace's.
    expect(await clearExecutionContentPastRetention(testApp.store, { now: twoDaysLater })).toBe(2);

    const cleared = (await expiring.api.get(`/executions/${old.id}`)).json();
    expect(cleared).toMatchObject({
      id: old.id,
      status: 'completed',
      input: null,
      output: null,
      rawOutput: null,
      request: null,
      usage: old.usage,
      costUsd: old.costUsd,
    });
    const untouched = (await kept.api.get(`/executions/${forever.id}`)).json();
    expect(untouched.request).toEqual(forever.request);
    expect(untouched.input).toEqual({ topic: 'queues', audience: 'new engineers' });
    // Idempotent: the second sweep finds nothing left to clear.
    expect(await clearExecutionContentPastRetention(testApp.store, { now: twoDaysLater })).toBe(0);
  });
});
