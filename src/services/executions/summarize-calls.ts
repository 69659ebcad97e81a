import { calculateCost, type ModelCallResult, type PriceOverride } from '../../llm/index.ts';
import type { ExecutionAttemptColumn } from '../../store/repositories/index.ts';

/**
 * What an execution's model calls add up to — tokens, cost (null once one call has no price) and
 * the target that answered last — for the one-call path (run-execution.ts) and the tool loop alike.
 */
export function summarizeCalls(
  calls: readonly ModelCallResult[],
  attempts: readonly ExecutionAttemptColumn[],
  pricing: { baseUrls: ReadonlyArray<string | undefined>; priceOverrides?: readonly PriceOverride[] },
) {
  const usage = { inputTokens: 0, outputTokens: 0, totalTokens: 0 };
  let costUsd = 0;
  let costPriced = true;
  for (const call of calls) {
    usage.inputTokens += call.result.usage.inputTokens;
    usage.outputTokens += call.result.usage.outputTokens;
    usage.totalTokens += call.result.usage.totalTokens;
    const cost = calculateCost({
      provider: call.provider,
      model: call.model,
      usage: call.result.usage,
      baseUrl: pricing.baseUrls[call.targetIndex],
      overrides: pricing.priceOverrides,
    });
    if (cost.priced) costUsd += cost.costUsd;
    else costPriced = false;
  }
  const answered = calls.at(-1);
  return {
    ...usage,
    costUsd: costPriced ? costUsd : null,
    costPriced,
    provider: answered?.provider ?? attempts.at(-1)?.provider ?? null,
    model: answered?.model ?? attempts.at(-1)?.model ?? null,
  };
}
