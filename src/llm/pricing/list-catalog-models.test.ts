import { describe, expect, it } from 'vitest';
import { calculateCost } from './calculate-cost.ts';
import { listCatalogModels } from './list-catalog-models.ts';

describe('listCatalogModels', () => {
  it('lists current OpenAI and Anthropic models with prices that match the cost calculation', () => {
    for (const provider of ['openai', 'anthropic'] as const) {
      const models = listCatalogModels(provider);
      expect(models.length).toBeGreaterThan(10);
      const priced = models.filter((model) => !model.deprecated && model.inputPerMillionUsd !== null);
      expect(priced.length).toBeGreaterThan(5);
      const sample = priced[0];
      if (!sample) throw new Error('no priced model');
      const cost = calculateCost({
        provider,
        model: sample.id,
        usage: { inputTokens: 1_000_000, outputTokens: 0, totalTokens: 1_000_000 },
      });
      expect(cost.priced && cost.costUsd).toBeCloseTo(sample.inputPerMillionUsd ?? -1, 6);
    }
    expect(listCatalogModels('openai').map((model) => model.id)).toContain('gpt-4o-mini');
  });
});
