import { fromPglite, PgBoss } from 'pg-boss';
import type { QueueConnection } from '../database.ts';
import { defaultRunQueueSettings, type RunQueue, type RunQueueSettings } from './run-queue.ts';

const queueName = 'workflow-run';

/**
 * The run queue on pg-boss, in the same database as everything else: PGlite's client when
 * embedded, its own small pool on PostgreSQL. `stately` with the run id as the key keeps at most
 * one waiting and one active job per run, so a run is never driven by two workers at once.
 */
export async function createPgBossRunQueue(
  connection: QueueConnection,
  settings: Partial<RunQueueSettings> = {},
): Promise<RunQueue> {
  const { heartbeatSeconds, monitorIntervalSeconds } = { ...defaultRunQueueSettings, ...settings };
  const boss =
    connection.kind === 'pglite'
      ? new PgBoss({
          db: fromPglite(connection.client),
          backend: 'pglite',
          schema: 'pgboss',
          useListenNotify: true,
          monitorIntervalSeconds,
          superviseIntervalSeconds: monitorIntervalSeconds,
        })
      : new PgBoss({
          connectionString: connection.url,
          schema: 'pgboss',
          max: 4,
          useListenNotify: true,
          monitorIntervalSeconds,
          superviseIntervalSeconds: monitorIntervalSeconds,
        });
  // pg-boss reports connection trouble as events; a queue that cannot reach the database
  // must not crash the process (the next poll retries).
  boss.on('error', () => {});
  await boss.start();
  await boss.createQueue(queueName, {
    policy: 'stately',
    notify: true,
    heartbeatSeconds,
    expireInSeconds: 24 * 60 * 60,
    // A run survives any number of worker deaths; the engine, not the queue, decides failure.
    retryLimit: 1_000_000,
    retryDelay: 0,
    deleteAfterSeconds: 60 * 60,
  });
  let stopped = false;
  return {
    async enqueue(runId) {
      await boss.send(queueName, { runId }, { singletonKey: runId });
    },
    async work(drive, options) {
      await boss.work<{ runId: string }>(
        queueName,
        {
          localConcurrency: options.concurrency,
          batchSize: 1,
          pollingIntervalSeconds: 2,
          notifyPollingIntervalSeconds: 5,
        },
        async ([job]) => {
          if (job) await drive(job.data.runId, job.signal);
        },
      );
    },
    async depth() {
      const queue = await boss.getQueue(queueName);
      return (queue as { queuedCount?: number } | null)?.queuedCount ?? 0;
    },
    async stop(options = {}) {
      if (stopped) return;
      stopped = true;
      await boss.stop({ graceful: true, close: true, timeout: options.timeoutMs ?? 10_000 });
    },
  };
}
