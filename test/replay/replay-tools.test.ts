import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeProvider, startFakeProvider } from '../../src/llm/fake-provider/index.ts';
import { apiClient } from '../executions/execution-test-kit.ts';
import { createWorkspaceFixture, type WorkspaceFixture } from '../support/identity-fixture.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

/** Tool results are recorded (kind `tool`) and a replay answers the tool loop from them. */
describe('record and replay of the tool loop', () => {
  let testApp: TestApp;
  let fake: FakeProvider;
  let fixture: WorkspaceFixture;
  let server: Server;
  let serverUrl: string;
  const requests: string[] = [];

  beforeAll(async () => {
    testApp = await createTestApp();
    fake = await startFakeProvider();
    fixture = await createWorkspaceFixture(testApp.services, 'replay-tools');
    await apiClient(testApp, fixture).addFakeKey(fake);
    server = createServer((request, response) => {
      requests.push(request.url ?? '');
      const city = new URL(request.url ?? '/', 'http://x').searchParams.get('city');
      if (city === 'Slow') return; // never answers: the tool's timeout ends it
      // Rome answers late, so the two calls of the turn end in another order than asked.
      setTimeout(
        () => {
          response.writeHead(city === 'Down' ? 500 : 200, { 'content-type': 'application/json' });
          response.end(
            JSON.stringify(city === 'Down' ? { message: 'down' } : { city, celsius: city?.length }),
          );
        },
        city === 'Rome' ? 150 : 0,
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    serverUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await testApp.close();
    await fake.close().catch(() => undefined);
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('replays tool calls, parallel ones and failures included, without calling the tools or the model', async () => {
    const api = apiClient(testApp, fixture);
    const agent = await api.createAgent({
      name: 'Weather replay',
      provider: 'openai',
      model: 'gpt-4o-mini',
      promptTemplate: 'Weather in {{ input.city }}?',
      tools: [
        {
          kind: 'http',
          name: 'get_weather',
          description: 'Current weather of a city',
          parameters: {
            type: 'object',
            properties: { city: { type: 'string' } },
            required: ['city'],
            additionalProperties: false,
          },
          method: 'GET',
          url: `${serverUrl}/weather?city={{ input.city }}`,
          timeoutMs: 500,
        },
      ],
    });
    fake.respondWith((conversation) =>
      conversation.toolResults.length === 0
        ? {
            toolCalls: [
              { name: 'get_weather', arguments: { city: 'Rome' } },
              { name: 'get_weather', arguments: { city: 'Oslo' } },
              { name: 'get_weather', arguments: { city: 'Down' } },
              { name: 'get_weather', arguments: { city: 'Slow' } },
            ],
          }
        : { text: `final: ${conversation.toolResults.map((result) => result.content).join(' | ')}` },
    );
    const recorded = await api.post(`/agents/${agent.id}/executions`, {
      input: { city: 'Oslo' },
      record: true,
    });
    expect(recorded.statusCode, recorded.body).toBe(201);
    const original = recorded.json();
    expect(original.toolCalls.map((call: { status: string }) => call.status)).toEqual([
      'succeeded',
      'succeeded',
      'failed',
      'failed',
    ]);
    const rows = await testApp.services.repositories.recordedExchanges.listOfExecution(
      fixture.workspaceId,
      original.id,
    );
    expect(rows.map((row) => row.kind)).toEqual(['model', 'tool', 'tool', 'tool', 'tool', 'model']);
    // Recorded as they ended: Oslo before Rome, whatever order the model asked in.
    const toolOrder = rows
      .filter((row) => row.kind === 'tool')
      .map((row) => (row.request as { arguments: { city: string } }).arguments.city);
    expect(toolOrder.indexOf('Oslo')).toBeLessThan(toolOrder.indexOf('Rome'));

    const toolRequests = requests.length;
    const modelCalls = fake.calls.length;
    for (let round = 0; round < 3; round++) {
      const replayed = await api.post(`/agents/${agent.id}/executions`, {
        mode: 'replay',
        replayOf: original.id,
      });
      expect(replayed.statusCode, replayed.body).toBe(201);
      const replay = replayed.json();
      expect(replay).toMatchObject({ mode: 'replay', output: original.output, costUsd: 0 });
      expect(
        replay.toolCalls.map((call: { result: unknown; error: unknown; status: string }) => [
          call.status,
          call.result,
          call.error,
        ]),
      ).toEqual(
        original.toolCalls.map((call: { result: unknown; error: unknown; status: string }) => [
          call.status,
          call.result,
          call.error,
        ]),
      );
    }
    expect(requests).toHaveLength(toolRequests);
    expect(fake.calls).toHaveLength(modelCalls);
  });
});
