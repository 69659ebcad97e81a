import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import type { Logger } from 'drizzle-orm/logger';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import { drizzle as drizzleNodePostgres } from 'drizzle-orm/node-postgres';
import { migrate as migrateNodePostgres } from 'drizzle-orm/node-postgres/migrator';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import pg from 'pg';
import { pgliteStartParams } from './pglite-start-params.ts';
import { type PgliteClient, PgliteWorkerClient } from './pglite-worker-client.ts';
import { queryRows } from './query-rows.ts';
import * as schema from './schema/index.ts';

/** The drizzle database both drivers produce; repositories take this and never know the driver. */
export type Database = PgDatabase<PgQueryResultHKT, typeof schema>;

export type StoreKind = 'pglite' | 'postgres';

/**
 * How the job queue reaches the same database: PGlite's one client (in this thread or on its
 * worker thread), or its own PostgreSQL pool.
 */
export type QueueConnection = { kind: 'pglite'; client: PgliteClient } | { kind: 'postgres'; url: string };

export interface MigrationStatus {
  applied: number;
  expected: number;
  upToDate: boolean;
}

/** An open database with its lifecycle: migrate, check, close. */
export interface Store {
  readonly kind: StoreKind;
  readonly database: Database;
  readonly queueConnection: QueueConnection;
  /** Applies pending migrations; safe when several processes call it at once. */
  migrate(): Promise<MigrationStatus>;
  migrationStatus(): Promise<MigrationStatus>;
  /** Resolves when the database answers a trivial query. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface OpenStoreOptions {
  /** A PostgreSQL URL; when absent, PGlite opens in `dataDirectory`. */
  databaseUrl?: string | undefined;
  /** Folder for the embedded database; `memory://` keeps it in memory (tests). */
  dataDirectory?: string | undefined;
  /** Connections in the PostgreSQL pool. */
  poolSize?: number;
  /** Hears every statement the database handle sends (tests and benches count round trips). */
  queryLogger?: Logger;
  /** Embedded PGlite runs on its own worker thread instead of the event loop (FLIGHTDECK_PGLITE_WORKER). */
  pgliteWorker?: boolean;
}

export const migrationsFolder = fileURLToPath(new URL('./migrations', import.meta.url));
const migrationsTable = 'flightdeck_migrations';
const migrationsSchema = 'public';
/** Any constant works; it only has to be the same for every node of one installation. */
const migrationLockKey = 7_240_915_001;

/** Opens PGlite in the data folder, or a PostgreSQL pool when a URL is given. */
export async function openStore(options: OpenStoreOptions): Promise<Store> {
  if (options.databaseUrl)
    return openPostgresStore(options.databaseUrl, options.poolSize ?? 10, options.queryLogger);
  return openPgliteStore(
    options.dataDirectory ?? 'memory://',
    options.queryLogger,
    options.pgliteWorker ?? false,
  );
}

async function openPgliteStore(
  dataDirectory: string,
  logger: Logger | undefined,
  onWorkerThread: boolean,
): Promise<Store> {
  const inMemory = dataDirectory.startsWith('memory://');
  const databaseFolder = inMemory ? undefined : `${dataDirectory.replace(/\/+$/, '')}/pgdata`;
  if (databaseFolder) await mkdir(databaseFolder, { recursive: true });
  const client: PgliteClient = onWorkerThread
    ? await PgliteWorkerClient.create(databaseFolder)
    : await PGlite.create(databaseFolder, { startParams: pgliteStartParams() });
  // Drizzle's PGlite driver calls only `query` and `transaction`, which the worker client answers alike.
  const database = drizzlePglite(client as PGlite, { schema, logger }) as unknown as Database;
  const store: Store = {
    kind: 'pglite',
    database,
    queueConnection: { kind: 'pglite', client },
    async migrate() {
      // PGlite is one connection in one process; the data folder cannot be shared, so no lock.
      await migratePglite(drizzlePglite(client as PGlite, { schema }), {
        migrationsFolder,
        migrationsTable,
        migrationsSchema,
      });
      return store.migrationStatus();
    },
    migrationStatus: () => readMigrationStatus(database),
    async ping() {
      await client.query('select 1');
    },
    async close() {
      if (!client.closed) await client.close();
    },
  };
  return store;
}

async function openPostgresStore(
  databaseUrl: string,
  poolSize: number,
  logger: Logger | undefined,
): Promise<Store> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: poolSize });
  // An idle client that loses its server must not crash the process; the next query reports it.
  pool.on('error', () => {});
  // Our named statements (the group-committed batches, see grown-statement-name.ts) are named to be
  // planned once per connection. In PostgreSQL's default mode a batch of one row is cheaper as a
  // custom plan than the generic plan, so at low concurrency every run was planned again (0.6 ms of
  // the 1.7 ms an execution's end took at concurrency 1). Unnamed statements, all the others, are
  // planned per run in any mode. The client queues its queries, so this runs before the first.
  pool.on('connect', (client) => {
    client.query('set plan_cache_mode = force_generic_plan').catch(() => {});
  });
  const database = drizzleNodePostgres(pool, { schema, logger }) as unknown as Database;
  let closed = false;
  const store: Store = {
    kind: 'postgres',
    database,
    queueConnection: { kind: 'postgres', url: databaseUrl },
    async migrate() {
      const client = await pool.connect();
      try {
        // Session-level lock on one connection: a second node waits here, then finds nothing to do.
        await client.query('select pg_advisory_lock($1)', [migrationLockKey]);
        try {
          await migrateNodePostgres(drizzleNodePostgres(client, { schema }), {
            migrationsFolder,
            migrationsTable,
            migrationsSchema,
          });
        } finally {
          await client.query('select pg_advisory_unlock($1)', [migrationLockKey]);
        }
      } finally {
        client.release();
      }
      return store.migrationStatus();
    },
    migrationStatus: () => readMigrationStatus(database),
    async ping() {
      await pool.query('select 1');
    },
    async close() {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
  return store;
}

async function readMigrationStatus(database: Database): Promise<MigrationStatus> {
  const expected = readMigrationFiles({ migrationsFolder });
  const table = await queryRows<{ exists: boolean }>(
    database,
    sql`select to_regclass(${`${migrationsSchema}.${migrationsTable}`}) is not null as "exists"`,
  );
  if (!table[0]?.exists) return { applied: 0, expected: expected.length, upToDate: expected.length === 0 };
  const applied = await queryRows<{ count: number; latest: string | null }>(
    database,
    sql`select count(*)::int as "count", max(created_at)::text as "latest" from ${sql.identifier(migrationsSchema)}.${sql.identifier(migrationsTable)}`,
  );
  const row = applied[0];
  const latestExpected = expected.at(-1)?.folderMillis ?? 0;
  const latestApplied = Number(row?.latest ?? 0);
  return {
    applied: row?.count ?? 0,
    expected: expected.length,
    upToDate: latestApplied >= latestExpected,
  };
}
