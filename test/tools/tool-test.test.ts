import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient } from '../executions/execution-test-kit.ts';
import { createWorkspaceFixture, type WorkspaceFixture } from '../support/identity-fixture.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

const cityParameters = {
  type: 'object',
  properties: { city: { type: 'string', minLength: 1 } },
  required: ['city'],
  additionalProperties: false,
};

/** "Test tool" in the builder: one call by hand, run as the loop runs it, with no model (issue 18). */
describe('testing a tool with typed arguments', () => {
  let testApp: TestApp;
  let fixture: WorkspaceFixture;
  let api: ReturnType<typeof apiClient>;
  let server: Server;
  let url = '';
  const requests: string[] = [];

  beforeAll(async () => {
    server = createServer((request, response) => {
      requests.push(request.url ?? '');
      if (request.url?.startsWith('/broken')) {
        response.writeHead(500, { 'content-type': 'application/json' }).end('{"oops":true}');
        return;
      }
      const city = new URL(request.url ?? '/', 'http://x').searchParams.get('city');
      response
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ city, celsius: 4 }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    testApp = await createTestApp();
    fixture = await createWorkspaceFixture(testApp.services, 'tool-test');
    api = apiClient(testApp, fixture);
  });
  afterAll(async () => {
    await testApp.close();
    await new Promise((resolve) => server.close(resolve));
  });

  async function agentWithTools() {
    const helper = await api.createAgent({ name: `Helper ${Date.now()}`, provider: 'mock', model: 'm' });
    return api.createAgent({
      name: `Forecaster ${Date.now()}`,
      provider: 'mock',
      model: 'm',
      tools: [
        {
          kind: 'http',
          name: 'get_weather',
          description: 'Current weather of a city',
          parameters: cityParameters,
          resultSchema: {
            type: 'object',
            properties: { celsius: { type: 'number' } },
            required: ['celsius'],
          },
          method: 'GET',
          url: `${url}/weather?city={{ input.city }}`,
          timeoutMs: 2_000,
        },
        {
          kind: 'http',
          name: 'broken',
          description: 'Always fails',
          parameters: cityParameters,
          method: 'GET',
          url: `${url}/broken`,
          timeoutMs: 2_000,
        },
        {
          kind: 'agent',
          name: 'ask_helper',
          description: 'Another agent',
          agent: helper.slug,
          parameters: { type: 'object', properties: {} },
        },
      ],
    });
  }

  it('calls an http tool with the typed arguments and answers its result, with no execution', async () => {
    const agent = await agentWithTools();
    const executionsBefore = (await api.get('/executions?limit=200')).json().items.length;
    const response = await api.post(`/agents/${agent.id}/tools/get_weather/test`, {
      arguments: { city: 'Oslo & Bergen' },
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      tool: 'get_weather',
      kind: 'http',
      arguments: { city: 'Oslo & Bergen' },
      status: 'succeeded',
      result: { city: 'Oslo & Bergen', celsius: 4 },
      error: null,
    });
    expect(requests.at(-1)).toBe('/weather?city=Oslo%20%26%20Bergen');
    expect((await api.get('/executions?limit=200')).json().items.length).toBe(executionsBefore);
  });

  it('reports what the loop would tell the model: invalid arguments, a failing endpoint', async () => {
    const agent = await agentWithTools();
    const before = requests.length;
    const invalid = (
      await api.post(`/agents/${agent.id}/tools/get_weather/test`, { arguments: { town: 'x' } })
    ).json();
    expect(invalid).toMatchObject({ status: 'failed', error: { code: 'tool_arguments_invalid' } });
    expect(requests.length).toBe(before);
    const broken = (
      await api.post(`/agents/${agent.id}/tools/broken/test`, { arguments: { city: 'x' } })
    ).json();
    expect(broken.status).toBe('failed');
    expect(broken.error.code).toMatch(/^tool_/);
  });

  it('answers from the result schema in mock mode without any network', async () => {
    const agent = await agentWithTools();
    const before = requests.length;
    const mocked = (
      await api.post(`/agents/${agent.id}/tools/get_weather/test`, {
        arguments: { city: 'Oslo' },
        mode: 'mock',
      })
    ).json();
    expect(mocked.status).toBe('succeeded');
    expect(typeof mocked.result.celsius).toBe('number');
    expect(requests.length).toBe(before);
  });

  it('refuses an unknown tool and an agent tool, naming what to do', async () => {
    const agent = await agentWithTools();
    const unknown = await api.post(`/agents/${agent.id}/tools/nope/test`, { arguments: {} });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.code).toBe('tool_not_found');
    const agentTool = await api.post(`/agents/${agent.id}/tools/ask_helper/test`, { arguments: {} });
    expect(agentTool.statusCode).toBe(400);
    expect(agentTool.json().error).toMatchObject({
      code: 'tool_test_unsupported',
      details: { field: 'toolName' },
    });
  });
});
