/**
 * The tool loop through the API, against the fake provider through the real SDK adapters: the model
 * asks for http tools served by this test on loopback, sees their results (or errors), and answers.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type FakeConversation,
  type FakeProvider,
  type FakeResponder,
  startFakeProvider,
} from '../../src/llm/fake-provider/index.ts';
import { apiClient, parseEventStream } from '../executions/execution-test-kit.ts';
import { createWorkspaceFixture, type WorkspaceFixture } from '../support/identity-fixture.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

interface ToolRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A loopback server the http tools call; each test sets how it answers. */
async function startToolServer() {
  const requests: ToolRequest[] = [];
  let handler: (request: ToolRequest, response: ServerResponse) => void | Promise<void> = (
    _request,
    response,
  ) => {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end('{}');
  };
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const seen = {
        method: request.method ?? '',
        url: request.url ?? '',
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(seen);
      void handler(seen, response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    answer(next: typeof handler) {
      handler = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const json = (response: ServerResponse, status: number, body: unknown) => {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
};

const cityParameters = {
  type: 'object',
  properties: { city: { type: 'string', minLength: 2 } },
  required: ['city'],
  additionalProperties: false,
};

describe('the tool loop', () => {
  let testApp: TestApp;
  let fake: FakeProvider;
  let tools: Awaited<ReturnType<typeof startToolServer>>;
  let fixture: WorkspaceFixture;
  let api: ReturnType<typeof apiClient>;
  const conversations: FakeConversation[] = [];
  const script = (responder: FakeResponder) =>
    fake.respondWith((conversation) => {
      conversations.push(conversation);
      return responder(conversation);
    });

  beforeAll(async () => {
    testApp = await createTestApp();
    fake = await startFakeProvider();
    tools = await startToolServer();
    fixture = await createWorkspaceFixture(testApp.services, 'tool-loop');
    api = apiClient(testApp, fixture);
    await api.addFakeKey(fake);
    await api.addFakeKey(fake, 'anthropic', 'sk-ant-tools-0001');
  });
  afterAll(async () => {
    await testApp.close();
    await fake.close();
    await tools.close();
  });
  beforeEach(() => {
    fake.reset();
    conversations.length = 0;
    tools.requests.length = 0;
  });

  const weatherAgent = (extra: Record<string, unknown> = {}) =>
    api.createAgent({
      name: `Weather ${Math.random().toString(36).slice(2, 8)}`,
      provider: 'openai',
      model: 'gpt-4o-mini',
      promptTemplate: 'Weather in {{ input.city }}?',
      tools: [
        {
          kind: 'http',
          name: 'get_weather',
          description: 'Current weather of a city',
          parameters: cityParameters,
          method: 'GET',
          url: `${tools.url}/weather?city={{ input.city }}`,
          timeoutMs: 2_000,
        },
      ],
      ...extra,
    });

  /** Asks for the given calls on the first turn, then answers with what the tools said. */
  const askOnceThenAnswer = (calls: Array<{ name: string; arguments: unknown }>) =>
    script((conversation) =>
      conversation.toolResults.length === 0
        ? { toolCalls: calls }
        : { text: `final: ${conversation.toolResults.map((result) => result.content).join(' | ')}` },
    );

  for (const dialect of ['openai', 'anthropic'] as const) {
    it(`${dialect}: calls an http tool with validated arguments and answers from its result`, async () => {
      tools.answer((request, response) =>
        json(response, 200, { city: new URL(request.url, tools.url).searchParams.get('city'), celsius: 4 }),
      );
      const agent = await weatherAgent(
        dialect === 'anthropic' ? { provider: 'anthropic', model: 'claude-sonnet-4-5' } : {},
      );
      askOnceThenAnswer([{ name: 'get_weather', arguments: { city: 'Oslo & Bergen' } }]);
      const response = await api.post(`/agents/${agent.id}/executions`, { input: { city: 'Oslo' } });
      expect(response.statusCode, response.body).toBe(201);
      const execution = response.json();
      expect(execution.status).toBe('completed');
      expect(execution.output).toContain('"celsius":4');
      // The value went into the query encoded: it could not add a parameter.
      expect(tools.requests.map((request) => request.url)).toEqual(['/weather?city=Oslo%20%26%20Bergen']);
      expect(execution.output).toContain('"city":"Oslo & Bergen"');
      expect(execution.toolCalls).toHaveLength(1);
      expect(execution.toolCalls[0]).toMatchObject({
        tool: 'get_weather',
        kind: 'http',
        arguments: { city: 'Oslo & Bergen' },
        result: { city: 'Oslo & Bergen', celsius: 4 },
        error: null,
        status: 'succeeded',
        turn: 1,
      });
      // Two model calls, each with its own attempt and usage, summed into the execution.
      expect(execution.attempts).toHaveLength(2);
      const completions = fake.calls.filter((call) => call.status === 200);
      expect(completions).toHaveLength(2);
      const promptTokens = completions.reduce((sum, call) => sum + (call.usage?.promptTokens ?? 0), 0);
      expect(execution.usage.inputTokens).toBe(promptTokens);
      const stored = await api.get(`/executions/${execution.id}`);
      expect(stored.json().toolCalls).toEqual(execution.toolCalls);
    });
  }

  it('runs two calls of one turn side by side', async () => {
    // The server answers only once both requests are in: run one after the other, the first would time out.
    const waiting: Array<() => void> = [];
    tools.answer((request, response) => {
      waiting.push(() =>
        json(response, 200, { city: new URL(request.url, tools.url).searchParams.get('city') }),
      );
      if (waiting.length === 2) for (const release of waiting.splice(0)) release();
    });
    const agent = await weatherAgent();
    askOnceThenAnswer([
      { name: 'get_weather', arguments: { city: 'Oslo' } },
      { name: 'get_weather', arguments: { city: 'Rome' } },
    ]);
    const response = await api.post(`/agents/${agent.id}/executions`, { input: { city: 'Oslo' } });
    expect(response.statusCode, response.body).toBe(201);
    const execution = response.json();
    expect(execution.toolCalls.map((call: { status: string }) => call.status)).toEqual([
      'succeeded',
      'succeeded',
    ]);
    expect(execution.toolCalls.map((call: { result: unknown }) => call.result)).toEqual([
      { city: 'Oslo' },
      { city: 'Rome' },
    ]);
    expect(tools.requests).toHaveLength(2);
  });

  it('gives the model an error result for a tool that times out or answers 500, and for invalid arguments', async () => {
    tools.answer((request, response) => {
      const city = new URL(request.url, tools.url).searchParams.get('city');
      if (city === 'Slow') return; // never answers: the tool's 2 s timeout ends it
      json(response, 500, { message: 'weather service down' });
    });
    const agent = await weatherAgent();
    askOnceThenAnswer([
      { name: 'get_weather', arguments: { city: 'Slow' } },
      { name: 'get_weather', arguments: { city: 'Down' } },
      { name: 'get_weather', arguments: { town: 'X' } },
    ]);
    const response = await api.post(`/agents/${agent.id}/executions`, { input: { city: 'Oslo' } });
    expect(response.statusCode, response.body).toBe(201);
    const execution = response.json();
    expect(execution.status).toBe('completed');
    const errors = execution.toolCalls.map((call: { error: { code: string } | null }) => call.error?.code);
    expect(errors).toEqual(['tool_timeout', 'tool_http_failed', 'tool_arguments_invalid']);
    // The invalid call never reached the server.
    expect(tools.requests).toHaveLength(2);
    const results = conversations.at(-1)?.toolResults.map((result) => result.content) ?? [];
    expect(results[0]).toContain('tool_timeout');
    expect(results[1]).toContain('answered 500');
    expect(results[2]).toContain('tool_arguments_invalid');
    expect(execution.output).toContain('tool_http_failed');
  });

  it('stops a model that never finishes at maxToolCalls with 422 tool_limit_reached', async () => {
    tools.answer((_request, response) => json(response, 200, { ok: true }));
    const agent = await weatherAgent({ maxToolCalls: 3 });
    script(() => ({ toolCalls: [{ name: 'get_weather', arguments: { city: 'Oslo' } }] }));
    const response = await api.post(`/agents/${agent.id}/executions`, { input: { city: 'Oslo' } });
    expect(response.statusCode, response.body).toBe(422);
    const body = response.json();
    expect(body.error.code).toBe('tool_limit_reached');
    const execution = body.error.details.execution;
    expect(execution.status).toBe('failed');
    expect(execution.toolCalls).toHaveLength(3);
    expect(tools.requests).toHaveLength(3);
    // Four model turns: three that were answered, the fourth asked for one call too many.
    expect(execution.attempts).toHaveLength(4);
  });

  it("stops at the agent's timeout, which bounds the tool calls too (504 execution_timeout)", async () => {
    tools.answer(() => undefined); // never answers
    const agent = await api.createAgent({
      name: `Slow ${Math.random().toString(36).slice(2, 8)}`,
      provider: 'openai',
      model: 'gpt-4o-mini',
      // 3 s, not 1 s: the first model turn must end well inside the budget on a loaded machine,
      // so the deadline lands in the tool call this test is about.
      timeoutMs: 3_000,
      tools: [
        {
          kind: 'http',
          name: 'slow',
          description: 'Never answers',
          parameters: cityParameters,
          method: 'GET',
          url: `${tools.url}/slow`,
          timeoutMs: 60_000,
        },
      ],
    });
    script(() => ({ toolCalls: [{ name: 'slow', arguments: { city: 'Oslo' } }] }));
    const startedAt = Date.now();
    const response = await api.post(`/agents/${agent.id}/executions`, { input: 'x' });
    expect(response.statusCode, response.body).toBe(504);
    expect(Date.now() - startedAt).toBeLessThan(10_000);
    const execution = response.json().error.details.execution;
    expect(response.json().error.code).toBe('execution_timeout');
    expect(execution.toolCalls[0].error.code).toBe('tool_timeout');
  });

  it('streams the loop: tool-call and tool-result events, then text deltas and execution-end', async () => {
    tools.answer((_request, response) => json(response, 200, { celsius: 9 }));
    const agent = await weatherAgent();
    askOnceThenAnswer([{ name: 'get_weather', arguments: { city: 'Oslo' } }]);
    const response = await api.post(
      `/agents/${agent.id}/executions`,
      { input: { city: 'Oslo' } },
      { accept: 'text/event-stream' },
    );
    const events = parseEventStream(response.body);
    const names = events.map((event) => event.event);
    expect(names[0]).toBe('execution-start');
    expect(names.indexOf('tool-call')).toBeLessThan(names.indexOf('tool-result'));
    expect(names.indexOf('tool-result')).toBeLessThan(names.indexOf('text-delta'));
    expect(names.at(-1)).toBe('execution-end');
    const end = events.at(-1)?.data;
    expect(end.status).toBe('completed');
    expect(end.toolCalls[0].result).toEqual({ celsius: 9 });
    const text = events
      .filter((event) => event.event === 'text-delta')
      .map((event) => event.data.text)
      .join('');
    expect(text).toBe(end.output);
  });
});
