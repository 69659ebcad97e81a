import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FlightdeckError } from '../../core/errors.ts';
import { parseAllowedHosts } from '../../security/ssrf-guard.ts';
import { createGuardedFetch } from '../../security/ssrf-guarded-fetch.ts';
import {
  type HttpStepRequest,
  maskHttpRequest,
  maxHttpStepResponseBytes,
  runHttpStep,
  scrubSecrets,
} from './run-http-step.ts';

interface Received {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A local server whose routes answer the ways an http step has to cope with. */
async function startServer(): Promise<{ url: string; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = [];
  const routes: Record<string, (request: IncomingMessage, response: ServerResponse, body: string) => void> = {
    '/json': (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
      response.end(JSON.stringify({ ok: true, items: [1, 2] }));
    },
    '/text': (_request, response) => {
      response.writeHead(202, { 'content-type': 'text/plain' });
      response.end('accepted, thanks');
    },
    '/echo': (request, response, body) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ method: request.method, headers: request.headers, body }));
    },
    '/teapot': (_request, response) => {
      response.writeHead(418, { 'content-type': 'text/plain' });
      response.end(`short and stout ${'x'.repeat(500)}`);
    },
    '/echo-secret-500': (request, response) => {
      response.writeHead(500, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: 'bad credentials', sent: request.headers.authorization }));
    },
    '/hang': () => {
      // Never answers.
    },
    '/hang-body': (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.write('{"partial":');
    },
    '/large-chunked': (_request, response) => {
      response.writeHead(200, { 'content-type': 'text/plain' });
      const chunk = 'y'.repeat(64 * 1024);
      for (let sent = 0; sent <= maxHttpStepResponseBytes; sent += chunk.length) response.write(chunk);
      response.end();
    },
    '/large-declared': (_request, response) => {
      response.writeHead(200, {
        'content-type': 'text/plain',
        'content-length': String(2 * maxHttpStepResponseBytes),
      });
      response.write('z'.repeat(1024));
    },
    '/exactly-cap': (_request, response) => {
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.end('c'.repeat(maxHttpStepResponseBytes));
    },
  };
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      received.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers, body });
      const route = routes[new URL(request.url ?? '/', 'http://localhost').pathname];
      if (route) route(request, response, body);
      else {
        response.writeHead(404);
        response.end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function failureOf(promise: Promise<unknown>): Promise<FlightdeckError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!FlightdeckError.isInstance(error)) throw new Error(`expected a FlightdeckError, got ${String(error)}`);
  return error;
}

describe('runHttpStep', () => {
  let server: Awaited<ReturnType<typeof startServer>>;
  // Loopback is private: the guard refuses it unless listed, as an operator would for a local notifier.
  const loopbackFetch = createGuardedFetch({ allowedHosts: parseAllowedHosts('127.0.0.1') });

  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(() => server.close());

  const request = (path: string, overrides: Partial<HttpStepRequest> = {}): HttpStepRequest => ({
    url: `${server.url}${path}`,
    method: 'POST',
    headers: {},
    body: undefined,
    ...overrides,
  });
  const run = (
    step: HttpStepRequest,
    options: { timeoutMs?: number; abortSignal?: AbortSignal; secretValues?: string[] } = {},
  ) =>
    runHttpStep({
      request: step,
      fetch: loopbackFetch,
      timeoutMs: options.timeoutMs ?? 5_000,
      abortSignal: options.abortSignal,
      secretValues: options.secretValues ?? [],
    });

  it('makes a JSON answer the output', async () => {
    const result = await run(request('/json', { method: 'GET' }));
    expect(result.output).toEqual({ ok: true, items: [1, 2] });
    expect(result.statusCode).toBe(200);
    expect(result.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it('wraps a text answer as { status, text }', async () => {
    const result = await run(request('/text'));
    expect(result).toMatchObject({ statusCode: 202, output: { status: 202, text: 'accepted, thanks' } });
  });

  it('sends the body as JSON with its content type, and a string body as is when the step set the type', async () => {
    const json = await run(
      request('/echo', { method: 'PUT', body: { text: 'héllo', count: 3 }, headers: { 'X-Step': 'notify' } }),
    );
    expect(json.output).toMatchObject({
      method: 'PUT',
      body: JSON.stringify({ text: 'héllo', count: 3 }),
      headers: { 'content-type': 'application/json', 'x-step': 'notify' },
    });

    const form = await run(
      request('/echo', {
        method: 'PATCH',
        body: 'a=1&b=2',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      }),
    );
    expect(form.output).toMatchObject({
      method: 'PATCH',
      body: 'a=1&b=2',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });

    // A string body without a content type is a JSON string.
    const text = await run(request('/echo', { body: 'plain' }));
    expect(text.output).toMatchObject({ body: '"plain"', headers: { 'content-type': 'application/json' } });
  });

  it('sends no body with GET and DELETE', async () => {
    for (const method of ['GET', 'DELETE'] as const) {
      const before = server.received.length;
      const result = await run(request('/echo', { method, body: { ignored: true } }));
      expect(result.output).toMatchObject({ method, body: '' });
      const received = server.received[before];
      expect(received?.headers['content-type'], method).toBeUndefined();
      expect(received?.headers['content-length'] ?? '0', method).toBe('0');
    }
  });

  it('fails a non-2xx answer with the status and at most 200 characters of its body', async () => {
    const error = await failureOf(run(request('/teapot')));
    expect(error.code).toBe('http_step_failed');
    expect(error.kind).toBe('bad_gateway');
    expect(error.details).toEqual({ statusCode: 418 });
    expect(error.message).toContain('418');
    expect(error.message).toContain('short and stout');
    const excerpt = /answered 418: (.*)\.$/.exec(error.message)?.[1] ?? '';
    expect(excerpt.length).toBeLessThanOrEqual(200);
    expect(error.message.length).toBeLessThan(320);

    const missing = await failureOf(run(request('/nowhere')));
    expect(missing).toMatchObject({ code: 'http_step_failed', details: { statusCode: 404 } });
    expect(missing.message).toContain('with no body');
  });

  it('times out when the server does not answer, or stops in the middle of the body', async () => {
    for (const path of ['/hang', '/hang-body']) {
      const started = Date.now();
      const error = await failureOf(run(request(path, { method: 'GET' }), { timeoutMs: 150 }));
      expect(error.code, path).toBe('http_step_timeout');
      expect(error.kind).toBe('timeout');
      expect(error.message).toContain('150 ms');
      expect(Date.now() - started).toBeLessThan(3_000);
    }
  });

  it('stops when the abort signal fires, and does not start when it already has', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('run cancelled')), 50);
    const error = await failureOf(run(request('/hang'), { abortSignal: controller.signal }));
    expect(error.code).toBe('http_step_cancelled');

    const before = server.received.length;
    const early = await failureOf(run(request('/json'), { abortSignal: controller.signal }));
    expect(early.code).toBe('http_step_cancelled');
    expect(server.received.length).toBe(before);
  });

  it('refuses an answer over 1 MiB, streamed or declared, and takes one of exactly 1 MiB', async () => {
    for (const path of ['/large-chunked', '/large-declared']) {
      const error = await failureOf(run(request(path, { method: 'GET' })));
      expect(error.code, path).toBe('http_step_response_too_large');
      expect(error.details).toEqual({ limitBytes: maxHttpStepResponseBytes });
    }
    const result = await run(request('/exactly-cap', { method: 'GET' }));
    expect((result.output as { text: string }).text.length).toBe(maxHttpStepResponseBytes);
  });

  it('never shows a secret value in an error, even when the server echoes it back', async () => {
    const secret = 'sk-live-"very/secret value"-0042';
    const step = request(`/echo-secret-500?token=${encodeURIComponent(secret)}`, {
      headers: { authorization: `Bearer ${secret}` },
      body: { hello: 'world' },
    });
    const error = await failureOf(run(step, { secretValues: [secret] }));
    expect(error.code).toBe('http_step_failed');
    expect(error.message).toContain('[secret]');
    expect(error.message).toContain('bad credentials');
    const serialized = JSON.stringify({ message: error.message, details: error.details, cause: error.cause });
    expect(serialized).not.toContain('very/secret');
    expect(serialized).not.toContain('very%2Fsecret');
    expect(server.received.at(-1)?.headers.authorization).toBe(`Bearer ${secret}`);

    // A 2xx answer that echoes it is scrubbed too: the output is stored and shown to viewers.
    const echoed = await run(request('/echo', { headers: { 'x-api-key': secret }, body: { secret } }), {
      secretValues: [secret],
    });
    expect(JSON.stringify(echoed.output)).not.toContain('very/secret');
    expect(echoed.output).toMatchObject({ headers: { 'x-api-key': '[secret]' } });
  });

  it('reports a URL the SSRF guard refuses as http_step_blocked, secrets scrubbed', async () => {
    const secret = 'tok_abcdef123456';
    const error = await failureOf(
      runHttpStep({
        request: request(`/json?key=${secret}`),
        fetch: createGuardedFetch({ allowedHosts: parseAllowedHosts('') }),
        timeoutMs: 5_000,
        secretValues: [secret],
      }),
    );
    expect(error.code).toBe('http_step_blocked');
    expect(error.message).toContain('private address 127.0.0.1');
    expect(JSON.stringify({ message: error.message, details: error.details })).not.toContain(secret);
    expect(error.details).toEqual({ url: `${server.url}/json?key=[secret]` });

    const metadata = await failureOf(
      run({ url: 'http://169.254.169.254/latest/meta-data', method: 'GET', headers: {}, body: undefined }),
    );
    expect(metadata.code).toBe('http_step_blocked');
  });

  it('reports a refused connection as http_step_unreachable, and a malformed request before sending', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const error = await failureOf(
      run({ url: `http://127.0.0.1:${port}/`, method: 'POST', headers: {}, body: { a: 1 } }),
    );
    expect(error.code).toBe('http_step_unreachable');
    expect(error.message).toContain('ECONNREFUSED');

    const secret = 'line\nbreak-secret';
    const badHeader = await failureOf(
      run(request('/json', { headers: { 'x-token': secret } }), { secretValues: [secret] }),
    );
    expect(badHeader.code).toBe('http_step_invalid_request');
    expect(badHeader.message).toContain('x-token');
    expect(badHeader.message).not.toContain('break-secret');
    expect((await failureOf(run(request('/json', { url: 'not a url' })))).code).toBe(
      'http_step_invalid_request',
    );
    expect((await failureOf(run(request('/json', { url: 'file:///etc/passwd' })))).code).toBe(
      'http_step_invalid_request',
    );
  });
});

describe('maskHttpRequest', () => {
  it('replaces the headers that used a secret, whatever their case, and nothing else', () => {
    const original: HttpStepRequest = {
      url: 'https://hooks.example.test/notify',
      method: 'POST',
      headers: { Authorization: 'Bearer sk-1', 'X-Team': 'core', 'x-api-key': 'k-2' },
      body: { text: 'done' },
    };
    const masked = maskHttpRequest(original, new Set(['authorization', 'X-API-KEY']));
    expect(masked).toEqual({
      url: 'https://hooks.example.test/notify',
      method: 'POST',
      headers: { Authorization: '[secret]', 'X-Team': 'core', 'x-api-key': '[secret]' },
      body: { text: 'done' },
    });
    expect(original.headers.Authorization).toBe('Bearer sk-1');
    expect(maskHttpRequest(original, new Set())).toEqual(original);
  });
});

describe('scrubSecrets', () => {
  it('replaces plain, URL-encoded and JSON-escaped forms, longest secret first', () => {
    expect(scrubSecrets('a=p@ss w"rd b=p%40ss%20w%22rd c=p@ss w\\"rd', ['p@ss w"rd'])).toBe(
      'a=[secret] b=[secret] c=[secret]',
    );
    expect(scrubSecrets('token abc123456 and abc', ['abc', 'abc123456'])).toBe('token [secret] and [secret]');
    expect(scrubSecrets('nothing here', [''])).toBe('nothing here');
  });
});
