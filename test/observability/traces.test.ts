import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeProvider, startFakeProvider } from '../../src/llm/fake-provider/index.ts';
import { startTracing, type Tracing } from '../../src/telemetry/start-tracing.ts';
import { apiClient } from '../executions/execution-test-kit.ts';
import { createWorkspaceFixture } from '../support/identity-fixture.ts';
import { workflowClient } from '../workflows/workflow-kit.ts';
import { eventually, type ObservedServer, startObservedServer } from './observability-kit.ts';
import { type ReceivedSpan, startOtlpReceiver } from './otlp-receiver.ts';

const canary = 'sk-canary-7f3e9b1c5a2d4e6f8091';

describe('traces over OTLP/HTTP', () => {
  let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;
  let tracing: Tracing | null;
  let server: ObservedServer;
  let fake: FakeProvider;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    tracing = await startTracing({
      endpoint: receiver.url,
      serviceName: 'flightdeck-test',
      version: '0.0.0-test',
      exportDelayMs: 100,
    });
    server = await startObservedServer();
    fake = await startFakeProvider();
  });
  afterAll(async () => {
    await server?.close();
    await tracing?.shutdown();
    await fake?.close();
    await receiver?.close();
  });

  const flushedSpans = async (predicate: (spans: ReceivedSpan[]) => boolean) =>
    eventually(async () => {
      await tracing?.forceFlush();
      return predicate(receiver.spans) ? receiver.spans : undefined;
    }, 'the spans to arrive');

  it('makes a workflow run one trace: workflow.run → workflow.step → agent.execute → chat per attempt', async () => {
    const fixture = await createWorkspaceFixture(server.services, 'traced');
    const api = apiClient(server, fixture);
    const flows = workflowClient(server.app, fixture);
    await api.addFakeKey(fake, 'openai', canary);
    const agent = await api.createAgent({
      name: 'Traced summarizer',
      provider: 'openai',
      model: 'gpt-4o-mini',
      promptTemplate: 'Summarize the incident {{ input.text }}',
      inputSchema: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
      outputSchema: {
        type: 'object',
        properties: { summary: { type: 'string' } },
        required: ['summary'],
        additionalProperties: false,
      },
      retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5 },
    });
    const workflow = await flows.createWorkflow({
      name: 'Traced flow',
      steps: [{ id: 'summarize', agent: agent.slug, input: { text: '{{ run.input.text }}' } }],
    });
    fake.script([{ fault: 'server_error' }]);
    const run = await flows.waitForRun(
      (await flows.startRun(workflow.id, { input: { text: 'disk full' } })).id,
    );
    expect(run.status).toBe('completed');
    const executionId = run.steps[0]?.executionId;
    const execution = (await api.get(`/executions/${executionId}`)).json();
    expect(execution.attempts).toHaveLength(2);

    const traceId = createHash('sha256').update(`flightdeck-run:${run.id}`).digest('hex').slice(0, 32);
    const spans = await flushedSpans(
      (all) => all.filter((span) => span.traceId === traceId && span.name.startsWith('chat ')).length === 2,
    );
    const inTrace = spans.filter((span) => span.traceId === traceId);
    const one = (name: string) => {
      const found = inTrace.filter((span) => span.name === name);
      expect(found, name).toHaveLength(1);
      return found[0] as ReceivedSpan;
    };
    const runSpan = one('workflow.run');
    const stepSpan = one('workflow.step');
    const agentSpan = one('agent.execute');
    const chats = inTrace.filter((span) => span.name === 'chat gpt-4o-mini');
    expect(runSpan.attributes['flightdeck.run.id']).toBe(run.id);
    expect(runSpan.resource['service.name']).toBe('flightdeck-test');
    expect(stepSpan.parentSpanId).toBe(runSpan.spanId);
    expect(stepSpan.attributes).toMatchObject({
      'flightdeck.step.id': 'summarize',
      'flightdeck.step.kind': 'agent',
    });
    expect(agentSpan.parentSpanId).toBe(stepSpan.spanId);
    expect(agentSpan.attributes).toMatchObject({
      'gen_ai.operation.name': 'invoke_agent',
      'gen_ai.agent.id': agent.id,
      'gen_ai.agent.name': agent.slug,
      'gen_ai.provider.name': 'openai',
      'gen_ai.response.model': execution.model,
      'gen_ai.usage.input_tokens': execution.usage.inputTokens,
      'gen_ai.usage.output_tokens': execution.usage.outputTokens,
      'flightdeck.execution.id': executionId,
      'flightdeck.execution.trigger': 'workflow',
      'flightdeck.retries': execution.retries,
      'flightdeck.fallback_used': false,
      'flightdeck.cost_usd': execution.costUsd,
    });
    expect(chats).toHaveLength(2);
    for (const chat of chats) {
      expect(chat.parentSpanId).toBe(agentSpan.spanId);
      expect(chat.kind).toBe(3); // CLIENT
      expect(chat.attributes).toMatchObject({
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'openai',
        'gen_ai.request.model': 'gpt-4o-mini',
      });
    }
    const [failed, answered] = [...chats].sort(
      (first, second) =>
        Number(first.attributes['flightdeck.attempt']) - Number(second.attributes['flightdeck.attempt']),
    );
    expect(failed?.attributes['error.type']).toBe(execution.attempts[0].errorCode);
    expect(failed?.status.code).toBe(2); // ERROR
    expect(answered?.attributes).toMatchObject({
      'gen_ai.response.model': execution.model,
      'gen_ai.usage.input_tokens': execution.usage.inputTokens,
      'gen_ai.usage.output_tokens': execution.usage.outputTokens,
      'gen_ai.response.finish_reasons': ['stop'],
    });
    // Not opted in: no prompt or output on any span.
    const dump = JSON.stringify(inTrace);
    expect(dump).not.toContain('disk full');
    expect(dump).not.toContain('gen_ai.input.messages');
  });

  it('puts prompts on spans only for a workspace that opts in; an API execution is a trace under its HTTP span', async () => {
    const fixture = await createWorkspaceFixture(server.services, 'content');
    const api = apiClient(server, fixture);
    await api.addFakeKey(fake, 'openai', canary);
    expect((await api.patch('', { settings: { traceContent: true } })).statusCode).toBe(200);
    // Each node reads the setting at most every 5 s (the fixture's own execution read it already).
    await new Promise((resolve) => setTimeout(resolve, 5_100));
    const agent = await api.createAgent({
      name: 'Opted in',
      provider: 'openai',
      model: 'gpt-4o-mini',
      systemPrompt: 'You are terse.',
      promptTemplate: 'Explain {{ input.topic }}',
    });
    const callerTrace = '4bf92f3577b34da6a3ce929d0e0e4736';
    const response = await api.post(
      `/agents/${agent.id}/executions`,
      { input: { topic: 'quantum tunnelling' }, mode: 'live' },
      { traceparent: `00-${callerTrace}-00f067aa0ba902b7-01` },
    );
    expect(response.statusCode).toBe(201);
    const execution = response.json();
    const spans = await flushedSpans((all) =>
      all.some((span) => span.traceId === callerTrace && span.name === 'chat gpt-4o-mini'),
    );
    const inTrace = spans.filter((span) => span.traceId === callerTrace);
    const http = inTrace.find(
      (span) => span.name === 'POST /api/workspaces/:workspaceId/agents/:agentId/executions',
    );
    const agentSpan = inTrace.find((span) => span.name === 'agent.execute');
    const chat = inTrace.find((span) => span.name === 'chat gpt-4o-mini');
    expect(http?.parentSpanId).toBe('00f067aa0ba902b7');
    expect(http?.kind).toBe(2); // SERVER
    expect(http?.scope).toBe('@fastify/otel');
    expect(http?.attributes).toMatchObject({
      'http.request.method': 'POST',
      'http.route': '/api/workspaces/:workspaceId/agents/:agentId/executions',
      'url.path': '/api/workspaces/:workspaceId/agents/:agentId/executions',
      'http.response.status_code': 201,
    });
    expect(agentSpan?.parentSpanId).toBe(http?.spanId);
    expect(agentSpan?.attributes['flightdeck.execution.id']).toBe(execution.id);
    expect(chat?.parentSpanId).toBe(agentSpan?.spanId);
    expect(String(chat?.attributes['gen_ai.input.messages'])).toContain('Explain quantum tunnelling');
    expect(String(chat?.attributes['gen_ai.system_instructions'])).toContain('You are terse.');
    expect(String(chat?.attributes['gen_ai.output.messages'])).toContain(
      String(execution.output).slice(0, 20),
    );
  });

  it('names HTTP spans by route pattern: a webhook secret and a failed call’s message stay off spans', async () => {
    const fixture = await createWorkspaceFixture(server.services, 'hooked');
    const flows = workflowClient(server.app, fixture);
    const agent = await apiClient(server, fixture).createAgent({
      name: 'Hooked mock',
      provider: 'mock',
      model: 'mock-model',
    });
    const workflow = await flows.createWorkflow({
      name: 'Hooked flow',
      triggers: { webhook: true },
      steps: [{ id: 'answer', agent: agent.slug, input: {} }],
    });
    const { url, secret } = (await flows.request('POST', `/workflows/${workflow.id}/webhook-secret`)).json();
    // Probes and scrapes make no traces (sent first, so their spans would have arrived with the hooks').
    expect((await server.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    expect((await server.app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(200);
    const hooked = await server.app.inject({ method: 'POST', url: new URL(url).pathname, payload: {} });
    expect(hooked.statusCode).toBe(202);
    const refused = await server.app.inject({
      method: 'POST',
      url: `/hooks/workflows/${workflow.id}/whs_wrongsecret_canary`,
      payload: {},
    });
    expect(refused.statusCode).toBe(404);
    const route = 'POST /hooks/workflows/:workflowId/:secret';
    const spans = await flushedSpans(
      (all) =>
        all.filter((span) => span.name === route && span.attributes['http.response.status_code']).length >= 2,
    );
    expect(spans.filter((span) => /^GET \/(healthz|metrics)/.test(span.name))).toEqual([]);
    const hookSpans = spans.filter((span) => span.name === route);
    expect(hookSpans.map((span) => span.attributes['http.response.status_code']).sort()).toEqual([202, 404]);
    const failed = hookSpans.find((span) => span.attributes['http.response.status_code'] === 404);
    // The plugin would put the error's message in the status; the stable code goes there instead.
    expect(failed?.status).toEqual({ code: 2, message: refused.json().error.code });
    expect(failed?.attributes['error.type']).toBe(refused.json().error.code);
    const everything = receiver.bodies.join('\n');
    expect(everything).not.toContain(secret);
    expect(everything).not.toContain('whs_wrongsecret_canary');
    expect(everything).not.toContain(refused.json().error.message);
  });

  it('never exports a secret: the provider key and the API token appear in no span', async () => {
    await tracing?.forceFlush();
    expect(receiver.bodies.length).toBeGreaterThan(0);
    const everything = receiver.bodies.join('\n');
    expect(everything).not.toContain(canary);
    expect(everything).not.toContain('fd_');
    expect(everything.toLowerCase()).not.toContain('authorization');
  });
});
