import { describe, expect, it } from 'vitest';
import { calculateCost } from './calculate-cost.ts';
import { estimateCallCost } from './estimate-call-cost.ts';

const perMillion = (input: number, output: number) => ({
  inputTokens: input * 1_000_000,
  outputTokens: output * 1_000_000,
  totalTokens: (input + output) * 1_000_000,
});

describe('calculateCost', () => {
  it('prices current OpenAI and Anthropic models from the catalog, dated ids included', () => {
    for (const [provider, model] of [
      ['openai', 'gpt-4o'],
      ['openai', 'gpt-4o-mini-2024-07-18'],
      ['openai', 'gpt-4.1'],
      ['openai', 'gpt-5'],
      ['openai', 'o3'],
      ['anthropic', 'claude-sonnet-4-20250514'],
      ['anthropic', 'claude-opus-4-1-20250805'],
      ['anthropic', 'claude-3-5-haiku-20241022'],
      ['anthropic', 'claude-haiku-4-5'],
    ] as const) {
      const result = calculateCost({ provider, model, usage: perMillion(1, 1) });
      expect(result, model).toMatchObject({ priced: true, source: 'catalog' });
      expect(result.costUsd, model).toBeGreaterThan(0);
    }
  });

  it('charges cached input at the cached price: cheaper than the same tokens uncached', () => {
    const uncached = calculateCost({ provider: 'openai', model: 'gpt-4o', usage: perMillion(1, 0) });
    const cached = calculateCost({
      provider: 'openai',
      model: 'gpt-4o',
      usage: { ...perMillion(1, 0), cachedInputTokens: 1_000_000 },
    });
    expect(uncached.costUsd).not.toBeNull();
    expect(cached.costUsd).not.toBeNull();
    expect(cached.costUsd as number).toBeLessThan(uncached.costUsd as number);
    // Half of gpt-4o's input price, per the catalog.
    expect(cached.costUsd as number).toBeCloseTo((uncached.costUsd as number) / 2, 6);
  });

  it('gives no cost and a flag for an unknown model, never a guess', () => {
    expect(calculateCost({ provider: 'openai', model: 'my-finetune-xyz', usage: perMillion(1, 1) })).toEqual({
      priced: false,
      costUsd: null,
      reason: 'unknown_model',
    });
    // A local server's model named like a hosted one is not priced as the hosted one.
    expect(
      calculateCost({
        provider: 'openai-compatible',
        model: 'gpt-4o',
        baseUrl: 'http://localhost:11434/v1',
        usage: perMillion(1, 1),
      }).priced,
    ).toBe(false);
  });

  it('uses a workspace override for custom models, cached price included', () => {
    const result = calculateCost({
      provider: 'openai-compatible',
      model: 'llama-3.1-70b',
      baseUrl: 'http://localhost:11434/v1',
      usage: {
        inputTokens: 2_000_000,
        outputTokens: 1_000_000,
        totalTokens: 3_000_000,
        cachedInputTokens: 1_000_000,
      },
      overrides: [
        {
          model: 'llama-3.1-70b',
          inputPerMillionUsd: 0.5,
          outputPerMillionUsd: 1.5,
          cachedInputPerMillionUsd: 0.1,
        },
      ],
    });
    expect(result).toMatchObject({ priced: true, source: 'override' });
    expect(result.costUsd).toBeCloseTo(0.5 + 0.1 + 1.5, 9);
  });

  it('costs nothing in mock mode', () => {
    expect(calculateCost({ provider: 'mock', model: 'anything', usage: perMillion(1, 1) }).costUsd).toBe(0);
  });
});

describe('estimateCallCost', () => {
  it('counts prompt tokens with the tokenizer and reserves the max output tokens', () => {
    const estimate = estimateCallCost({
      provider: 'openai',
      model: 'gpt-4o-mini',
      system: 'You are terse.',
      messages: [{ role: 'user', content: 'Hello world, this is a test prompt.' }],
      maxOutputTokens: 500,
    });
    expect(estimate.inputTokens).toBeGreaterThan(10);
    expect(estimate.inputTokens).toBeLessThan(40);
    const exact = calculateCost({
      provider: 'openai',
      model: 'gpt-4o-mini',
      usage: {
        inputTokens: estimate.inputTokens,
        outputTokens: 500,
        totalTokens: estimate.inputTokens + 500,
      },
    });
    expect(estimate.cost.costUsd).toBe(exact.costUsd);
  });
});
