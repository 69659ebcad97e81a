import { ApiError, apiErrorFrom } from './api-error.ts';

const safeMethods = new Set(['GET', 'HEAD', 'OPTIONS']);

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface RequestOptions {
  query?: Record<string, string | number | undefined | null>;
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

/** The console's transport: cookies, the CSRF token on unsafe methods, API errors as ApiError. */
export interface HttpClient {
  request<Result>(method: HttpMethod, path: string, options?: RequestOptions): Promise<Result>;
  /** Sends a request and returns the raw response (for streams); throws ApiError when it is not 2xx. */
  send(method: HttpMethod, path: string, options?: RequestOptions): Promise<Response>;
  setCsrfToken(token: string | null): void;
}

export function createHttpClient(settings: { baseUrl?: string; fetch?: typeof fetch } = {}): HttpClient {
  const baseUrl = settings.baseUrl ?? '';
  const fetchImplementation = settings.fetch ?? globalThis.fetch.bind(globalThis);
  let csrfToken: string | null = null;

  function urlOf(path: string, query: RequestOptions['query']): string {
    const search = new URLSearchParams();
    for (const [name, value] of Object.entries(query ?? {})) {
      if (value !== undefined && value !== null && value !== '') search.set(name, String(value));
    }
    const queryText = search.toString();
    return `${baseUrl}${path}${queryText ? `?${queryText}` : ''}`;
  }

  async function send(method: HttpMethod, path: string, options: RequestOptions = {}): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    if (!safeMethods.has(method) && csrfToken) headers['x-csrf-token'] = csrfToken;
    let response: Response;
    try {
      response = await fetchImplementation(urlOf(path, options.query), {
        method,
        headers,
        credentials: 'same-origin',
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: options.signal,
      });
    } catch (error) {
      if (options.signal?.aborted) throw error;
      throw new ApiError({
        status: 0,
        code: 'network_error',
        message: 'Could not reach the Flightdeck server. Check that it is running.',
      });
    }
    if (!response.ok) throw await apiErrorFrom(response);
    return response;
  }

  return {
    send,
    async request<Result>(method: HttpMethod, path: string, options: RequestOptions = {}) {
      const response = await send(method, path, options);
      if (response.status === 204) return undefined as Result;
      return (await response.json()) as Result;
    },
    setCsrfToken(token) {
      csrfToken = token;
    },
  };
}
