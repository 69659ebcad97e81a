import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeProvider, startFakeProvider } from '../../src/llm/fake-provider/index.ts';
import { deleteRecordingsPastRetention } from '../../src/services/executions/execution-recovery.ts';
import { apiClient } from '../executions/execution-test-kit.ts';
import { createWorkspaceFixture, type WorkspaceFixture } from '../support/identity-fixture.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';
import { workflowClient } from '../workflows/workflow-kit.ts';

/** Recordings hold prompts and answers: the workspace's content and retention settings govern them too. */
describe('recordings and the content settings', () => {
  let testApp: TestApp;
  let fake: FakeProvider;

  beforeAll(async () => {
    testApp = await createTestApp({ workflows: { workers: 1 } });
    fake = await startFakeProvider();
  });
  afterAll(async () => {
    await testApp.close();
    await fake.close();
  });

  async function workspace(label: string, settings: Record<string, unknown>) {
    const fixture: WorkspaceFixture = await createWorkspaceFixture(testApp.services, label);
    const api = apiClient(testApp, fixture);
    await api.addFakeKey(fake);
    expect((await api.request('PATCH', '', { settings })).statusCode).toBe(200);
    const agent = await api.createAgent({
      name: 'Echo',
      provider: 'openai',
      model: 'gpt-4o-mini',
      promptTemplate: 'Say {{ input.word }}',
    });
    return { fixture, api, agent };
  }

  it('records nothing where execution content is not kept, and says so when asked', async () => {
    const { fixture, api, agent } = await workspace('no-content', {
      storeExecutionContent: false,
      recordExecutions: true,
    });
    const asked = await api.post(`/agents/${agent.id}/executions`, { input: { word: 'hi' }, record: true });
    expect(asked.statusCode).toBe(409);
    expect(asked.json().error).toMatchObject({ code: 'recording_disabled', details: { field: 'record' } });
    const flows = workflowClient(testApp.app, fixture);
    const workflow = await flows.createWorkflow({
      name: 'Echo flow',
      steps: [{ id: 'echo', agent: agent.slug, input: { word: 'x' } }],
    });
    const run = await flows.request('POST', `/workflows/${workflow.id}/runs`, { input: {}, record: true });
    expect(run.statusCode).toBe(409);
    expect(run.json().error.code).toBe('recording_disabled');

    // The workspace's recordExecutions does not override it: the execution runs, unrecorded.
    const live = await api.post(`/agents/${agent.id}/executions`, { input: { word: 'hi' } });
    expect(live.statusCode).toBe(201);
    const rows = await testApp.services.repositories.recordedExchanges.listOfExecution(
      fixture.workspaceId,
      live.json().id,
    );
    expect(rows).toEqual([]);
  });

  it('deletes recordings past the workspace retention, and only those', async () => {
    const kept = await workspace('keeps-recordings', {});
    const expiring = await workspace('expiring-recordings', { executionRetentionDays: 1 });
    const record = async (entry: typeof kept) =>
      (
        await entry.api.post(`/agents/${entry.agent.id}/executions`, { input: { word: 'hi' }, record: true })
      ).json().id as string;
    const keptId = await record(kept);
    const expiringId = await record(expiring);
    const recordings = testApp.services.repositories.recordedExchanges;
    expect(await deleteRecordingsPastRetention(testApp.store)).toBe(0);
    const twoDaysOn = new Date(Date.now() + 2 * 24 * 60 * 60 * 1000);
    expect(await deleteRecordingsPastRetention(testApp.store, { now: twoDaysOn })).toBe(1);
    expect(await recordings.listOfExecution(expiring.fixture.workspaceId, expiringId)).toEqual([]);
    expect(await recordings.listOfExecution(kept.fixture.workspaceId, keptId)).toHaveLength(1);
    const replay = await expiring.api.post(`/agents/${expiring.agent.id}/executions`, {
      mode: 'replay',
      replayOf: expiringId,
    });
    expect(replay.statusCode).toBe(404);
    expect(replay.json().error.code).toBe('recording_not_found');
  });
});
