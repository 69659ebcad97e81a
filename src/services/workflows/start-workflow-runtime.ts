import type { Store } from '../../store/database.ts';
import { createPgBossRunQueue } from '../../store/queue/create-pg-boss-run-queue.ts';
import type { RunQueue, RunQueueSettings } from '../../store/queue/run-queue.ts';
import { createSilentLogger, type Logger } from '../../telemetry/logger.ts';
import type { Services } from '../create-services.ts';
import { startWorkflowScheduler } from './workflow-scheduler.ts';

export interface WorkflowRuntimeOptions {
  store: Store;
  services: Services;
  logger?: Logger;
  /** Runs this process drives at once; 0 makes an API-only node that only enqueues. */
  workers: number;
  queueSettings?: Partial<RunQueueSettings>;
  /** How often due schedule ticks are looked for; 0 turns the scheduler off. */
  scheduleIntervalMs?: number;
}

export interface WorkflowRuntime {
  queue: RunQueue;
  scheduler: ReturnType<typeof startWorkflowScheduler> | null;
  /** Stops taking runs; the ones in hand finish or go back to the queue after `timeoutMs`. */
  stop(timeoutMs?: number): Promise<void>;
}

/** The queue, the workers and the scheduler of one process, over the same database as the rest. */
export async function startWorkflowRuntime(options: WorkflowRuntimeOptions): Promise<WorkflowRuntime> {
  const logger = options.logger ?? createSilentLogger();
  const { services } = options;
  const queue = await createPgBossRunQueue(options.store.queueConnection, options.queueSettings);
  services.runs.attachQueue(queue);
  if (options.workers > 0) {
    await queue.work(
      async (runId, signal) => {
        try {
          await services.workflowEngine.drive(runId, signal);
        } catch (error) {
          logger.warn({ err: error, runId }, 'workflow run handed back to the queue');
          throw error;
        }
      },
      { concurrency: options.workers },
    );
  }
  const scheduleIntervalMs = options.scheduleIntervalMs ?? 5_000;
  const scheduler =
    scheduleIntervalMs > 0
      ? startWorkflowScheduler({
          repositories: services.repositories,
          runs: services.runs,
          clock: services.clock,
          logger,
          intervalMs: scheduleIntervalMs,
        })
      : null;
  // A run recorded but never enqueued (the database failed between the insert and the send) would
  // wait forever: runs still queued after a minute are handed to the queue again (the run id is the
  // job's singleton key, so a run already waiting is not queued twice).
  const requeueStale = async () => {
    const before = new Date(services.clock.now().getTime() - 60_000);
    for (const runId of await services.repositories.workflowRuns.listStaleQueuedIds(before, 500)) {
      await queue.enqueue(runId);
    }
  };
  const staleSweep =
    options.workers > 0
      ? setInterval(() => {
          requeueStale().catch((error: unknown) => logger.warn({ err: error }, 'stale run sweep failed'));
        }, 60_000)
      : null;
  staleSweep?.unref();
  if (options.workers > 0) {
    await requeueStale().catch((error: unknown) => logger.warn({ err: error }, 'stale run sweep failed'));
  }
  // Approval deadlines hold across restarts and nodes: every node sweeps, one wins each approval.
  const approvalSweep =
    scheduleIntervalMs > 0
      ? setInterval(() => {
          services.approvals
            .expireDue()
            .catch((error: unknown) => logger.warn({ err: error }, 'approval timeout sweep failed'));
        }, scheduleIntervalMs)
      : null;
  approvalSweep?.unref();
  return {
    queue,
    scheduler,
    async stop(timeoutMs = 10_000) {
      if (approvalSweep) clearInterval(approvalSweep);
      if (staleSweep) clearInterval(staleSweep);
      await scheduler?.stop();
      await queue.stop({ timeoutMs });
    },
  };
}
