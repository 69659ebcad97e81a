import type { Repositories } from '../store/repositories/index.ts';
import type { TelemetryReadings } from '../store/telemetry-readings.ts';
import type { FlightdeckMetrics } from './flightdeck-metrics.ts';
import type { MetricLabels } from './metric-labels.ts';

export interface WorkflowObserverDependencies {
  metrics: FlightdeckMetrics;
  labels: MetricLabels;
  readings: TelemetryReadings;
  onError: (error: unknown) => void;
}

/**
 * Counts workflow runs and approval waits where the transition lands: every end of a run goes
 * through `workflowRuns.finish` (completed, failed) or `workflowRuns.cancel`, every decision through
 * `workflowApprovals.decide`, each a conditional statement that answers whether it moved the row.
 * Only the node whose statement landed counts, so the sum over nodes never counts a run twice.
 * Wraps the methods in place; counting never fails or delays the transition beyond one read.
 */
export function observeWorkflowRepositories(
  repositories: Pick<Repositories, 'workflowRuns' | 'workflowApprovals'>,
  dependencies: WorkflowObserverDependencies,
): void {
  const { metrics, labels, readings, onError } = dependencies;
  const runs = repositories.workflowRuns;
  const approvals = repositories.workflowApprovals;

  const countRunEnd = async (runId: string) => {
    try {
      const run = await readings.endedRun(runId);
      if (!run) return;
      const [workspace, workflow] = await Promise.all([
        labels.workspace(run.workspaceId),
        labels.workflow(run.workflowId),
      ]);
      metrics.workflowRuns.inc({ workspace, workflow, status: run.status, mode: run.mode });
      if (run.finishedAt) {
        const seconds = Math.max(0, (run.finishedAt.getTime() - run.startedAt.getTime()) / 1000);
        metrics.workflowDuration.observe({ workspace, workflow, status: run.status }, seconds);
      }
    } catch (error) {
      onError(error);
    }
  };

  const finish = runs.finish;
  runs.finish = async function (this: typeof runs, ...args: Parameters<typeof finish>) {
    const ended = await finish.apply(this, args);
    if (ended) await countRunEnd(args[0]);
    return ended;
  };
  const cancel = runs.cancel;
  runs.cancel = async function (this: typeof runs, ...args: Parameters<typeof cancel>) {
    const cancelled = await cancel.apply(this, args);
    if (cancelled) await countRunEnd(args[1]);
    return cancelled;
  };
  const decide = approvals.decide;
  approvals.decide = async function (this: typeof approvals, ...args: Parameters<typeof decide>) {
    const decided = await decide.apply(this, args);
    if (decided?.decidedAt) {
      try {
        const [workspace, workflow] = await Promise.all([
          labels.workspace(decided.workspaceId),
          labels.workflow(decided.workflowId),
        ]);
        const seconds = Math.max(0, (decided.decidedAt.getTime() - decided.createdAt.getTime()) / 1000);
        metrics.approvalWait.observe({ workspace, workflow, decision: decided.status }, seconds);
      } catch (error) {
        onError(error);
      }
    }
    return decided;
  };
}
