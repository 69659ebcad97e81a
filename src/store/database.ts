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
import { queryRows } from './query-rows.ts';
import * as schema from './schema/index.ts';

/** The drizzle database both drivers produce; repositories take this and never know the driver. */
export type Database = PgDatabase<PgQueryResultHKT, typeof schema>;

export type StoreKind = 'pglite' | 'postgres';

/** How the job queue reaches the same database: PGlite's one client, or its own PostgreSQL pool. */
export type QueueConnection = { kind: 'pglite'; client: PGlite } | { kind: 'postgres'; url: string };

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
}

export const migrationsFolder = fileURLToPath(new URL('./migrations', import.meta.url));
const migrationsTable = 'flightdeck_migrations';
const migrationsSchema = 'public';
/** Any constant works; it only has to be the same for every node of one installation. */
const migrationLockKey = 7_240_915_001;

/**
 * PostgreSQL's shared buffer pool inside PGlite. Its WebAssembly memory touches the whole pool at
 * start, so the default 128 MB was a quarter of an embedded node's idle RSS; 32 MB holds the rows an
 * embedded install works on, and pages outside it come from the operating system's file cache
 * (docs/decisions/2026-12-02-idle-footprint.md).
 */
const pgliteSharedBuffers = '32MB';

/** PGlite's own start parameters plus the buffer pool; PGlite's defaults alone if it hides them. */
function pgliteStartParams(): string[] | undefined {
  const defaults = (PGlite as unknown as { defaultStartParams?: unknown }).defaultStartParams;
  if (!Array.isArray(defaults)) return undefined;
  return [...defaults.map(String), '-c', `shared_buffers=${pgliteSharedBuffers}`];
}

/** Opens PGlite in the data folder, or a PostgreSQL pool when a URL is given. */
export async function openStore(options: OpenStoreOptions): Promise<Store> {
  if (options.databaseUrl)
    return openPostgresStore(options.databaseUrl, options.poolSize ?? 10, options.queryLogger);
  return openPgliteStore(options.dataDirectory ?? 'memory://', options.queryLogger);
}

async function openPgliteStore(dataDirectory: string, logger: Logger | undefined): Promise<Store> {
  const inMemory = dataDirectory.startsWith('memory://');
  const databaseFolder = inMemory ? undefined : `${dataDirectory.replace(/\/+$/, '')}/pgdata`;
  if (databaseFolder) await mkdir(databaseFolder, { recursive: true });
  const client = await PGlite.create(databaseFolder, { startParams: pgliteStartParams() });
  const database = drizzlePglite(client, { schema, logger }) as unknown as Database;
  const store: Store = {
    kind: 'pglite',
    database,
    queueConnection: { kind: 'pglite', client },
    async migrate() {
      // PGlite is one connection in one process; the data folder cannot be shared, so no lock.
      await migratePglite(drizzlePglite(client, { schema }), {
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
