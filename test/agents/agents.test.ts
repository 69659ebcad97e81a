import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient } from '../executions/execution-test-kit.ts';
import { createWorkspaceFixture, type WorkspaceFixture } from '../support/identity-fixture.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

const inputSchema = {
  type: 'object',
  properties: {
    topic: { type: 'string' },
    audience: { type: 'object', properties: { level: { type: 'string' } } },
  },
  required: ['topic'],
  additionalProperties: false,
};

describe('agents', () => {
  let testApp: TestApp;
  let fixture: WorkspaceFixture;
  let api: ReturnType<typeof apiClient>;

  beforeAll(async () => {
    testApp = await createTestApp();
    fixture = await createWorkspaceFixture(testApp.services, 'agents');
    api = apiClient(testApp, fixture);
  });
  afterAll(() => testApp.close());

  it('creates an agent with defaults and reads it by id and by slug', async () => {
    const response = await api.post('/agents', {
      name: 'Release Notes Writer',
      provider: 'openai',
      model: 'gpt-4o-mini',
      tags: ['docs', 'docs', ' release '],
      inputSchema,
      promptTemplate: 'Write about {{ input.topic }} for {{ input.audience.level }}',
    });
    expect(response.statusCode).toBe(201);
    const agent = response.json();
    expect(agent).toMatchObject({
      slug: 'release-notes-writer',
      name: 'Release Notes Writer',
      description: '',
      tags: ['docs', 'release'],
      providerKeyId: null,
      temperature: null,
      maxTokens: null,
      outputSchema: null,
      retry: { maxAttempts: 3, baseDelayMs: 1000, maxDelayMs: 10000 },
      fallbacks: [],
      timeoutMs: 120000,
      version: 1,
    });
    expect((await api.get(`/agents/${agent.id}`)).json()).toEqual(agent);
    expect((await api.get('/agents/release-notes-writer')).json()).toEqual(agent);
  });

  it('makes a version per real change, with the changed fields, and none for a no-op', async () => {
    const agent = await api.createAgent({
      name: 'Versioned',
      provider: 'mock',
      model: 'm1',
      systemPrompt: 'one',
    });
    const same = await api.patch(`/agents/${agent.id}`, { systemPrompt: 'one', model: 'm1' });
    expect(same.json().version).toBe(1);
    const second = await api.patch(`/agents/${agent.id}`, { systemPrompt: 'two', temperature: 0.2 });
    expect(second.statusCode).toBe(200);
    expect(second.json()).toMatchObject({ version: 2, systemPrompt: 'two', temperature: 0.2 });
    const third = await api.patch(`/agents/${agent.slug}`, { retry: { maxAttempts: 1 }, temperature: null });
    expect(third.json()).toMatchObject({
      version: 3,
      temperature: null,
      retry: { maxAttempts: 1, baseDelayMs: 1000 },
    });

    const versions = (await api.get(`/agents/${agent.id}/versions`)).json();
    expect(versions.items.map((version: { number: number }) => version.number)).toEqual([3, 2, 1]);
    expect(versions.items[0].changedFields).toEqual(['temperature', 'retry']);
    expect(versions.items[1].changedFields).toEqual(['systemPrompt', 'temperature']);
    expect(versions.items[2]).toMatchObject({ changedFields: [], createdBy: fixture.users.owner });
    expect(versions.items[2].definition.systemPrompt).toBe('one');

    const firstPage = (await api.get(`/agents/${agent.id}/versions?limit=2`)).json();
    expect(firstPage.items).toHaveLength(2);
    const secondPage = (
      await api.get(`/agents/${agent.id}/versions?limit=2&cursor=${firstPage.nextCursor}`)
    ).json();
    expect(secondPage.items.map((version: { number: number }) => version.number)).toEqual([1]);
    expect(secondPage.nextCursor).toBeNull();
  });

  it('keeps slugs unique among live agents and frees them on delete', async () => {
    await api.createAgent({ name: 'Unique', provider: 'mock', model: 'm' });
    const clash = await api.post('/agents', { name: 'Other', slug: 'unique', provider: 'mock', model: 'm' });
    expect(clash.statusCode).toBe(409);
    expect(clash.json().error.code).toBe('agent_slug_taken');
    const other = await api.createAgent({ name: 'Other', provider: 'mock', model: 'm' });
    const rename = await api.patch(`/agents/${other.id}`, { slug: 'unique' });
    expect(rename.statusCode).toBe(409);
    expect(rename.json().error.code).toBe('agent_slug_taken');

    expect((await api.delete('/agents/unique')).statusCode).toBe(204);
    expect((await api.get('/agents/unique')).statusCode).toBe(404);
    expect((await api.delete('/agents/unique')).json().error.code).toBe('agent_not_found');
    expect((await api.patch(`/agents/${other.id}`, { slug: 'unique' })).json().slug).toBe('unique');
  });

  it('refuses invalid JSON Schemas, templates and server-controlled fields with clear codes', async () => {
    const base = { name: 'Bad', provider: 'mock', model: 'm' };
    const badSchema = await api.post('/agents', { ...base, outputSchema: { type: 'strnig' } });
    expect(badSchema.statusCode).toBe(400);
    expect(badSchema.json().error).toMatchObject({
      code: 'schema_invalid',
      details: { field: 'outputSchema' },
    });
    const badRef = await api.post('/agents', { ...base, inputSchema: { $ref: '#/$defs/missing' } });
    expect(badRef.json().error.code).toBe('schema_invalid');

    for (const promptTemplate of [
      '{{ input.__proto__.polluted }}',
      '{{ input.constructor }}',
      '{{ process.env.SECRET }}',
      '{{ input.a + 1 }}',
      'Hello {{ input.name',
    ]) {
      const response = await api.post('/agents', { ...base, promptTemplate });
      expect(response.statusCode, promptTemplate).toBe(400);
      expect(response.json().error.code, promptTemplate).toBe('template_invalid');
    }
    const unknownPath = await api.post('/agents', {
      ...base,
      inputSchema,
      promptTemplate: '{{ input.topik }}',
    });
    expect(unknownPath.json().error).toMatchObject({
      code: 'template_variable_unknown',
      details: { paths: ['input.topik'] },
    });

    const serverField = await api.post('/agents', { ...base, id: 'mine', version: 7 });
    expect(serverField.statusCode).toBe(400);
    expect(serverField.json().error.code).toBe('unknown_field');
    const missing = await api.post('/agents', { name: 'No model', provider: 'mock' });
    expect(missing.json().error.code).toBe('validation_failed');
    const retry = await api.post('/agents', { ...base, retry: { baseDelayMs: 5000, maxDelayMs: 100 } });
    expect(retry.json().error.code).toBe('retry_invalid');

    const agent = await api.createAgent({ ...base, name: 'Patched' });
    const badPatch = await api.patch(`/agents/${agent.id}`, { promptTemplate: '{{ input.prototype }}' });
    expect(badPatch.json().error.code).toBe('template_invalid');
    expect((await api.get(`/agents/${agent.id}`)).json().version).toBe(1);
  });

  it('lists agents newest first with a cursor, search and tag filter', async () => {
    const own = await createWorkspaceFixture(testApp.services, 'agent-list');
    const listApi = apiClient(testApp, own);
    for (let index = 0; index < 5; index++) {
      await listApi.createAgent({
        name: `Lister ${index}`,
        provider: 'mock',
        model: 'm',
        tags: index % 2 ? ['odd'] : [],
      });
    }
    // The fixture made one agent of its own (the oldest); `q` keeps to the ones made here.
    const first = (await listApi.get('/agents?limit=2&q=lister')).json();
    expect(first.items.map((agent: { name: string }) => agent.name)).toEqual(['Lister 4', 'Lister 3']);
    const second = (await listApi.get(`/agents?limit=2&q=lister&cursor=${first.nextCursor}`)).json();
    const third = (await listApi.get(`/agents?limit=2&q=lister&cursor=${second.nextCursor}`)).json();
    expect([...second.items, ...third.items].map((agent: { name: string }) => agent.name)).toEqual([
      'Lister 2',
      'Lister 1',
      'Lister 0',
    ]);
    expect(third.nextCursor).toBeNull();
    expect((await listApi.get('/agents?tag=odd')).json().items).toHaveLength(2);
    expect(
      (await listApi.get('/agents?q=LISTER%203')).json().items.map((agent: { slug: string }) => agent.slug),
    ).toEqual(['lister-3']);
    expect((await listApi.get('/agents?cursor=nonsense')).json().error.code).toBe('cursor_invalid');
    // Another workspace's agents are not visible.
    expect((await api.get('/agents?q=lister')).json().items).toHaveLength(0);
  });
});

describe('ids an agent names', () => {
  it('answers 400 naming the field for an unknown or foreign provider key, and saves nothing', async () => {
    const testApp = await createTestApp();
    try {
      const fixture = await createWorkspaceFixture(testApp.services, 'agent-references');
      const other = await createWorkspaceFixture(testApp.services, 'agent-references-other');
      const api = apiClient(testApp, fixture);
      const unknown = await api.post('/agents', {
        name: 'Nope',
        provider: 'openai',
        model: 'gpt-4o',
        providerKeyId: 'nope',
      });
      expect(unknown.statusCode).toBe(400);
      expect(unknown.json().error).toMatchObject({
        code: 'provider_key_not_found',
        details: { field: 'providerKeyId' },
      });
      const foreign = await api.post('/agents', {
        name: 'Foreign',
        provider: 'openai-compatible',
        model: 'm',
        providerKeyId: other.targetProviderKeyId,
      });
      expect(foreign.statusCode).toBe(400);
      const fallback = await api.post('/agents', {
        name: 'Fallback',
        provider: 'mock',
        model: 'm',
        fallbacks: [{ provider: 'openai', model: 'gpt-4o', providerKeyId: 'missing' }],
      });
      expect(fallback.json().error.details.field).toBe('fallbacks[0].providerKeyId');
      const mismatch = await api.post('/agents', {
        name: 'Mismatch',
        provider: 'anthropic',
        model: 'claude',
        providerKeyId: fixture.targetProviderKeyId,
      });
      expect(mismatch.json().error.code).toBe('provider_key_mismatch');
      const own = await api.post('/agents', {
        name: 'Own key',
        provider: 'openai-compatible',
        model: 'm',
        providerKeyId: fixture.targetProviderKeyId,
      });
      expect(own.statusCode).toBe(201);
      const patched = await api.patch(`/agents/${own.json().id}`, { providerKeyId: 'nope' });
      expect(patched.statusCode).toBe(400);
      expect((await api.get(`/agents/${own.json().id}`)).json().version).toBe(1);
      const names = (await api.get('/agents')).json().items.map((agent: { name: string }) => agent.name);
      expect(names.sort()).toEqual(['Own key', 'Target agent']);
    } finally {
      await testApp.close();
    }
  });
});

describe('what a user typed comes back as typed', () => {
  it('keeps the key order of schemas, inputs and outputs', async () => {
    const testApp = await createTestApp();
    try {
      const fixture = await createWorkspaceFixture(testApp.services, 'key-order');
      const api = apiClient(testApp, fixture);
      const schema = {
        type: 'object',
        properties: { zeta_long_name: { type: 'string' }, b: { type: 'string' }, alpha: { type: 'string' } },
        required: ['zeta_long_name', 'b', 'alpha'],
      };
      const agent = await api.createAgent({
        name: 'Ordered',
        provider: 'mock',
        model: 'mock-model',
        inputSchema: schema,
        outputSchema: schema,
      });
      const read = (await api.get(`/agents/${agent.id}`)).json();
      expect(Object.keys(read.inputSchema.properties)).toEqual(['zeta_long_name', 'b', 'alpha']);
      expect(Object.keys(read.outputSchema.properties)).toEqual(['zeta_long_name', 'b', 'alpha']);
      const executed = await api.post(`/agents/${agent.id}/executions`, {
        input: { zeta_long_name: 'z', b: 'b', alpha: 'a' },
        mode: 'mock',
      });
      const stored = (await api.get(`/executions/${executed.json().id}`)).json();
      expect(Object.keys(stored.input)).toEqual(['zeta_long_name', 'b', 'alpha']);
      expect(Object.keys(stored.output)).toEqual(['zeta_long_name', 'b', 'alpha']);
    } finally {
      await testApp.close();
    }
  });
});
