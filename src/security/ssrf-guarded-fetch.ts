import type { ProviderUrlCheckOptions } from './ssrf-guard.ts';
import { checkProviderUrl } from './ssrf-guard.ts';

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
    let request = new Request(input, init);
    for (let hop = 0; ; hop++) {
      await checkProviderUrl(request.url, options);
      const response = await baseFetch(request.clone(), {
        redirect: 'manual',
        signal: init?.signal ?? request.signal,
      });
      const location = response.headers.get('location');
      if (response.status < 300 || response.status >= 400 || !location) return response;
      if (hop >= maxRedirects) return response;
      const target = new URL(location, request.url);
      // 307/308 keep method and body; 301/302/303 become a GET, as browsers and fetch do.
      const keepsMethod = response.status === 307 || response.status === 308;
      await response.body?.cancel();
      request = keepsMethod
        ? new Request(target, request)
        : new Request(target, { method: 'GET', headers: request.headers, signal: request.signal });
    }
  };
}
