import type { ProviderKind } from '../language-model-provider.ts';

/** A workspace's own price for a model the catalog does not know (or a negotiated price). USD per million tokens. */
export interface PriceOverride {
  model: string;
  /** Limits the override to one provider; any provider when absent. */
  provider?: ProviderKind;
  inputPerMillionUsd: number;
  outputPerMillionUsd: number;
  /** Cached input tokens; the input price when absent. */
  cachedInputPerMillionUsd?: number;
  /** Tokens written to the prompt cache; the input price when absent. */
  cacheWriteInputPerMillionUsd?: number;
}

/** The override for this model, if the workspace set one. */
export function findPriceOverride(
  overrides: readonly PriceOverride[] | undefined,
  provider: ProviderKind,
  model: string,
): PriceOverride | undefined {
  return overrides?.find(
    (entry) => entry.model === model && (entry.provider === undefined || entry.provider === provider),
  );
}
