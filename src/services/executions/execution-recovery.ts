import type { Store } from '../../store/database.ts';
import {
  createExecutionRepository,
  createRecordedExchangeRepository,
} from '../../store/repositories/index.ts';
import type { Logger } from '../../telemetry/logger.ts';

/** Time past an execution's deadline after which no live process can still be finishing it. */
export const interruptedMarginMs = 60_000;

const interruptedMessage =
  'The process running this execution stopped before it finished (restart or crash). Run it again.';

/**
 * Marks executions left `running` by a process that died as `failed` with code `interrupted`.
 *
 * Which rows are orphans depends on the mode. Embedded (PGlite): the data folder belongs to this one
 * process, so at start every running row is an orphan. Scaled out (PostgreSQL, several nodes): a
 * running row may belong to a live node, and nodes keep no heartbeat, so only rows whose deadline
 * (start + the agent's timeout, which the running process enforces on the call) passed more than a
 * margin ago are orphans — a live node would have finished or failed them by then. Those left by a
 * node that died recently are caught by the next sweep; `startExecutionRecovery` repeats it.
 */
export async function markInterruptedExecutions(
  store: Store,
  options: { now?: Date; atStart?: boolean } = {},
): Promise<number> {
  const now = options.now ?? new Date();
  return createExecutionRepository(store.database).markInterrupted({
    now,
    deadlineBefore: new Date(now.getTime() - interruptedMarginMs),
    everyRunning: store.kind === 'pglite' && options.atStart === true,
    message: interruptedMessage,
  });
}

/**
 * Workspaces with `executionRetentionDays` keep only the metadata of older executions: their
 * input, output, raw text and rendered request are cleared, a bounded batch per sweep.
 */
export async function clearExecutionContentPastRetention(
  store: Store,
  options: { now?: Date; limit?: number } = {},
): Promise<number> {
  return createExecutionRepository(store.database).clearContentPastRetention({
    now: options.now ?? new Date(),
    limit: options.limit ?? 5_000,
  });
}

/** Recordings past their workspace's `executionRetentionDays` are deleted, a bounded batch per sweep. */
export async function deleteRecordingsPastRetention(
  store: Store,
  options: { now?: Date; limit?: number } = {},
): Promise<number> {
  return createRecordedExchangeRepository(store.database).deletePastRetention({
    now: options.now ?? new Date(),
    limit: options.limit ?? 5_000,
  });
}

/**
 * Runs the sweep at start, then every `intervalMs` (unref'd: it never keeps the process alive),
 * so orphans of a node that died are marked within a deadline + margin + interval; the same timer
 * clears execution bodies past their workspace's retention.
 */
export async function startExecutionRecovery(options: {
  store: Store;
  logger: Logger;
  intervalMs?: number;
}): Promise<{ marked: number; stop(): void }> {
  const { store, logger } = options;
  const marked = await markInterruptedExecutions(store, { atStart: true });
  if (marked > 0)
    logger.warn({ executions: marked }, 'marked executions interrupted by a previous stop as failed');
  const timer = setInterval(() => {
    clearExecutionContentPastRetention(store)
      .then((count) => {
        if (count > 0) logger.info({ executions: count }, 'cleared execution bodies past their retention');
      })
      .catch((error: unknown) => logger.debug({ err: error }, 'execution retention sweep skipped'));
    deleteRecordingsPastRetention(store)
      .then((count) => {
        if (count > 0) logger.info({ exchanges: count }, 'deleted recordings past their retention');
      })
      .catch((error: unknown) => logger.debug({ err: error }, 'recording retention sweep skipped'));
    markInterruptedExecutions(store)
      .then((count) => {
        if (count > 0)
          logger.warn({ executions: count }, 'marked orphaned executions as failed (interrupted)');
      })
      .catch((error: unknown) => logger.debug({ err: error }, 'interrupted-execution sweep skipped'));
  }, options.intervalMs ?? 60_000);
  timer.unref();
  return { marked, stop: () => clearInterval(timer) };
}
