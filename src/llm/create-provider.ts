import type { AllowedHosts, HostLookup } from '../security/ssrf-guard.ts';
import { createGuardedFetch } from '../security/ssrf-guarded-fetch.ts';
import { createAnthropicProvider, defaultAnthropicBaseUrl } from './create-anthropic-provider.ts';
import { createOpenAiCompatibleProvider } from './create-openai-compatible-provider.ts';
import { createOpenAiProvider, defaultOpenAiBaseUrl } from './create-openai-provider.ts';
import { providerHttpFetch } from './http-fetch.ts';
import type { LanguageModelProvider, ProviderKind } from './language-model-provider.ts';
import type { MockProviderSettings } from './mock-provider/create-mock-provider.ts';
import { createMockProvider } from './mock-provider/create-mock-provider.ts';
import { ProviderError } from './provider-error.ts';

export interface ProviderSettings {
  kind: ProviderKind;
  apiKey?: string;
  baseUrl?: string;
  headers?: Record<string, string>;
  fetch?: typeof globalThis.fetch;
  /** FLIGHTDECK_ALLOWED_PROVIDER_HOSTS, parsed: private hosts a custom base URL may reach. */
  allowedHosts?: AllowedHosts;
  /** DNS resolution for the SSRF check; injected in tests. */
  lookup?: HostLookup;
  mock?: MockProviderSettings;
}

/**
 * Builds the adapter for a provider key. A base URL other than the provider's own goes through the
 * SSRF guard on every request (and every redirect hop); the official endpoints do not need it.
 */
export function createProvider(settings: ProviderSettings): LanguageModelProvider {
  const guarded = (officialBaseUrl: string | undefined) =>
    settings.baseUrl === undefined || trimSlash(settings.baseUrl) === officialBaseUrl
      ? settings.fetch
      : createGuardedFetch({
          fetch: settings.fetch ?? providerHttpFetch,
          allowedHosts: settings.allowedHosts,
          lookup: settings.lookup,
        });
  const requireKey = () => {
    if (!settings.apiKey) {
      throw new ProviderError({
        code: 'provider_not_configured',
        provider: settings.kind,
        detail: 'the API key is empty',
      });
    }
    return settings.apiKey;
  };
  switch (settings.kind) {
    case 'openai':
      return createOpenAiProvider({
        apiKey: requireKey(),
        baseUrl: settings.baseUrl,
        headers: settings.headers,
        fetch: guarded(defaultOpenAiBaseUrl),
      });
    case 'anthropic':
      return createAnthropicProvider({
        apiKey: requireKey(),
        baseUrl: settings.baseUrl,
        headers: settings.headers,
        fetch: guarded(defaultAnthropicBaseUrl),
      });
    case 'openai-compatible':
      if (!settings.baseUrl) {
        throw new ProviderError({
          code: 'provider_not_configured',
          provider: settings.kind,
          detail: 'an OpenAI-compatible provider needs a base URL',
        });
      }
      return createOpenAiCompatibleProvider({
        apiKey: settings.apiKey,
        baseUrl: settings.baseUrl,
        headers: settings.headers,
        fetch: guarded(undefined),
      });
    case 'mock':
      return createMockProvider(settings.mock);
    default: {
      const unknownKind: never = settings.kind;
      throw new ProviderError({
        code: 'provider_not_configured',
        detail: `unknown provider ${String(unknownKind)}`,
      });
    }
  }
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}
