/** An agent's tools are checked when it is saved: 400 with a stable code naming the field. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient } from '../executions/execution-test-kit.ts';
import { createWorkspaceFixture, type WorkspaceFixture } from '../support/identity-fixture.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

const parameters = { type: 'object', properties: { q: { type: 'string' } }, required: ['q'] };
const httpTool = {
  kind: 'http',
  name: 'search',
  description: 'Searches the catalog',
  parameters,
  method: 'GET',
  url: 'https://api.example.com/search?q={{ input.q }}',
};

describe('tool definitions at agent save time', () => {
  let testApp: TestApp;
  let fixture: WorkspaceFixture;
  let api: ReturnType<typeof apiClient>;

  beforeAll(async () => {
    testApp = await createTestApp();
    fixture = await createWorkspaceFixture(testApp.services, 'tool-definitions');
    api = apiClient(testApp, fixture);
  });
  afterAll(() => testApp.close());

  const create = (tools: unknown[], extra: Record<string, unknown> = {}) =>
    api.post('/agents', { name: `Tools ${Math.random()}`, provider: 'mock', model: 'mock', tools, ...extra });

  it('keeps valid tools as typed, with maxToolCalls defaulting to 10', async () => {
    const response = await create([
      { ...httpTool, headers: { authorization: 'Bearer {{ secrets.SEARCH_KEY }}' } },
    ]);
    expect(response.statusCode, response.body).toBe(201);
    const agent = response.json();
    expect(agent.maxToolCalls).toBe(10);
    expect(agent.tools).toEqual([
      { ...httpTool, headers: { authorization: 'Bearer {{ secrets.SEARCH_KEY }}' } },
    ]);
    expect(Object.keys(agent.tools[0])).toEqual([...Object.keys(httpTool), 'headers']);
  });

  const cases: Array<[string, unknown[], string, string]> = [
    [
      'a name providers refuse',
      [{ ...httpTool, name: 'search the web' }],
      'tool_name_invalid',
      'tools[0].name',
    ],
    ['two tools of one name', [httpTool, httpTool], 'tool_name_duplicate', 'tools[1].name'],
    [
      'parameters that are not an object schema',
      [{ ...httpTool, parameters: { type: 'string' } }],
      'tool_parameters_invalid',
      'tools[0].parameters',
    ],
    [
      'parameters that are not JSON Schema',
      [{ ...httpTool, parameters: { type: 'object', required: 'q' } }],
      'schema_invalid',
      'tools[0].parameters',
    ],
    ['a relative URL', [{ ...httpTool, url: '/search' }], 'tool_url_invalid', 'tools[0].url'],
    [
      'a host from the arguments',
      [{ ...httpTool, url: 'https://{{ input.q }}/x' }],
      'tool_url_invalid',
      'tools[0].url',
    ],
    [
      'a header from the arguments',
      [{ ...httpTool, headers: { 'x-q': '{{ input.q }}' } }],
      'tool_header_invalid',
      'tools[0].headers.x-q',
    ],
    [
      'no description',
      [{ ...httpTool, description: ' ' }],
      'tool_description_missing',
      'tools[0].description',
    ],
    [
      'an unknown agent',
      [{ kind: 'agent', name: 'helper', description: 'Helps', parameters, agent: 'nope' }],
      'tool_agent_not_found',
      'tools[0].agent',
    ],
  ];
  for (const [label, tools, code, field] of cases) {
    it(`refuses ${label}: 400 ${code}`, async () => {
      const response = await create(tools);
      expect(response.statusCode, response.body).toBe(400);
      const error = response.json().error;
      expect(error.code).toBe(code);
      expect(error.details.field).toBe(field);
      expect(error.message).toContain(field);
    });
  }

  it('refuses an agent tool that calls its own agent', async () => {
    const created = (await create([])).json();
    const response = await api.patch(`/agents/${created.id}`, {
      tools: [{ kind: 'agent', name: 'me', description: 'Me again', parameters, agent: created.slug }],
    });
    expect(response.statusCode, response.body).toBe(400);
    expect(response.json().error.code).toBe('tool_agent_self');
  });
});
