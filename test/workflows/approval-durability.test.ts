import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/database.ts';
import { apiClient } from '../executions/execution-test-kit.ts';
import { createWorkspaceFixture } from '../support/identity-fixture.ts';
import { createTemporaryDatabase, type TemporaryDatabase } from '../support/postgres.ts';
import { createManualClock, createTestApp, type TestApp } from '../support/test-app.ts';
import { workflowClient } from './workflow-kit.ts';

const approverAgent = {
  name: 'Gatekeeper',
  provider: 'mock',
  model: 'mock-model',
  approval: 'required',
  outputSchema: { type: 'object', properties: { verdict: { type: 'string' } }, required: ['verdict'] },
};

describe('approvals survive a restart of the embedded process', () => {
  let folder: string;
  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'flightdeck-approvals-'));
  });
  afterAll(() => rm(folder, { recursive: true, force: true }));

  it('keeps waiting approvals pending across a restart, and deciding one resumes its run', async () => {
    const first = await createTestApp({
      store: await openStore({ dataDirectory: folder }),
      workflows: { workers: 2 },
    });
    const fixture = await createWorkspaceFixture(first.services, 'approval-restart');
    const agent = await apiClient(first, fixture).createAgent(approverAgent);
    const flows = workflowClient(first.app, fixture);
    const workflow = await flows.createWorkflow({
      name: 'Gate then go',
      steps: [
        { id: 'gate', agent: agent.slug, input: {} },
        { id: 'after', agent: agent.slug, input: {}, needs: ['gate'], approval: 'never' },
      ],
    });
    const runIds: string[] = [];
    for (let index = 0; index < 3; index++) {
      runIds.push((await flows.startRun(workflow.id, { input: {}, mode: 'mock' })).id);
    }
    for (const runId of runIds) await flows.waitForRun(runId, ['waiting_approval']);
    await first.close();

    const second = await createTestApp({
      store: await openStore({ dataDirectory: folder }),
      workflows: { workers: 2 },
    });
    try {
      const resumed = workflowClient(second.app, fixture);
      const pending = (await resumed.request('GET', '/approvals?status=pending')).json().items as Array<{
        id: string;
        runId: string;
      }>;
      expect(pending.map((approval) => approval.runId).sort()).toEqual([...runIds].sort());
      for (const approval of pending) {
        expect((await resumed.request('POST', `/approvals/${approval.id}/approve`, {})).statusCode).toBe(200);
      }
      for (const runId of runIds) {
        const run = await resumed.waitForRun(runId);
        expect(run.status).toBe('completed');
        expect(run.steps.map((step) => step.status)).toEqual(['completed', 'completed']);
      }
    } finally {
      await second.close();
    }
  }, 60_000);
});

describe('approval timeouts across three nodes on PostgreSQL', () => {
  let database: TemporaryDatabase;
  const nodes: TestApp[] = [];
  const clock = createManualClock(new Date());

  beforeAll(async () => {
    database = await createTemporaryDatabase();
    for (let index = 0; index < 3; index++) {
      const store = await openStore({ databaseUrl: database.url, poolSize: 3 });
      // Sweeps are driven by the test, all three nodes at once, on a clock it moves.
      nodes.push(
        await createTestApp({
          store,
          clock,
          workflows: { workers: index === 0 ? 2 : 0, scheduleIntervalMs: 3_600_000 },
        }),
      );
    }
  });
  afterAll(async () => {
    for (const node of nodes) await node.close();
    await database.drop();
  });

  it('decides an expired approval exactly once, as onTimeout says, and notifies once', async () => {
    const [first] = nodes;
    if (!first) throw new Error('no nodes');
    const fixture = await createWorkspaceFixture(first.services, 'approval-timeouts');
    const agent = await apiClient(first, fixture).createAgent(approverAgent);
    const flows = workflowClient(first.app, fixture);
    const workflow = await flows.createWorkflow({
      name: 'Timed gates',
      steps: [
        { id: 'strict', agent: agent.slug, input: {}, approvalTimeoutMinutes: 30 },
        {
          id: 'lenient',
          agent: agent.slug,
          input: {},
          approvalTimeoutMinutes: 30,
          onApprovalTimeout: 'approve',
        },
      ],
    });
    const lenientOnly = await flows.createWorkflow({
      name: 'Lenient gate',
      steps: [
        {
          id: 'lenient',
          agent: agent.slug,
          input: {},
          approvalTimeoutMinutes: 30,
          onApprovalTimeout: 'approve',
        },
      ],
    });
    const strictRun = await flows.startRun(workflow.id, { input: {}, mode: 'mock' });
    const lenientRun = await flows.startRun(lenientOnly.id, { input: {}, mode: 'mock' });
    await flows.waitForRun(strictRun.id, ['waiting_approval']);
    await flows.waitForRun(lenientRun.id, ['waiting_approval']);
    const sweepAll = async () =>
      (await Promise.all(nodes.map((node) => node.services.approvals.expireDue()))).reduce(
        (sum, n) => sum + n,
        0,
      );
    expect(await sweepAll()).toBe(0);

    clock.advance(31 * 60_000);
    expect(await sweepAll()).toBe(3);
    expect(await sweepAll()).toBe(0);

    expect((await flows.waitForRun(lenientRun.id)).status).toBe('completed');
    const strict = await flows.waitForRun(strictRun.id);
    expect(strict.status).toBe('failed');
    const decided = (await flows.request('GET', `/approvals?runId=${strictRun.id}`)).json().items as Array<{
      stepId: string;
      status: string;
      decidedBy: string | null;
    }>;
    expect(decided.find((approval) => approval.stepId === 'strict')).toMatchObject({
      status: 'rejected',
      decidedBy: null,
    });
    const notifications = (await flows.request('GET', '/notifications')).json().items as Array<{
      kind: string;
    }>;
    expect(notifications.filter((notice) => notice.kind === 'approval.timed_out')).toHaveLength(3);
    expect(
      notifications.filter((notice) => notice.kind === 'approval.requested').length,
    ).toBeGreaterThanOrEqual(3);
  }, 60_000);
});
