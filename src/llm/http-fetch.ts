import http from 'node:http';
import https from 'node:https';
import zlib from 'node:zlib';

/**
 * A `fetch` for provider calls over node:http with keep-alive agents. Node's own fetch (undici
 * behind web streams, Headers and Request objects) costs about 140 µs more CPU per provider call
 * than this on the same request (bench/llm-transport.ts); on the execution path that is a tenth of
 * a node's throughput. It does what the AI SDK's adapters ask of a fetch — a POST or GET of a
 * string or byte body, headers, an abort signal — and hands everything else to Node's fetch:
 * other bodies, Request objects, a proxy from the environment, and redirects to follow (the SSRF
 * guard asks for `redirect: 'manual'` and follows them itself, re-checking every hop).
 *
 * Failures look like Node's fetch's, so error mapping does not change: a request that cannot be
 * sent rejects with `TypeError('fetch failed', { cause })`, a body cut short errors its stream
 * with `TypeError('terminated', { cause })`, an abort rejects with the signal's reason.
 */
export type FetchFunction = typeof globalThis.fetch;

/**
 * `timeout` closes a pooled socket after 4 s idle (undici's default) or before the server's own
 * `Keep-Alive: timeout=` hint, whichever is sooner, so a request rarely meets a socket the server
 * already closed. Such a request is not sent again here: a reset after sending could also mean
 * the server took it, and the model caller's retry (counted as an attempt) decides instead.
 */
const agentOptions = { keepAlive: true, scheduling: 'lifo' as const, timeout: 4_000 };
const httpAgent = new http.Agent(agentOptions);
const httpsAgent = new https.Agent(agentOptions);
/** Statuses whose response has no body (the Response constructor refuses one). */
const bodylessStatuses = new Set([101, 103, 204, 205, 304]);
const proxyVariables = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy'];

export function createHttpFetch(fallback: FetchFunction = globalThis.fetch): FetchFunction {
  // Behind a proxy, Node's fetch does what the operator configured (NODE_USE_ENV_PROXY).
  const proxied = proxyVariables.some((name) => process.env[name]);
  return async (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : undefined;
    const body = init?.body;
    const plainBody =
      body === undefined || body === null || typeof body === 'string' || body instanceof Uint8Array;
    if (proxied || url === undefined || !plainBody || init?.redirect === 'error') {
      return fallback(input, init);
    }
    const response = await send(url, init, body ?? undefined);
    const location = response.headers.get('location');
    if (init?.redirect === 'manual' || response.status < 300 || response.status >= 400 || !location) {
      return response;
    }
    // A redirect to follow: rare for a provider API; Node's fetch sends the request again and follows.
    await response.body?.cancel();
    return fallback(input, init);
  };
}

function send(
  url: string,
  init: RequestInit | undefined,
  body: string | Uint8Array | undefined,
): Promise<Response> {
  const signal = init?.signal ?? undefined;
  if (signal?.aborted) return Promise.reject(signal.reason);
  const target = new URL(url);
  const secure = target.protocol === 'https:';
  const headers = plainHeaders(init?.headers);
  if (body !== undefined) {
    headers['content-length'] = String(typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength);
  }
  return new Promise((resolve, reject) => {
    const request = (secure ? https : http).request(target, {
      method: init?.method ?? 'GET',
      headers,
      agent: secure ? httpsAgent : httpAgent,
    });
    let answered = false;
    let failBody: ((error: unknown) => void) | undefined;
    // Managed by hand, not passed to http.request: the model caller aborts every finished attempt's
    // signal, and a listener left on a completed request would destroy a pooled keep-alive socket.
    const onAbort = () => {
      request.destroy();
      if (answered) failBody?.(signal?.reason);
      else reject(signal?.reason);
    };
    const stopListening = () => signal?.removeEventListener('abort', onAbort);
    signal?.addEventListener('abort', onAbort, { once: true });

    request.on('error', (error) => {
      if (signal?.aborted) return;
      stopListening();
      if (answered) {
        failBody?.(new TypeError('terminated', { cause: error }));
        return;
      }
      reject(new TypeError('fetch failed', { cause: error }));
    });
    request.on('response', (incoming) => {
      answered = true;
      const status = incoming.statusCode ?? 0;
      const responseHeaders = new Headers();
      const raw = incoming.rawHeaders;
      for (let index = 0; index < raw.length; index += 2) {
        responseHeaders.append(raw[index] as string, raw[index + 1] as string);
      }
      const source = decoded(incoming, responseHeaders.get('content-encoding'));
      let finished = false;
      const stream = bodylessStatuses.has(status)
        ? null
        : new ReadableStream<Uint8Array>({
            start(controller) {
              failBody = (error) => {
                if (finished) return;
                finished = true;
                controller.error(error);
              };
              source.on('data', (chunk: Buffer) => controller.enqueue(chunk));
              source.on('end', () => {
                if (finished) return;
                finished = true;
                stopListening();
                controller.close();
              });
              source.on('error', (error) => failBody?.(new TypeError('terminated', { cause: error })));
              incoming.on('error', (error) => failBody?.(new TypeError('terminated', { cause: error })));
              incoming.on('close', () => {
                if (!incoming.complete) failBody?.(new TypeError('terminated'));
              });
            },
            cancel() {
              finished = true;
              stopListening();
              incoming.destroy();
            },
          });
      if (!stream) {
        incoming.resume();
        stopListening();
      }
      resolve(
        new Response(stream, {
          status,
          statusText: incoming.statusMessage ?? '',
          headers: responseHeaders,
        }),
      );
    });
    request.end(body);
  });
}

/** A body the server compressed though we asked for none (we send no Accept-Encoding). */
function decoded(incoming: http.IncomingMessage, encoding: string | null): NodeJS.ReadableStream {
  switch (encoding?.trim().toLowerCase()) {
    case 'gzip':
    case 'x-gzip':
      return incoming.pipe(zlib.createGunzip());
    case 'br':
      return incoming.pipe(zlib.createBrotliDecompress());
    case 'deflate':
      return incoming.pipe(zlib.createInflate());
    default:
      return incoming;
  }
}

function plainHeaders(headers: HeadersInit | undefined): Record<string, string> {
  const result: Record<string, string> = {};
  if (!headers) return result;
  if (headers instanceof Headers || Array.isArray(headers)) {
    for (const [name, value] of headers instanceof Headers ? headers : headers) {
      result[name.toLowerCase()] = value;
    }
    return result;
  }
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) result[name.toLowerCase()] = value;
  }
  return result;
}

/** The fetch every HTTP provider adapter uses unless one is injected. */
export const providerHttpFetch: FetchFunction = createHttpFetch();
