/**
 * Mock mode with tools: the mock model calls each tool once with arguments sampled from its
 * schema, each tool answers a sample of its declared result schema, and nothing leaves the
 * process (no http request, no child execution, no provider key needed).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient } from '../executions/execution-test-kit.ts';
import { createWorkspaceFixture, type WorkspaceFixture } from '../support/identity-fixture.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

const weatherParameters = {
  type: 'object',
  properties: { city: { type: 'string', minLength: 2 }, days: { type: 'integer', minimum: 1, maximum: 7 } },
  required: ['city', 'days'],
  additionalProperties: false,
};
const weatherResult = {
  type: 'object',
  properties: { celsius: { type: 'number' }, sky: { enum: ['clear', 'rain', 'snow'] } },
  required: ['celsius', 'sky'],
};

describe('tools in mock mode', () => {
  let testApp: TestApp;
  let fixture: WorkspaceFixture;
  let api: ReturnType<typeof apiClient>;
  let requests = 0;
  const server = createServer((_request, response) => {
    requests++;
    response.end('{}');
  });

  beforeAll(async () => {
    testApp = await createTestApp();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    fixture = await createWorkspaceFixture(testApp.services, 'tool-mock');
    api = apiClient(testApp, fixture);
  });
  afterAll(async () => {
    await testApp.close();
    server.close();
  });

  it('calls each tool once with sampled arguments and answers with sampled results, offline', async () => {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/weather`;
    const helper = await api.createAgent({ name: 'Mock helper', provider: 'mock', model: 'mock' });
    const agent = await api.createAgent({
      name: 'Mock planner',
      // A live provider without any key stored: mock mode never needs one.
      provider: 'openai',
      model: 'gpt-4o-mini',
      tools: [
        {
          kind: 'http',
          name: 'weather',
          description: 'Forecast',
          parameters: weatherParameters,
          resultSchema: weatherResult,
          method: 'POST',
          url,
        },
        {
          kind: 'agent',
          name: 'helper',
          description: 'Asks the helper',
          parameters: {
            type: 'object',
            properties: { question: { type: 'string' } },
            required: ['question'],
          },
          agent: helper.id,
        },
      ],
    });
    const response = await api.post(`/agents/${agent.id}/executions`, { input: 'plan', mode: 'mock' });
    expect(response.statusCode, response.body).toBe(201);
    const execution = response.json();
    expect(execution.status).toBe('completed');
    expect(execution.toolCalls.map((call: { tool: string }) => call.tool)).toEqual(['weather', 'helper']);
    const ajv = new Ajv2020({ strict: false });
    const [weather, helperCall] = execution.toolCalls;
    expect(ajv.validate(weatherParameters, weather.arguments), JSON.stringify(weather.arguments)).toBe(true);
    expect(ajv.validate(weatherResult, weather.result), JSON.stringify(weather.result)).toBe(true);
    expect(helperCall.status).toBe('succeeded');
    expect(helperCall.childExecutionId).toBeUndefined();
    expect(requests).toBe(0);
    expect(execution.costUsd).toBe(0);
    // Two mock model turns: the calls, then the answer.
    expect(execution.attempts).toHaveLength(2);
    const again = (await api.post(`/agents/${agent.id}/executions`, { input: 'plan', mode: 'mock' })).json();
    expect(
      again.toolCalls.map((call: { arguments: unknown; result: unknown }) => [call.arguments, call.result]),
    ).toEqual(
      execution.toolCalls.map((call: { arguments: unknown; result: unknown }) => [
        call.arguments,
        call.result,
      ]),
    );
  });
});
