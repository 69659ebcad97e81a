import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq, sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  date,
  integer,
  interval,
  json,
  jsonb,
  numeric,
  pgTable,
  text,
  timestamp,
} from 'drizzle-orm/pg-core';
import { afterEach, describe, expect, it } from 'vitest';
import { type Database, openStore, type Store } from '../../src/store/database.ts';
import { type PgliteClient, PgliteWorkerClient } from '../../src/store/pglite-worker-client.ts';
import { queryRows } from '../../src/store/query-rows.ts';
import { createWorkspaceRepository } from '../../src/store/repositories/workspace-repository.ts';
import { isUniqueViolation } from '../../src/store/unique-violation.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

async function openBoth(): Promise<{ inThread: Store; worker: Store }> {
  const inThread = await openStore({ dataDirectory: 'memory://' });
  cleanups.push(() => inThread.close());
  const worker = await openStore({ dataDirectory: 'memory://', pgliteWorker: true });
  cleanups.push(() => worker.close());
  return { inThread, worker };
}

function pgliteClientOf(store: Store): PgliteClient {
  if (store.queueConnection.kind !== 'pglite') throw new Error('expected an embedded store');
  return store.queueConnection.client;
}

async function startClient(dataFolder?: string): Promise<PgliteWorkerClient> {
  const client = await PgliteWorkerClient.create(dataFolder);
  cleanups.push(() => client.close());
  return client;
}

async function temporaryFolder(): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), 'flightdeck-pglite-worker-'));
  cleanups.unshift(() => rm(folder, { recursive: true, force: true }));
  return folder;
}

/** The error drizzle surfaced, or the PGlite error under it (drizzle wraps driver errors in `cause`). */
function driverError(error: unknown): Record<string, unknown> {
  const candidate = error as { code?: unknown; cause?: unknown };
  if (candidate.code === undefined && candidate.cause) return candidate.cause as Record<string, unknown>;
  return candidate as Record<string, unknown>;
}

const workspace = {
  id: 'ws_worker',
  name: 'Worker',
  settings: { rateLimitPerMinute: 60, monthlyBudgetUsd: null, alertThresholds: [], alertWebhookUrl: null },
};

const samples = pgTable('worker_samples', {
  id: integer('id').primaryKey(),
  at: timestamp('at', { withTimezone: true, mode: 'date' }).notNull(),
  atText: timestamp('at_text', { withTimezone: true, mode: 'string' }),
  local: timestamp('local', { mode: 'date' }),
  day: date('day', { mode: 'string' }),
  span: interval('span'),
  document: json('document'),
  tree: jsonb('tree'),
  amount: numeric('amount'),
  big: bigint('big', { mode: 'number' }),
  flag: boolean('flag'),
  counts: integer('counts').array(),
  labels: text('labels').array(),
  moments: timestamp('moments', { withTimezone: true, mode: 'string' }).array(),
  amounts: numeric('amounts').array(),
});

async function createSamples(database: Database): Promise<void> {
  await queryRows(
    database,
    sql.raw(`create table worker_samples (
      id int primary key, at timestamptz not null, at_text timestamptz, local timestamp, day date,
      span interval, document json, tree jsonb, amount numeric, big bigint, flag boolean,
      counts int[], labels text[], moments timestamptz[], amounts numeric[])`),
  );
  await database.insert(samples).values([
    {
      id: 1,
      at: new Date('2026-03-04T05:06:07.891Z'),
      atText: '2026-03-04 05:06:07.891234+00',
      local: new Date('2026-03-04T05:06:07.000Z'),
      day: '2026-03-04',
      span: '1 day 02:03:04',
      document: { nested: { list: [1, 'two', null], flag: true }, text: 'ünïcode "quoted"' },
      tree: { b: 2, a: [1.5, { deep: 'x' }] },
      amount: '12345678901234567890.123456789',
      big: 9_007_199_254_740_991,
      flag: false,
      counts: [1, 2, 3],
      labels: ['a', 'b,c', 'd"e', ''],
      moments: ['2026-01-01 00:00:00+00', '2026-12-31 23:59:59.999+00'],
      amounts: ['1.10', '2.000'],
    },
    { id: 2, at: new Date(0) },
  ]);
}

describe('PGlite on a worker thread', () => {
  it('keeps the SQLSTATE code, the constraint and every other field of a unique violation', async () => {
    const { inThread, worker } = await openBoth();
    const failures: Record<string, unknown>[] = [];
    for (const store of [inThread, worker]) {
      await store.migrate();
      const workspaces = createWorkspaceRepository(store.database);
      await workspaces.insert(workspace);
      const failure = await workspaces.insert(workspace).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(isUniqueViolation(failure, 'workspaces_pkey')).toBe(true);
      failures.push(driverError(failure));
    }
    const [expected, actual] = failures as [Record<string, unknown>, Record<string, unknown>];
    expect(actual.code).toBe('23505');
    expect(actual.constraint).toBe('workspaces_pkey');
    expect(actual).toBeInstanceOf(Error);
    // Every field PGlite sets in-thread, except its query options (they hold parser functions).
    const { queryOptions: _functions, ...cloneable } = expected;
    for (const [key, value] of Object.entries(cloneable)) expect(actual[key], key).toEqual(value);
    expect(actual.message).toBe(expected.message);
  });

  it('rolls back a transaction that throws, and a statement issued meanwhile waits for it', async () => {
    const client = await startClient();
    await client.exec('create table ledger (entry text primary key)');
    const events: string[] = [];
    let inserted: () => void = () => {};
    const insertedSignal = new Promise<void>((resolve) => {
      inserted = resolve;
    });
    const transaction = client
      .transaction(async (tx) => {
        await tx.query('insert into ledger values ($1)', ['inside']);
        inserted();
        await sleep(150);
        events.push('transaction throws');
        throw new Error('changed my mind');
      })
      .catch((error: Error) => error.message);
    await insertedSignal;
    const outside = client
      .query<{ count: number }>('select count(*)::int as count from ledger')
      .then((result) => {
        events.push('outside read');
        return result.rows[0]?.count;
      });
    expect(await transaction).toBe('changed my mind');
    expect(await outside).toBe(0);
    expect(events).toEqual(['transaction throws', 'outside read']);
    // The connection is usable afterwards and the transaction left nothing behind.
    await client.query('insert into ledger values ($1)', ['after']);
    const rows = await client.query<{ entry: string }>('select entry from ledger');
    expect(rows.rows).toEqual([{ entry: 'after' }]);
  });

  it('commits drizzle transactions and rolls back a nested one alone', async () => {
    const { worker } = await openBoth();
    await worker.migrate();
    const workspaces = createWorkspaceRepository(worker.database);
    await expect(
      worker.database.transaction(async (tx) => {
        await createWorkspaceRepository(tx as unknown as Database).insert(workspace);
        throw new Error('abandon');
      }),
    ).rejects.toThrow('abandon');
    expect(await workspaces.findById(workspace.id)).toBeUndefined();
    await worker.database.transaction(async (tx) => {
      await createWorkspaceRepository(tx as unknown as Database).insert(workspace);
      await tx
        .transaction(async (nested) => {
          await createWorkspaceRepository(nested as unknown as Database).insert({
            ...workspace,
            id: 'ws_nested',
          });
          throw new Error('only the savepoint');
        })
        .catch(() => {});
    });
    expect((await workspaces.findById(workspace.id))?.name).toBe('Worker');
    expect(await workspaces.findById('ws_nested')).toBeUndefined();
  });

  it('returns timestamps, dates, json, jsonb, numerics and arrays exactly as PGlite in-thread does', async () => {
    const { inThread, worker } = await openBoth();
    const answers = [];
    for (const store of [inThread, worker]) {
      await createSamples(store.database);
      const client = pgliteClientOf(store);
      answers.push({
        // Drizzle's select: array rows through its identity parsers, then mapped to columns.
        selected: await store.database.select().from(samples).orderBy(samples.id),
        one: await store.database.select().from(samples).where(eq(samples.id, 1)),
        // Drizzle's raw execute: object rows through the same parsers.
        raw: await queryRows(
          store.database,
          sql`select *, now() - now() as zero from worker_samples order by id`,
        ),
        // pg-boss's path: PGlite's own parsers (dates become Date objects).
        plain: (await client.query<Record<string, unknown>>('select * from worker_samples order by id')).rows,
        fields: (await client.query('select * from worker_samples')).fields,
        many: (await client.exec('select 1 as one; select day, tree from worker_samples order by id')).map(
          (result) => result.rows,
        ),
      });
    }
    const [expected, actual] = answers;
    expect(actual).toEqual(expected);
    // The comparison would pass on two empty answers; these show it compared real values.
    expect(actual?.selected[0]?.at).toEqual(new Date('2026-03-04T05:06:07.891Z'));
    expect(actual?.selected[0]?.amount).toBe('12345678901234567890.123456789');
    expect(actual?.plain[0]?.at).toBeInstanceOf(Date);
    expect(actual?.raw[0]).toMatchObject({ day: '2026-03-04', span: '1 day 02:03:04' });
  });

  it('delivers notifications to a listener on the main thread', async () => {
    const client = await startClient();
    const payloads: string[] = [];
    const unsubscribe = await client.listen('run_ready', (payload) => payloads.push(payload));
    await client.query("select pg_notify('run_ready', 'run-1')");
    await client.exec("notify run_ready, 'run-2'");
    for (let waited = 0; payloads.length < 2 && waited < 2_000; waited += 20) await sleep(20);
    expect(payloads).toEqual(['run-1', 'run-2']);
    await unsubscribe();
    await client.query("select pg_notify('run_ready', 'run-3')");
    await sleep(100);
    expect(payloads).toEqual(['run-1', 'run-2']);
  });

  it('closes PGlite cleanly in a data folder on disk, and the data reads back after reopening', async () => {
    const folder = await temporaryFolder();
    // PostgreSQL's control file says whether the last shutdown was clean (1) or it is running (6).
    const controlState = async () =>
      (await readFile(join(folder, 'pgdata', 'global', 'pg_control'))).readUInt32LE(16);
    const first = await openStore({ dataDirectory: folder, pgliteWorker: true });
    await first.migrate();
    await createWorkspaceRepository(first.database).insert(workspace);
    expect(await controlState()).toBe(6);
    await first.close();
    expect(await controlState()).toBe(1);
    const client = pgliteClientOf(first);
    expect(client.closed).toBe(true);
    await expect(first.ping()).rejects.toThrow('PGlite is closed');

    // Reopened in-thread: the folder is an ordinary PGlite folder, whichever thread wrote it.
    const second = await openStore({ dataDirectory: folder });
    try {
      expect((await second.migrationStatus()).upToDate).toBe(true);
      expect((await createWorkspaceRepository(second.database).findById(workspace.id))?.name).toBe('Worker');
    } finally {
      await second.close();
    }
    const third = await openStore({ dataDirectory: folder, pgliteWorker: true });
    try {
      expect((await createWorkspaceRepository(third.database).findById(workspace.id))?.name).toBe('Worker');
    } finally {
      await third.close();
    }
  });

  it('rejects the start when PGlite cannot open the folder', async () => {
    const folder = await temporaryFolder();
    const occupied = join(folder, 'not-a-folder');
    await writeFile(occupied, 'a file where the data folder goes');
    await expect(PgliteWorkerClient.create(occupied)).rejects.toThrow();
  });
});
