import type { AgentProvider } from '../api/api-types.ts';

/**
 * Suggestions for the model picker. Any other name can be typed: compatible endpoints (Ollama,
 * vLLM, OpenRouter…) serve models no catalog knows, and the server prices what its catalog knows.
 */
export const modelCatalog: Record<AgentProvider, string[]> = {
  openai: ['gpt-4o-mini', 'gpt-4o', 'gpt-4.1', 'gpt-4.1-mini', 'gpt-4.1-nano', 'o4-mini'],
  anthropic: ['claude-sonnet-4-5', 'claude-haiku-4-5', 'claude-opus-4-1'],
  'openai-compatible': ['llama-3.3-70b-versatile', 'qwen2.5:7b', 'mistral-small'],
  mock: ['mock-model'],
};

export const agentProviders: Array<{ value: AgentProvider; label: string }> = [
  { value: 'openai', label: 'OpenAI' },
  { value: 'anthropic', label: 'Anthropic' },
  { value: 'openai-compatible', label: 'OpenAI-compatible' },
  { value: 'mock', label: 'Mock (no key, no cost)' },
];
