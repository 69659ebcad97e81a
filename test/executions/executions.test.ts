import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FakeProvider, startFakeProvider } from '../../src/llm/fake-provider/index.ts';
import { createWorkspaceFixture, type WorkspaceFixture } from '../support/identity-fixture.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';
import { apiClient, parseEventStream } from './execution-test-kit.ts';

const topicSchema = {
  type: 'object',
  properties: { topic: { type: 'string', minLength: 2 }, tags: { type: 'array', items: { type: 'string' } } },
  required: ['topic'],
};
const summarySchema = {
  type: 'object',
  properties: { title: { type: 'string' }, score: { type: 'integer', minimum: 1, maximum: 5 } },
  required: ['title', 'score'],
  additionalProperties: false,
};
const fastRetry = { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 5 };

describe('executions through the API', () => {
  let testApp: TestApp;
  let fake: FakeProvider;
  let fixture: WorkspaceFixture;
  let api: ReturnType<typeof apiClient>;

  beforeAll(async () => {
    testApp = await createTestApp();
    fake = await startFakeProvider({ text: ({ lastUserMessage }) => `Answer: ${lastUserMessage}` });
    fixture = await createWorkspaceFixture(testApp.services, 'executions');
    api = apiClient(testApp, fixture);
    await api.addFakeKey(fake);
    // This suite runs more executions than the default per-minute limit allows.
    const owner = {
      workspaceId: fixture.workspaceId,
      role: 'owner' as const,
      userId: fixture.users.owner,
      tokenId: null,
    };
    await testApp.services.workspaces.update(owner, { settings: { rateLimitPerMinute: 100_000 } });
  });
  afterAll(async () => {
    await testApp.close();
    await fake.close();
  });
  beforeEach(() => fake.reset());

  it('runs live against the provider and records the execution', async () => {
    const agent = await api.createAgent({
      name: 'Live writer',
      provider: 'openai',
      model: 'gpt-4o-mini',
      systemPrompt: 'Be brief.',
      promptTemplate: 'Write about {{ input.topic }}; tags {{ input.tags }}',
      inputSchema: topicSchema,
      temperature: 0.3,
      maxTokens: 100,
    });
    const response = await api.post(`/agents/${agent.id}/executions`, {
      input: { topic: 'tides', tags: ['sea'] },
    });
    expect(response.statusCode).toBe(201);
    const execution = response.json();
    expect(execution).toMatchObject({
      agentId: agent.id,
      agentVersionId: agent.versionId,
      agentVersion: 1,
      status: 'completed',
      mode: 'live',
      trigger: 'api',
      input: { topic: 'tides', tags: ['sea'] },
      output: 'Answer: Write about tides; tags ["sea"]',
      error: null,
      retries: 0,
      fallbackUsed: false,
      provider: 'openai',
      model: 'gpt-4o-mini',
      costPriced: true,
    });
    expect(execution.usage.totalTokens).toBe(execution.usage.inputTokens + execution.usage.outputTokens);
    expect(execution.usage.inputTokens).toBeGreaterThan(0);
    expect(execution.costUsd).toBeGreaterThan(0);
    expect(execution.latencyMs).toBeGreaterThan(0);
    expect(execution.attempts).toEqual([
      expect.objectContaining({
        provider: 'openai',
        model: 'gpt-4o-mini',
        status: 'succeeded',
        errorCode: null,
        purpose: 'answer',
      }),
    ]);
    const sent = fake.calls[0]?.body as {
      messages: Array<{ role: string; content: string }>;
      temperature: number;
    };
    expect(sent.messages[0]).toEqual({ role: 'system', content: 'Be brief.' });
    expect(sent.temperature).toBe(0.3);
    expect(fake.calls[0]?.credential?.last4).toBe('0001');

    const stored = await api.get(`/executions/${execution.id}`);
    expect(stored.json()).toEqual(execution);
  });

  it("runs a prompt holding a tokenizer's special-token text, live and mock, sending it as typed", async () => {
    // The budget estimate counted prompts with a tokenizer that threw on `<|endoftext|>`.
    const agent = await api.createAgent({
      name: 'Special text',
      provider: 'openai',
      model: 'gpt-4o-mini',
      systemPrompt: 'Repeat <|im_start|> back.',
      promptTemplate: 'Say {{ input.topic }}',
      inputSchema: topicSchema,
    });
    const topic = 'a <|endoftext|> b <|fim_prefix|>';
    const live = await api.post(`/agents/${agent.id}/executions`, { input: { topic } });
    expect(live.statusCode).toBe(201);
    expect(live.json()).toMatchObject({ status: 'completed', output: `Answer: Say ${topic}` });
    expect(live.json().usage.inputTokens).toBeGreaterThan(0);
    const sent = fake.calls[0]?.body as { messages: Array<{ role: string; content: string }> };
    expect(sent.messages).toEqual([
      { role: 'system', content: 'Repeat <|im_start|> back.' },
      { role: 'user', content: `Say ${topic}` },
    ]);
    const mock = await api.post(`/agents/${agent.id}/executions`, { input: { topic }, mode: 'mock' });
    expect(mock.statusCode).toBe(201);
    expect(mock.json().usage.inputTokens).toBeGreaterThan(10);
  });

  it('runs in mock mode without a key, at no cost, with JSON valid against the output schema', async () => {
    const own = await createWorkspaceFixture(testApp.services, 'mock-only');
    const mockApi = apiClient(testApp, own, own.sessions.member);
    const agent = await mockApi.createAgent({
      name: 'Scorer',
      provider: 'anthropic',
      model: 'claude-haiku-4-5',
      outputSchema: summarySchema,
    });
    const live = await mockApi.post(`/agents/${agent.id}/executions`, { input: { text: 'x' } });
    expect(live.statusCode).toBe(422);
    expect(live.json().error.code).toBe('provider_not_configured');

    const response = await mockApi.post(`/agents/${agent.id}/executions`, {
      input: { text: 'x' },
      mode: 'mock',
    });
    expect(response.statusCode).toBe(201);
    const execution = response.json();
    expect(execution).toMatchObject({
      status: 'completed',
      mode: 'mock',
      trigger: 'test',
      costUsd: 0,
      provider: 'mock',
    });
    expect(Object.keys(execution.output).sort()).toEqual(['score', 'title']);
    expect(execution.output.score).toBeGreaterThanOrEqual(1);
    expect(fake.calls).toHaveLength(0);
    // Viewers read but never run.
    const viewer = apiClient(testApp, own, own.tokens.viewer);
    expect((await viewer.post(`/agents/${agent.id}/executions`, { mode: 'mock' })).statusCode).toBe(403);
  });

  it('refuses invalid input with JSON pointers and a missing template variable by path, recording nothing', async () => {
    const agent = await api.createAgent({
      name: 'Strict input',
      provider: 'openai',
      model: 'gpt-4o-mini',
      inputSchema: topicSchema,
      promptTemplate: '{{ input.topic }} / {{ input.extra.deep }}',
    });
    const invalid = await api.post(`/agents/${agent.id}/executions`, { input: { topic: 'x', tags: [1] } });
    expect(invalid.statusCode).toBe(400);
    expect(invalid.json().error.code).toBe('input_invalid');
    expect(invalid.json().error.details.problems).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ pointer: '/topic', keyword: 'minLength' }),
        expect.objectContaining({ pointer: '/tags/0', keyword: 'type' }),
      ]),
    );
    const missing = await api.post(`/agents/${agent.id}/executions`, { input: { topic: 'tides' } });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().error).toMatchObject({
      code: 'template_variable_missing',
      details: { path: 'input.extra.deep' },
    });
    const objects = await api.post(`/agents/${agent.id}/executions`, {
      input: { topic: 'tides', extra: { deep: { a: 1 } } },
    });
    expect(objects.json().output).toBe('Answer: tides / {"a":1}');
    expect(fake.calls).toHaveLength(1);
    const history = (await api.get(`/executions?agentId=${agent.id}`)).json();
    expect(history.items).toHaveLength(1);
    expect((await api.post('/agents/nope/executions', { input: {} })).json().error.code).toBe(
      'agent_not_found',
    );
  });

  it('repairs an answer that fails the output schema once, then gives up with 422 output_invalid and the raw output', async () => {
    // The fake samples structured answers from the schema but ignores multipleOf, so about half the
    // answers break it; which ones depends only on the prompt, so the cases are found by trying.
    const agent = await api.createAgent({
      name: 'Even numbers',
      provider: 'openai',
      model: 'gpt-4o-mini',
      promptTemplate: 'Pick an even number, seed {{ input.seed }}',
      outputSchema: {
        type: 'object',
        properties: { n: { type: 'integer', minimum: 1, maximum: 2, multipleOf: 2 } },
        required: ['n'],
      },
    });
    let repaired: ReturnType<typeof JSON.parse>;
    let failed: ReturnType<typeof JSON.parse>;
    for (let seed = 0; seed < 60 && !(repaired && failed); seed++) {
      const response = await api.post(`/agents/${agent.id}/executions`, { input: { seed } });
      const body = response.json();
      if (response.statusCode === 201 && body.repaired) repaired ??= body;
      if (response.statusCode === 422) failed ??= body;
    }
    expect(repaired).toMatchObject({
      status: 'completed',
      output: { n: 2 },
      repaired: true,
      rawOutput: null,
    });
    expect(repaired.attempts.map((attempt: { purpose: string }) => attempt.purpose)).toEqual([
      'answer',
      'repair',
    ]);
    expect(failed.error.code).toBe('output_invalid');
    expect(failed.error.message).toContain('/n must be multiple of 2');
    const record = failed.error.details.execution;
    expect(record).toMatchObject({
      status: 'failed',
      output: null,
      rawOutput: '{"n":1}',
      error: { code: 'output_invalid' },
    });
    expect(record.attempts).toHaveLength(2);
    expect((await api.get(`/executions/${record.id}`)).json().rawOutput).toBe('{"n":1}');
    const repairCall = fake.calls.find((call) =>
      JSON.stringify(call.body).includes('does not match the required JSON Schema'),
    );
    expect(repairCall).toBeDefined();
  });

  it('returns the first execution for a repeated Idempotency-Key without calling the provider again', async () => {
    const agent = await api.createAgent({ name: 'Idempotent', provider: 'openai', model: 'gpt-4o-mini' });
    const headers = { 'idempotency-key': 'order-42' };
    const first = await api.post(`/agents/${agent.id}/executions`, { input: { a: 1, b: 2 } }, headers);
    expect(first.statusCode).toBe(201);
    const again = await api.post(`/agents/${agent.id}/executions`, { input: { b: 2, a: 1 } }, headers);
    expect(again.statusCode).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json()).toEqual(first.json());
    expect(fake.calls).toHaveLength(1);

    const streamed = await api.post(
      `/agents/${agent.id}/executions`,
      { input: { a: 1, b: 2 } },
      { ...headers, accept: 'text/event-stream' },
    );
    expect(parseEventStream(streamed.body)).toEqual([{ event: 'execution-end', data: first.json() }]);
    expect(fake.calls).toHaveLength(1);

    const reused = await api.post(`/agents/${agent.id}/executions`, { input: { a: 2 } }, headers);
    expect(reused.statusCode).toBe(409);
    expect(reused.json().error.code).toBe('idempotency_key_reused');
    const badKey = await api.post(
      `/agents/${agent.id}/executions`,
      { input: {} },
      { 'idempotency-key': 'has space' },
    );
    expect(badKey.json().error.code).toBe('idempotency_key_invalid');

    // Concurrent first requests: one runs, the others get its answer or "in progress", never a second call.
    const concurrent = await Promise.all(
      Array.from({ length: 4 }, () =>
        api.post(`/agents/${agent.id}/executions`, { input: { c: 1 } }, { 'idempotency-key': 'burst' }),
      ),
    );
    const ids = new Set(
      concurrent.filter((response) => response.statusCode === 201).map((response) => response.json().id),
    );
    expect(ids.size).toBe(1);
    for (const response of concurrent.filter((candidate) => candidate.statusCode !== 201)) {
      expect(response.json().error.code).toBe('idempotency_request_in_progress');
    }
    expect(fake.calls).toHaveLength(2);
  });

  it('pins a version: an older version runs with its own prompt and is recorded', async () => {
    const agent = await api.createAgent({
      name: 'Pinned',
      provider: 'openai',
      model: 'gpt-4o-mini',
      promptTemplate: 'v1 {{ input.q }}',
    });
    await api.patch(`/agents/${agent.id}`, { promptTemplate: 'v2 {{ input.q }}', publish: true });
    const current = (await api.post(`/agents/${agent.id}/executions`, { input: { q: 'x' } })).json();
    expect(current).toMatchObject({ agentVersion: 2, output: 'Answer: v2 x' });
    const pinned = (
      await api.post(`/agents/${agent.id}/executions`, { input: { q: 'x' }, versionId: agent.versionId })
    ).json();
    expect(pinned).toMatchObject({
      agentVersion: 1,
      agentVersionId: agent.versionId,
      output: 'Answer: v1 x',
    });
    const other = await api.createAgent({ name: 'Other pinned', provider: 'mock', model: 'm' });
    const foreignVersion = await api.post(`/agents/${agent.id}/executions`, {
      input: {},
      versionId: other.versionId,
    });
    expect(foreignVersion.statusCode).toBe(404);
    expect(foreignVersion.json().error.code).toBe('agent_version_not_found');
    const byVersion = (await api.get(`/executions?versionId=${agent.versionId}`)).json();
    expect(byVersion.items.map((item: { id: string }) => item.id)).toEqual([pinned.id]);
  });

  it('retries, falls back, and records every attempt; a final provider failure keeps the record', async () => {
    const agent = await api.createAgent({
      name: 'Resilient',
      provider: 'openai',
      model: 'gpt-4o-mini',
      retry: fastRetry,
      fallbacks: [{ provider: 'openai', model: 'gpt-4o' }],
    });
    fake.script([{ fault: 'server_error' }, { fault: 'unavailable' }]);
    const fellBack = (await api.post(`/agents/${agent.id}/executions`, { input: {} })).json();
    expect(fellBack).toMatchObject({ status: 'completed', retries: 1, fallbackUsed: true, model: 'gpt-4o' });
    expect(
      fellBack.attempts.map((attempt: { model: string; status: string; errorCode: string | null }) => [
        attempt.model,
        attempt.status,
        attempt.errorCode,
      ]),
    ).toEqual([
      ['gpt-4o-mini', 'failed', 'provider_unavailable'],
      ['gpt-4o-mini', 'failed', 'provider_unavailable'],
      ['gpt-4o', 'succeeded', null],
    ]);

    fake.script([{ fault: 'unauthorized' }]);
    const rejected = await api.post(`/agents/${agent.id}/executions`, { input: {} });
    expect(rejected.statusCode).toBe(502);
    expect(rejected.json().error.code).toBe('provider_auth_failed');
    const record = rejected.json().error.details.execution;
    expect(record).toMatchObject({ status: 'failed', error: { code: 'provider_auth_failed' }, output: null });
    expect(record.attempts).toHaveLength(1);
    expect((await api.get(`/executions/${record.id}`)).json().status).toBe('failed');
  });

  it('streams text deltas, then execution-end with the record', async () => {
    const agent = await api.createAgent({
      name: 'Streamer',
      provider: 'openai',
      model: 'gpt-4o-mini',
      promptTemplate: '{{ input.q }}',
    });
    const response = await api.post(
      `/agents/${agent.id}/executions`,
      { input: { q: 'stream me please' } },
      { accept: 'text/event-stream' },
    );
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toContain('text/event-stream');
    const events = parseEventStream(response.body);
    expect(events[0]).toMatchObject({
      event: 'execution-start',
      data: { status: 'running', agentId: agent.id },
    });
    const deltas = events.filter((event) => event.event === 'text-delta');
    expect(deltas.length).toBeGreaterThan(1);
    const end = events.at(-1);
    expect(end?.event).toBe('execution-end');
    expect(end?.data).toMatchObject({
      id: events[0]?.data.id,
      status: 'completed',
      output: 'Answer: stream me please',
    });
    expect(deltas.map((event) => event.data.text).join('')).toBe(end?.data.output);
    expect(end?.data.timeToFirstTokenMs).toBeGreaterThan(0);

    // Mock mode streams too, with a structured answer.
    const mockAgent = await api.createAgent({
      name: 'Mock streamer',
      provider: 'mock',
      model: 'm',
      outputSchema: summarySchema,
    });
    const mock = parseEventStream(
      (
        await api.post(
          `/agents/${mockAgent.id}/executions`,
          { mode: 'mock', input: {} },
          { accept: 'text/event-stream' },
        )
      ).body,
    );
    expect(mock.at(-1)?.data.output).toEqual(
      JSON.parse(
        mock
          .filter((event) => event.event === 'text-delta')
          .map((event) => event.data.text)
          .join(''),
      ),
    );
  });

  it('reports a failure after the stream began in execution-end, never a cut response', async () => {
    const agent = await api.createAgent({
      name: 'Cut stream',
      provider: 'openai',
      model: 'gpt-4o-mini',
      retry: fastRetry,
      promptTemplate: 'one two three four five six',
    });
    fake.script([{ fault: 'stream_cut', afterChunks: 2 }]);
    const response = await api.post(
      `/agents/${agent.id}/executions`,
      { input: {} },
      { accept: 'text/event-stream' },
    );
    expect(response.statusCode).toBe(200);
    const events = parseEventStream(response.body);
    const end = events.at(-1);
    expect(end?.event).toBe('execution-end');
    expect(end?.data).toMatchObject({ status: 'failed', error: { code: 'provider_unavailable' } });
    // Text already went out, so the call is not retried (it would repeat the text).
    expect(fake.calls).toHaveLength(1);
    // Errors before the stream starts are ordinary JSON errors.
    const bad = await api.post(
      '/agents/missing-agent/executions',
      { input: {} },
      { accept: 'text/event-stream' },
    );
    expect(bad.statusCode).toBe(404);
  });
});
