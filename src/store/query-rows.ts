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
 * Runs one statement of constant text under a statement name (see `grown-statement-name.ts`):
 * PostgreSQL parses and plans a named statement once per connection; an empty name runs it
 * unnamed. `name` must always go with the same text. PGlite ignores the name.
 */
export async function queryNamedRows<Row>(
  database: Database,
  name: string,
  text: string,
  params: unknown[],
): Promise<Row[]> {
  const prepared = database._.session.prepareQuery({ sql: text, params }, undefined, name, false);
  const result = (await prepared.execute()) as unknown as { rows: Row[] };
  return result.rows;
}
