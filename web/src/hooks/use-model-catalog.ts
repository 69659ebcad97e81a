import { useQuery } from '@tanstack/react-query';
import type { AgentProvider, CatalogModel } from '../api/api-types.ts';
import { modelCatalog } from '../lib/model-catalog.ts';
import { api } from './api.ts';

/** The catalog does not change while the server runs. */
const forever = Number.POSITIVE_INFINITY;

/**
 * Model suggestions per provider: the server's price catalog for OpenAI and Anthropic (current
 * models first), the built-in suggestions for the rest and while the catalog loads.
 */
export function useModelCatalog(): Record<AgentProvider, string[]> {
  const openai = useQuery({
    queryKey: ['catalog-models', 'openai'],
    queryFn: () => api.listCatalogModels('openai'),
    staleTime: forever,
  });
  const anthropic = useQuery({
    queryKey: ['catalog-models', 'anthropic'],
    queryFn: () => api.listCatalogModels('anthropic'),
    staleTime: forever,
  });
  const current = (items: Array<{ id: string; deprecated: boolean }> | undefined, fallback: string[]) => {
    const ids = items?.filter((model) => !model.deprecated).map((model) => model.id) ?? [];
    // Keep the usual picks first, then everything else the catalog prices.
    return [...new Set([...fallback.filter((id) => ids.length === 0 || ids.includes(id)), ...ids])];
  };
  return {
    ...modelCatalog,
    openai: current(openai.data?.items, modelCatalog.openai),
    anthropic: current(anthropic.data?.items, modelCatalog.anthropic),
  };
}

/** The catalog's list prices by model id (OpenAI and Anthropic), for showing beside a workspace's own. */
export function useCatalogPrices(): Map<string, CatalogModel & { provider: 'openai' | 'anthropic' }> {
  const openai = useQuery({
    queryKey: ['catalog-models', 'openai'],
    queryFn: () => api.listCatalogModels('openai'),
    staleTime: forever,
  });
  const anthropic = useQuery({
    queryKey: ['catalog-models', 'anthropic'],
    queryFn: () => api.listCatalogModels('anthropic'),
    staleTime: forever,
  });
  const prices = new Map<string, CatalogModel & { provider: 'openai' | 'anthropic' }>();
  for (const model of openai.data?.items ?? []) prices.set(model.id, { ...model, provider: 'openai' });
  for (const model of anthropic.data?.items ?? []) prices.set(model.id, { ...model, provider: 'anthropic' });
  return prices;
}
