import type { Clock } from '../../core/clock.ts';
import type { Repositories } from '../../store/repositories/index.ts';
import type { WorkspaceCounts } from '../../store/repositories/workspace-overview-repository.ts';
import type { BudgetService } from '../guardrails/budget-service.ts';

/** The window "runs this week" counts over: the last seven days, so Monday mornings are not empty. */
export const overviewWindowDays = 7;

export interface WorkspaceOverview extends WorkspaceCounts {
  /** Start of the runs window (now minus seven days). */
  runsSinceAt: Date;
  /** This month's spend against the workspace budget (UTC calendar month, as budgets count it). */
  spend: { periodStart: Date; spentUsd: number; reservedUsd: number; limitUsd: number | null };
}

/** The home dashboard's figures: what the workspace holds and has spent, read in two statements. */
export function createWorkspaceOverviewService(dependencies: {
  repositories: Repositories;
  budgets: Pick<BudgetService, 'usage'>;
  clock: Clock;
}) {
  const { repositories, budgets, clock } = dependencies;
  return {
    async overview(workspaceId: string): Promise<WorkspaceOverview> {
      const runsSinceAt = new Date(clock.now().getTime() - overviewWindowDays * 24 * 60 * 60 * 1000);
      const [counts, usage] = await Promise.all([
        repositories.workspaceOverview.counts(workspaceId, runsSinceAt),
        budgets.usage(workspaceId),
      ]);
      return {
        ...counts,
        runsSinceAt,
        spend: {
          periodStart: usage.periodStart,
          spentUsd: usage.spentUsd,
          reservedUsd: usage.reservedUsd,
          limitUsd: usage.limitUsd,
        },
      };
    },
  };
}

export type WorkspaceOverviewService = ReturnType<typeof createWorkspaceOverviewService>;
