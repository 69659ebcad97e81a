import { LRUCache } from 'lru-cache';
import {
  calculateCost,
  countTextTokens,
  estimateCallCost,
  type ModelCallRequest,
  type ModelTarget,
  type PriceOverride,
} from '../../llm/index.ts';
import type { BudgetService, Reservation } from '../guardrails/budget-service.ts';

/** Tokens a repair prompt adds on top of the first prompt and the first answer. */
const repairPromptTokens = 256;

/**
 * What providers reported against the estimate's bound, per provider and model: a model whose
 * tokenizer counts more than its family's factor allows raises its own later estimates (the
 * "remaining overage" of one execution is seen by the next reservation). Kept per process.
 */
export function createPromptTokenCalibration(capacity = 2_000) {
  const ratios = new LRUCache<string, number>({ max: capacity });
  const keyOf = (provider: string, model: string) => `${provider}\n${model}`;
  return {
    /** The factor to apply over the bound for this model (1 until a provider reported more). */
    factor(provider: string, model: string): number {
      return ratios.get(keyOf(provider, model)) ?? 1;
    },
    /** Notes one single-call execution: the bound it reserved for and what the provider reported. */
    record(provider: string, model: string, boundTokens: number, reportedTokens: number): void {
      if (boundTokens <= 0 || reportedTokens <= boundTokens) return;
      const key = keyOf(provider, model);
      // A little over the worst seen, so the next one is covered and not merely matched.
      const ratio = Math.min(4, (reportedTokens / boundTokens) * 1.05 * (ratios.get(key) ?? 1));
      ratios.set(key, Math.max(ratios.get(key) ?? 1, ratio));
    },
  };
}

export type PromptTokenCalibration = ReturnType<typeof createPromptTokenCalibration>;

const uncalibrated: Pick<PromptTokenCalibration, 'factor'> = { factor: () => 1 };

export interface ExecutionCostEstimate {
  /** The most the execution can cost (the priciest target, plus the repair call when there is an output schema). */
  maxCostUsd: number;
  /** Prompt tokens of the first call, to price what a cut stream used. */
  inputTokens: number;
  /** The prompt tokens reserved for per target (the family's bound, calibrated), by target index. */
  inputTokenBounds: number[];
  /** False when no target has a known price: nothing can be reserved for it. */
  priced: boolean;
}

type LiveTarget = ModelTarget & { baseUrl: string | undefined };

/**
 * The pessimistic estimate a live execution reserves: for each target, prompt tokens (counted with a
 * tokenizer) plus max output tokens at list price — doubled up for the repair call an output schema
 * may need — and the highest of the targets, since any of them may answer.
 */
export function estimateExecutionCost(
  targets: LiveTarget[],
  request: ModelCallRequest,
  withRepair: boolean,
  overrides: readonly PriceOverride[] = [],
  calibration: Pick<PromptTokenCalibration, 'factor'> = uncalibrated,
): ExecutionCostEstimate {
  let maxCostUsd = 0;
  let inputTokens = 0;
  let priced = false;
  const inputTokenBounds: number[] = [];
  for (const target of targets) {
    const first = estimateCallCost({
      provider: target.provider.kind,
      model: target.model,
      system: request.system,
      messages: request.messages,
      maxOutputTokens: request.maxOutputTokens,
      baseUrl: target.baseUrl,
      overrides,
    });
    inputTokens = Math.max(inputTokens, first.inputTokens);
    // An upper bound in the model's own tokenizer, raised where this model reported more before.
    const promptTokens = Math.ceil(
      first.inputTokenBound * calibration.factor(target.provider.kind, target.model),
    );
    inputTokenBounds.push(promptTokens);
    if (!first.cost.priced) continue;
    priced = true;
    const price = (input: number, output: number) => {
      const result = calculateCost({
        provider: target.provider.kind,
        model: target.model,
        baseUrl: target.baseUrl,
        overrides,
        usage: { inputTokens: input, outputTokens: output, totalTokens: input + output },
      });
      return result.priced ? result.costUsd : 0;
    };
    let cost = price(promptTokens, first.maxOutputTokens);
    if (withRepair)
      cost += price(promptTokens + first.maxOutputTokens + repairPromptTokens, first.maxOutputTokens);
    maxCostUsd = Math.max(maxCostUsd, cost);
  }
  return { maxCostUsd, inputTokens, inputTokenBounds, priced };
}

/**
 * What a stream cut mid-way used: the prompt it sent plus the output it streamed so far, at the
 * primary target's price (the provider reports no usage for a cancelled stream).
 */
export function partialStreamCost(
  target: LiveTarget | undefined,
  inputTokens: number,
  streamedText: string,
  overrides: readonly PriceOverride[] = [],
): number {
  if (!target || streamedText.length === 0) return 0;
  const outputTokens = countTextTokens(streamedText);
  const cost = calculateCost({
    provider: target.provider.kind,
    model: target.model,
    baseUrl: target.baseUrl,
    overrides,
    usage: { inputTokens, outputTokens, totalTokens: inputTokens + outputTokens },
  });
  return cost.priced ? cost.costUsd : 0;
}

/** A budget that never refuses: for services built without guardrails (tools, some tests). */
export const unlimitedBudget: Pick<BudgetService, 'reserve' | 'settle' | 'release' | 'isLimited'> = {
  reserve: async (request) => ({ id: `unlimited-${request.executionId ?? ''}`, amountUsd: 0 }),
  settle: async () => {},
  release: async () => {},
  isLimited: async () => false,
};

export type ExecutionBudget = Pick<BudgetService, 'reserve' | 'settle' | 'release' | 'isLimited'>;
export type { Reservation };
