import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient } from '../executions/execution-test-kit.ts';
import { createWorkspaceFixture, headersFor, type WorkspaceFixture } from '../support/identity-fixture.ts';
import { storeTargets } from '../support/store-targets.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';
import { workflowClient } from '../workflows/workflow-kit.ts';

interface Overview {
  agents: number;
  providerKeys: number;
  workflows: number;
  members: number;
  executions: number;
  runsSince: number;
  failedRunsSince: number;
  runsSinceAt: string;
  pendingApprovals: number;
  spend: { periodStart: string; spentUsd: number; reservedUsd: number; limitUsd: number | null };
}

// The dashboard's counts are SQL over several tables: the same answers on both stores.
describe.each(storeTargets)('workspace overview on $name', (target) => {
  let testApp: TestApp;
  let dispose: () => Promise<void>;
  let fixture: WorkspaceFixture;
  let other: WorkspaceFixture;
  let api: ReturnType<typeof apiClient>;
  let flows: ReturnType<typeof workflowClient>;

  const overview = async (of: WorkspaceFixture = fixture) => {
    const response = await testApp.app.inject({
      method: 'GET',
      url: `/api/workspaces/${of.workspaceId}/overview`,
      headers: headersFor(of.sessions.viewer),
    });
    expect(response.statusCode).toBe(200);
    return response.json() as Overview;
  };

  beforeAll(async () => {
    const opened = await target.open();
    dispose = opened.dispose;
    testApp = await createTestApp({ store: opened.store, workflows: { workers: 1 } });
    fixture = await createWorkspaceFixture(testApp.services, 'overview');
    other = await createWorkspaceFixture(testApp.services, 'overview-other');
    api = apiClient(testApp, fixture);
    flows = workflowClient(testApp.app, fixture);
  }, 60_000);
  afterAll(async () => {
    await testApp?.close();
    await dispose?.();
  });

  it('counts what the workspace holds, its runs of the last seven days, pending approvals and spend', async () => {
    // The fixture: four members (one per role) plus a target member, a provider key, an agent and one execution.
    const before = await overview();
    expect(before).toMatchObject({
      agents: 1,
      providerKeys: 1,
      workflows: 0,
      members: 5,
      executions: 1,
      runsSince: 0,
      failedRunsSince: 0,
      pendingApprovals: 0,
      spend: { spentUsd: 0, reservedUsd: 0, limitUsd: null },
    });
    expect(Date.now() - Date.parse(before.runsSinceAt)).toBeGreaterThan(7 * 24 * 3_600_000 - 60_000);

    const agent = await api.createAgent({
      name: 'Patcher',
      provider: 'mock',
      model: 'mock-1',
      outputSchema: {
        type: 'object',
        properties: { patch: { type: 'string' } },
        required: ['patch'],
        additionalProperties: false,
      },
    });
    const workflow = await flows.createWorkflow({
      name: 'Patch with review',
      approvalStrategy: 'checkpoint_required',
      steps: [{ id: 'patch', agent: agent.slug, input: {} }],
    });
    const waiting = await flows.startRun(workflow.id, { input: {}, mode: 'mock' });
    await flows.waitForRun(waiting.id, ['waiting_approval']);
    const rejected = await flows.startRun(workflow.id, { input: {}, mode: 'mock' });
    await flows.waitForRun(rejected.id, ['waiting_approval']);
    const approvals = (await api.get(`/approvals?status=pending&runId=${rejected.id}`)).json() as {
      items: Array<{ id: string }>;
    };
    const decision = await api.post(`/approvals/${approvals.items[0]?.id}/reject`, {
      feedback: 'not this one',
    });
    expect(decision.statusCode).toBe(200);
    await flows.waitForRun(rejected.id, ['failed']);
    // A work session counts as a run, but its hidden workflow is not one of the user's workflows.
    const session = await api.post(`/agents/${agent.id}/runs`, {
      input: {},
      mode: 'mock',
      approvalStrategy: 'none',
    });
    expect(session.statusCode).toBe(202);
    await flows.waitForRun((session.json() as { id: string }).id, ['completed']);
    await api.patch('', { settings: { monthlyBudgetUsd: 25.5 } });

    const after = await overview();
    expect(after).toMatchObject({
      agents: 2,
      providerKeys: 1,
      workflows: 1,
      members: 5,
      runsSince: 3,
      failedRunsSince: 1,
      pendingApprovals: 1,
      spend: { spentUsd: 0, limitUsd: 25.5 },
    });
    // Each step ran one (mock) execution.
    expect(after.executions).toBe(1 + 3);

    // Another workspace sees none of it.
    expect(await overview(other)).toMatchObject({
      agents: 1,
      workflows: 0,
      runsSince: 0,
      pendingApprovals: 0,
    });
  });

  it('answers 404 for a workspace the caller is not in', async () => {
    const response = await testApp.app.inject({
      method: 'GET',
      url: `/api/workspaces/${other.workspaceId}/overview`,
      headers: headersFor(fixture.sessions.owner),
    });
    expect(response.statusCode).toBe(404);
  });
});
