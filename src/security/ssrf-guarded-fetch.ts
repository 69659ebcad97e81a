import type { ProviderUrlCheckOptions } from './ssrf-guard.ts';
import { checkProviderUrl } from './ssrf-guard.ts';

/** Headers that carry a credential: never sent to an origin the caller did not name. */
const credentialHeaders = [
  'authorization',
  'proxy-authorization',
  'cookie',
  'x-api-key',
  'api-key',
  'x-goog-api-key',
];
/** Headers that describe a body; dropped with it when a redirect turns the request into a GET. */
const bodyHeaders = [
  'content-type',
  'content-length',
  'content-encoding',
  'content-language',
  'content-location',
];

export interface GuardedFetchOptions extends ProviderUrlCheckOptions {
  fetch?: typeof globalThis.fetch;
  /** Redirect hops followed, each re-checked. Default 3. */
  maxRedirects?: number;
}

/**
 * A fetch for provider adapters that checks every request's URL (resolved address included) and
 * follows redirects by hand, re-checking each `Location`, so a redirect to a refused host is never
 * followed. What remains is DNS rebinding between our check and the connection; the window is one
 * lookup, and the check repeats on every request.
 */
export function createGuardedFetch(options: GuardedFetchOptions = {}): typeof globalThis.fetch {
  const baseFetch = options.fetch ?? globalThis.fetch;
  const maxRedirects = options.maxRedirects ?? 3;
  return async (input, init) => {
    // The common case (a provider call: a URL and a string body) goes out as given: building a
    // Request and cloning it per call tees its body through web streams for a redirect that
    // almost never comes. A body that cannot be sent twice keeps the clone.
    if (!replayable(input, init)) return followRedirects(new Request(input, init), init, 0);
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    await checkProviderUrl(url, options);
    const response = await baseFetch(input, { ...init, redirect: 'manual' });
    const location = response.headers.get('location');
    if (response.status < 300 || response.status >= 400 || !location || maxRedirects === 0) return response;
    await response.body?.cancel();
    const request = new Request(input, init);
    return followRedirects(redirectedRequest(request, new URL(location, url), response.status), init, 1);
  };

  async function followRedirects(start: Request, init: RequestInit | undefined, firstHop: number) {
    let request = start;
    for (let hop = firstHop; ; hop++) {
      await checkProviderUrl(request.url, options);
      const response = await baseFetch(request.clone(), {
        redirect: 'manual',
        signal: init?.signal ?? request.signal,
      });
      const location = response.headers.get('location');
      if (response.status < 300 || response.status >= 400 || !location) return response;
      if (hop >= maxRedirects) return response;
      const target = new URL(location, request.url);
      await response.body?.cancel();
      request = redirectedRequest(request, target, response.status);
    }
  }
}

/** True when the request can be built again for a redirect: no Request object, no stream body. */
function replayable(input: Parameters<typeof fetch>[0], init: RequestInit | undefined): boolean {
  if (typeof input !== 'string' && !(input instanceof URL)) return false;
  const body = init?.body;
  return body === undefined || body === null || typeof body === 'string' || body instanceof Uint8Array;
}

/**
 * The next hop of a redirect: only 307/308 keep method and body (they say so; 301/302/303 become
 * a body-less GET, HEAD stays HEAD), and a hop to another origin (scheme, host or port) leaves
 * the credentials behind, so a base URL that redirects cannot harvest the key.
 */
export function redirectedRequest(request: Request, target: URL, status: number): Request {
  const headers = new Headers(request.headers);
  if (target.origin !== new URL(request.url).origin) {
    for (const name of credentialHeaders) headers.delete(name);
  }
  if (status === 307 || status === 308) return new Request(target, { ...requestInit(request), headers });
  for (const name of bodyHeaders) headers.delete(name);
  const method = request.method === 'HEAD' ? 'HEAD' : 'GET';
  return new Request(target, { method, headers, signal: request.signal, redirect: 'manual' });
}

function requestInit(request: Request): RequestInit & { duplex?: 'half' } {
  return {
    method: request.method,
    body: request.body,
    signal: request.signal,
    redirect: 'manual',
    // Node's fetch needs this for a streamed body.
    ...(request.body ? { duplex: 'half' as const } : {}),
  };
}
