import type { ChatMessage, ProviderKind } from '../language-model-provider.ts';
import type { CostResult } from './calculate-cost.ts';
import { calculateCost } from './calculate-cost.ts';
import { countPromptTokens } from './count-prompt-tokens.ts';
import type { PriceOverride } from './price-override.ts';

/** Output tokens assumed when an agent sets no max tokens: enough for most answers, so reservations are not trivially low. */
export const defaultEstimateOutputTokens = 4_096;

export interface CallCostEstimate {
  inputTokens: number;
  maxOutputTokens: number;
  /** The most this call can cost (no cache discount, every output token used), for a budget reservation. */
  cost: CostResult;
}

/** A pre-call upper estimate: prompt tokens counted with a tokenizer plus the max output tokens. */
export function estimateCallCost(query: {
  provider: ProviderKind;
  model: string;
  system?: string;
  messages: ChatMessage[];
  maxOutputTokens?: number;
  baseUrl?: string;
  overrides?: readonly PriceOverride[];
}): CallCostEstimate {
  const inputTokens = countPromptTokens(query);
  const maxOutputTokens = query.maxOutputTokens ?? defaultEstimateOutputTokens;
  const cost = calculateCost({
    provider: query.provider,
    model: query.model,
    baseUrl: query.baseUrl,
    overrides: query.overrides,
    usage: { inputTokens, outputTokens: maxOutputTokens, totalTokens: inputTokens + maxOutputTokens },
  });
  return { inputTokens, maxOutputTokens, cost };
}
