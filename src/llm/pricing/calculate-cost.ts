import type { Provider } from '@pydantic/genai-prices';
import { calcPrice, findProvider } from '@pydantic/genai-prices';
import { LRUCache } from 'lru-cache';
import type { ProviderKind, TokenUsage } from '../language-model-provider.ts';
import type { PriceOverride } from './price-override.ts';
import { findPriceOverride } from './price-override.ts';

export type CostResult =
  | { priced: true; costUsd: number; source: 'catalog' | 'override' | 'mock'; catalogModelId: string | null }
  /** The model is in neither the catalog nor the workspace overrides: no cost, never a guess. */
  | { priced: false; costUsd: null; reason: 'unknown_model' };

export interface CostQuery {
  provider: ProviderKind;
  model: string;
  usage: TokenUsage;
  /** For openai-compatible endpoints: the catalog recognises hosted APIs (Groq, OpenRouter…) by URL. */
  baseUrl?: string;
  overrides?: readonly PriceOverride[];
  /** Prices that changed over time are taken as of this date. Default now. */
  at?: Date;
}

const million = 1_000_000;

/**
 * Cost in USD of one call, from the @pydantic/genai-prices catalog (cached-token, cache-write and
 * tiered prices included) or the workspace's override. Our `inputTokens` counts cached tokens too,
 * which is what the catalog expects.
 */
export function calculateCost(query: CostQuery): CostResult {
  if (query.provider === 'mock') return { priced: true, costUsd: 0, source: 'mock', catalogModelId: null };
  const override = findPriceOverride(query.overrides, query.provider, query.model);
  if (override)
    return {
      priced: true,
      costUsd: costFromOverride(override, query.usage),
      source: 'override',
      catalogModelId: null,
    };
  const catalogProvider = resolveCatalogProvider(query.provider, query.baseUrl);
  if (!catalogProvider) return { priced: false, costUsd: null, reason: 'unknown_model' };
  // The catalog matches the model name against every entry (about 0.15 ms); an execution prices the
  // same model and token counts several times (estimate per target, repair, final cost), and
  // repeated requests repeat them. Prices change by date, so the day is part of the key.
  const day = Math.floor((query.at?.getTime() ?? Date.now()) / 86_400_000);
  const memoKey = `${catalogProvider.id}\n${query.model}\n${day}\n${query.usage.inputTokens}\n${query.usage.outputTokens}\n${query.usage.cachedInputTokens ?? 0}\n${query.usage.cacheWriteInputTokens ?? 0}`;
  const memoised = catalogCosts.get(memoKey);
  if (memoised) return memoised;
  const result = catalogCost(query, catalogProvider);
  catalogCosts.set(memoKey, result);
  return result;
}

const catalogCosts = new LRUCache<string, CostResult>({ max: 5_000 });

function catalogCost(query: CostQuery, catalogProvider: Provider): CostResult {
  const price = calcPrice(
    {
      input_tokens: query.usage.inputTokens,
      output_tokens: query.usage.outputTokens,
      cache_read_tokens: query.usage.cachedInputTokens ?? 0,
      cache_write_tokens: query.usage.cacheWriteInputTokens ?? 0,
    },
    query.model,
    { provider: catalogProvider, timestamp: query.at },
  );
  if (!price) return { priced: false, costUsd: null, reason: 'unknown_model' };
  return { priced: true, costUsd: price.total_price, source: 'catalog', catalogModelId: price.model.id };
}

function costFromOverride(override: PriceOverride, usage: TokenUsage): number {
  const cached = usage.cachedInputTokens ?? 0;
  const cacheWrite = usage.cacheWriteInputTokens ?? 0;
  const uncached = Math.max(0, usage.inputTokens - cached - cacheWrite);
  return (
    (uncached * override.inputPerMillionUsd +
      cached * (override.cachedInputPerMillionUsd ?? override.inputPerMillionUsd) +
      cacheWrite * (override.cacheWriteInputPerMillionUsd ?? override.inputPerMillionUsd) +
      usage.outputTokens * override.outputPerMillionUsd) /
    million
  );
}

const providerCache = new Map<string, Provider | undefined>();

/**
 * openai and anthropic map to their catalog entries. An openai-compatible endpoint is priced only when
 * the catalog recognises its URL: a local Ollama model named like a hosted one must not get its price.
 */
function resolveCatalogProvider(
  provider: Exclude<ProviderKind, 'mock'>,
  baseUrl: string | undefined,
): Provider | undefined {
  const key = provider === 'openai-compatible' ? `url:${baseUrl ?? ''}` : provider;
  if (providerCache.has(key)) return providerCache.get(key);
  const found =
    provider === 'openai-compatible'
      ? baseUrl
        ? findProvider({ providerApiUrl: baseUrl })
        : undefined
      : findProvider({ providerId: provider });
  providerCache.set(key, found);
  return found;
}
