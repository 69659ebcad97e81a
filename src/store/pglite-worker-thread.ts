/**
 * The worker thread that owns embedded PGlite, so PostgreSQL's parse, plan and execute run off the
 * server's event loop (docs/decisions/2026-12-02-pglite-in-a-worker.md). One message in, one reply
 * out per statement; `createPgliteWorkerClient` is the other end.
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import {
  type ParserOptions,
  PGlite,
  type Results,
  type RowMode,
  type Transaction,
} from '@electric-sql/pglite';
import { pgliteStartParams } from './pglite-start-params.ts';

/** What the thread is started with: the data folder, or none for memory. */
export interface PgliteWorkerData {
  dataFolder: string | undefined;
}

/** A statement's options as they cross the thread: parsers become the types to keep as text. */
export interface StatementOptions {
  rowMode: RowMode | undefined;
  /** Type ids the caller parses itself; the worker leaves their values as PostgreSQL's text. */
  textTypes: number[];
}

export type PgliteWorkerRequest =
  | {
      id: number;
      type: 'query';
      text: string;
      params: unknown[];
      options: StatementOptions;
      transaction?: number;
    }
  | { id: number; type: 'exec'; text: string; options: StatementOptions; transaction?: number }
  | { id: number; type: 'begin' }
  | { id: number; type: 'commit'; transaction: number }
  | { id: number; type: 'rollback'; transaction: number }
  | { id: number; type: 'listen'; channel: string; transaction?: number }
  | { id: number; type: 'unlisten'; listener: number }
  | { id: number; type: 'close' };

/** A result as it crosses the thread: PGlite's `Results` without the blob. */
export type TransferredResults = Omit<Results, 'blob'>;

export type PgliteWorkerReply =
  | { type: 'ready' }
  | { type: 'start-failed'; error: Record<string, unknown> }
  | { type: 'reply'; id: number; value: unknown }
  | { type: 'error'; id: number; error: Record<string, unknown> }
  | { type: 'notification'; listener: number; payload: string };

const keepText = (value: string) => value;

/** PGlite's parsers for the types the caller keeps as text (drizzle keeps dates and intervals). */
function parsersFor(textTypes: number[]): ParserOptions | undefined {
  if (textTypes.length === 0) return undefined;
  return Object.fromEntries(textTypes.map((type) => [type, keepText]));
}

function transferable(result: Results<unknown>): TransferredResults {
  return {
    rows: result.rows,
    fields: result.fields,
    command: result.command,
    affectedRows: result.affectedRows,
    rowCount: result.rowCount,
  } as TransferredResults;
}

/**
 * Every own enumerable field of the error that survives a structured clone (SQLSTATE `code`,
 * `constraint`, `detail`, `table`, `position`…), plus `message` and `name`. Fields holding
 * functions, such as the `queryOptions` PGlite attaches, cannot cross and stay behind.
 */
export function errorFields(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { message: String(error), name: 'Error' };
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(error)) {
    try {
      fields[key] = structuredClone(value);
    } catch {
      // Not cloneable (a function, or an object holding one): the caller never classifies by it.
    }
  }
  fields.message = error.message;
  fields.name = error.name;
  return fields;
}

/** An open transaction: PGlite's own, held open until the main thread commits or rolls back. */
interface OpenTransaction {
  transaction: Transaction;
  finish(outcome: 'commit' | 'rollback'): void;
  settled: Promise<void>;
}

async function serve(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('pglite-worker-thread runs only as a worker thread');
  const { dataFolder } = workerData as PgliteWorkerData;
  let client: PGlite;
  try {
    client = await PGlite.create(dataFolder, { startParams: pgliteStartParams() });
  } catch (error) {
    port.postMessage({ type: 'start-failed', error: errorFields(error) } satisfies PgliteWorkerReply);
    return;
  }
  const transactions = new Map<number, OpenTransaction>();
  const listeners = new Map<number, () => Promise<void>>();

  const target = (transaction: number | undefined): Transaction | PGlite => {
    if (transaction === undefined) return client;
    const open = transactions.get(transaction);
    if (!open) throw new Error(`transaction ${transaction} is not open`);
    return open.transaction;
  };

  async function begin(id: number): Promise<number> {
    let began: (transaction: Transaction) => void = () => {};
    const opened = new Promise<Transaction>((resolve) => {
      began = resolve;
    });
    let finish: (outcome: 'commit' | 'rollback') => void = () => {};
    const outcome = new Promise<'commit' | 'rollback'>((resolve) => {
      finish = resolve;
    });
    const settled = client.transaction(async (transaction) => {
      began(transaction);
      if ((await outcome) === 'rollback') await transaction.rollback();
    });
    // A failed BEGIN never reaches the callback; its rejection is this statement's answer.
    const transaction = await Promise.race([opened, settled.then(() => opened)]);
    transactions.set(id, { transaction, finish, settled });
    return id;
  }

  async function end(transaction: number, outcome: 'commit' | 'rollback'): Promise<void> {
    const open = transactions.get(transaction);
    if (!open) throw new Error(`transaction ${transaction} is not open`);
    transactions.delete(transaction);
    open.finish(outcome);
    await open.settled;
  }

  async function answer(request: PgliteWorkerRequest): Promise<unknown> {
    switch (request.type) {
      case 'query': {
        const options = { rowMode: request.options.rowMode, parsers: parsersFor(request.options.textTypes) };
        const result = await target(request.transaction).query(request.text, request.params, options);
        return transferable(result);
      }
      case 'exec': {
        const options = { rowMode: request.options.rowMode, parsers: parsersFor(request.options.textTypes) };
        const results = await target(request.transaction).exec(request.text, options);
        return results.map(transferable);
      }
      case 'begin':
        return begin(request.id);
      case 'commit':
        return end(request.transaction, 'commit');
      case 'rollback':
        return end(request.transaction, 'rollback');
      case 'listen': {
        const listener = request.id;
        const unsubscribe = await target(request.transaction).listen(request.channel, (payload) => {
          port?.postMessage({ type: 'notification', listener, payload } satisfies PgliteWorkerReply);
        });
        listeners.set(listener, () => unsubscribe());
        return listener;
      }
      case 'unlisten': {
        const unsubscribe = listeners.get(request.listener);
        listeners.delete(request.listener);
        await unsubscribe?.();
        return undefined;
      }
      case 'close':
        if (!client.closed) await client.close();
        return undefined;
    }
  }

  const onMessage = async (request: PgliteWorkerRequest) => {
    try {
      const value = await answer(request);
      port.postMessage({ type: 'reply', id: request.id, value } satisfies PgliteWorkerReply);
    } catch (error) {
      port.postMessage({
        type: 'error',
        id: request.id,
        error: errorFields(error),
      } satisfies PgliteWorkerReply);
    }
    // With PGlite closed and the listener gone, nothing holds the thread: it ends on its own.
    if (request.type === 'close') port.off('message', onMessage);
  };
  port.on('message', onMessage);
  port.postMessage({ type: 'ready' } satisfies PgliteWorkerReply);
}

if (!isMainThread) await serve();
