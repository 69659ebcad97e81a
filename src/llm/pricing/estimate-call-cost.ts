import type { ChatMessage, ProviderKind } from '../language-model-provider.ts';
import type { CostResult } from './calculate-cost.ts';
import { calculateCost } from './calculate-cost.ts';
import { countPromptTokens } from './count-prompt-tokens.ts';
import type { PriceOverride } from './price-override.ts';
import { promptTokenBound } from './prompt-token-bound.ts';

/** Output tokens assumed when an agent sets no max tokens: enough for most answers, so reservations are not trivially low. */
export const defaultEstimateOutputTokens = 4_096;

export interface CallCostEstimate {
  /** Prompt tokens counted with o200k. */
  inputTokens: number;
  /** At most this many prompt tokens in the model's own tokenizer (the family's factor, see prompt-token-bound.ts). */
  inputTokenBound: number;
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
  let utf8Bytes = Buffer.byteLength(query.system ?? '');
  let characters = query.system?.length ?? 0;
  for (const message of query.messages) {
    utf8Bytes += Buffer.byteLength(message.content);
    characters += message.content.length;
  }
  const inputTokenBound = promptTokenBound({
    provider: query.provider,
    model: query.model,
    countedTokens: inputTokens,
    characters,
    utf8Bytes,
    // Role markers and the reply primer, as countPromptTokens adds them.
    overheadTokens: 3 + 4 * (query.messages.length + 1),
  });
  const maxOutputTokens = query.maxOutputTokens ?? defaultEstimateOutputTokens;
  const cost = calculateCost({
    provider: query.provider,
    model: query.model,
    baseUrl: query.baseUrl,
    overrides: query.overrides,
    usage: { inputTokens, outputTokens: maxOutputTokens, totalTokens: inputTokens + maxOutputTokens },
  });
  return { inputTokens, inputTokenBound, maxOutputTokens, cost };
}
