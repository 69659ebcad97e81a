import { createAnthropic } from '@ai-sdk/anthropic';
import type { HttpProviderSettings } from './create-openai-provider.ts';
import { createSdkProvider } from './create-sdk-provider.ts';
import { providerHttpFetch } from './http-fetch.ts';
import type { LanguageModelProvider } from './language-model-provider.ts';

export const defaultAnthropicBaseUrl = 'https://api.anthropic.com/v1';

/** Anthropic through the Messages API. */
export function createAnthropicProvider(settings: HttpProviderSettings): LanguageModelProvider {
  const baseUrl = settings.baseUrl ?? defaultAnthropicBaseUrl;
  const anthropic = createAnthropic({
    apiKey: settings.apiKey,
    baseURL: baseUrl,
    fetch: settings.fetch ?? providerHttpFetch,
    headers: settings.headers,
  });
  return createSdkProvider({
    kind: 'anthropic',
    baseUrl,
    apiKey: settings.apiKey,
    languageModel: (modelId) => anthropic.messages(modelId),
  });
}
