import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeProvider, startFakeProvider } from '../../src/llm/fake-provider/index.ts';
import { apiClient, parseEventStream } from '../executions/execution-test-kit.ts';
import { createWorkspaceFixture, type WorkspaceFixture } from '../support/identity-fixture.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';
import { workflowClient } from '../workflows/workflow-kit.ts';

const scanOutput = {
  type: 'object',
  properties: {
    summary: {
      type: 'object',
      properties: { total: { type: 'integer' }, critical: { type: 'integer' } },
      required: ['total', 'critical'],
      additionalProperties: false,
    },
  },
  required: ['summary'],
  additionalProperties: false,
};
const verdictOutput = {
  type: 'object',
  properties: { verdict: { type: 'string' } },
  required: ['verdict'],
  additionalProperties: false,
};
const providerKey = 'sk-test-replay-key-4c1d9e';
const headerCanary = 'idem-canary-8f2b6a71';

describe('record and replay', () => {
  let testApp: TestApp;
  let fake: FakeProvider;
  let fixture: WorkspaceFixture;
  let api: ReturnType<typeof apiClient>;
  let flows: ReturnType<typeof workflowClient>;
  let keyId: string;
  let receiver: Server;
  let receiverUrl: string;
  const received: string[] = [];

  beforeAll(async () => {
    testApp = await createTestApp({ workflows: { workers: 4 } });
    fake = await startFakeProvider();
    fixture = await createWorkspaceFixture(testApp.services, 'replay');
    api = apiClient(testApp, fixture);
    flows = workflowClient(testApp.app, fixture);
    keyId = (await api.addFakeKey(fake, 'openai', providerKey)).id;
    receiver = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => {
        body += chunk;
      });
      request.on('end', () => {
        received.push(body);
        response.setHeader('content-type', 'application/json');
        response.end(JSON.stringify({ delivered: true }));
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await testApp.close();
    await fake.close().catch(() => undefined);
    await new Promise((resolve) => receiver.close(resolve));
  });

  const name = (prefix: string) => `${prefix} ${Math.random().toString(36).slice(2, 8)}`;
  const agentOf = (prefix: string, promptTemplate: string, outputSchema: object, extra = {}) =>
    api.createAgent({
      name: name(prefix),
      provider: 'openai',
      model: 'gpt-4o-mini',
      systemPrompt: `You are the ${prefix.toLowerCase()}.`,
      promptTemplate,
      outputSchema,
      retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 1 },
      ...extra,
    });

  it('records a single execution without secrets and replays it through the API', async () => {
    const scan = await agentOf('Scanner', 'Scan {{ input.repo }}', scanOutput);
    fake.reset();
    // The first attempt fails: the recording keeps it, and the replay retries as the original did.
    fake.script([{ fault: 'server_error' }]);
    const recorded = await api.post(
      `/agents/${scan.id}/executions`,
      { input: { repo: 'acme/api' }, record: true },
      { 'idempotency-key': headerCanary },
    );
    expect(recorded.statusCode, recorded.body).toBe(201);
    const original = recorded.json();
    expect(original.retries).toBe(1);
    expect(original.costUsd).toBeGreaterThan(0);
    expect(fake.calls).toHaveLength(2);
    // The canary went to the provider as a header …
    expect(fake.calls[0]?.headers['idempotency-key']).toBe(headerCanary);

    // … but neither it nor the key is in the stored recording.
    const rows = await testApp.services.repositories.recordedExchanges.listOfExecution(
      fixture.workspaceId,
      original.id,
    );
    expect(rows.map((row) => [row.sequence, row.kind, (row.response as { ok: boolean }).ok])).toEqual([
      [0, 'model', false],
      [1, 'model', true],
    ]);
    expect(rows[0]?.fingerprint).toBe(rows[1]?.fingerprint);
    expect(rows[0]?.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    const stored = JSON.stringify(rows);
    expect(stored).not.toContain(headerCanary);
    expect(stored).not.toContain(providerKey);
    expect(stored).not.toContain('Idempotency-Key');
    expect(rows[1]?.request).toMatchObject({ model: 'gpt-4o-mini', system: 'You are the scanner.' });

    fake.reset();
    const replays = [];
    for (let round = 0; round < 3; round++) {
      const response = await api.post(`/agents/${scan.id}/executions`, {
        mode: 'replay',
        replayOf: original.id,
      });
      expect(response.statusCode, response.body).toBe(201);
      replays.push(response.json());
    }
    expect(fake.calls).toHaveLength(0);
    for (const replay of replays) {
      expect(replay).toMatchObject({
        mode: 'replay',
        replayOf: original.id,
        status: 'completed',
        costUsd: 0,
        input: { repo: 'acme/api' },
        output: original.output,
        retries: 1,
        usage: { inputTokens: 0, outputTokens: 0, totalTokens: 0 },
      });
    }
    const listed = (await api.get('/executions?mode=replay')).json();
    expect(listed.items.map((item: { id: string }) => item.id)).toEqual(
      expect.arrayContaining(replays.map((replay) => replay.id)),
    );
    // A replay never stores a recording of its own.
    const ofReplay = await testApp.services.repositories.recordedExchanges.listOfExecution(
      fixture.workspaceId,
      replays[0].id,
    );
    expect(ofReplay).toHaveLength(0);
  });

  it('replays a streamed recording as a stream, and as JSON, with the same text', async () => {
    const writer = await api.createAgent({
      name: name('Writer'),
      provider: 'openai',
      model: 'gpt-4o-mini',
      promptTemplate: 'Write about {{ input.topic }}',
    });
    fake.reset();
    const streamed = await api.post(
      `/agents/${writer.id}/executions`,
      { input: { topic: 'tides' }, record: true },
      { accept: 'text/event-stream' },
    );
    const recordedEnd = parseEventStream(streamed.body).at(-1);
    expect(recordedEnd?.data).toMatchObject({ status: 'completed' });
    const original = recordedEnd?.data as { id: string; output: string };
    expect(fake.calls).toHaveLength(1);

    const replayStream = await api.post(
      `/agents/${writer.id}/executions`,
      { mode: 'replay', replayOf: original.id },
      { accept: 'text/event-stream' },
    );
    const events = parseEventStream(replayStream.body);
    const text = events
      .filter((event) => event.event === 'text-delta')
      .map((event) => event.data.text)
      .join('');
    expect(text).toBe(original.output);
    expect(events.at(-1)?.data).toMatchObject({ mode: 'replay', output: original.output, costUsd: 0 });
    const replayJson = await api.post(`/agents/${writer.id}/executions`, {
      mode: 'replay',
      replayOf: original.id,
    });
    expect(replayJson.json()).toMatchObject({ status: 'completed', output: original.output });
    expect(fake.calls).toHaveLength(1);
  });

  it('replays the repair call after an invalid first answer', async () => {
    const judge = await agentOf('Judge', 'Judge {{ input.repo }}', verdictOutput);
    fake.reset();
    fake.respondWith((conversation) =>
      conversation.assistantTurns === 0 ? { text: '{"verdict": 42}' } : { text: '{"verdict":"fine"}' },
    );
    const recorded = await api.post(`/agents/${judge.id}/executions`, { input: { repo: 'r' }, record: true });
    fake.respondWith(undefined);
    expect(recorded.statusCode, recorded.body).toBe(201);
    const original = recorded.json();
    expect(original).toMatchObject({ repaired: true, output: { verdict: 'fine' } });
    expect(fake.calls).toHaveLength(2);
    const replay = await api.post(`/agents/${judge.id}/executions`, {
      mode: 'replay',
      replayOf: original.id,
    });
    expect(replay.statusCode, replay.body).toBe(201);
    expect(replay.json()).toMatchObject({ repaired: true, output: { verdict: 'fine' }, costUsd: 0 });
    expect(fake.calls).toHaveLength(2);
  });

  it('answers a changed input with replay_mismatch naming the differing field', async () => {
    const scan = await agentOf('Scanner', 'Scan {{ input.repo }}', scanOutput);
    const original = (
      await api.post(`/agents/${scan.id}/executions`, { input: { repo: 'acme/api' }, record: true })
    ).json();
    fake.reset();
    const response = await api.post(`/agents/${scan.id}/executions`, {
      mode: 'replay',
      replayOf: original.id,
      input: { repo: 'acme/web' },
    });
    expect(response.statusCode, response.body).toBe(422);
    const error = response.json().error;
    expect(error.code).toBe('replay_mismatch');
    expect(error.message).toContain('messages[0].content');
    expect(error.details.differences).toEqual([
      { path: 'messages[0].content', recorded: 'Scan acme/api', replayed: 'Scan acme/web' },
    ]);
    expect(error.details.execution).toMatchObject({ status: 'failed', mode: 'replay', costUsd: 0 });
    expect(fake.calls).toHaveLength(0);
  });

  it('refuses to replay what was not recorded, or belongs to another workspace', async () => {
    const scan = await agentOf('Scanner', 'Scan {{ input.repo }}', scanOutput);
    const unrecorded = (
      await api.post(`/agents/${scan.id}/executions`, { input: { repo: 'acme/api' } })
    ).json();
    const notRecorded = await api.post(`/agents/${scan.id}/executions`, {
      mode: 'replay',
      replayOf: unrecorded.id,
    });
    expect(notRecorded.statusCode).toBe(404);
    expect(notRecorded.json().error.code).toBe('recording_not_found');
    const unknown = await api.post(`/agents/${scan.id}/executions`, { mode: 'replay', replayOf: 'nope' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.code).toBe('recording_not_found');
    const missing = await api.post(`/agents/${scan.id}/executions`, { mode: 'replay' });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().error).toMatchObject({
      code: 'replay_of_required',
      details: { field: 'replayOf' },
    });

    // A recording in another workspace is as unknown as none.
    const other = await createWorkspaceFixture(testApp.services, 'replay-other');
    const otherApi = apiClient(testApp, other);
    await otherApi.addFakeKey(fake);
    const otherAgent = await otherApi.createAgent({
      name: 'Other scanner',
      provider: 'openai',
      model: 'gpt-4o-mini',
      promptTemplate: 'Scan {{ input.repo }}',
    });
    const foreign = (
      await otherApi.post(`/agents/${otherAgent.id}/executions`, { input: { repo: 'x' }, record: true })
    ).json();
    const across = await api.post(`/agents/${scan.id}/executions`, { mode: 'replay', replayOf: foreign.id });
    expect(across.statusCode).toBe(404);
    expect(across.json().error.code).toBe('recording_not_found');
    const runAcross = await flows.request('POST', `/workflows/nope/runs`, { mode: 'replay', replayOf: 'x' });
    expect(runAcross.statusCode).toBe(404);
  });

  it('records every execution of a workspace with settings.recordExecutions', async () => {
    const other = await createWorkspaceFixture(testApp.services, 'replay-setting');
    const otherApi = apiClient(testApp, other);
    await otherApi.addFakeKey(fake);
    const patched = await testApp.app.inject({
      method: 'PATCH',
      url: `/api/workspaces/${other.workspaceId}`,
      headers: { authorization: `Bearer ${(other.tokens.owner as { token: string }).token}` },
      payload: { settings: { recordExecutions: true } },
    });
    expect(patched.statusCode, patched.body).toBe(200);
    const agent = await otherApi.createAgent({
      name: 'Always recorded',
      provider: 'openai',
      model: 'gpt-4o-mini',
      promptTemplate: 'Say {{ input.word }}',
    });
    const live = (await otherApi.post(`/agents/${agent.id}/executions`, { input: { word: 'hi' } })).json();
    // Runs of the workspace are recorded too, and say so.
    const otherFlows = workflowClient(testApp.app, other);
    const mockAgent = await otherApi.createAgent({
      name: 'Mock step',
      provider: 'mock',
      model: 'mock-model',
      promptTemplate: 'Say {{ input.word }}',
    });
    const workflow = await otherFlows.createWorkflow({
      name: 'Recorded by setting',
      steps: [{ id: 'say', agent: mockAgent.slug, input: { word: 'hi' } }],
    });
    const run = await otherFlows.waitForRun((await otherFlows.startRun(workflow.id, { input: {} })).id);
    expect(run.status, JSON.stringify(run)).toBe('completed');
    expect((await otherFlows.request('GET', `/runs/${run.id}`)).json().record).toBe(true);
    const replayRun = await otherFlows.waitForRun(
      (await otherFlows.startRun(workflow.id, { mode: 'replay', replayOf: run.id })).id,
    );
    expect(replayRun.status).toBe('completed');
    expect(replayRun.output).toEqual(run.output);

    // A budget with nothing left refuses live runs, not replays: they reserve nothing.
    const noBudget = await testApp.app.inject({
      method: 'PATCH',
      url: `/api/workspaces/${other.workspaceId}`,
      headers: { authorization: `Bearer ${(other.tokens.owner as { token: string }).token}` },
      payload: { settings: { monthlyBudgetUsd: 0 } },
    });
    expect(noBudget.statusCode, noBudget.body).toBe(200);
    const refused = await otherApi.post(`/agents/${agent.id}/executions`, { input: { word: 'hi' } });
    expect(refused.statusCode).toBe(402);
    const replay = await otherApi.post(`/agents/${agent.id}/executions`, {
      mode: 'replay',
      replayOf: live.id,
    });
    expect(replay.statusCode, replay.body).toBe(201);
    expect(replay.json()).toMatchObject({ output: live.output, costUsd: 0, mode: 'replay' });
  });

  it('records and replays a work session', async () => {
    const scan = await agentOf('Scanner', 'Scan {{ input.repo }}', scanOutput);
    const start = (body: Record<string, unknown>) => api.post(`/agents/${scan.id}/runs`, body);
    const recorded = await start({ input: { repo: 'acme/api' }, approvalStrategy: 'none', record: true });
    expect(recorded.statusCode, recorded.body).toBe(202);
    const live = await flows.waitForRun(recorded.json().id);
    expect(live.status).toBe('completed');
    fake.reset();
    const replayed = await start({ approvalStrategy: 'none', mode: 'replay', replayOf: live.id });
    expect(replayed.statusCode, replayed.body).toBe(202);
    const replay = await flows.waitForRun(replayed.json().id);
    expect(replay).toMatchObject({ status: 'completed', output: live.output, costUsd: 0 });
    expect(fake.calls).toHaveLength(0);
  });

  it('records a live diamond run and replays it ten times with the provider stopped and the key deleted', async () => {
    const scan = await agentOf('Scanner', 'Scan {{ input.repo }}', scanOutput);
    const compliance = await agentOf('Compliance', 'Findings: {{ input.total }}', verdictOutput);
    const review = await agentOf('Reviewer', 'Critical: {{ input.total }}', verdictOutput);
    const summary = await api.createAgent({
      name: name('Summary'),
      provider: 'mock',
      model: 'mock-model',
      promptTemplate: '{{ input.compliance }} / {{ input.review }}',
    });
    const stepsWith = (hookPath: string) => [
      { id: 'scan', agent: scan.slug, input: { repo: '{{ run.input.repo }}' } },
      { id: 'compliance', agent: compliance.slug, input: { total: '{{ scan.output.summary.total }}' } },
      { id: 'review', agent: review.slug, input: { total: '{{ scan.output.summary.critical }}' } },
      {
        id: 'summary',
        agent: summary.slug,
        input: { compliance: '{{ compliance.output.verdict }}', review: '{{ review.output.verdict }}' },
      },
      {
        id: 'notify',
        kind: 'http',
        url: `${receiverUrl}${hookPath}`,
        body: { verdict: '{{ compliance.output.verdict }}' },
        needs: ['summary'],
      },
    ];
    const workflow = await flows.createWorkflow({ name: name('Diamond'), steps: stepsWith('/hook') });
    fake.reset();
    received.length = 0;
    const live = await flows.waitForRun(
      (await flows.startRun(workflow.id, { input: { repo: 'acme/api' }, record: true })).id,
    );
    expect(live.status, JSON.stringify(live)).toBe('completed');
    expect(fake.calls).toHaveLength(3);
    expect(received).toHaveLength(1);
    const liveRun = (await flows.request('GET', `/runs/${live.id}`)).json();
    expect(liveRun.record).toBe(true);
    expect(liveRun.costUsd).toBeGreaterThan(0);

    // Nothing left to answer: the provider is stopped, its key deleted, the http receiver ignored.
    const callsBefore = fake.calls.length;
    await fake.close();
    expect((await api.delete(`/provider-keys/${keyId}`)).statusCode).toBe(204);
    const outputsOf = (run: typeof live) => run.steps.map((step) => [step.stepId, step.status, step.output]);
    for (let round = 0; round < 10; round++) {
      const started = await flows.startRun(workflow.id, { mode: 'replay', replayOf: live.id });
      const replay = (await flows.request('GET', `/runs/${(await flows.waitForRun(started.id)).id}`)).json();
      expect(replay.status, JSON.stringify(replay)).toBe('completed');
      expect(replay).toMatchObject({
        mode: 'replay',
        replayOf: live.id,
        costUsd: 0,
        input: { repo: 'acme/api' },
      });
      expect(outputsOf(replay)).toEqual(outputsOf(live));
      expect(replay.output).toEqual(live.output);
      for (const step of replay.steps.filter((step: { stepId: string }) => step.stepId !== 'notify')) {
        const execution = (await api.get(`/executions/${step.executionId}`)).json();
        expect(execution).toMatchObject({ mode: 'replay', costUsd: 0, status: 'completed' });
        expect(execution.replayOf).toBe(
          live.steps.find((original) => original.stepId === step.stepId)?.executionId,
        );
      }
    }
    expect(fake.calls).toHaveLength(callsBefore);
    expect(received).toHaveLength(1);

    // An http step whose request changed is not sent: it fails naming the field.
    expect(
      (await flows.request('PATCH', `/workflows/${workflow.id}`, { steps: stepsWith('/hook2') })).statusCode,
    ).toBe(200);
    const httpChanged = await flows.waitForRun(
      (await flows.startRun(workflow.id, { mode: 'replay', replayOf: live.id })).id,
    );
    const notify = httpChanged.steps.find((step) => step.stepId === 'notify');
    expect(notify?.error?.code).toBe('replay_mismatch');
    expect(notify?.error?.message).toContain('url');
    expect(received).toHaveLength(1);
    expect(
      (await flows.request('PATCH', `/workflows/${workflow.id}`, { steps: stepsWith('/hook') })).statusCode,
    ).toBe(200);

    // A new prompt (a new published version) no longer matches the recording.
    const changed = await api.patch(`/agents/${compliance.id}`, {
      promptTemplate: 'Findings now: {{ input.total }}',
      publish: true,
    });
    expect(changed.statusCode, changed.body).toBe(200);
    const mismatched = await flows.waitForRun(
      (await flows.startRun(workflow.id, { mode: 'replay', replayOf: live.id })).id,
    );
    expect(mismatched.status).toBe('failed');
    const failedStep = mismatched.steps.find((step) => step.stepId === 'compliance');
    expect(failedStep?.error?.code).toBe('replay_mismatch');
    expect(failedStep?.error?.message).toContain('messages[0].content');
    const execution = (await api.get(`/executions/${failedStep?.executionId}`)).json();
    expect(execution.error.details.differences).toEqual([
      {
        path: 'messages[0].content',
        recorded: expect.stringContaining('Findings: '),
        replayed: expect.stringContaining('Findings now: '),
      },
    ]);
    expect(JSON.stringify(execution)).not.toContain(providerKey);
  });
});
