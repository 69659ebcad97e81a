import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FakeProvider, startFakeProvider } from '../../src/llm/fake-provider/index.ts';
import { apiClient, parseEventStream } from '../executions/execution-test-kit.ts';
import { createWorkspaceFixture, headersFor, type WorkspaceFixture } from '../support/identity-fixture.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';
import { workflowClient } from './workflow-kit.ts';

const patchOutput = {
  type: 'object',
  properties: { patch: { type: 'string' }, confidence: { type: 'number' } },
  required: ['patch', 'confidence'],
  additionalProperties: false,
};

interface Approval {
  id: string;
  runId: string;
  stepId: string;
  status: string;
  reason: string;
  output: unknown;
  revision: number;
  estimateUsd: number | null;
  decidedBy: string | null;
}

describe('approval gates', () => {
  let testApp: TestApp;
  let fake: FakeProvider;
  let fixture: WorkspaceFixture;
  let api: ReturnType<typeof apiClient>;
  let flows: ReturnType<typeof workflowClient>;
  let scanSlug: string;
  let patcherSlug: string;
  let notifySlug: string;

  beforeAll(async () => {
    testApp = await createTestApp({ workflows: { workers: 4 } });
    fake = await startFakeProvider();
    fixture = await createWorkspaceFixture(testApp.services, 'approvals');
    api = apiClient(testApp, fixture);
    flows = workflowClient(testApp.app, fixture);
    await api.addFakeKey(fake);
    scanSlug = (
      await api.createAgent({
        name: 'Scanner',
        provider: 'openai',
        model: 'gpt-4o-mini',
        promptTemplate: 'Scan {{ input.repo }}',
        outputSchema: {
          type: 'object',
          properties: { findings: { type: 'integer' } },
          required: ['findings'],
          additionalProperties: false,
        },
      })
    ).slug;
    patcherSlug = (
      await api.createAgent({
        name: 'Patcher',
        provider: 'openai',
        model: 'gpt-4o-mini',
        promptTemplate: 'Patch {{ input.findings }} findings',
        outputSchema: patchOutput,
        approval: 'required',
        artifactType: 'patch_proposal',
      })
    ).slug;
    notifySlug = (
      await api.createAgent({
        name: 'Notifier',
        provider: 'openai',
        model: 'gpt-4o-mini',
        promptTemplate: 'Announce patch: {{ input.patch }}',
      })
    ).slug;
  });
  afterAll(async () => {
    await testApp.close();
    await fake.close();
  });
  beforeEach(() => fake.reset());

  const pendingOf = async (runId: string) => {
    const run = await flows.waitForRun(runId, ['waiting_approval', 'failed', 'completed']);
    expect(run.status).toBe('waiting_approval');
    const list = (await flows.request('GET', `/approvals?status=pending&runId=${runId}`)).json();
    expect(list.items).toHaveLength(1);
    return list.items[0] as Approval;
  };

  async function patchWorkflow(name: string) {
    return flows.createWorkflow({
      name,
      steps: [
        { id: 'scan', agent: scanSlug, input: { repo: '{{ run.input.repo }}' } },
        { id: 'patch', agent: patcherSlug, input: { findings: '{{ scan.output.findings }}' } },
        { id: 'notify', agent: notifySlug, input: { patch: '{{ patch.output.patch }}' } },
      ],
    });
  }

  it('waits before the patch is used, then completes on approve with the edited output downstream', async () => {
    const workflow = await patchWorkflow('Scan patch notify');
    const started = await flows.startRun(workflow.id, { input: { repo: 'acme/api' } });
    const approval = await pendingOf(started.id);
    expect(approval).toMatchObject({ stepId: 'patch', reason: 'required', status: 'pending' });
    expect(fake.calls).toHaveLength(2);

    const detail = (await flows.request('GET', `/approvals/${approval.id}`)).json();
    expect(detail.stepInput).toEqual({ findings: expect.any(Number) });
    expect(Object.keys(detail.earlierOutputs)).toEqual(['scan']);
    expect(detail.artifact).toMatchObject({ type: 'patch_proposal', version: 1, content: approval.output });

    const invalid = await flows.request('POST', `/approvals/${approval.id}/approve`, {
      output: { patch: 1 },
    });
    expect(invalid.statusCode).toBe(400);
    expect(invalid.json().error.code).toBe('output_invalid');

    const edited = { patch: 'use parameterised queries', confidence: 0.99 };
    const approved = await flows.request('POST', `/approvals/${approval.id}/approve`, {
      comment: 'tightened',
      output: edited,
    });
    expect(approved.statusCode).toBe(200);
    expect(approved.json()).toMatchObject({ status: 'approved', comment: 'tightened', editedOutput: edited });
    const run = await flows.waitForRun(started.id);
    expect(run.status).toBe('completed');
    expect(run.steps.find((step) => step.stepId === 'patch')?.output).toEqual(edited);
    expect(run.steps.find((step) => step.stepId === 'notify')?.input).toEqual({ patch: edited.patch });
    const notifyPrompt = JSON.stringify(fake.calls.at(-1)?.body);
    expect(notifyPrompt).toContain('Announce patch: use parameterised queries');

    const artifacts = (await flows.request('GET', `/runs/${started.id}/artifacts`)).json().items as Array<{
      stepId: string;
      version: number;
      source: string;
    }>;
    expect(
      artifacts.filter((artifact) => artifact.stepId === 'patch').map((artifact) => artifact.source),
    ).toEqual(['step', 'edit']);
    const events = parseEventStream((await flows.request('GET', `/runs/${started.id}/events`)).body).map(
      (event) => event.event,
    );
    expect(events).toEqual(expect.arrayContaining(['approval-request', 'approval-end', 'run-end']));
    expect(events.indexOf('approval-request')).toBeLessThan(events.indexOf('approval-end'));
  });

  it('fails the run on reject and skips what comes after', async () => {
    const workflow = await patchWorkflow('Rejected patch');
    const started = await flows.startRun(workflow.id, { input: { repo: 'r' } });
    const approval = await pendingOf(started.id);
    const rejected = await flows.request('POST', `/approvals/${approval.id}/reject`, {
      feedback: 'too risky',
    });
    expect(rejected.statusCode).toBe(200);
    const run = await flows.waitForRun(started.id);
    expect(run.status).toBe('failed');
    expect(run.steps.map((step) => step.status)).toEqual(['completed', 'failed', 'skipped']);
    expect(run.steps[1]?.error?.message).toContain('too risky');
    expect(fake.calls).toHaveLength(2);
    const again = await flows.request('POST', `/approvals/${approval.id}/approve`, {});
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe('approval_decided');
    expect(again.json().error.details.decidedBy).toBe(fixture.users.owner);
  });

  it('sends the feedback to the provider on a revision and asks again, at most three times', async () => {
    const workflow = await patchWorkflow('Revised patch');
    const started = await flows.startRun(workflow.id, { input: { repo: 'r' } });
    let approval = await pendingOf(started.id);
    for (let revision = 1; revision <= 3; revision++) {
      const sent = await flows.request('POST', `/approvals/${approval.id}/request-revision`, {
        feedback: `round ${revision}: handle the null case`,
      });
      expect(sent.statusCode).toBe(200);
      const next = await waitForNewPending(started.id, approval.id);
      expect(next.revision).toBe(revision);
      const prompt = JSON.stringify(fake.calls.at(-1)?.body);
      expect(prompt).toContain(`round ${revision}: handle the null case`);
      approval = next;
    }
    const exhausted = await flows.request('POST', `/approvals/${approval.id}/request-revision`, {
      feedback: 'again',
    });
    expect(exhausted.statusCode).toBe(409);
    expect(exhausted.json().error.code).toBe('revisions_exhausted');
    await flows.request('POST', `/approvals/${approval.id}/approve`, {});
    expect((await flows.waitForRun(started.id)).status).toBe('completed');
    const versions = (await flows.request('GET', `/runs/${started.id}/artifacts`))
      .json()
      .items.filter((artifact: { stepId: string }) => artifact.stepId === 'patch');
    expect(versions.map((artifact: { version: number }) => artifact.version)).toEqual([1, 2, 3, 4]);
  });

  async function waitForNewPending(runId: string, previousId: string): Promise<Approval> {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const items = (await flows.request('GET', `/approvals?status=pending&runId=${runId}`)).json()
        .items as Approval[];
      const fresh = items.find((item) => item.id !== previousId);
      if (fresh) return fresh;
      if (Date.now() > deadline) throw new Error('no new approval');
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  it('lets exactly one of 50 concurrent decisions win', async () => {
    const workflow = await patchWorkflow('Raced patch');
    const started = await flows.startRun(workflow.id, { input: { repo: 'r' } });
    const approval = await pendingOf(started.id);
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, index) =>
        flows.request(
          'POST',
          `/approvals/${approval.id}/${index % 2 === 0 ? 'approve' : 'reject'}`,
          index % 2 === 0 ? {} : { feedback: 'no' },
        ),
      ),
    );
    expect(answers.filter((answer) => answer.statusCode === 200)).toHaveLength(1);
    expect(answers.filter((answer) => answer.statusCode === 409)).toHaveLength(49);
    const run = await flows.waitForRun(started.id);
    expect(['completed', 'failed']).toContain(run.status);
  });

  it('follows the strategies: final_only, auto_approve_low_risk on both sides, and a step that says never', async () => {
    const finalOnly = await flows.createWorkflow({
      name: 'Final only',
      approvalStrategy: 'final_only',
      steps: [
        { id: 'scan', agent: scanSlug, input: { repo: 'r' } },
        { id: 'notify', agent: notifySlug, input: { patch: 'x {{ scan.output.findings }}' } },
      ],
    });
    const finalRun = await flows.startRun(finalOnly.id, { input: {}, mode: 'mock' });
    expect((await pendingOf(finalRun.id)).stepId).toBe('notify');

    const lowRisk = await flows.createWorkflow({
      name: 'Low risk',
      approvalStrategy: 'auto_approve_low_risk',
      riskRule: { path: 'confidence', below: 0.8 },
      steps: [{ id: 'patch', agent: patcherSlug, input: { findings: 2 }, approval: 'never' }],
    });
    // approval: never on the step beats the patcher's own default.
    const neverRun = await flows.waitForRun(
      (await flows.startRun(lowRisk.id, { input: {}, mode: 'mock' })).id,
    );
    expect(neverRun.status).toBe('completed');

    const scored = await api.createAgent({
      name: 'Scored',
      provider: 'openai',
      model: 'gpt-4o-mini',
      outputSchema: patchOutput,
    });
    const judged = await flows.createWorkflow({
      name: 'Judged',
      approvalStrategy: 'auto_approve_low_risk',
      riskRule: { path: 'confidence', above: -1 },
      steps: [{ id: 'patch', agent: scored.slug, input: {} }],
    });
    const risky = await flows.startRun(judged.id, { input: {}, mode: 'mock' });
    expect((await pendingOf(risky.id)).reason).toBe('risk');
    await flows.request('PATCH', `/workflows/${judged.id}`, {
      riskRule: { path: 'confidence', above: 1e12 },
    });
    const safe = await flows.waitForRun((await flows.startRun(judged.id, { input: {}, mode: 'mock' })).id);
    expect(safe.status).toBe('completed');
  });

  it('keeps viewers from deciding, and runs a work session with its artifact', async () => {
    const session = await flows.request('POST', `/agents/${patcherSlug}/runs`, {
      input: { findings: 3 },
      mode: 'mock',
    });
    expect(session.statusCode).toBe(202);
    const approval = await pendingOf(session.json().id);
    const viewer = await testApp.app.inject({
      method: 'POST',
      url: `/api/workspaces/${fixture.workspaceId}/approvals/${approval.id}/approve`,
      headers: headersFor(fixture.tokens.viewer),
      payload: {},
    });
    expect(viewer.statusCode).toBe(403);
    const member = await testApp.app.inject({
      method: 'POST',
      url: `/api/workspaces/${fixture.workspaceId}/approvals/${approval.id}/approve`,
      headers: headersFor(fixture.tokens.member),
      payload: {},
    });
    expect(member.statusCode).toBe(200);
    const run = await flows.waitForRun(session.json().id);

    // A workspace can keep approvals to owners and admins.
    const owner = {
      workspaceId: fixture.workspaceId,
      role: 'owner' as const,
      userId: fixture.users.owner,
      tokenId: null,
    };
    await testApp.services.workspaces.update(owner, { settings: { approverRoles: ['admin'] } });
    const restricted = await flows.request('POST', `/agents/${patcherSlug}/runs`, {
      input: { findings: 1 },
      mode: 'mock',
    });
    const gated = await pendingOf(restricted.json().id);
    const refused = await testApp.app.inject({
      method: 'POST',
      url: `/api/workspaces/${fixture.workspaceId}/approvals/${gated.id}/approve`,
      headers: headersFor(fixture.tokens.member),
      payload: {},
    });
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error.code).toBe('approval_role_not_allowed');
    const admin = await testApp.app.inject({
      method: 'POST',
      url: `/api/workspaces/${fixture.workspaceId}/approvals/${gated.id}/approve`,
      headers: headersFor(fixture.tokens.admin),
      payload: {},
    });
    expect(admin.statusCode).toBe(200);
    await testApp.services.workspaces.update(owner, { settings: { approverRoles: ['admin', 'member'] } });
    expect(run.status).toBe('completed');
    expect(run.steps[0]?.input).toEqual({ findings: 3 });
    const artifacts = (await flows.request('GET', `/runs/${run.id}/artifacts`)).json().items;
    expect(artifacts[0]).toMatchObject({ type: 'patch_proposal', stepId: 'task' });
    const artifact = (await flows.request('GET', `/artifacts/${artifacts[0].id}`)).json();
    expect(artifact.versions).toHaveLength(1);
    // The session's workflow is not one of the user's workflows.
    const listed = (await flows.request('GET', '/workflows')).json().items as Array<{ slug: string }>;
    expect(listed.some((item) => item.slug.startsWith('session-'))).toBe(false);
  });

  it('pauses a run whose next step would pass the cost cap, and continues when approved', async () => {
    const workflow = await flows.createWorkflow({
      name: 'Capped',
      costCapUsd: 0.0000001,
      steps: [
        { id: 'scan', agent: scanSlug, input: { repo: 'r' } },
        { id: 'notify', agent: notifySlug, input: { patch: 'n {{ scan.output.findings }}' } },
      ],
    });
    const started = await flows.startRun(workflow.id, { input: {} });
    const approval = await pendingOf(started.id);
    expect(approval).toMatchObject({ stepId: 'scan', reason: 'cost_cap' });
    expect(fake.calls).toHaveLength(0);
    expect(approval.estimateUsd).toBeGreaterThan(0);
    // Approving raises the run's cap by the step's estimate; any later step that would pass it asks again.
    let pending: Approval | undefined = approval;
    let approvals = 0;
    while (pending) {
      expect((await flows.request('POST', `/approvals/${pending.id}/approve`, {})).statusCode).toBe(200);
      approvals++;
      const run = await flows.waitForRun(started.id, ['waiting_approval', 'completed', 'failed']);
      pending =
        run.status === 'waiting_approval'
          ? ((await flows.request('GET', `/approvals?status=pending&runId=${started.id}`)).json()
              .items[0] as Approval)
          : undefined;
    }
    const run = await flows.waitForRun(started.id);
    expect(run.status).toBe('completed');
    expect(approvals).toBeGreaterThanOrEqual(1);
    expect(fake.calls).toHaveLength(2);
    // Committed spend never passes the cap plus what was approved.
    expect(run.costUsd).toBeLessThanOrEqual((run as unknown as { costCapUsd: number }).costCapUsd);
  });
});
