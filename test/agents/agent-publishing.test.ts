import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient } from '../executions/execution-test-kit.ts';
import { createWorkspaceFixture, type WorkspaceFixture } from '../support/identity-fixture.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';
import { workflowClient } from '../workflows/workflow-kit.ts';

/** Saving makes a draft; callers that name no version run the published one (issue 17). */
describe('drafts, published versions and labels', () => {
  let testApp: TestApp;
  let fixture: WorkspaceFixture;
  let api: ReturnType<typeof apiClient>;
  let flows: ReturnType<typeof workflowClient>;

  beforeAll(async () => {
    testApp = await createTestApp({ workflows: { workers: 2 } });
    fixture = await createWorkspaceFixture(testApp.services, 'publishing');
    api = apiClient(testApp, fixture);
    flows = workflowClient(testApp.app, fixture);
  });
  afterAll(() => testApp.close());

  const run = async (agentId: string, body: Record<string, unknown> = {}) =>
    api.post(`/agents/${agentId}/executions`, { input: { q: 'x' }, mode: 'mock', ...body });

  async function auditOf(agentId: string) {
    const events = (await api.get(`/audit-events?targetId=${agentId}`)).json().items as Array<{
      action: string;
      metadata: Record<string, unknown>;
    }>;
    return events.map((event) => [event.action, event.metadata.version, event.metadata.previousVersion]);
  }

  it('publishes version 1 on create, keeps later saves as drafts until published', async () => {
    const agent = await api.createAgent({ name: 'Drafted', provider: 'mock', model: 'm' });
    expect(agent).toMatchObject({ version: 1, publishedVersion: 1, labels: {} });

    const saved = (await api.patch(`/agents/${agent.id}`, { systemPrompt: 'two' })).json();
    expect(saved).toMatchObject({ version: 2, publishedVersion: 1, systemPrompt: 'two' });
    expect((await run(agent.id)).json().agentVersion).toBe(1);
    // The test panel names the draft it shows.
    expect((await run(agent.id, { versionId: saved.versionId })).json().agentVersion).toBe(2);
    expect((await run(agent.id, { version: 2 })).json().agentVersion).toBe(2);

    const published = await api.post(`/agents/${agent.id}/publish`, {});
    expect(published.statusCode).toBe(200);
    expect(published.json()).toMatchObject({
      version: 2,
      publishedVersion: 2,
      publishedVersionId: saved.versionId,
    });
    expect((await run(agent.id)).json().agentVersion).toBe(2);
    expect(await auditOf(agent.id)).toEqual([['agent.published', 2, 1]]);
  });

  it('rolls back to an earlier version, audited, and refuses a rollback that is not one', async () => {
    const agent = await api.createAgent({ name: 'Rolled', provider: 'mock', model: 'm' });
    await api.patch(`/agents/${agent.id}`, { systemPrompt: 'two', publish: true });
    await api.patch(`/agents/${agent.id}`, { systemPrompt: 'three', publish: true });
    const back = await api.post(`/agents/${agent.id}/rollback`, { version: 1 });
    expect(back.json()).toMatchObject({ version: 3, publishedVersion: 1 });
    expect((await run(agent.id)).json().agentVersion).toBe(1);

    const forward = await api.post(`/agents/${agent.id}/rollback`, { version: 2 });
    expect(forward.statusCode).toBe(400);
    expect(forward.json().error).toMatchObject({ code: 'rollback_not_older', details: { field: 'version' } });
    const missing = await api.post(`/agents/${agent.id}/publish`, { version: 9 });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().error.code).toBe('agent_version_not_found');

    expect(await auditOf(agent.id)).toEqual([
      ['agent.rolled_back', 1, 3],
      ['agent.published', 3, 2],
      ['agent.published', 2, 1],
    ]);
  });

  it('targets labels with versionLabel; production is the published version', async () => {
    const agent = await api.createAgent({ name: 'Labelled', provider: 'mock', model: 'm' });
    await api.patch(`/agents/${agent.id}`, { systemPrompt: 'two' });
    const labelled = await api.put(`/agents/${agent.id}/labels/staging`, { version: 2 });
    expect(labelled.json()).toMatchObject({ publishedVersion: 1, labels: { staging: 2 } });
    expect((await run(agent.id, { versionLabel: 'staging' })).json().agentVersion).toBe(2);
    expect((await run(agent.id, { versionLabel: 'production' })).json().agentVersion).toBe(1);

    const unknown = await run(agent.id, { versionLabel: 'canary' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.code).toBe('agent_label_not_found');
    const both = await run(agent.id, { versionLabel: 'staging', version: 1 });
    expect(both.statusCode).toBe(400);
    expect(both.json().error.code).toBe('version_selector_conflict');
    const invalid = await api.put(`/agents/${agent.id}/labels/Not%20Ok`, { version: 1 });
    expect(invalid.statusCode).toBe(400);
    expect(invalid.json().error.code).toBe('validation_failed');
    expect(invalid.json().error.message).toContain('lowercase letters');
    expect((await api.delete(`/agents/${agent.id}/labels/production`)).json().error.code).toBe(
      'label_reserved',
    );

    // Setting production publishes.
    expect(
      (await api.put(`/agents/${agent.id}/labels/production`, { version: 2 })).json().publishedVersion,
    ).toBe(2);
    const removed = await api.delete(`/agents/${agent.id}/labels/staging`);
    expect(removed.json().labels).toEqual({});
    expect(await auditOf(agent.id)).toEqual([
      ['agent.label_removed', undefined, 2],
      ['agent.published', 2, 1],
      ['agent.label_set', 2, null],
    ]);
  });

  it('keeps an agent created with publish: false out of reach of callers that name no version', async () => {
    const agent = await api.createAgent({
      name: 'Unpublished',
      provider: 'mock',
      model: 'm',
      publish: false,
    });
    expect(agent).toMatchObject({ version: 1, publishedVersion: null });
    const refused = await run(agent.id);
    expect(refused.statusCode).toBe(409);
    expect(refused.json().error.code).toBe('agent_not_published');
    expect((await run(agent.id, { version: 1 })).statusCode).toBe(201);

    const workflow = await flows.createWorkflow({
      name: 'Runs an unpublished agent',
      steps: [{ id: 'only', agent: agent.slug, input: { q: '{{ run.input.q }}' } }],
    });
    const start = await api.post(`/workflows/${workflow.id}/runs`, { input: { q: 'x' }, mode: 'mock' });
    expect(start.statusCode).toBe(422);
    expect(start.json().error).toMatchObject({
      code: 'workflow_agent_not_published',
      details: { stepId: 'only' },
    });
  });

  it('runs workflow steps on the published version, not the draft', async () => {
    const agent = await api.createAgent({ name: 'Stepped', provider: 'mock', model: 'm' });
    await api.patch(`/agents/${agent.id}`, { systemPrompt: 'draft' });
    const workflow = await flows.createWorkflow({
      name: 'Runs the published one',
      steps: [{ id: 'only', agent: agent.slug, input: { q: '{{ run.input.q }}' } }],
    });
    const finished = await flows.waitForRun(
      (await flows.startRun(workflow.id, { input: { q: 'x' }, mode: 'mock' })).id,
    );
    expect(finished.status).toBe('completed');
    const execution = (await api.get(`/executions/${finished.steps[0]?.executionId}`)).json();
    expect(execution.agentVersion).toBe(1);
  });
});
