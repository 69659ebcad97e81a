import type { SQL } from 'drizzle-orm';
import type { Database } from './database.ts';

/**
 * Runs raw SQL and returns its rows. Both drivers (pg and PGlite) answer `{ rows }`, but the
 * shared drizzle type cannot say so; this is the one place that bridges it.
 */
export async function queryRows<Row>(database: Database, query: SQL): Promise<Row[]> {
  const result = (await database.execute(query)) as unknown as { rows: Row[] };
  return result.rows;
}

/**
 * Runs one statement of constant text as a named prepared statement: PostgreSQL parses and plans it
 * once per connection instead of on every run. For the group-committed batch statements (one JSON
 * parameter, the same text every time) planning cost about as much as running them (0.4 ms of the
 * budget settlement's 0.7 ms). PGlite ignores the name. `name` must always go with the same text.
 */
export async function queryPreparedRows<Row>(
  database: Database,
  name: string,
  text: string,
  params: unknown[],
): Promise<Row[]> {
  const prepared = database._.session.prepareQuery({ sql: text, params }, undefined, name, false);
  const result = (await prepared.execute()) as unknown as { rows: Row[] };
  return result.rows;
}
