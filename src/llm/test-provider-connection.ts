import { FlightdeckError } from '../core/errors.ts';
import type { AllowedHosts, HostLookup } from '../security/ssrf-guard.ts';
import { createGuardedFetch } from '../security/ssrf-guarded-fetch.ts';
import { defaultAnthropicBaseUrl } from './create-anthropic-provider.ts';
import { defaultOpenAiBaseUrl } from './create-openai-provider.ts';
import { ProviderError, type ProviderErrorCode } from './provider-error.ts';

export interface ConnectionTestSettings {
  kind: 'openai' | 'anthropic' | 'openai-compatible';
  apiKey: string;
  baseUrl?: string | null;
  fetch?: typeof globalThis.fetch;
  allowedHosts?: AllowedHosts;
  lookup?: HostLookup;
  timeoutMs?: number;
}

export interface ConnectionTestResult {
  ok: boolean;
  latencyMs: number;
  statusCode: number | null;
  errorCode: ProviderErrorCode | 'provider_url_refused' | null;
  /** What to do about a failure; never the provider's own body, which can echo the key. */
  message: string | null;
}

function codeForStatus(status: number): ProviderErrorCode {
  if (status === 401 || status === 403) return 'provider_auth_failed';
  if (status === 429) return 'provider_rate_limited';
  if (status === 408 || status >= 500) return 'provider_unavailable';
  return 'provider_bad_request';
}

/**
 * The cheapest real call that proves a key works: list the models. It spends no tokens.
 * Custom base URLs go through the SSRF guard, like every other call with that key.
 */
export async function testProviderConnection(
  settings: ConnectionTestSettings,
): Promise<ConnectionTestResult> {
  const official = settings.kind === 'anthropic' ? defaultAnthropicBaseUrl : defaultOpenAiBaseUrl;
  const baseUrl = (settings.baseUrl ?? (settings.kind === 'openai-compatible' ? '' : official)).replace(
    /\/+$/,
    '',
  );
  const fetcher =
    baseUrl === official
      ? (settings.fetch ?? globalThis.fetch)
      : createGuardedFetch({
          fetch: settings.fetch,
          allowedHosts: settings.allowedHosts,
          lookup: settings.lookup,
        });
  const headers: Record<string, string> =
    settings.kind === 'anthropic'
      ? { 'x-api-key': settings.apiKey, 'anthropic-version': '2023-06-01' }
      : { authorization: `Bearer ${settings.apiKey}` };
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const failure = (
    code: ProviderErrorCode,
    statusCode: number | null,
    detail?: string,
  ): ConnectionTestResult => ({
    ok: false,
    latencyMs: elapsed(),
    statusCode,
    errorCode: code,
    message: new ProviderError({ code, detail, statusCode: statusCode ?? undefined }).message,
  });
  try {
    const response = await fetcher(`${baseUrl}/models`, {
      headers,
      signal: AbortSignal.timeout(settings.timeoutMs ?? 10_000),
    });
    await response.body?.cancel();
    if (response.ok)
      return { ok: true, latencyMs: elapsed(), statusCode: response.status, errorCode: null, message: null };
    return failure(
      codeForStatus(response.status),
      response.status,
      `HTTP ${response.status} from ${baseUrl}/models`,
    );
  } catch (error) {
    if (FlightdeckError.isInstance(error) && error.code === 'provider_url_refused') {
      return {
        ok: false,
        latencyMs: elapsed(),
        statusCode: null,
        errorCode: 'provider_url_refused',
        message: error.message,
      };
    }
    if (error instanceof DOMException && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
      return failure('provider_timeout', null);
    }
    return failure('provider_unavailable', null, `could not connect to ${baseUrl}`);
  }
}
