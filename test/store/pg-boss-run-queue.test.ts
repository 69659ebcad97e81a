import { fromPglite, PgBoss } from 'pg-boss';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/database.ts';
import { createPgBossRunQueue } from '../../src/store/queue/create-pg-boss-run-queue.ts';
import { postgresReachable } from '../support/postgres.ts';
import { storeTargets } from '../support/store-targets.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
async function until(condition: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(20);
  }
}

const settings = { heartbeatSeconds: 10, monitorIntervalSeconds: 1 };
const reachable = await postgresReachable();
const targets = storeTargets.filter((target) => target.name !== 'postgres' || reachable);

describe.each(targets)(
  `pg-boss run queue on $name${reachable ? '' : ' (postgres skipped: not reachable)'}`,
  (target) => {
    it('drains a backlog at the pace of its runs, not of its polling interval', async () => {
      const opened = await target.open();
      const queue = await createPgBossRunQueue(opened.store.queueConnection, settings);
      try {
        // Queued before any worker listens, so no NOTIFY wakes one: only the slot itself can.
        for (let index = 0; index < 12; index++) await queue.enqueue(`run-${index}`);
        const driven: string[] = [];
        const began = Date.now();
        await queue.work(
          async (runId) => {
            driven.push(runId);
            await sleep(20);
          },
          { concurrency: 1 },
        );
        // A pg-boss worker waits its 5 s polling interval after each job unless woken: a minute here.
        await until(() => driven.length === 12, 10_000);
        expect(Date.now() - began).toBeLessThan(4_000);
        expect(new Set(driven).size).toBe(12);
      } finally {
        await queue.stop({ timeoutMs: 1_000 });
        await opened.dispose();
      }
    }, 30_000);
  },
);

describe.each([
  { name: 'in-thread', pgliteWorker: false },
  { name: 'on a worker thread', pgliteWorker: true },
])('pg-boss run queue after a crash (embedded, PGlite $name)', ({ pgliteWorker }) => {
  it('hands a run its dead worker left active to the next process soon after the lease expires', async () => {
    const store = await openStore({ dataDirectory: 'memory://', pgliteWorker });
    if (store.queueConnection.kind !== 'pglite') throw new Error('expected PGlite');
    const client = store.queueConnection.client;
    const previous = await createPgBossRunQueue(store.queueConnection, settings);
    let next: Awaited<ReturnType<typeof createPgBossRunQueue>> | undefined;
    try {
      await previous.enqueue('orphan');
      // The process that took the run dies holding it: fetched, then never a heartbeat again.
      const dead = new PgBoss({
        db: fromPglite(client),
        backend: 'pglite',
        schema: 'pgboss',
        supervise: false,
      });
      await dead.start();
      const [job] = await dead.fetch('workflow-run');
      const fetchedAt = Date.now();
      expect(job?.data).toEqual({ runId: 'orphan' });
      await dead.stop({ close: false, graceful: false });
      // Let the monitor record the run as active, as it was when the restarted process came up.
      await sleep(2_500);
      let drivenAt = 0;
      next = await createPgBossRunQueue(store.queueConnection, settings);
      await next.work(
        async () => {
          drivenAt = Date.now();
        },
        { concurrency: 1 },
      );
      // The lease (10 s) plus a monitor pass and a poll; not the minute pg-boss's queue cache took.
      await until(() => drivenAt > 0, 25_000);
      expect(drivenAt - fetchedAt).toBeLessThan(settings.heartbeatSeconds * 1_000 + 10_000);
    } finally {
      await next?.stop({ timeoutMs: 1_000 });
      await previous.stop({ timeoutMs: 1_000 });
      await store.close();
    }
  }, 60_000);
});
