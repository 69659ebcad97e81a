import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeProvider, startFakeProvider } from '../../src/llm/fake-provider/index.ts';
import { apiClient } from '../executions/execution-test-kit.ts';
import { createWorkspaceFixture, type WorkspaceFixture } from '../support/identity-fixture.ts';
import { storeTargets } from '../support/store-targets.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';
import { workflowClient } from '../workflows/workflow-kit.ts';

// Recordings are stored and read back the same way on both stores: key order kept, one row per
// exchange, workspace-scoped reads, a recorded run replayed through the queue.
describe.each(storeTargets)('recordings on $name', (target) => {
  let testApp: TestApp;
  let fake: FakeProvider;
  let fixture: WorkspaceFixture;
  let dispose: () => Promise<void>;

  beforeAll(async () => {
    const opened = await target.open();
    dispose = opened.dispose;
    testApp = await createTestApp({ store: opened.store, workflows: { workers: 2 } });
    fake = await startFakeProvider();
    fixture = await createWorkspaceFixture(testApp.services, `recordings-${target.name}`);
    await apiClient(testApp, fixture).addFakeKey(fake);
  });
  afterAll(async () => {
    await testApp.close();
    await fake.close();
    await dispose().catch(() => undefined);
  });

  it('keeps the request as written and replays a recorded run without the provider', async () => {
    const api = apiClient(testApp, fixture);
    const flows = workflowClient(testApp.app, fixture);
    // Properties in an order a sorted store (jsonb) would not keep.
    const outputSchema = {
      type: 'object',
      properties: { zeta: { type: 'string' }, alpha: { type: 'number' } },
      required: ['zeta', 'alpha'],
      additionalProperties: false,
    };
    const agent = await api.createAgent({
      name: `Ordered ${target.name}`,
      provider: 'openai',
      model: 'gpt-4o-mini',
      promptTemplate: 'Rate {{ input.repo }}',
      outputSchema,
    });
    const workflow = await flows.createWorkflow({
      name: `Ordered flow ${target.name}`,
      steps: [{ id: 'rate', agent: agent.slug, input: { repo: '{{ run.input.repo }}' } }],
    });
    const live = await flows.waitForRun(
      (await flows.startRun(workflow.id, { input: { repo: 'acme/api' }, record: true })).id,
    );
    expect(live.status).toBe('completed');
    const recordings = testApp.services.repositories.recordedExchanges;
    const rows = await recordings.listOfRunStep(fixture.workspaceId, live.id, 'rate');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ runId: live.id, stepId: 'rate', sequence: 0, kind: 'model' });
    const stored = rows[0]?.request as { outputSchema: { properties: Record<string, unknown> } };
    expect(Object.keys(stored.outputSchema.properties)).toEqual(['zeta', 'alpha']);
    expect(await recordings.runHasRecording(fixture.workspaceId, live.id)).toBe(true);
    expect(await recordings.runHasRecording('another-workspace', live.id)).toBe(false);
    expect(await recordings.listOfExecution('another-workspace', rows[0]?.executionId ?? '')).toEqual([]);

    const calls = fake.calls.length;
    const replay = await flows.waitForRun(
      (await flows.startRun(workflow.id, { mode: 'replay', replayOf: live.id })).id,
    );
    expect(replay.status).toBe('completed');
    expect(replay.output).toEqual(live.output);
    expect(Object.keys(replay.output as object)).toEqual(Object.keys(live.output as object));
    expect(fake.calls).toHaveLength(calls);
  });
});
