import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import type { HttpProviderSettings } from './create-openai-provider.ts';
import { createSdkProvider } from './create-sdk-provider.ts';
import { providerHttpFetch } from './http-fetch.ts';
import type { LanguageModelProvider } from './language-model-provider.ts';

export interface OpenAiCompatibleProviderSettings extends Omit<HttpProviderSettings, 'apiKey' | 'baseUrl'> {
  /** Local servers (Ollama, LM Studio) often need no key. */
  apiKey?: string;
  baseUrl: string;
  /** Set false for servers without `response_format: json_schema`; the SDK then asks for plain JSON. */
  supportsStructuredOutputs?: boolean;
}

/** Any server speaking the OpenAI Chat Completions dialect at a custom base URL. */
export function createOpenAiCompatibleProvider(
  settings: OpenAiCompatibleProviderSettings,
): LanguageModelProvider {
  const compatible = createOpenAICompatible({
    name: 'openai-compatible',
    baseURL: settings.baseUrl,
    apiKey: settings.apiKey,
    fetch: settings.fetch ?? providerHttpFetch,
    headers: settings.headers,
    // Without this, streamed answers carry no token usage and cost cannot be computed.
    includeUsage: true,
    supportsStructuredOutputs: settings.supportsStructuredOutputs ?? true,
  });
  return createSdkProvider({
    kind: 'openai-compatible',
    baseUrl: settings.baseUrl,
    apiKey: settings.apiKey,
    languageModel: (modelId) => compatible.chatModel(modelId),
  });
}
