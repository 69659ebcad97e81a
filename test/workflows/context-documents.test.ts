import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeProvider, startFakeProvider } from '../../src/llm/fake-provider/index.ts';
import { apiClient } from '../executions/execution-test-kit.ts';
import { createWorkspaceFixture, type WorkspaceFixture } from '../support/identity-fixture.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';
import { workflowClient } from './workflow-kit.ts';

describe('context documents handed to agents', () => {
  let testApp: TestApp;
  let fake: FakeProvider;
  let fixture: WorkspaceFixture;
  let api: ReturnType<typeof apiClient>;
  let flows: ReturnType<typeof workflowClient>;

  beforeAll(async () => {
    testApp = await createTestApp({ workflows: { workers: 2 } });
    fake = await startFakeProvider();
    fixture = await createWorkspaceFixture(testApp.services, 'context-documents');
    api = apiClient(testApp, fixture);
    flows = workflowClient(testApp.app, fixture);
    await api.addFakeKey(fake);
  });
  afterAll(async () => {
    await testApp.close();
    await fake.close();
  });

  it('versions documents, pins the version a run asks for, and puts its text in the prompt', async () => {
    const created = await api.post('/context-documents', {
      name: 'style_guide',
      content: 'Write in short sentences.',
    });
    expect(created.statusCode).toBe(201);
    expect(created.json().version).toBe(1);
    const updated = await api.request('PUT' as 'PATCH', '/context-documents/style_guide', {
      content: 'Use bullet points.',
    });
    expect(updated.json().version).toBe(2);
    const taken = await api.post('/context-documents', { name: 'style_guide', content: 'x' });
    expect(taken.statusCode).toBe(409);

    const writer = await api.createAgent({
      name: 'Writer',
      provider: 'openai',
      model: 'gpt-4o-mini',
      promptTemplate: 'Guide: {{ context.style_guide }}\nTopic: {{ input.topic }}',
    });
    const pinned = await flows.request('POST', `/agents/${writer.slug}/runs`, {
      input: { topic: 'tides' },
      approvalStrategy: 'none',
      context: [{ documentId: 'style_guide', version: 1 }],
    });
    expect(pinned.statusCode).toBe(202);
    const run = await flows.waitForRun(pinned.json().id);
    expect(run.status).toBe('completed');
    expect((run as unknown as { context: unknown }).context).toEqual([
      { documentId: created.json().id, name: 'style_guide', version: 1 },
    ]);
    const prompt = JSON.stringify((fake.calls.at(-1)?.body as { messages: unknown } | undefined)?.messages);
    expect(prompt).toContain('Write in short sentences.');
    expect(prompt).not.toContain('Use bullet points.');

    const latest = await flows.request('POST', `/agents/${writer.slug}/runs`, {
      input: { topic: 'waves' },
      approvalStrategy: 'none',
      context: [{ documentId: created.json().id }],
    });
    await flows.waitForRun(latest.json().id);
    expect(JSON.stringify(fake.calls.at(-1)?.body)).toContain('Use bullet points.');
  });

  it('refuses unknown documents and versions naming the field, and a prompt missing its document', async () => {
    const writer = await api.createAgent({
      name: 'Needs context',
      provider: 'mock',
      model: 'mock-model',
      promptTemplate: '{{ context.brief }} {{ input }}',
    });
    const unknown = await flows.request('POST', `/agents/${writer.slug}/runs`, {
      input: 'x',
      mode: 'mock',
      context: [{ documentId: 'nope' }],
    });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().error).toMatchObject({
      code: 'context_document_not_found',
      details: { field: 'context[0].documentId' },
    });
    await api.post('/context-documents', { name: 'brief', content: 'b' });
    const badVersion = await flows.request('POST', `/agents/${writer.slug}/runs`, {
      input: 'x',
      mode: 'mock',
      context: [{ documentId: 'brief', version: 7 }],
    });
    expect(badVersion.json().error).toMatchObject({
      code: 'context_version_not_found',
      details: { field: 'context[0].version' },
    });
    // Run directly, without a context list, the template cannot be filled: a clear 400, nothing recorded.
    const direct = await api.post(`/agents/${writer.id}/executions`, { input: 'x', mode: 'mock' });
    expect(direct.statusCode).toBe(400);
    expect(direct.json().error.code).toBe('context_document_missing');
  });
});
