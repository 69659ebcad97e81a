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
