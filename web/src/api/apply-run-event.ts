import type { Run, RunEvent, RunStatus, StepRun, StepStatus } from './workflow-types.ts';

const openStepStatuses: ReadonlySet<StepStatus> = new Set([
  'pending',
  'ready',
  'running',
  'waiting_approval',
]);

/**
 * The run as it is after one event. Events carry statuses, not outputs: the monitor applies them at
 * once (the graph recolours without waiting) and reads the run again for inputs, outputs and costs.
 */
export function applyRunEvent(run: Run, event: RunEvent): Run {
  const at = event.createdAt;
  const patchStep = (stepId: string | null, change: (step: StepRun) => StepRun): Run =>
    stepId === null
      ? run
      : { ...run, steps: run.steps.map((step) => (step.stepId === stepId ? change(step) : step)) };
  switch (event.type) {
    case 'run-start':
      return { ...run, status: 'running', startedAt: run.startedAt ?? at };
    case 'step-start':
      return patchStep(event.stepId, (step) => ({
        ...step,
        status: 'running',
        attempts: Number(event.data.attempt ?? step.attempts + 1),
        startedAt: at,
        finishedAt: null,
        error: null,
      }));
    case 'step-end':
      return patchStep(event.stepId, (step) => ({
        ...step,
        status: String(event.data.status ?? step.status) as StepStatus,
        finishedAt: at,
      }));
    case 'run-end': {
      const status = String(event.data.status ?? run.status) as RunStatus;
      const closedAs: StepStatus = status === 'cancelled' ? 'cancelled' : 'skipped';
      return {
        ...run,
        status,
        costUsd: typeof event.data.costUsd === 'number' ? event.data.costUsd : run.costUsd,
        finishedAt: at,
        steps: run.steps.map((step) =>
          status !== 'completed' && openStepStatuses.has(step.status) ? { ...step, status: closedAs } : step,
        ),
      };
    }
    case 'run-retry': {
      const again = new Set(Array.isArray(event.data.steps) ? (event.data.steps as string[]) : []);
      return {
        ...run,
        status: 'queued',
        finishedAt: null,
        error: null,
        steps: run.steps.map((step) =>
          again.has(step.stepId) ? { ...step, status: 'pending', finishedAt: null, error: null } : step,
        ),
      };
    }
    default:
      return run;
  }
}

/** Whether a run can still change without anyone acting on it. */
export function isRunActive(status: RunStatus): boolean {
  return status === 'queued' || status === 'running' || status === 'waiting_approval';
}
