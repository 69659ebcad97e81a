import SwaggerParser from '@apidevtools/swagger-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { invalidError } from '../../src/core/errors.ts';
import { createApp } from '../../src/server/create-app.ts';
import { openStore } from '../../src/store/database.ts';
import { createTestApp, createTestServices, type TestApp } from '../support/test-app.ts';

describe('HTTP edge', () => {
  let testApp: TestApp;

  beforeAll(async () => {
    testApp = await createTestApp({
      bodyLimitBytes: 4096,
      beforeReady(app) {
        // Probe routes that exist only in this test, to drive each error path.
        app.get('/api/test/explode', { config: { public: true } }, async () => {
          throw new Error('connection string postgres://admin:hunter2@db/prod at /srv/app/secret.ts:42');
        });
        app.get('/api/test/domain-error', { config: { public: true } }, async () => {
          throw invalidError('template_variable_missing', 'The template uses {{ input.name }}.', {
            path: 'name',
          });
        });
        app.post('/api/test/echo', { config: { public: true } }, async (request) => ({
          received: request.body,
        }));
      },
    });
  });
  afterAll(() => testApp.close());

  it('answers liveness', async () => {
    const response = await testApp.app.inject({ method: 'GET', url: '/healthz' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'ok' });
  });

  it('answers readiness once migrations are applied', async () => {
    const response = await testApp.app.inject({ method: 'GET', url: '/readyz' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'ready', checks: { database: 'ok', migrations: 'ok' } });
  });

  it('answers an unknown /api route with a JSON 404', async () => {
    const response = await testApp.app.inject({ method: 'GET', url: '/api/does-not-exist?x=1' });
    expect(response.statusCode).toBe(404);
    expect(response.headers['content-type']).toMatch(/application\/json/);
    expect(response.json().error.code).toBe('route_not_found');
    expect(response.json().error.message).toContain('GET /api/does-not-exist');
  });

  it('maps malformed JSON to 400 invalid_json', async () => {
    const response = await testApp.app.inject({
      method: 'POST',
      url: '/api/test/echo',
      headers: { 'content-type': 'application/json' },
      payload: '{"name": "unterminated',
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toEqual({
      code: 'invalid_json',
      message: expect.stringContaining('not valid JSON'),
      details: null,
    });
  });

  it('refuses prototype pollution attempts as invalid JSON', async () => {
    const response = await testApp.app.inject({
      method: 'POST',
      url: '/api/test/echo',
      headers: { 'content-type': 'application/json' },
      payload: '{"__proto__": {"admin": true}}',
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.code).toBe('invalid_json');
  });

  it('maps a body over the limit to 413 payload_too_large', async () => {
    const response = await testApp.app.inject({
      method: 'POST',
      url: '/api/test/echo',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ text: 'x'.repeat(5000) }),
    });
    expect(response.statusCode).toBe(413);
    expect(response.json().error.code).toBe('payload_too_large');
    expect(response.json().error.details).toEqual({ limitBytes: 4096 });
  });

  it('keeps a domain error code, message and details', async () => {
    const response = await testApp.app.inject({ method: 'GET', url: '/api/test/domain-error' });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({
      error: {
        code: 'template_variable_missing',
        message: 'The template uses {{ input.name }}.',
        details: { path: 'name' },
      },
    });
  });

  it('answers an unexpected failure with a 500 naming the request id and nothing internal', async () => {
    const response = await testApp.app.inject({
      method: 'GET',
      url: '/api/test/explode',
      headers: { 'x-request-id': 'probe-123' },
    });
    expect(response.statusCode).toBe(500);
    expect(response.headers['x-request-id']).toBe('probe-123');
    const body = response.json();
    expect(body.error.code).toBe('internal_error');
    expect(body.error.details).toEqual({ requestId: 'probe-123' });
    expect(response.body).not.toMatch(/hunter2|postgres:|secret\.ts|stack/);
  });

  it('makes its own request id when the offered one is unsafe', async () => {
    const response = await testApp.app.inject({
      method: 'GET',
      url: '/healthz',
      headers: { 'x-request-id': '<script>alert(1)</script>' },
    });
    expect(response.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('serves a valid OpenAPI 3.1 document and a reference page', async () => {
    const response = await testApp.app.inject({ method: 'GET', url: '/api/openapi.json' });
    expect(response.statusCode).toBe(200);
    const document = response.json();
    expect(document.openapi).toBe('3.1.0');
    expect(Object.keys(document.paths)).toEqual(expect.arrayContaining(['/healthz', '/readyz']));
    await expect(SwaggerParser.validate(structuredClone(document))).resolves.toBeTruthy();
    const page = await testApp.app.inject({ method: 'GET', url: '/api/docs/' });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<html');
  });
});

describe('readiness without migrations', () => {
  it('answers 503 while migrations are pending', async () => {
    const store = await openStore({ dataDirectory: 'memory://' });
    const app = await createApp({
      store,
      services: createTestServices(store),
      version: 't',
      publicUrl: 'http://127.0.0.1:3000',
    });
    try {
      const response = await app.inject({ method: 'GET', url: '/readyz' });
      expect(response.statusCode).toBe(503);
      expect(response.json()).toEqual({
        status: 'not_ready',
        checks: { database: 'ok', migrations: 'pending' },
      });
      await store.close();
      const closed = await app.inject({ method: 'GET', url: '/readyz' });
      expect(closed.statusCode).toBe(503);
      expect(closed.json().checks.database).toBe('unreachable');
    } finally {
      await app.close();
      await store.close();
    }
  });
});
