import { getTableColumns, is, SQL } from 'drizzle-orm';
import { executions } from '../schema/index.ts';

type ExecutionInsert = typeof executions.$inferInsert;

/**
 * Execution rows travel to PostgreSQL as one JSON array read by `json_populate_recordset` into the
 * table's own row type (json columns keep their text, so key order survives): the batch insert and
 * the batch finish both write them this way.
 */
export const executionColumns = getTableColumns(executions);

/** A column's default as SQL text (the insert's `coalesce`), or null when it has none. */
function defaultSql(column: (typeof executions)['_']['columns'][keyof (typeof executions)['_']['columns']]) {
  if (!column.hasDefault) return null;
  const value: unknown = column.default;
  if (is(value, SQL)) {
    // The one SQL default on this table is now(); any other would need rendering here.
    if (column.name !== 'created_at') throw new Error(`no insert default for ${column.name}`);
    return 'now()';
  }
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value) || (typeof value === 'object' && value !== null))
    return `'${JSON.stringify(value).replaceAll("'", "''")}'::${column.getSQLType()}`;
  throw new Error(`no insert default for ${column.name}`);
}

/**
 * The select list of a batch insert: every column of the table in drizzle's order, read from the
 * rows' JSON, a given column's default when a row leaves it out. Built once: drizzle building a
 * multi-row VALUES list cost a parameter object per column and row, the largest share of its CPU
 * on the execution path.
 */
export const insertSelectList = Object.values(executionColumns)
  .map((column) => {
    const read = `batch."${column.name}"`;
    const fallback = defaultSql(column);
    return fallback ? `coalesce(${read}, ${fallback})` : read;
  })
  .join(', ');

/** Field name to column name. */
const columnNames = new Map(Object.entries(executionColumns).map(([key, column]) => [key, column.name]));

/**
 * One row as `json_populate_recordset` reads it: the given fields under their column names, dates
 * as ISO text; an undefined field is left out (the insert's default, or the update leaves it).
 */
export function jsonRecord(values: Partial<ExecutionInsert>): Record<string, unknown> {
  const record: Record<string, unknown> = {};
  // A plain loop over a name table: Object.entries and the column objects were the largest share
  // of our own CPU in an execution's statements (two rows per execution).
  for (const key in values) {
    const name = columnNames.get(key);
    const value = values[key as keyof ExecutionInsert];
    if (name !== undefined && value !== undefined)
      record[name] = value instanceof Date ? value.toISOString() : value;
  }
  return record;
}
