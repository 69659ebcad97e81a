import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorkspaceFixture, headersFor, type WorkspaceFixture } from '../support/identity-fixture.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

describe('GET /api/models', () => {
  let testApp: TestApp;
  let fixture: WorkspaceFixture;
  beforeAll(async () => {
    testApp = await createTestApp();
    fixture = await createWorkspaceFixture(testApp.services, 'models');
  });
  afterAll(() => testApp.close());

  it('lists the catalog models of a provider with prices', async () => {
    const response = await testApp.app.inject({
      method: 'GET',
      url: '/api/models?provider=anthropic',
      headers: headersFor(fixture.tokens.viewer),
    });
    expect(response.statusCode).toBe(200);
    const models = response.json().items as Array<{ id: string; inputPerMillionUsd: number | null }>;
    expect(models.some((model) => model.id.startsWith('claude') && (model.inputPerMillionUsd ?? 0) > 0)).toBe(
      true,
    );
  });

  it('needs credentials and a known provider', async () => {
    expect((await testApp.app.inject({ method: 'GET', url: '/api/models?provider=openai' })).statusCode).toBe(
      401,
    );
    const unknown = await testApp.app.inject({
      method: 'GET',
      url: '/api/models?provider=cohere',
      headers: headersFor(fixture.tokens.viewer),
    });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().error.code).toBe('validation_failed');
  });
});
