import { and, is, Placeholder, type SQL, sql } from 'drizzle-orm';
import type { Database } from '../database.ts';
import { executions } from '../schema/index.ts';
import { executionColumns, jsonRecord } from './execution-json-rows.ts';

type ExecutionInsert = typeof executions.$inferInsert;
type ExecutionColumnKey = keyof ExecutionInsert;

/** A finish that took: the row was still running. */
export type FinishedExecution = Pick<typeof executions.$inferSelect, 'id' | 'status'>;

/** What finishing an execution writes; the row must still be `running`. */
export type ExecutionFinish = Pick<
  ExecutionInsert,
  | 'output'
  | 'rawOutput'
  | 'errorCode'
  | 'errorMessage'
  | 'errorDetails'
  | 'inputTokens'
  | 'outputTokens'
  | 'totalTokens'
  | 'costUsd'
  | 'costPriced'
  | 'latencyMs'
  | 'timeToFirstTokenMs'
  | 'retries'
  | 'attempts'
  | 'fallbackUsed'
  | 'repaired'
  | 'provider'
  | 'model'
  | 'toolCalls'
  | 'loopState'
> & {
  /** `waiting_approval`: a tool call waits for a person; the execution after the decision continues it. */
  status: 'completed' | 'failed' | 'waiting_approval';
  finishedAt: Date;
};

export interface ExecutionFinishItem {
  workspaceId: string;
  executionId: string;
  finish: ExecutionFinish;
}

/** Finishes that write the same columns: one statement. */
export interface FinishGroup {
  /** The written columns, joined: the same signature is always the same statement text. */
  signature: string;
  keys: ExecutionColumnKey[];
  items: ExecutionFinishItem[];
}

/** One statement's text (constant for its signature) and this batch's parameters. */
export interface FinishStatement {
  signature: string;
  text: string;
  params: unknown[];
}

/** The finish fields given (undefined ones leave their column as it is, as drizzle's `set` does). */
function writtenColumns(finish: ExecutionFinish): ExecutionColumnKey[] {
  return (Object.keys(finish) as ExecutionColumnKey[])
    .filter((key) => finish[key as keyof ExecutionFinish] !== undefined && key in executions)
    .sort();
}

/** Finishes by the columns they write (normally all of a batch write the same ones). */
export function groupFinishes(items: readonly ExecutionFinishItem[]): FinishGroup[] {
  const groups = new Map<string, FinishGroup>();
  for (const item of items) {
    const keys = writtenColumns(item.finish);
    const signature = keys.join(',');
    const group = groups.get(signature);
    if (group) group.items.push(item);
    else groups.set(signature, { signature, keys, items: [item] });
  }
  return [...groups.values()];
}

/**
 * The finish of one set of written columns: several running executions in one update, the rows as
 * one JSON array; only rows still `running` change. The rollup trigger is per statement, so it
 * runs once for the whole batch. Rendered by drizzle once per signature to constant text with
 * `$n` parameters, so it can run named, alone or inside a larger statement (the lease settlement).
 */
function renderFinish(database: Database, keys: readonly ExecutionColumnKey[]) {
  const set: Record<string, SQL> = {};
  for (const key of keys) set[key] = sql.raw(`batch."${executionColumns[key].name}"`);
  const query = database
    .update(executions)
    .set(set)
    // The limit tells the planner how many rows the JSON holds (it assumes 100).
    .from(
      sql`(select * from json_populate_recordset(null::executions, ${sql.placeholder('rows')}::json) limit ${sql.placeholder('count')}) as batch`,
    )
    .where(
      and(
        sql`${executions.workspaceId} = batch.workspace_id`,
        sql`${executions.id} = batch.id`,
        // Through a sub-select the planner cannot match `running` to the partial index of running
        // rows, so it finds each row by primary key. That index keeps an entry for every row that
        // ever ran until vacuum removes it: scanned on every batch, the finish cost 4 ms with 11k
        // executions behind it (0.2 ms by key), and more as the table grew.
        sql`${executions.status} = (select ${'running'}::text)`,
      ),
    )
    // Only what tells the caller it finished: the caller holds the rest (its running row and the
    // fields it wrote), and mapping whole rows back (input, output, request) cost more than the update.
    .returning({ id: executions.id, status: executions.status })
    .toSQL();
  return {
    text: query.sql,
    bind: (values: Record<string, unknown>) =>
      query.params.map((param) => (is(param, Placeholder) ? values[param.name] : param)),
  };
}

/**
 * Finish statements by the set of columns they write, each rendered once: building it with
 * drizzle on every batch cost more CPU than sending it.
 */
export function createFinishStatements(database: Database) {
  const rendered = new Map<string, ReturnType<typeof renderFinish>>();
  return (group: FinishGroup): FinishStatement => {
    let finish = rendered.get(group.signature);
    if (!finish) {
      finish = renderFinish(database, group.keys);
      rendered.set(group.signature, finish);
    }
    const records = group.items.map((item) =>
      jsonRecord({ ...item.finish, workspaceId: item.workspaceId, id: item.executionId }),
    );
    return {
      signature: group.signature,
      text: finish.text,
      params: finish.bind({ rows: JSON.stringify(records), count: records.length }),
    };
  };
}
