import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, createApp } from '../../src/server/create-app.ts';
import { openStore, type Store } from '../../src/store/database.ts';
import { createTestServices } from '../support/test-app.ts';

/** Keeps the event loop busy, as a stream of requests doing synchronous work would; returns the stop. */
function blockEventLoop(): () => void {
  const busy = setInterval(() => {
    const until = performance.now() + 30;
    while (performance.now() < until) {
      // spin
    }
  }, 1);
  return () => clearInterval(busy);
}

const nextSample = () => new Promise((resolve) => setTimeout(resolve, 30));

describe('overload protection', () => {
  let store: Store;
  let app: App;

  beforeAll(async () => {
    store = await openStore({ dataDirectory: 'memory://' });
    await store.migrate();
    app = await createApp({
      store,
      services: createTestServices(store),
      version: 't',
      publicUrl: 'http://127.0.0.1:3000',
      // A tiny threshold and a short sample so one blocked stretch trips it.
      overload: { maxEventLoopDelayMs: 5, maxHeapUsedPercent: 0, retryAfterSeconds: 7, sampleIntervalMs: 20 },
    });
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
    await store.close();
  });

  it('answers 503 overloaded with Retry-After while the event loop lags, and /healthz stays answerable', async () => {
    // Let a calm sample pass first: the node serves normally.
    await nextSample();
    await nextSample();
    expect((await app.inject({ method: 'GET', url: '/api/me' })).statusCode).toBe(401);

    const stop = blockEventLoop();
    await nextSample();
    await nextSample();
    const refused = await app.inject({ method: 'GET', url: '/api/me' });
    expect(refused.statusCode).toBe(503);
    expect(refused.headers['retry-after']).toBe('7');
    expect(refused.json().error).toMatchObject({ code: 'overloaded', details: { reason: 'eventLoopDelay' } });
    expect(refused.json().error.message).toContain('Retry after 7 s');

    const health = await app.inject({ method: 'GET', url: '/healthz' });
    expect(health.statusCode).toBe(200);
    expect(health.json()).toEqual({ status: 'ok' });
    // Refused before authentication: no work is done for a shed request.
    const stillRefused = await app.inject({ method: 'GET', url: '/api/workspaces' });
    expect(stillRefused.statusCode).toBe(503);
    stop();
  });

  it('serves again once the loop is calm', async () => {
    await nextSample();
    await nextSample();
    await nextSample();
    expect((await app.inject({ method: 'GET', url: '/api/me' })).statusCode).toBe(401);
  });
});
