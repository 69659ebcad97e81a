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
  const timing = {
    monitorIntervalSeconds,
    superviseIntervalSeconds: monitorIntervalSeconds,
    // Fetches skip the runs the cached queue row lists as active (stately keys), and that cache
    // refreshes every 60 s by default: a run handed back after its worker died stayed invisible to
    // every worker for up to a minute after its lease expired. Refresh it as often as the monitor
    // rewrites the list.
    queueCacheIntervalSeconds: monitorIntervalSeconds,
  };
  const boss =
    connection.kind === 'pglite'
      ? new PgBoss({
          db: fromPglite(connection.client),
          backend: 'pglite',
          schema: 'pgboss',
          useListenNotify: true,
          ...timing,
        })
      : new PgBoss({
          connectionString: connection.url,
          schema: 'pgboss',
          max: 4,
          useListenNotify: true,
          ...timing,
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
      // One pg-boss worker per slot, so each slot can wake itself: a pg-boss worker waits out its
      // polling interval (5 s with LISTEN/NOTIFY) after every job unless notified, which drained a
      // backlog at one run per slot per 5 s however short the runs were and left runs handed back
      // by the monitor (no NOTIFY) waiting too. A slot that just finished a run fetches the next at
      // once; an empty fetch still waits, and so does a hand-back (a run that throws every time, or
      // a database in trouble, must not spin).
      for (let slot = 0; slot < options.concurrency; slot++) {
        let slotId: string | undefined;
        slotId = await boss.work<{ runId: string }>(
          queueName,
          { localConcurrency: 1, batchSize: 1, pollingIntervalSeconds: 2, notifyPollingIntervalSeconds: 5 },
          async ([job]) => {
            if (job) await drive(job.data.runId, job.signal);
            if (slotId !== undefined) boss.notifyWorker(slotId);
          },
        );
      }
    },
    async stop(options = {}) {
      if (stopped) return;
      stopped = true;
      await boss.stop({ graceful: true, close: true, timeout: options.timeoutMs ?? 10_000 });
    },
  };
}
