/**
 * The queue that leases workflow runs to workers: one job per run. Whoever holds a run's job drives
 * it; a worker that dies stops sending heartbeats, its job expires and another worker (or the
 * restarted process) picks the run up from the stored state.
 */
export interface RunQueue {
  /** Asks for the run to be driven; a run already waiting in the queue is not queued twice. */
  enqueue(runId: string): Promise<void>;
  /**
   * Starts taking jobs: `drive` runs once per job with a signal that fires when the lease is lost
   * or the queue stops. Resolving completes the job; throwing hands it back for a retry.
   */
  work(
    drive: (runId: string, signal: AbortSignal) => Promise<void>,
    options: { concurrency: number },
  ): Promise<void>;
  /** Stops taking jobs and waits up to `timeoutMs` for the ones in hand; the rest are handed back. */
  stop(options?: { timeoutMs?: number }): Promise<void>;
}

/** Settings of the lease; short in tests so a killed worker's runs come back quickly. */
export interface RunQueueSettings {
  /** A job without a heartbeat for this long is handed to another worker (pg-boss minimum 10). */
  heartbeatSeconds: number;
  /** How often expired leases are looked for. */
  monitorIntervalSeconds: number;
}

export const defaultRunQueueSettings: RunQueueSettings = { heartbeatSeconds: 10, monitorIntervalSeconds: 5 };
