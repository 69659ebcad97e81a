import type { Clock } from '../../core/clock.ts';
import type { WorkflowDefinition } from '../../core/workflow/workflow-definition.ts';
import type { Repositories } from '../../store/repositories/index.ts';
import { createSilentLogger, type Logger } from '../../telemetry/logger.ts';
import type { RunService } from './run-service.ts';
import { nextScheduleTick } from './workflow-input.ts';

/**
 * Schedule triggers: every node looks for due ticks; `claimScheduleTick` lets exactly one node win
 * each tick. The next tick is computed from now, so ticks missed while everything was down are not
 * replayed in a burst (the first due one runs, the rest are skipped).
 */
export function startWorkflowScheduler(dependencies: {
  repositories: Repositories;
  runs: RunService;
  clock: Clock;
  logger?: Logger;
  intervalMs?: number;
}) {
  const { repositories, runs, clock } = dependencies;
  const logger = dependencies.logger ?? createSilentLogger();
  let running: Promise<void> | null = null;

  async function tick(): Promise<number> {
    const now = clock.now();
    const due = await repositories.workflows.listDueSchedules(now, 100);
    let started = 0;
    for (const found of due) {
      const seen = found.workflow.scheduleNextAt;
      if (!seen) continue;
      const definition = found.version.definition as unknown as WorkflowDefinition;
      const next = nextScheduleTick(definition, now);
      if (!(await repositories.workflows.claimScheduleTick(found.workflow.id, seen, next))) continue;
      try {
        await runs.startTriggered(found, {}, 'schedule');
        started++;
      } catch (error) {
        logger.warn({ err: error, workflowId: found.workflow.id }, 'scheduled run could not start');
      }
    }
    return started;
  }

  const timer = setInterval(() => {
    if (running) return;
    running = tick()
      .then(() => undefined)
      .catch((error: unknown) => logger.warn({ err: error }, 'schedule sweep failed'))
      .finally(() => {
        running = null;
      });
  }, dependencies.intervalMs ?? 5_000);
  timer.unref();
  return {
    /** One sweep now (tests, and the first sweep at start). */
    tick,
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
