import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { startServer } from '../../src/server/start-server.ts';
import { createSilentLogger } from '../../src/telemetry/logger.ts';
import { createTestApp } from '../support/test-app.ts';

function get(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = request({ host: '127.0.0.1', port, path, agent: false }, (response) => {
      let body = '';
      response.on('data', (chunk) => {
        body += chunk;
      });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    outgoing.on('error', reject);
    outgoing.end();
  });
}

describe('graceful shutdown', () => {
  it('finishes a request in flight, refuses new connections, then closes the database', async () => {
    let releaseSlowRequest: () => void = () => {};
    let slowRequestStarted: () => void = () => {};
    const started = new Promise<void>((resolve) => {
      slowRequestStarted = resolve;
    });
    const testApp = await createTestApp({
      beforeReady(app) {
        app.get('/api/test/slow', { config: { public: true } }, async () => {
          slowRequestStarted();
          await new Promise<void>((resolve) => {
            releaseSlowRequest = resolve;
          });
          return { finished: true };
        });
      },
    });
    let databaseClosed = false;
    const server = await startServer({
      app: testApp.app,
      host: '127.0.0.1',
      port: 0,
      shutdownTimeoutMs: 10_000,
      logger: createSilentLogger(),
      afterClose: async () => {
        await testApp.store.close();
        databaseClosed = true;
      },
    });
    const port = server.address.port;
    const inFlight = get(port, '/api/test/slow');
    await started;

    const closing = server.close();
    // Give close() a moment to stop the listener; the in-flight request must still be pending.
    await new Promise((resolve) => setTimeout(resolve, 50));
    await expect(get(port, '/healthz')).rejects.toThrow(/ECONNREFUSED/);
    expect(databaseClosed).toBe(false);

    releaseSlowRequest();
    const response = await inFlight;
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ finished: true });
    await expect(closing).resolves.toEqual({ timedOut: false });
    expect(databaseClosed).toBe(true);
  });

  it('cuts requests that outlive the timeout and says so', async () => {
    const testApp = await createTestApp({
      beforeReady(app) {
        app.get('/api/test/hang', { config: { public: true } }, () => new Promise(() => {}));
      },
    });
    const server = await startServer({
      app: testApp.app,
      host: '127.0.0.1',
      port: 0,
      shutdownTimeoutMs: 200,
      logger: createSilentLogger(),
      afterClose: () => testApp.store.close(),
    });
    const hanging = get(server.address.port, '/api/test/hang').catch((error: Error) => error);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const result = await server.close();
    expect(result.timedOut).toBe(true);
    expect(await hanging).toBeInstanceOf(Error);
  });
});
