import { FlightdeckError } from '../../core/errors.ts';
import type { ModelCallRequest, ModelTarget, PriceOverride } from '../../llm/index.ts';
import type { CompiledVersion } from './compiled-version-cache.ts';
import {
  type ExecutionBudget,
  type ExecutionCostEstimate,
  estimateExecutionCost,
  type PromptTokenCalibration,
  type Reservation,
} from './execution-budget.ts';
import type { ExecutionMode } from './execution-view.ts';

/** A provider the execution may call, with what pricing and the budget need to know of it. */
export type ExecutionTarget = ModelTarget & { baseUrl: string | undefined; providerKeyId: string | null };

export interface ReserveBudgetInput {
  budget: ExecutionBudget;
  priceOverridesOf: (workspaceId: string) => Promise<readonly PriceOverride[]>;
  promptTokens: PromptTokenCalibration;
  workspaceId: string;
  agentId: string;
  executionId: string;
  mode: ExecutionMode;
  compiled: CompiledVersion;
  targets: ExecutionTarget[];
  callRequest: ModelCallRequest;
}

/** What an execution holds against the budget; mock and replay runs hold nothing. */
export interface BudgetHold {
  reservation: Reservation | null;
  estimate: ExecutionCostEstimate | null;
  /** The workspace's prices (live runs only), for pricing what the run spends. */
  overrides: readonly PriceOverride[];
  /** Gives the hold back: for every path on which the execution does not run. */
  release(): Promise<void>;
}

/**
 * Live runs hold their most expensive outcome against the budget before any provider call
 * (402 budget_exceeded here); mock runs cost nothing and are never blocked.
 */
export async function reserveBudget(input: ReserveBudgetInput): Promise<BudgetHold> {
  const { budget, workspaceId, agentId, compiled, targets, callRequest } = input;
  const definition = compiled.definition;
  let reservation: Reservation | null = null;
  let estimate: ExecutionCostEstimate | null = null;
  const overrides = input.mode === 'live' ? await input.priceOverridesOf(workspaceId) : [];
  if (input.mode === 'live') {
    estimate = estimateExecutionCost(
      targets,
      callRequest,
      compiled.output !== null,
      overrides,
      input.promptTokens,
    );
    if (!estimate.priced && (await budget.isLimited(workspaceId, agentId))) {
      // Nothing can be held for a model without a price, so a limit could not be kept: refuse.
      throw new FlightdeckError({
        code: 'price_unknown',
        kind: 'unprocessable',
        message: `The price of ${definition.model} is not in the catalog, and this workspace or agent has a spending limit that could not be kept without one. Add a price override for "${definition.model}" in Settings › Model prices (or PATCH the workspace with settings.priceOverrides), or run in mock mode.`,
        details: { model: definition.model, provider: definition.provider },
      });
    }
    reservation = await budget.reserve({
      workspaceId,
      agentId,
      providerKeyId: targets[0]?.providerKeyId ?? null,
      executionId: input.executionId,
      estimateUsd: estimate.maxCostUsd,
      holdMs: definition.timeoutMs * (compiled.output ? 2 : 1) + 60_000,
    });
  }
  const held = reservation;
  return {
    reservation,
    estimate,
    overrides,
    async release() {
      if (held) await budget.release(held);
    },
  };
}
