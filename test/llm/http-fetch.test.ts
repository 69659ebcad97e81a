/**
 * The provider fetch over node:http against a real local server: what the AI SDK reads from a
 * fetch (status, headers, a streamed body) and how failures look (as Node's fetch's do, so the
 * error mapping is unchanged), plus the keep-alive pooling it exists for.
 */
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createHttpFetch } from '../../src/llm/http-fetch.ts';

let server: http.Server;
let base: string;
let connections = 0;
const sockets = new Set<Socket>();
let received: Array<{
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  port: number | undefined;
}> = [];

beforeAll(async () => {
  server = http.createServer(async (request, response) => {
    let body = '';
    for await (const chunk of request) body += chunk;
    received.push({
      method: request.method ?? '',
      url: request.url ?? '',
      headers: request.headers,
      body,
      port: request.socket.remotePort,
    });
    const path = request.url ?? '';
    if (path === '/json') {
      response.writeHead(201, 'Made', { 'content-type': 'application/json', 'x-request-id': 'req-7' });
      response.end(JSON.stringify({ echo: body }));
    } else if (path === '/empty') {
      response.writeHead(204);
      response.end();
    } else if (path === '/gzip') {
      response.writeHead(200, { 'content-encoding': 'gzip', 'content-type': 'text/plain' });
      response.end(gzipSync('compressed words'));
    } else if (path === '/cut') {
      response.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
      response.write('{"partial":');
      setTimeout(() => response.socket?.destroy(), 20);
    } else if (path === '/redirect') {
      response.writeHead(307, { location: '/json' });
      response.end();
    } else if (path === '/slow') {
      setTimeout(() => response.end('late'), 2_000);
    } else {
      response.writeHead(404);
      response.end('not here');
    }
  });
  server.on('connection', (socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  server.close();
});

beforeEach(() => {
  received = [];
});

const httpFetch = createHttpFetch();

describe('provider http fetch', () => {
  it('sends method, headers and body and answers status, headers and body', async () => {
    const response = await httpFetch(`${base}/json`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: 'Bearer sk-test' },
      body: '{"model":"m"}',
    });
    expect(response.status).toBe(201);
    expect(response.statusText).toBe('Made');
    expect(response.ok).toBe(true);
    expect(response.headers.get('x-request-id')).toBe('req-7');
    expect(await response.json()).toEqual({ echo: '{"model":"m"}' });
    expect(received[0]).toMatchObject({ method: 'POST', body: '{"model":"m"}' });
    expect(received[0]?.headers.authorization).toBe('Bearer sk-test');
    expect(received[0]?.headers['content-length']).toBe('13');
  });

  it('reuses one kept-alive connection for calls in a row, even after their signals abort', async () => {
    const before = connections;
    for (let index = 0; index < 5; index++) {
      const controller = new AbortController();
      const response = await httpFetch(`${base}/json`, {
        method: 'POST',
        body: 'x',
        signal: controller.signal,
      });
      await response.text();
      // The model caller aborts every finished attempt's signal: that must not close the socket.
      controller.abort();
    }
    expect(connections - before).toBeLessThanOrEqual(1);
    expect(new Set(received.map((entry) => entry.port)).size).toBe(1);
    expect(received).toHaveLength(5);
  });

  it('answers a body-less status with a null body and reads a 404 body', async () => {
    const empty = await httpFetch(`${base}/empty`);
    expect(empty.status).toBe(204);
    expect(empty.body).toBeNull();
    const missing = await httpFetch(`${base}/missing`);
    expect(missing.status).toBe(404);
    expect(await missing.text()).toBe('not here');
  });

  it('decodes a compressed body', async () => {
    expect(await (await httpFetch(`${base}/gzip`)).text()).toBe('compressed words');
  });

  it('fails a refused connection as Node fetch does: TypeError fetch failed with the socket error', async () => {
    const closed = http.createServer();
    closed.listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const port = (closed.address() as AddressInfo).port;
    closed.close();
    await once(closed, 'close');
    const error = await httpFetch(`http://127.0.0.1:${port}/`).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TypeError);
    expect((error as TypeError).message).toBe('fetch failed');
    expect(((error as TypeError).cause as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
  });

  it('errors the body of an answer cut short with TypeError terminated', async () => {
    const response = await httpFetch(`${base}/cut`);
    expect(response.status).toBe(200);
    const error = await response.text().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TypeError);
    expect((error as TypeError).message).toBe('terminated');
  });

  it('rejects with the signal reason when aborted before the answer', async () => {
    const controller = new AbortController();
    const reason = new DOMException('The provider attempt timed out', 'TimeoutError');
    setTimeout(() => controller.abort(reason), 50);
    const error = await httpFetch(`${base}/slow`, { signal: controller.signal }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBe(reason);
    const already = await httpFetch(`${base}/json`, { signal: AbortSignal.abort(reason) }).catch(
      (caught: unknown) => caught,
    );
    expect(already).toBe(reason);
  });

  it('returns a redirect as is when asked to, and follows it through the fallback otherwise', async () => {
    const manual = await httpFetch(`${base}/redirect`, { method: 'POST', body: 'b', redirect: 'manual' });
    expect(manual.status).toBe(307);
    expect(manual.headers.get('location')).toBe('/json');
    const followed = await httpFetch(`${base}/redirect`, { method: 'POST', body: 'b' });
    expect(followed.status).toBe(201);
    expect(await followed.json()).toEqual({ echo: 'b' });
  });

  it('hands bodies and inputs it does not send itself to the fallback fetch', async () => {
    const seen: string[] = [];
    const withFallback = createHttpFetch(async (input, init) => {
      seen.push(input instanceof Request ? 'request' : typeof init?.body);
      return globalThis.fetch(input, init);
    });
    await (await withFallback(new Request(`${base}/json`, { method: 'POST', body: 'r' }))).text();
    await (
      await withFallback(`${base}/json`, { method: 'POST', body: new URLSearchParams({ a: '1' }) })
    ).text();
    await (await withFallback(`${base}/json`, { method: 'POST', body: 'plain' })).text();
    expect(seen).toEqual(['request', 'object']);
    expect(received.map((entry) => entry.body)).toEqual(['r', 'a=1', 'plain']);
  });
});
