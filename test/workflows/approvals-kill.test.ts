import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeyring } from '../../src/security/keyring.ts';
import { parseMasterKeys } from '../../src/security/keyring-master-keys.ts';
import { openStore } from '../../src/store/database.ts';
import { apiClient } from '../executions/execution-test-kit.ts';
import { runCli } from '../support/cli-process.ts';
import { createWorkspaceFixture } from '../support/identity-fixture.ts';
import { createTemporaryDatabase, postgresReachable, type TemporaryDatabase } from '../support/postgres.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';
import { workflowClient } from './workflow-kit.ts';

const reachable = await postgresReachable();

describe.skipIf(!reachable)('approvals across a killed worker (PostgreSQL)', () => {
  let database: TemporaryDatabase;
  let testApp: TestApp;
  // Shared with the worker processes, which refuse to start on secrets they cannot decrypt.
  const masterKey = randomBytes(32).toString('base64');

  beforeAll(async () => {
    database = await createTemporaryDatabase();
    // The API node only enqueues; a `flightdeck worker` process drives the runs.
    testApp = await createTestApp({
      store: await openStore({ databaseUrl: database.url, poolSize: 4 }),
      keyring: createKeyring(parseMasterKeys(masterKey)),
      workflows: { workers: 0 },
    });
  });
  afterAll(async () => {
    await testApp.close();
    await database.drop();
  });

  const startWorker = () =>
    runCli(['worker', '--concurrency', '4'], {
      DATABASE_URL: database.url,
      FLIGHTDECK_MASTER_KEY: masterKey,
      FLIGHTDECK_QUEUE_HEARTBEAT_SECONDS: '10',
      FLIGHTDECK_QUEUE_MONITOR_SECONDS: '1',
      FLIGHTDECK_METRICS_PORT: '0',
    });

  it('keeps approvals pending through kill -9 of the worker, and deciding them resumes the runs', async () => {
    const fixture = await createWorkspaceFixture(testApp.services, 'approvals-kill');
    const agent = await apiClient(testApp, fixture).createAgent({
      name: 'Gate',
      provider: 'mock',
      model: 'mock-model',
      approval: 'required',
    });
    const flows = workflowClient(testApp.app, fixture);
    const workflow = await flows.createWorkflow({
      name: 'Gate then go',
      steps: [
        { id: 'gate', agent: agent.slug, input: {} },
        { id: 'after', agent: agent.slug, input: {}, needs: ['gate'], approval: 'never' },
      ],
    });
    const worker = startWorker();
    await worker.waitFor('Flightdeck worker is running', 60_000);
    const runIds: string[] = [];
    for (let index = 0; index < 5; index++) {
      runIds.push((await flows.startRun(workflow.id, { input: { index }, mode: 'mock' })).id);
    }
    for (const runId of runIds) await flows.waitForRun(runId, ['waiting_approval'], 30_000);
    worker.child.kill('SIGKILL');
    await worker.exited;

    const pending = (await flows.request('GET', '/approvals?status=pending')).json().items as Array<{
      id: string;
    }>;
    expect(pending).toHaveLength(5);
    for (const approval of pending) {
      expect((await flows.request('POST', `/approvals/${approval.id}/approve`, {})).statusCode).toBe(200);
    }
    const restarted = startWorker();
    try {
      for (const runId of runIds) {
        const run = await flows.waitForRun(runId, ['completed', 'failed', 'cancelled'], 60_000);
        expect(run.status).toBe('completed');
        expect(run.steps.map((step) => step.attempts)).toEqual([1, 1]);
      }
    } finally {
      restarted.child.kill('SIGTERM');
      await restarted.exited;
    }
  }, 120_000);
});
