import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/database.ts';
import { createWorkspaceFixture } from '../support/identity-fixture.ts';
import { createTemporaryDatabase, postgresReachable, type TemporaryDatabase } from '../support/postgres.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';
import { workflowClient } from './workflow-kit.ts';

const reachable = await postgresReachable();

// Many steps of one run in flight at once take the run row together: they must neither deadlock
// (a deadlock hands the run back and claims steps again) nor claim any step twice.
describe.skipIf(!reachable)('a wide fan-out on PostgreSQL', () => {
  let database: TemporaryDatabase;
  let testApp: TestApp;
  beforeAll(async () => {
    database = await createTemporaryDatabase();
    testApp = await createTestApp({
      store: await openStore({ databaseUrl: database.url, poolSize: 10 }),
      workflows: { workers: 8 },
    });
  });
  afterAll(async () => {
    await testApp.close();
    await database.drop();
  });

  it('runs 40 parallel steps per run with every step claimed once', async () => {
    const fixture = await createWorkspaceFixture(testApp.services, 'fan-out');
    const access = {
      workspaceId: fixture.workspaceId,
      role: 'owner' as const,
      userId: fixture.users.owner,
      tokenId: null,
    };
    const agent = await testApp.services.agents.create(access, {
      name: 'Leaf',
      provider: 'mock',
      model: 'mock-model',
    });
    const leaves = Array.from({ length: 40 }, (_, index) => ({
      id: `leaf${index}`,
      agent: agent.slug,
      input: {},
      needs: ['root'],
    }));
    const flows = workflowClient(testApp.app, fixture);
    const workflow = await flows.createWorkflow({
      name: 'Fan out',
      steps: [
        { id: 'root', agent: agent.slug, input: {} },
        ...leaves,
        { id: 'join', agent: agent.slug, input: {}, needs: leaves.map((leaf) => leaf.id) },
      ],
    });
    const runIds: string[] = [];
    for (let index = 0; index < 3; index++) {
      runIds.push((await flows.startRun(workflow.id, { input: { index }, mode: 'mock' })).id);
    }
    for (const runId of runIds) {
      const run = await flows.waitForRun(runId, ['completed', 'failed', 'cancelled'], 60_000);
      expect(run.status).toBe('completed');
      expect(run.steps).toHaveLength(42);
      expect(run.steps.filter((step) => step.attempts !== 1).map((step) => step.stepId)).toEqual([]);
      const events = (await flows.request('GET', `/runs/${runId}/events`)).body;
      expect(events.match(/event: step-start/g)).toHaveLength(42);
    }
  }, 120_000);
});
