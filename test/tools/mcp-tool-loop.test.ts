/**
 * An agent with MCP tools, end to end: saved through the API (its server and tool checked), run
 * against the fake provider through the real SDK adapters, the model's calls answered by an SDK
 * McpServer on loopback, and the results back in the model's next turn and the execution record.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type FakeConversation,
  type FakeProvider,
  type FakeResponder,
  startFakeProvider,
} from '../../src/llm/fake-provider/index.ts';
import { apiClient, parseEventStream } from '../executions/execution-test-kit.ts';
import { createWorkspaceFixture, headersFor, type WorkspaceFixture } from '../support/identity-fixture.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';
import { type McpTestServer, startMcpTestServer } from './mcp-test-server.ts';

const token = 'mcp-loop-token-5f1e0c2a9b';

describe('an agent with MCP tools', () => {
  let testApp: TestApp;
  let fake: FakeProvider;
  let server: McpTestServer;
  let fixture: WorkspaceFixture;
  let api: ReturnType<typeof apiClient>;
  let serverId: string;
  const conversations: FakeConversation[] = [];
  const script = (responder: FakeResponder) =>
    fake.respondWith((conversation) => {
      conversations.push(conversation);
      return responder(conversation);
    });

  beforeAll(async () => {
    server = await startMcpTestServer({ requiredAuthorization: `Bearer ${token}`, echoSecret: token });
    testApp = await createTestApp();
    fake = await startFakeProvider();
    fixture = await createWorkspaceFixture(testApp.services, 'mcp-loop');
    api = apiClient(testApp, fixture);
    await api.addFakeKey(fake);
    const created = await api.post('/mcp-servers', {
      name: 'calculator',
      url: server.url,
      headers: { Authorization: `Bearer ${token}` },
    });
    expect(created.statusCode, created.body).toBe(201);
    serverId = created.json().id;
  });
  afterAll(async () => {
    await testApp.close();
    await fake.close();
    await server.close();
  });
  beforeEach(() => {
    fake.reset();
    conversations.length = 0;
    server.calls.length = 0;
  });

  const calculator = (tools: Array<Record<string, unknown>>) =>
    api.createAgent({
      name: `Calculator ${Math.random().toString(36).slice(2, 8)}`,
      provider: 'openai',
      model: 'gpt-4o-mini',
      promptTemplate: 'Add {{ input.a }} and {{ input.b }}.',
      tools,
    });

  it("calls the server's tool with the model's arguments and answers from its structured result", async () => {
    const agent = await calculator([{ kind: 'mcp', name: 'add_numbers', server: serverId, tool: 'add' }]);
    script((conversation) =>
      conversation.toolResults.length === 0
        ? { toolCalls: [{ name: 'add_numbers', arguments: { a: 19, b: 23 } }] }
        : { text: `The sum is ${conversation.toolResults.map((result) => result.content).join(' ')}` },
    );
    const response = await api.post(`/agents/${agent.id}/executions`, { input: { a: 19, b: 23 } });
    expect(response.statusCode, response.body).toBe(201);
    const execution = response.json();
    expect(execution.status).toBe('completed');
    expect(server.calls).toEqual([{ tool: 'add', arguments: { a: 19, b: 23 } }]);
    expect(execution.toolCalls).toHaveLength(1);
    expect(execution.toolCalls[0]).toMatchObject({
      tool: 'add_numbers',
      kind: 'mcp',
      arguments: { a: 19, b: 23 },
      result: { sum: 42 },
      error: null,
      status: 'succeeded',
    });
    expect(execution.output).toContain('42');
    // The model was offered the server's own schema under the agent's name for the tool.
    expect(conversations[0]?.tools).toContain('add_numbers');
    const offered = JSON.stringify(conversations[0]?.body.tools);
    expect(offered).toContain('"required":["a","b"]');
    expect(offered).not.toContain('$schema');
    expect(response.body).not.toContain(token);
  });

  it("gives the model the tool's error result (isError), never the credential it echoed", async () => {
    const agent = await calculator([{ kind: 'mcp', name: 'refuse', server: serverId, tool: 'refuse' }]);
    script((conversation) =>
      conversation.toolResults.length === 0
        ? { toolCalls: [{ name: 'refuse', arguments: { why: 'policy' } }] }
        : { text: `The tool said: ${conversation.toolResults.map((result) => result.content).join(' ')}` },
    );
    const response = await api.post(`/agents/${agent.id}/executions`, { input: { a: 1, b: 2 } });
    expect(response.statusCode, response.body).toBe(201);
    const execution = response.json();
    expect(execution.status).toBe('completed');
    expect(execution.toolCalls[0]).toMatchObject({
      status: 'failed',
      error: { code: 'mcp_tool_error', message: 'refused: policy (token [secret])' },
    });
    const seenByModel = JSON.stringify(conversations.at(-1)?.toolResults);
    expect(seenByModel).toContain('refused: policy');
    expect(seenByModel).not.toContain(token);
    expect(response.body).not.toContain(token);
  });

  it('streams the tool call and its result over SSE', async () => {
    const agent = await calculator([{ kind: 'mcp', name: 'shout', server: serverId, tool: 'shout' }]);
    script((conversation) =>
      conversation.toolResults.length === 0
        ? { toolCalls: [{ name: 'shout', arguments: { text: 'hi' } }] }
        : { text: 'done' },
    );
    const response = await testApp.app.inject({
      method: 'POST',
      url: `/api/workspaces/${fixture.workspaceId}/agents/${agent.id}/executions`,
      headers: { ...headersFor(fixture.tokens.owner), accept: 'text/event-stream' },
      payload: { input: { a: 1, b: 2 } },
    });
    const events = parseEventStream(response.body);
    const types = events.map((event) => event.event);
    expect(types).toContain('tool-call');
    expect(types).toContain('tool-result');
    const result = events.find((event) => event.event === 'tool-result');
    expect(JSON.stringify(result?.data)).toContain('HI');
  });

  it('refuses on save an unknown server or a tool the server does not list, naming the field', async () => {
    const unknownServer = await api.post('/agents', {
      name: 'Broken calculator',
      provider: 'openai',
      model: 'gpt-4o-mini',
      tools: [{ kind: 'mcp', name: 'add', server: '0190a0a0-0000-7000-8000-000000000000', tool: 'add' }],
    });
    expect(unknownServer.statusCode).toBe(400);
    expect(unknownServer.json().error).toMatchObject({
      code: 'mcp_server_not_found',
      details: { field: 'tools[0].server' },
    });
    // A change to an existing agent is checked the same way (before its locked transaction: on
    // PGlite's one connection the check's own reads would otherwise wait forever).
    const plain = await calculator([]);
    const patched = await api.patch(`/agents/${plain.id}`, {
      tools: [{ kind: 'mcp', name: 'add', server: serverId, tool: 'add' }],
    });
    expect(patched.statusCode, patched.body).toBe(200);
    expect(patched.json().tools).toEqual([{ kind: 'mcp', name: 'add', server: serverId, tool: 'add' }]);
    const badPatch = await api.patch(`/agents/${plain.id}`, {
      tools: [{ kind: 'mcp', name: 'add', server: serverId, tool: 'divide' }],
    });
    expect(badPatch.statusCode).toBe(400);
    expect(badPatch.json().error).toMatchObject({
      code: 'mcp_tool_not_found',
      details: { field: 'tools[0].tool' },
    });
    const unknownTool = await api.post('/agents', {
      name: 'Broken calculator 2',
      provider: 'openai',
      model: 'gpt-4o-mini',
      tools: [{ kind: 'mcp', name: 'divide', server: serverId, tool: 'divide' }],
    });
    expect(unknownTool.statusCode).toBe(400);
    expect(unknownTool.json().error).toMatchObject({
      code: 'mcp_tool_not_found',
      details: { field: 'tools[0].tool' },
    });
  });
});
