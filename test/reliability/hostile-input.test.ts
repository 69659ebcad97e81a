import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient } from '../executions/execution-test-kit.ts';
import { createWorkspaceFixture, type WorkspaceFixture } from '../support/identity-fixture.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

// Requests that used to hold the event loop for minutes: each must be answered promptly.
describe('one request must not stop a node', () => {
  let testApp: TestApp;
  let fixture: WorkspaceFixture;
  let api: ReturnType<typeof apiClient>;

  beforeAll(async () => {
    testApp = await createTestApp({ bodyLimitBytes: 4 * 1024 * 1024 });
    fixture = await createWorkspaceFixture(testApp.services, 'hostile-input');
    api = apiClient(testApp, fixture);
  });
  afterAll(() => testApp.close());

  it('estimates a long prompt without spaces in linear time', async () => {
    const agent = await api.createAgent({ name: 'Echo', provider: 'mock', model: 'gpt-4o-mini' });
    const started = performance.now();
    const response = await api.post(`/agents/${agent.id}/executions`, {
      input: 'a'.repeat(900_000),
      mode: 'mock',
    });
    const elapsedMs = performance.now() - started;
    expect(response.statusCode).toBe(201);
    expect(response.json().usage.inputTokens).toBeGreaterThan(100_000);
    // It took over 300 s before; a generous bound that still fails a superlinear estimate.
    expect(elapsedMs).toBeLessThan(20_000);
  }, 60_000);

  it('refuses a template that would render a huge prompt with 413 prompt_too_large', async () => {
    const agent = await api.createAgent({
      name: 'Repeater',
      provider: 'mock',
      model: 'mock-model',
      promptTemplate: '{{ input }}'.repeat(9_000),
    });
    const started = performance.now();
    const response = await api.post(`/agents/${agent.id}/executions`, {
      input: 'x'.repeat(100_000),
      mode: 'mock',
    });
    expect(response.statusCode).toBe(413);
    expect(response.json().error.code).toBe('prompt_too_large');
    expect(performance.now() - started).toBeLessThan(10_000);
    // Nothing was recorded for the refused run.
    const history = (await api.get(`/executions?agentId=${agent.id}`)).json();
    expect(history.items).toHaveLength(0);
  }, 60_000);

  it('runs a user pattern that backtracks catastrophically on a linear engine', async () => {
    const agent = await api.createAgent({
      name: 'Patterned',
      provider: 'mock',
      model: 'mock-model',
      inputSchema: { type: 'object', properties: { code: { type: 'string', pattern: '^(a+)+$' } } },
    });
    const started = performance.now();
    const response = await api.post(`/agents/${agent.id}/executions`, {
      input: { code: `${'a'.repeat(30_000)}!` },
      mode: 'mock',
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.code).toBe('input_invalid');
    expect(performance.now() - started).toBeLessThan(10_000);
    const refused = await api.post('/agents', {
      name: 'Lookahead',
      provider: 'mock',
      model: 'mock-model',
      inputSchema: { type: 'string', pattern: '(?=a)a' },
    });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().error.code).toBe('schema_invalid');
  }, 60_000);
});

describe('no secret in error text', () => {
  it('scrubs a key the provider echoes back from the execution, its views and the stored row', async () => {
    const { createServer } = await import('node:http');
    const canary = 'sk-canary-echo-9f8e7d6c5b4a3210';
    const echo = createServer((request, response) => {
      response.writeHead(401, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({
          error: {
            message: `Incorrect API key provided: ${request.headers.authorization}`,
            type: 'invalid_request_error',
          },
        }),
      );
    });
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
    const port = (echo.address() as { port: number }).port;
    const testApp = await createTestApp();
    try {
      const fixture = await createWorkspaceFixture(testApp.services, 'secret-echo');
      const api = apiClient(testApp, fixture);
      const key = await api.post('/provider-keys', {
        provider: 'openai-compatible',
        label: 'echoing',
        apiKey: canary,
        baseUrl: `http://127.0.0.1:${port}/v1`,
      });
      expect(key.statusCode).toBe(201);
      const agent = await api.createAgent({
        name: 'Echoed',
        provider: 'openai-compatible',
        model: 'gpt-4o-mini',
        providerKeyId: key.json().id,
        retry: { maxAttempts: 1 },
      });
      const failed = await api.post(`/agents/${agent.id}/executions`, { input: 'hi' });
      expect(failed.statusCode).toBeGreaterThanOrEqual(400);
      expect(failed.body).toContain('Incorrect API key provided');
      const viewer = apiClient(testApp, fixture, fixture.tokens.viewer);
      const bodies = [
        failed.body,
        (await viewer.get('/executions')).body,
        (await viewer.get(`/executions/${failed.json().error.details?.executionId ?? ''}`)).body,
      ];
      for (const body of bodies) expect(body).not.toContain(canary);
      const rows = await testApp.services.repositories.executions.list(
        fixture.workspaceId,
        {},
        { limit: 10 },
      );
      for (const row of rows) expect(JSON.stringify(row)).not.toContain(canary);
    } finally {
      await testApp.close();
      await new Promise((resolve) => echo.close(resolve));
    }
  });
});
