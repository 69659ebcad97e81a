/**
 * Counts the statements a process sends to its database, at the driver: every `pg` Client query
 * (pools and pg-boss included, since both go through `Client.prototype.query`), or every PGlite
 * `query`/`exec` plus the BEGIN and COMMIT of its transactions. Bench instrumentation only.
 */
import type { PgliteClient } from '../../src/store/pglite-worker-client.ts';

export interface TappedStatement {
  text: string;
  /** Rows the statement answered (0 when unknown). */
  rows: number;
  /** From the call to the answer, queueing for the connection included. */
  ms: number;
}

export type StatementListener = (statement: TappedStatement) => void;

type QueryFunction = (...args: unknown[]) => unknown;
type Callback = (error: unknown, result: unknown) => void;

function rowsOf(result: unknown): number {
  if (Array.isArray(result)) return result.reduce((sum: number, part) => sum + rowsOf(part), 0);
  const rows = (result as { rows?: unknown[] } | undefined)?.rows;
  return Array.isArray(rows) ? rows.length : 0;
}

/** Taps `Client.prototype.query` of a `pg` module; returns the function that removes the tap. */
export function tapPgStatements(module: { Client: { prototype: object } }, listener: StatementListener) {
  const prototype = module.Client.prototype as { query: QueryFunction };
  const original = prototype.query;
  prototype.query = function (this: unknown, ...args: unknown[]) {
    const first = args[0];
    const text = typeof first === 'string' ? first : ((first as { text?: string } | null)?.text ?? '');
    const begin = performance.now();
    const done = (result: unknown) => listener({ text, rows: rowsOf(result), ms: performance.now() - begin });
    const callbackAt = args.findIndex((argument) => typeof argument === 'function');
    if (callbackAt >= 0) {
      const callback = args[callbackAt] as Callback;
      args[callbackAt] = (error: unknown, result: unknown) => {
        done(result);
        callback(error, result);
      };
      return original.apply(this, args);
    }
    const returned = original.apply(this, args);
    if (returned instanceof Promise) {
      return returned.then(
        (result: unknown) => {
          done(result);
          return result;
        },
        (error: unknown) => {
          done(undefined);
          throw error;
        },
      );
    }
    done(undefined);
    return returned;
  };
  return () => {
    prototype.query = original;
  };
}

interface PgliteLike {
  query: QueryFunction;
  exec: QueryFunction;
  transaction: (callback: (transaction: PgliteLike) => Promise<unknown>) => Promise<unknown>;
}

/** Taps one PGlite instance (the store's and pg-boss's shared client); returns the untap function. */
export function tapPgliteStatements(client: PgliteClient, listener: StatementListener) {
  const target = client as unknown as PgliteLike;
  const originals = { query: target.query, exec: target.exec, transaction: target.transaction };
  const timed =
    (call: QueryFunction, self: unknown): QueryFunction =>
    async (...args: unknown[]) => {
      const begin = performance.now();
      const text = typeof args[0] === 'string' ? args[0] : '';
      try {
        const result = await call.apply(self, args);
        listener({ text, rows: rowsOf(result), ms: performance.now() - begin });
        return result;
      } catch (error) {
        listener({ text, rows: 0, ms: performance.now() - begin });
        throw error;
      }
    };
  target.query = timed(originals.query, client);
  target.exec = timed(originals.exec, client);
  target.transaction = (callback) =>
    originals.transaction.call(client, async (transaction) => {
      listener({ text: 'BEGIN', rows: 0, ms: 0 });
      transaction.query = timed(transaction.query, transaction);
      transaction.exec = timed(transaction.exec, transaction);
      const result = await callback(transaction);
      listener({ text: 'COMMIT', rows: 0, ms: 0 });
      return result;
    });
  return () => {
    target.query = originals.query;
    target.exec = originals.exec;
    target.transaction = originals.transaction;
  };
}

/** Where a Flightdeck statement comes from, in the order the report lists them. */
export const statementKinds = [
  'step claim',
  'step commit',
  'step artifact insert',
  'agent lookup (execution each step; approval facts once a run)',
  'execution: idempotency-key lookup',
  'execution insert (`running`)',
  'execution finish (`completed`, rollup trigger)',
  'run start: workflow lookup',
  'run start: agent check, one per step',
  'run start: transaction (begin, run, steps, commit)',
  'run start: steps read back',
  'driver: run, version and steps read',
  'driver: cancel poll',
  'run queued → running',
  'run finish',
  'queue: send',
  'queue: fetch that got the job',
  'queue: fetch that found nothing',
  'queue: complete',
  'queue: other (maintenance, heartbeat)',
  'metrics: ended-run reading',
  'other',
] as const;

export type StatementKind = (typeof statementKinds)[number];

/**
 * Names a statement from its SQL. `phase` tells the two callers of the same queries apart: `start`
 * while `services.runs.start` is pending (runs are started one after another), `engine` otherwise.
 */
export function classifyStatement(statement: TappedStatement, phase: 'start' | 'engine'): StatementKind {
  const text = statement.text.replace(/\s+/g, ' ').trim();
  // pg-boss's own health checks name catalog views, not its schema.
  if (/pgboss\.|pg_listening_channels|relpages|^(UN)?LISTEN /i.test(text)) {
    if (/^WITH ins AS \( INSERT INTO pgboss\.job/i.test(text)) return 'queue: send';
    if (/^WITH next AS/i.test(text))
      return statement.rows > 0 ? 'queue: fetch that got the job' : 'queue: fetch that found nothing';
    if (/^WITH results AS \( UPDATE pgboss\.job\w* SET completed_on/i.test(text)) return 'queue: complete';
    return 'queue: other (maintenance, heartbeat)';
  }
  if (/^select (workspace_id, workflow_id, status|slug from workflows)/.test(text))
    return 'metrics: ended-run reading';
  // The step transitions are CTE chains whose first member has moved between versions.
  if (/^with .*\bclaimed as \( update workflow_step_runs/.test(text)) return 'step claim';
  if (/^with .*\bcommitted as \( update workflow_step_runs/.test(text)) return 'step commit';
  if (/^with started as/.test(text)) return 'run queued → running';
  if (/^with ended as/.test(text)) return 'run finish';
  if (/^insert into "?workflow_artifacts"?/.test(text)) return 'step artifact insert';
  if (/^insert into "executions"/.test(text)) return 'execution insert (`running`)';
  if (/^update "executions"/.test(text)) return 'execution finish (`completed`, rollup trigger)';
  if (/^select .* from "executions" where .*"idempotency_key" =/.test(text))
    return 'execution: idempotency-key lookup';
  if (/^select .* from "agents"/.test(text))
    return phase === 'start'
      ? 'run start: agent check, one per step'
      : 'agent lookup (execution each step; approval facts once a run)';
  if (/^select .* from "workflows"/.test(text)) return 'run start: workflow lookup';
  if (/^(begin|commit)$/i.test(text) || /^insert into "workflow_(runs|step_runs)"/.test(text))
    return 'run start: transaction (begin, run, steps, commit)';
  if (/^select "status" from "workflow_runs"/.test(text)) return 'driver: cancel poll';
  if (/^select .* from "workflow_step_runs"/.test(text))
    return phase === 'start' ? 'run start: steps read back' : 'driver: run, version and steps read';
  if (/^select .* from "workflow_(runs|versions)"/.test(text)) return 'driver: run, version and steps read';
  return 'other';
}
