import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FakeProvider, startFakeProvider } from '../../src/llm/fake-provider/index.ts';
import { apiClient, parseEventStream } from '../executions/execution-test-kit.ts';
import { createWorkspaceFixture, type WorkspaceFixture } from '../support/identity-fixture.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';
import { workflowClient } from './workflow-kit.ts';

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
const countInput = {
  type: 'object',
  properties: { total: { type: 'integer' }, repo: { type: 'string' } },
  required: ['total'],
};
const verdictOutput = {
  type: 'object',
  properties: { verdict: { type: 'string' } },
  required: ['verdict'],
  additionalProperties: false,
};

describe('workflow runs through the API', () => {
  let testApp: TestApp;
  let fake: FakeProvider;
  let fixture: WorkspaceFixture;
  let api: ReturnType<typeof apiClient>;
  let flows: ReturnType<typeof workflowClient>;

  beforeAll(async () => {
    testApp = await createTestApp({ workflows: { workers: 4 } });
    fake = await startFakeProvider();
    fixture = await createWorkspaceFixture(testApp.services, 'workflows');
    api = apiClient(testApp, fixture);
    flows = workflowClient(testApp.app, fixture);
    await api.addFakeKey(fake);
  });
  afterAll(async () => {
    await testApp.close();
    await fake.close();
  });
  beforeEach(() => fake.reset());

  async function scanner(model = 'gpt-4o-mini') {
    return api.createAgent({
      name: `Scanner ${Math.random().toString(36).slice(2, 8)}`,
      provider: 'openai',
      model,
      promptTemplate: 'Scan {{ input.repo }}',
      inputSchema: { type: 'object', properties: { repo: { type: 'string' } }, required: ['repo'] },
      outputSchema: scanOutput,
      retry: { maxAttempts: 1 },
    });
  }
  async function checker(model = 'gpt-4o-mini') {
    return api.createAgent({
      name: `Checker ${Math.random().toString(36).slice(2, 8)}`,
      provider: 'openai',
      model,
      promptTemplate: 'Total findings: {{ input.total }}',
      inputSchema: countInput,
      outputSchema: verdictOutput,
      retry: { maxAttempts: 1 },
    });
  }

  it('runs a single-agent workflow live and records the execution with its run and step', async () => {
    const scan = await scanner();
    const workflow = await flows.createWorkflow({
      name: `Single ${scan.slug}`,
      steps: [{ id: 'scan', agent: scan.slug, input: { repo: '{{ run.input.repo }}' } }],
    });
    const started = await flows.startRun(workflow.id, { input: { repo: 'acme/api' } });
    expect(started.status).toBe('queued');
    const run = await flows.waitForRun(started.id);
    expect(run.status).toBe('completed');
    const [step] = run.steps;
    expect(step?.input).toEqual({ repo: 'acme/api' });
    expect(step?.output).toMatchObject({ summary: { total: expect.any(Number) } });
    expect(run.output).toEqual(step?.output);
    const execution = (await api.get(`/executions/${step?.executionId}`)).json();
    expect(execution).toMatchObject({ trigger: 'workflow', workflowRunId: run.id, workflowStepId: 'scan' });
    expect(fake.calls).toHaveLength(1);
    // The provider call carries the step attempt's idempotency key.
    expect(fake.calls[0]?.headers['idempotency-key']).toBe(`workflow:${run.id}:scan:1`);
  });

  it('resolves {{scan.output.summary.total}} into the next step with its type kept', async () => {
    const scan = await scanner();
    const check = await checker();
    const workflow = await flows.createWorkflow({
      name: `Sequential ${scan.slug}`,
      steps: [
        { id: 'scan', agent: scan.slug, input: { repo: '{{ run.input.repo }}' } },
        {
          id: 'check',
          agent: check.slug,
          input: { total: '{{scan.output.summary.total}}', repo: 'x {{ run.input.repo }}' },
        },
      ],
    });
    const run = await flows.waitForRun(
      (await flows.startRun(workflow.id, { input: { repo: 'acme/api' } })).id,
    );
    expect(run.status).toBe('completed');
    const scanStep = run.steps.find((step) => step.stepId === 'scan');
    const checkStep = run.steps.find((step) => step.stepId === 'check');
    const total = (scanStep?.output as { summary: { total: number } } | undefined)?.summary.total;
    expect(checkStep?.input).toEqual({ total, repo: 'x acme/api' });
    expect(typeof (checkStep?.input as { total: unknown } | undefined)?.total).toBe('number');
    // The second provider call saw the number the first one produced.
    const secondPrompt = JSON.stringify(
      (fake.calls[1]?.body as { messages: unknown[] } | undefined)?.messages,
    );
    expect(secondPrompt).toContain(`Total findings: ${total}`);
  });

  it('runs the middle steps of a diamond at the same time', async () => {
    const scan = await scanner();
    const slow = await checker('fault:hang;ms=400');
    const notify = await api.createAgent({
      name: `Notifier ${Math.random().toString(36).slice(2, 8)}`,
      provider: 'mock',
      model: 'mock-model',
      promptTemplate: '{{ input.compliance }} / {{ input.review }}',
    });
    const workflow = await flows.createWorkflow({
      name: `Diamond ${scan.slug}`,
      steps: [
        { id: 'scan', agent: scan.slug, input: { repo: '{{ run.input.repo }}' } },
        { id: 'compliance', agent: slow.slug, input: { total: '{{ steps.scan.output.summary.total }}' } },
        { id: 'review', agent: slow.slug, input: { total: '{{ scan.output.summary.critical }}' } },
        {
          id: 'notify',
          agent: notify.slug,
          input: { compliance: '{{ compliance.output.verdict }}', review: '{{ review.output.verdict }}' },
        },
      ],
    });
    const run = await flows.waitForRun(
      (await flows.startRun(workflow.id, { input: { repo: 'acme/api' } })).id,
    );
    expect(run.status).toBe('completed');
    expect(run.steps.map((step) => step.status)).toEqual([
      'completed',
      'completed',
      'completed',
      'completed',
    ]);
    const middle = fake.calls.filter(
      (call) => call.body && JSON.stringify(call.body).includes('Total findings'),
    );
    expect(middle).toHaveLength(2);
    const [first, second] = middle.map((call) => call.receivedAt).sort((a, b) => a - b);
    // Each middle call takes 400 ms at the fake: the second arrived before the first could have ended.
    expect((second ?? 0) - (first ?? 0)).toBeLessThan(300);
    const notifyStep = run.steps.find((step) => step.stepId === 'notify');
    expect(Date.parse(notifyStep?.startedAt ?? '')).toBeGreaterThanOrEqual(
      Math.max(...run.steps.slice(1, 3).map((step) => Date.parse(step.finishedAt ?? ''))),
    );
  });

  it('runs a whole workflow in mock mode without a provider call and at no cost', async () => {
    const scan = await scanner();
    const check = await checker();
    const workflow = await flows.createWorkflow({
      name: `Mock ${scan.slug}`,
      steps: [
        { id: 'scan', agent: scan.slug, input: { repo: '{{ run.input.repo }}' } },
        { id: 'check', agent: check.slug, input: { total: '{{ scan.output.summary.total }}' } },
      ],
    });
    const first = await flows.waitForRun(
      (await flows.startRun(workflow.id, { input: { repo: 'r' }, mode: 'mock' })).id,
    );
    const second = await flows.waitForRun(
      (await flows.startRun(workflow.id, { input: { repo: 'r' }, mode: 'mock' })).id,
    );
    expect(first.status).toBe('completed');
    expect(first.costUsd).toBe(0);
    expect(fake.calls).toHaveLength(0);
    // Deterministic: the same input gives the same outputs.
    expect(second.output).toEqual(first.output);
  });

  it('fails a run whose step fails, skips what comes after, and retries only what did not complete', async () => {
    const scan = await scanner();
    const check = await checker();
    const workflow = await flows.createWorkflow({
      name: `Retry ${scan.slug}`,
      steps: [
        { id: 'scan', agent: scan.slug, input: { repo: '{{ run.input.repo }}' } },
        { id: 'check', agent: check.slug, input: { total: '{{ scan.output.summary.total }}' } },
        {
          id: 'after',
          agent: check.slug,
          input: { total: '{{ scan.output.summary.critical }}' },
          needs: ['check'],
        },
      ],
    });
    fake.script([{ fault: 'none' }, { fault: 'bad_request' }]);
    const failed = await flows.waitForRun((await flows.startRun(workflow.id, { input: { repo: 'r' } })).id);
    expect(failed.status).toBe('failed');
    expect(failed.error?.code).toBe('step_failed');
    expect(failed.steps.map((step) => step.status)).toEqual(['completed', 'failed', 'skipped']);
    const scanExecution = failed.steps[0]?.executionId;

    const retried = await flows.request('POST', `/runs/${failed.id}/retry`);
    expect(retried.statusCode).toBe(202);
    const done = await flows.waitForRun(failed.id);
    expect(done.status).toBe('completed');
    expect(done.steps[0]?.executionId).toBe(scanExecution);
    expect(done.steps[0]?.attempts).toBe(1);
    expect(done.steps[1]?.attempts).toBe(2);
    // scan once, check twice (failed, then retried), after once.
    expect(fake.calls).toHaveLength(4);
    const again = await flows.request('POST', `/runs/${failed.id}/retry`);
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe('run_not_retryable');
  });

  it('runs a step again under its own retry policy, each try its own execution', async () => {
    const scan = await scanner();
    const workflow = await flows.createWorkflow({
      name: `Step retry ${scan.slug}`,
      steps: [
        {
          id: 'scan',
          agent: scan.slug,
          input: { repo: '{{ run.input.repo }}' },
          retry: { maxAttempts: 2, baseDelayMs: 10, maxDelayMs: 20 },
        },
      ],
    });
    fake.script([{ fault: 'server_error' }]);
    const run = await flows.waitForRun((await flows.startRun(workflow.id, { input: { repo: 'r' } })).id);
    expect(run.status).toBe('completed');
    expect(fake.calls).toHaveLength(2);
    expect(run.steps[0]?.attempts).toBe(1);
    const executions = (await api.get(`/executions?limit=5`))
      .json()
      .items.filter((execution: { workflowRunId: string }) => execution.workflowRunId === run.id);
    expect(executions.map((execution: { status: string }) => execution.status).sort()).toEqual([
      'completed',
      'failed',
    ]);
  });

  it('cancels a run during a slow step: the provider request is aborted and open steps end cancelled', async () => {
    const scan = await scanner('fault:hang');
    const check = await checker();
    const workflow = await flows.createWorkflow({
      name: `Cancel ${scan.slug}`,
      steps: [
        { id: 'scan', agent: scan.slug, input: { repo: '{{ run.input.repo }}' } },
        { id: 'check', agent: check.slug, input: { total: '{{ scan.output.summary.total }}' } },
      ],
    });
    const started = await flows.startRun(workflow.id, { input: { repo: 'r' } });
    await flows.waitForRun(started.id, ['running']);
    const deadline = Date.now() + 5_000;
    while (fake.calls.length === 0 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 10));
    const cancelled = await flows.request('POST', `/runs/${started.id}/cancel`);
    expect(cancelled.statusCode).toBe(200);
    expect(cancelled.json().status).toBe('cancelled');
    const run = await flows.getRun(started.id);
    expect(run.steps.map((step) => step.status)).toEqual(['cancelled', 'cancelled']);
    // The hung request was given up by the client (no status was ever sent) and nothing else was called.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(fake.calls).toHaveLength(1);
    expect(fake.calls[0]?.status).toBeNull();
    const execution = (await api.get(`/executions?limit=1`)).json().items[0];
    expect(execution.status).toBe('failed');
    expect((await flows.request('POST', `/runs/${started.id}/cancel`)).statusCode).toBe(409);
  });

  it('streams run events over SSE, resumable with Last-Event-ID, ending after run-end', async () => {
    const scan = await scanner();
    const workflow = await flows.createWorkflow({
      name: `Events ${scan.slug}`,
      steps: [{ id: 'scan', agent: scan.slug, input: { repo: '{{ run.input.repo }}' } }],
    });
    const started = await flows.startRun(workflow.id, { input: { repo: 'r' } });
    const stream = await testApp.app.inject({
      method: 'GET',
      url: `/api/workspaces/${fixture.workspaceId}/runs/${started.id}/events`,
      headers: { authorization: `Bearer ${(fixture.tokens.owner as { token: string }).token}` },
    });
    expect(stream.headers['content-type']).toContain('text/event-stream');
    const events = parseEventStream(stream.body);
    expect(events.map((event) => event.event)).toEqual(['run-start', 'step-start', 'step-end', 'run-end']);
    expect(events.map((event) => event.data.sequence)).toEqual([1, 2, 3, 4]);
    const resumed = await testApp.app.inject({
      method: 'GET',
      url: `/api/workspaces/${fixture.workspaceId}/runs/${started.id}/events`,
      headers: {
        authorization: `Bearer ${(fixture.tokens.owner as { token: string }).token}`,
        'last-event-id': '2',
      },
    });
    expect(parseEventStream(resumed.body).map((event) => event.event)).toEqual(['step-end', 'run-end']);
  });

  it('refuses before anything runs: bad input, a deleted agent, a missing key', async () => {
    const scan = await scanner();
    const workflow = await flows.createWorkflow({
      name: `Refusals ${scan.slug}`,
      inputSchema: { type: 'object', properties: { repo: { type: 'string' } }, required: ['repo'] },
      steps: [{ id: 'scan', agent: scan.slug, input: { repo: '{{ run.input.repo }}' } }],
    });
    const badInput = await flows.request('POST', `/workflows/${workflow.id}/runs`, { input: { repo: 5 } });
    expect(badInput.statusCode).toBe(400);
    expect(badInput.json().error.code).toBe('input_invalid');

    const anthropic = await api.createAgent({
      name: `No key ${scan.slug}`,
      provider: 'anthropic',
      model: 'claude-3-5-haiku-latest',
    });
    const keyless = await flows.createWorkflow({
      name: `Keyless ${scan.slug}`,
      steps: [{ id: 'ask', agent: anthropic.slug, input: {} }],
    });
    const noKey = await flows.request('POST', `/workflows/${keyless.id}/runs`, { input: {} });
    expect(noKey.statusCode).toBe(422);
    expect(noKey.json().error).toMatchObject({ code: 'provider_not_configured', details: { stepId: 'ask' } });

    await api.delete(`/agents/${scan.id}`);
    const gone = await flows.request('POST', `/workflows/${workflow.id}/runs`, { input: { repo: 'r' } });
    expect(gone.statusCode).toBe(422);
    expect(gone.json().error.code).toBe('workflow_agent_missing');
    const runs = (await flows.request('GET', `/runs?workflowId=${workflow.id}`)).json();
    expect(runs.items).toHaveLength(0);
    expect(fake.calls).toHaveLength(0);
  });
});
