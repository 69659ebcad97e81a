import { findProvider, type ModelInfo, type ModelPrice } from '@pydantic/genai-prices';

export interface CatalogModel {
  id: string;
  name: string;
  contextWindow: number | null;
  /** USD per million tokens at the base tier; null where the catalog has no such price. */
  inputPerMillionUsd: number | null;
  outputPerMillionUsd: number | null;
  cachedInputPerMillionUsd: number | null;
  deprecated: boolean;
}

const cache = new Map<string, CatalogModel[]>();

function basePrice(value: ModelPrice[string]): number | null {
  if (typeof value === 'number') return value;
  if (value && typeof value === 'object' && 'base' in value && typeof value.base === 'number')
    return value.base;
  return null;
}

/** The prices in force now: the last unconstrained or already-started entry of a conditional list. */
function currentPrices(model: ModelInfo): ModelPrice {
  if (!Array.isArray(model.prices)) return model.prices;
  const last = model.prices.at(-1);
  return last?.prices ?? {};
}

/** The catalog's models of a provider, for model pickers: current list prices and context windows. */
export function listCatalogModels(provider: 'openai' | 'anthropic'): CatalogModel[] {
  const cached = cache.get(provider);
  if (cached) return cached;
  const models = (findProvider({ providerId: provider })?.models ?? []).map((model) => {
    const prices = currentPrices(model);
    return {
      id: model.id,
      name: model.name ?? model.id,
      contextWindow: model.context_window ?? null,
      inputPerMillionUsd: basePrice(prices.input_mtok),
      outputPerMillionUsd: basePrice(prices.output_mtok),
      cachedInputPerMillionUsd: basePrice(prices.cache_read_mtok),
      deprecated: model.deprecated === true,
    };
  });
  models.sort(
    (first, second) =>
      Number(first.deprecated) - Number(second.deprecated) || first.id.localeCompare(second.id),
  );
  cache.set(provider, models);
  return models;
}
