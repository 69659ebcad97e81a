import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The server the PostgreSQL suites use; `.ci/run` makes sure it answers. */
export const adminDatabaseUrl =
  process.env.FLIGHTDECK_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TemporaryDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

/** Creates a fresh, uniquely named database; `drop()` removes it even with open connections. */
export async function createTemporaryDatabase(): Promise<TemporaryDatabase> {
  const name = `flightdeck_test_${randomBytes(6).toString('hex')}`;
  await runAdmin(`create database "${name}"`);
  const url = new URL(adminDatabaseUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    drop: () => runAdmin(`drop database if exists "${name}" with (force)`),
  };
}

async function runAdmin(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminDatabaseUrl });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

/** Whether the test server answers; suites that need it skip (with the reason in their name) when not. */
export async function postgresReachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: adminDatabaseUrl, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}
