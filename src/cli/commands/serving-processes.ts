import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import { RateLimiterClusterMaster } from 'rate-limiter-flexible';
import { backoffDelay } from '../../core/backoff-delay.ts';
import type { Configuration } from '../../core/configuration.ts';
import type { Logger } from '../../telemetry/logger.ts';
import { answerGroupMetricsRequests } from '../../telemetry/serving-group-metrics.ts';

/** Messages between the serving primary and its processes. */
export const servingMessages = {
  /** Process → primary: listening and ready. */
  ready: 'flightdeck:serving-ready',
  /** Primary → process: shut down as on SIGTERM (the signal may reach it directly too). */
  shutdown: 'flightdeck:serving-shutdown',
} as const;

/** How many `flightdeck serve` processes share the port: FLIGHTDECK_PROCESSES, `auto` one per core. */
export function servingProcessCount(configuration: Configuration): number {
  return configuration.processes === 'auto' ? availableParallelism() : configuration.processes;
}

/**
 * Waits before forking a replacement for a process that died: at least a second, growing (with
 * jitter, up to a minute) while replacements keep dying before they are ready, so a crash loop
 * (the database gone) does not spin.
 */
const replacementDelayMs = (failedReplacements: number) =>
  1_000 +
  backoffDelay({
    retryNumber: failedReplacements,
    baseDelayMs: 1_000,
    maxDelayMs: 60_000,
    random: Math.random,
  });

/**
 * The primary of a serving group: forks `count` processes that each run the whole of `flightdeck
 * serve` (database pool, caches, workflow workers) and share the port through node:cluster, which
 * hands each new connection to the next process. Every multi-node guarantee holds between them as
 * between nodes (revocations and agent changes are announced over PostgreSQL, budgets are leased
 * per process). The primary opens no database; it prints the ready line once all are ready,
 * replaces a process that dies after it was ready, answers `/metrics` for the group, keeps the
 * rate-limit windows when there is no Redis, and on
 * SIGTERM/SIGINT asks each to shut down gracefully and exits when they have.
 */
export async function runServingPrimary(configuration: Configuration, logger: Logger, count: number) {
  const startedAt = performance.now();
  answerGroupMetricsRequests();
  // Without Redis the processes count rate limits here, so a workspace's limit stays one limit.
  if (configuration.redisUrl === undefined) new RateLimiterClusterMaster();
  const ready = new Set<number>();
  let announced = false;
  let stopping = false;
  let failed = false;
  let failedReplacements = 0;

  const fork = (): Worker => {
    const worker = cluster.fork();
    worker.on('message', (message: { type?: unknown } | null) => {
      if (message?.type !== servingMessages.ready) return;
      ready.add(worker.id);
      failedReplacements = 0;
      if (!announced && ready.size >= count) {
        announced = true;
        const readyInMs = Math.round(performance.now() - startedAt);
        logger.info({ url: configuration.publicUrl, processes: count, readyInMs }, 'Flightdeck is ready');
        process.stdout.write(
          `\nFlightdeck is running in ${count} processes: open ${configuration.publicUrl}\n\n`,
        );
      }
    });
    return worker;
  };

  cluster.on('exit', (worker, code, signal) => {
    const wasReady = ready.delete(worker.id);
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(failed ? 1 : 0);
      return;
    }
    if (!wasReady && !announced) {
      // The first start failed (database unreachable, a bad key): more would fail alike.
      logger.error({ code, signal }, 'a serving process stopped before it was ready; stopping the others');
      failed = true;
      void stop();
      return;
    }
    failedReplacements = wasReady ? 0 : failedReplacements + 1;
    const delayMs = replacementDelayMs(failedReplacements);
    logger.error({ code, signal, delayMs }, 'a serving process died; starting a replacement');
    // Not unref'd: when every process died, this timer is what keeps the primary alive.
    setTimeout(() => {
      if (!stopping) fork();
    }, delayMs);
  });

  let signals = 0;
  async function stop() {
    stopping = true;
    const workers = Object.values(cluster.workers ?? {}).filter((worker) => worker !== undefined);
    if (workers.length === 0) process.exit(failed ? 1 : 0);
    for (const worker of workers) if (worker.isConnected()) worker.send({ type: servingMessages.shutdown });
  }
  const onSignal = (signal: NodeJS.Signals) => {
    signals += 1;
    if (signals > 1) {
      logger.warn({ signal }, 'second signal: exiting now');
      for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGKILL');
      process.exit(1);
    }
    logger.info(
      { signal, processes: count },
      'shutting down: every serving process finishes in-flight requests',
    );
    void stop();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  for (let index = 0; index < count; index++) fork();
}
