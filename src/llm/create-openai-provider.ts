import { createOpenAI } from '@ai-sdk/openai';
import { createSdkProvider } from './create-sdk-provider.ts';
import { providerHttpFetch } from './http-fetch.ts';
import type { LanguageModelProvider } from './language-model-provider.ts';

export interface HttpProviderSettings {
  apiKey: string;
  baseUrl?: string;
  /** Injected fetch, e.g. the SSRF-guarded one or a test recorder. */
  fetch?: typeof globalThis.fetch;
  headers?: Record<string, string>;
}

export const defaultOpenAiBaseUrl = 'https://api.openai.com/v1';

/** OpenAI through the Chat Completions API (`openai.chat`), not the Responses API. */
export function createOpenAiProvider(settings: HttpProviderSettings): LanguageModelProvider {
  const baseUrl = settings.baseUrl ?? defaultOpenAiBaseUrl;
  const openai = createOpenAI({
    apiKey: settings.apiKey,
    baseURL: baseUrl,
    fetch: settings.fetch ?? providerHttpFetch,
    headers: settings.headers,
  });
  return createSdkProvider({
    kind: 'openai',
    baseUrl,
    apiKey: settings.apiKey,
    languageModel: (modelId) => openai.chat(modelId),
  });
}
