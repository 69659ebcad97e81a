import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/database.ts';
import { createLogger } from '../../src/telemetry/logger.ts';
import { apiClient } from '../executions/execution-test-kit.ts';
import { createWorkspaceFixture, type WorkspaceFixture } from '../support/identity-fixture.ts';
import { createTemporaryDatabase, type TemporaryDatabase } from '../support/postgres.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';
import { workflowClient } from './workflow-kit.ts';

const ownerOf = (fixture: WorkspaceFixture) => ({
  workspaceId: fixture.workspaceId,
  role: 'owner' as const,
  userId: fixture.users.owner,
  tokenId: null,
});

describe('workflow triggers, http steps and limits', () => {
  let testApp: TestApp;
  let fixture: WorkspaceFixture;
  let flows: ReturnType<typeof workflowClient>;
  let api: ReturnType<typeof apiClient>;
  let mockSlug: string;
  let receiver: Server;
  let received: Array<{ headers: IncomingHttpHeaders; body: string }>;
  let receiverUrl: string;

  beforeAll(async () => {
    testApp = await createTestApp({ workflows: { workers: 2 } });
    fixture = await createWorkspaceFixture(testApp.services, 'workflow-triggers');
    flows = workflowClient(testApp.app, fixture);
    api = apiClient(testApp, fixture);
    mockSlug = (
      await api.createAgent({
        name: 'Summarizer',
        provider: 'mock',
        model: 'mock-model',
        outputSchema: {
          type: 'object',
          properties: { headline: { type: 'string' } },
          required: ['headline'],
          additionalProperties: false,
        },
      })
    ).slug;
    received = [];
    receiver = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      request.on('end', () => {
        received.push({ headers: request.headers, body });
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ delivered: true, length: body.length }));
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await testApp.close();
    await new Promise((resolve) => receiver.close(resolve));
  });

  it('starts runs from a webhook URL shown once; rotating the secret invalidates the old URL', async () => {
    const workflow = await flows.createWorkflow({
      name: 'Hooked',
      inputSchema: { type: 'object', properties: { topic: { type: 'string' } }, required: ['topic'] },
      triggers: { webhook: true },
      steps: [{ id: 'sum', agent: mockSlug, input: { topic: '{{ run.input.topic }}' } }],
    });
    const made = await flows.request('POST', `/workflows/${workflow.id}/webhook-secret`);
    expect(made.statusCode).toBe(201);
    const { url, secret } = made.json() as { url: string; secret: string };
    expect(url).toContain(`/hooks/workflows/${workflow.id}/${secret}`);
    expect((await flows.request('GET', `/workflows/${workflow.id}`)).body).not.toContain(secret);
    const path = new URL(url).pathname;

    const hooked = await testApp.app.inject({ method: 'POST', url: path, payload: { topic: 'tides' } });
    expect(hooked.statusCode).toBe(202);
    const run = await flows.waitForRun(hooked.json().runId);
    expect(run.status).toBe('completed');
    expect((run as unknown as { trigger: string }).trigger).toBe('webhook');
    expect(run.input).toEqual({ topic: 'tides' });

    const badInput = await testApp.app.inject({ method: 'POST', url: path, payload: { topic: 3 } });
    expect(badInput.statusCode).toBe(400);
    expect(badInput.json().error.code).toBe('input_invalid');
    const wrong = await testApp.app.inject({
      method: 'POST',
      url: `/hooks/workflows/${workflow.id}/whs_wrong`,
      payload: { topic: 'x' },
    });
    expect(wrong.statusCode).toBe(404);

    const rotated = (await flows.request('POST', `/workflows/${workflow.id}/webhook-secret`)).json() as {
      url: string;
    };
    const old = await testApp.app.inject({ method: 'POST', url: path, payload: { topic: 'x' } });
    expect(old.statusCode).toBe(404);
    expect(old.json().error.code).toBe('webhook_not_found');
    const fresh = await testApp.app.inject({
      method: 'POST',
      url: new URL(rotated.url).pathname,
      payload: { topic: 'x' },
    });
    expect(fresh.statusCode).toBe(202);

    // Turning webhooks off in the definition closes the URL too.
    await flows.request('PATCH', `/workflows/${workflow.id}`, { triggers: { webhook: false } });
    const closed = await testApp.app.inject({
      method: 'POST',
      url: new URL(rotated.url).pathname,
      payload: { topic: 'x' },
    });
    expect(closed.statusCode).toBe(404);
  });

  it('posts an http step with a secret header that no view shows', async () => {
    const secretValue = 'hook-token-canary-7f3a9c1e';
    const secret = await flows.request('POST', '/secrets', { name: 'HOOK_TOKEN', value: secretValue });
    expect(secret.statusCode).toBe(201);
    const workflow = await flows.createWorkflow({
      name: 'Notify',
      steps: [
        { id: 'sum', agent: mockSlug, input: {} },
        {
          id: 'notify',
          kind: 'http',
          url: `${receiverUrl}/hook?run={{ run.input.ticket }}`,
          headers: { authorization: 'Bearer {{ secrets.HOOK_TOKEN }}', 'x-plain': 'visible' },
          body: { headline: '{{ sum.output.headline }}', ticket: '{{ run.input.ticket }}' },
        },
      ],
    });
    received.length = 0;
    const run = await flows.waitForRun((await flows.startRun(workflow.id, { input: { ticket: 42 } })).id);
    expect(run.status).toBe('completed');
    expect(received).toHaveLength(1);
    expect(received[0]?.headers.authorization).toBe(`Bearer ${secretValue}`);
    const headline = (run.steps[0]?.output as { headline: string } | undefined)?.headline;
    expect(JSON.parse(received[0]?.body ?? '{}')).toEqual({ headline, ticket: 42 });
    const notify = run.steps[1];
    expect(notify?.output).toEqual({ delivered: true, length: received[0]?.body.length });
    expect(notify?.input).toMatchObject({ headers: { 'x-plain': 'visible' } });
    const views = [
      (await flows.request('GET', `/runs/${run.id}`)).body,
      (await flows.request('GET', `/runs`)).body,
      (await flows.request('GET', `/workflows/${workflow.id}`)).body,
      (await flows.request('GET', `/runs/${run.id}/events`)).body,
      (await flows.request('GET', '/secrets')).body,
    ];
    for (const view of views) expect(view).not.toContain(secretValue);
  });

  it('refuses at save an http step whose written-out host the SSRF guard refuses', async () => {
    for (const url of [
      'http://169.254.169.254/latest/meta-data/',
      'http://[64:ff9b::a9fe:a9fe]/latest/{{ run.input.path }}',
      'http://224.0.0.1/notify',
    ]) {
      const saved = await flows.request('POST', '/workflows', {
        name: 'Metadata',
        steps: [{ id: 'grab', kind: 'http', method: 'GET', url }],
      });
      expect(saved.statusCode).toBe(400);
      expect(saved.json().error.code).toBe('workflow_invalid');
      expect(saved.json().error.details).toEqual([
        expect.objectContaining({ pointer: '/steps/0/url', code: 'http_url_refused' }),
      ]);
    }
  });

  it('fails an http step that the SSRF guard refuses when it runs, naming why', async () => {
    // The host is a placeholder, so only the run can judge it.
    const workflow = await flows.createWorkflow({
      name: 'Metadata',
      steps: [
        { id: 'grab', kind: 'http', method: 'GET', url: 'http://{{ run.input.host }}/latest/meta-data/' },
      ],
    });
    const run = await flows.waitForRun(
      (await flows.startRun(workflow.id, { input: { host: '169.254.169.254' } })).id,
    );
    expect(run.status).toBe('failed');
    expect(run.steps[0]?.error?.code).toBe('http_step_blocked');
  });

  it('answers 429 with Retry-After past the workspace rate limit when starting runs', async () => {
    const limited = await createWorkspaceFixture(testApp.services, 'workflow-limit');
    const limitedFlows = workflowClient(testApp.app, limited);
    const agent = await apiClient(testApp, limited).createAgent({
      name: 'Mocky',
      provider: 'mock',
      model: 'mock-model',
    });
    const workflow = await limitedFlows.createWorkflow({
      name: 'Limited',
      steps: [{ id: 'a', agent: agent.slug }],
    });
    await testApp.services.workspaces.update(ownerOf(limited), { settings: { rateLimitPerMinute: 2 } });
    const answers = [];
    for (let index = 0; index < 3; index++) {
      answers.push(
        await limitedFlows.request('POST', `/workflows/${workflow.id}/runs`, { input: {}, mode: 'mock' }),
      );
    }
    expect(answers.map((answer) => answer.statusCode)).toEqual([202, 202, 429]);
    expect(Number(answers[2]?.headers['retry-after'])).toBeGreaterThan(0);
    expect(answers[2]?.json().error.code).toBe('rate_limited');
  });
});

describe('webhook secrets and the request log', () => {
  it('logs a webhook request without the secret in its URL', async () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk, _encoding, callback) {
        lines.push(String(chunk));
        callback();
      },
    });
    const logged = await createTestApp({ logger: createLogger({ level: 'info', destination }) });
    try {
      await logged.app.inject({
        method: 'POST',
        url: '/hooks/workflows/wf_1/whs_canarysecret0001',
        payload: {},
      });
    } finally {
      await logged.close();
    }
    const text = lines.join('');
    expect(text).toContain('/hooks/workflows/wf_1/[redacted]');
    expect(text).not.toContain('whs_canarysecret0001');
  });
});

describe('schedule triggers across three nodes on PostgreSQL', () => {
  let database: TemporaryDatabase;
  const nodes: TestApp[] = [];

  beforeAll(async () => {
    database = await createTemporaryDatabase();
    for (let index = 0; index < 3; index++) {
      const store = await openStore({ databaseUrl: database.url, poolSize: 3 });
      // A long interval: the test drives the sweeps itself, all three at the same moment.
      nodes.push(await createTestApp({ store, workflows: { workers: 0, scheduleIntervalMs: 3_600_000 } }));
    }
  });
  afterAll(async () => {
    for (const node of nodes) await node.close();
    await database.drop();
  });

  it('starts exactly one run per tick and does not replay missed ticks in a burst', async () => {
    const [first] = nodes;
    if (!first) throw new Error('no nodes');
    const fixture = await createWorkspaceFixture(first.services, 'schedules');
    const agent = await apiClient(first, fixture).createAgent({
      name: 'Ticker',
      provider: 'mock',
      model: 'mock-model',
    });
    const flows = workflowClient(first.app, fixture);
    const workflow = await flows.createWorkflow({
      name: 'Every second',
      triggers: { schedule: '* * * * * *', timezone: 'Europe/Berlin' },
      steps: [{ id: 'tick', agent: agent.slug }],
    });
    const sweepAll = () => Promise.all(nodes.map((node) => node.workflowRuntime?.scheduler?.tick() ?? 0));
    const counts: number[] = [];
    for (let tick = 0; tick < 3; tick++) {
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      const started = await sweepAll();
      counts.push(started.reduce((sum, count) => sum + count, 0));
    }
    expect(counts).toEqual([1, 1, 1]);
    // Three ticks pass while no node sweeps; the next sweep starts one run, not three.
    await new Promise((resolve) => setTimeout(resolve, 3_200));
    const afterGap = (await sweepAll()).reduce((sum, count) => sum + count, 0);
    expect(afterGap).toBe(1);
    const runs = (await flows.request('GET', `/runs?workflowId=${workflow.id}&trigger=schedule`)).json();
    expect(runs.items).toHaveLength(4);
  }, 30_000);
});
