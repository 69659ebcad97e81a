/**
 * http tools are user URLs reached from the server: the SSRF guard refuses loopback, link-local and
 * private targets (and redirects to them) before any connection, and a secret in a header never
 * reaches the logs, the trace, the recorded arguments or an API answer.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FakeProvider, startFakeProvider } from '../../src/llm/fake-provider/index.ts';
import { createLogger } from '../../src/telemetry/logger.ts';
import { apiClient } from '../executions/execution-test-kit.ts';
import { createWorkspaceFixture, type WorkspaceFixture } from '../support/identity-fixture.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

const canary = `canary-${Math.random().toString(36).slice(2)}-secret-value`;
const parameters = { type: 'object', properties: { q: { type: 'string' } }, required: ['q'] };

async function listen(server: Server, host: string): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return `http://${host}:${(server.address() as AddressInfo).port}`;
}

describe('http tool security', () => {
  const spans = new InMemorySpanExporter();
  const spanProcessor = new SimpleSpanProcessor({ exporter: spans });
  const logLines: string[] = [];
  const fetched: string[] = [];
  let testApp: TestApp;
  let fake: FakeProvider;
  let fixture: WorkspaceFixture;
  let api: ReturnType<typeof apiClient>;
  let allowedUrl: string;
  let trapUrl: string;
  const allowedServer = createServer();
  /** On 127.0.0.2, which the allow list (127.0.0.1, localhost) does not name: it must never be reached. */
  const trapServer = createServer((_request, response) => {
    trapHits++;
    response.end('{}');
  });
  let trapHits = 0;
  const received: Array<{ url: string; authorization: string | undefined }> = [];

  beforeAll(async () => {
    const provider = new TracerProvider({ spanProcessors: [spanProcessor] });
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    trace.setGlobalTracerProvider(provider);
    allowedUrl = await listen(allowedServer, '127.0.0.1');
    trapUrl = await listen(trapServer, '127.0.0.2');
    allowedServer.on('request', (request, response) => {
      received.push({ url: request.url ?? '', authorization: request.headers.authorization });
      if (request.url?.startsWith('/redirect-private')) {
        response.writeHead(302, { location: `${trapUrl}/inside` });
        return response.end();
      }
      if (request.url?.startsWith('/redirect-metadata')) {
        response.writeHead(307, { location: 'http://169.254.169.254/latest/meta-data/' });
        return response.end();
      }
      if (request.url?.startsWith('/fail')) {
        // A server that echoes what it was sent, in an error: the secret must still not come back.
        response.writeHead(500, { 'content-type': 'text/plain' });
        return response.end(`bad token ${request.headers.authorization}`);
      }
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ echo: request.headers.authorization, ok: true }));
    });
    const destination = new Writable({
      write(chunk, _encoding, callback) {
        logLines.push(chunk.toString());
        callback();
      },
    });
    testApp = await createTestApp({
      logger: createLogger({ level: 'trace', destination }),
      // Records every request the guard lets through: a refused one never gets here.
      providerLookup: async (hostname) => {
        const addresses: Record<string, string> = {
          'metadata.test': '169.254.169.254',
          'private.test': '10.20.30.40',
          'trap.test': '127.0.0.2',
        };
        const address = addresses[hostname];
        if (!address) throw new Error(`no test address for ${hostname}`);
        return [{ address, family: 4 }];
      },
      providerFetch: async (input, init) => {
        const url = input instanceof Request ? input.url : String(input);
        // Model calls to the fake provider go through here too; only tool requests are counted.
        if (!url.startsWith(fake.url)) fetched.push(url);
        return fetch(input, init);
      },
    });
    fake = await startFakeProvider();
    fixture = await createWorkspaceFixture(testApp.services, 'tool-security');
    api = apiClient(testApp, fixture);
    await api.addFakeKey(fake);
    const secret = await api.post('/secrets', { name: 'CANARY_TOKEN', value: canary });
    expect(secret.statusCode, secret.body).toBe(201);
  });
  afterAll(async () => {
    await testApp.close();
    await fake.close();
    allowedServer.close();
    trapServer.close();
  });
  beforeEach(() => {
    fake.reset();
    fetched.length = 0;
    received.length = 0;
    spans.reset();
  });

  const runWithTool = async (url: string, headers: Record<string, string> = {}) => {
    const agent = await api.createAgent({
      name: `Guarded ${Math.random().toString(36).slice(2, 8)}`,
      provider: 'openai',
      model: 'gpt-4o-mini',
      tools: [
        { kind: 'http', name: 'fetch_it', description: 'Fetches', parameters, method: 'POST', url, headers },
      ],
    });
    fake.respondWith((conversation) =>
      conversation.toolResults.length === 0
        ? { toolCalls: [{ name: 'fetch_it', arguments: { q: 'x' } }] }
        : { text: `done: ${conversation.toolResults[0]?.content}` },
    );
    const response = await api.post(`/agents/${agent.id}/executions`, { input: 'go' });
    expect(response.statusCode, response.body).toBe(201);
    return response;
  };

  // Names that resolve (through the injected lookup) to refused addresses: a literal address is
  // already refused when the agent is saved (tool-definitions.test.ts), a name only when called.
  const refusals: Array<[string, () => string]> = [
    ['a name resolving to a link-local (metadata) address', () => 'http://metadata.test/latest/meta-data/'],
    ['a name resolving to a private address', () => 'http://private.test/api'],
    [
      'a name resolving to a loopback address the allow list does not name',
      () => `${trapUrl.replace('127.0.0.2', 'trap.test')}/api`,
    ],
  ];
  for (const [label, url] of refusals) {
    it(`refuses ${label} without a connection`, async () => {
      const execution = (await runWithTool(url())).json();
      expect(execution.toolCalls[0].error.code).toBe('tool_http_blocked');
      expect(fetched).toEqual([]);
      expect(trapHits).toBe(0);
    });
  }

  for (const [label, path] of [
    ['a private address', '/redirect-private'],
    ['a link-local address', '/redirect-metadata'],
  ] as const) {
    it(`refuses a redirect to ${label} without following it`, async () => {
      const execution = (await runWithTool(`${allowedUrl}${path}`)).json();
      expect(execution.toolCalls[0].error.code).toBe('tool_http_blocked');
      // Only the first hop, to the allowed host, was sent.
      expect(fetched).toEqual([`${allowedUrl}${path}`]);
      expect(trapHits).toBe(0);
    });
  }

  it('keeps a header secret out of logs, traces, recorded arguments and API answers', async () => {
    const headers = { authorization: 'Bearer {{ secrets.CANARY_TOKEN }}' };
    const ok = await runWithTool(`${allowedUrl}/ok`, headers);
    const failed = await runWithTool(`${allowedUrl}/fail`, headers);
    // The secret did reach the tool's server, so the check below is about something real.
    expect(received.map((request) => request.authorization)).toEqual([
      `Bearer ${canary}`,
      `Bearer ${canary}`,
    ]);
    const okExecution = ok.json();
    expect(okExecution.toolCalls[0].status).toBe('succeeded');
    expect(okExecution.toolCalls[0].result.echo).toBe('Bearer [secret]');
    expect(failed.json().toolCalls[0].error.code).toBe('tool_http_failed');
    const stored = await Promise.all(
      [okExecution.id, failed.json().id].map((id) => api.get(`/executions/${id}`)),
    );
    const list = await api.get('/executions?limit=10');
    const agentBodies = await api.get('/agents');
    for (const text of [
      ok.body,
      failed.body,
      ...stored.map((response) => response.body),
      list.body,
      agentBodies.body,
    ]) {
      expect(text).not.toContain(canary);
    }
    // What the model was sent on its next turn.
    for (const call of fake.calls) expect(JSON.stringify(call.body)).not.toContain(canary);
    expect(logLines.length).toBeGreaterThan(0);
    expect(logLines.join('')).not.toContain(canary);
    await spanProcessor.forceFlush();
    const finished = spans.getFinishedSpans();
    const toolSpans = finished.filter((span) => span.name === 'execute_tool fetch_it');
    expect(toolSpans).toHaveLength(2);
    const agentSpan = finished.find((span) => span.name === 'agent.execute');
    expect(toolSpans[0]?.attributes['gen_ai.tool.name']).toBe('fetch_it');
    expect(toolSpans[0]?.attributes['gen_ai.tool.call.id']).toBe(okExecution.toolCalls[0].id);
    expect(toolSpans[0]?.parentSpanContext?.spanId).toBeDefined();
    expect(
      finished.some(
        (span) =>
          span.spanContext().spanId === toolSpans[0]?.parentSpanContext?.spanId &&
          span.name === 'agent.execute',
      ),
    ).toBe(true);
    expect(agentSpan).toBeDefined();
    expect(JSON.stringify(finished.map((span) => [span.name, span.attributes, span.events]))).not.toContain(
      canary,
    );
  });
});
