import { Worker } from 'node:worker_threads';
import type { QueryOptions, Results, Transaction } from '@electric-sql/pglite';
import { query as templatedQuery } from '@electric-sql/pglite/template';
import type {
  PgliteWorkerData,
  PgliteWorkerReply,
  PgliteWorkerRequest,
  StatementOptions,
  TransferredResults,
} from './pglite-worker-thread.ts';

/**
 * What the store and the job queue call on PGlite: drizzle's PGlite session and migrator
 * (`query`, `transaction`), pg-boss's `fromPglite` (`query`, `exec`, `listen`) and the store's
 * lifecycle (`closed`, `close`). PGlite itself and the worker client both satisfy it.
 */
export interface PgliteClient {
  query<T>(text: string, params?: unknown[], options?: QueryOptions): Promise<Results<T>>;
  exec(text: string, options?: QueryOptions): Promise<Array<Results>>;
  transaction<T>(callback: (transaction: Transaction) => Promise<T>): Promise<T>;
  listen(channel: string, callback: (payload: string) => void): Promise<() => Promise<void>>;
  readonly closed: boolean;
  close(): Promise<void>;
}

type Request = PgliteWorkerRequest extends infer R ? (R extends unknown ? Omit<R, 'id'> : never) : never;

type Row = Record<string, unknown>;

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

/** The worker's error rebuilt with every field it carried (`code`, `constraint`, `detail`…). */
function rebuildError(fields: Record<string, unknown>): Error {
  const error = new Error(String(fields.message ?? 'PGlite worker error'));
  Object.assign(error, fields);
  return error;
}

/**
 * Parsers are functions and cannot cross threads: the worker keeps their types as PostgreSQL's
 * text, and the caller's parser runs here on that text, as PGlite would have run it there.
 */
function splitOptions(options: QueryOptions | undefined): StatementOptions {
  if (options?.serializers || options?.blob || options?.onNotice || options?.paramTypes)
    throw new Error('serializers, blob, onNotice and paramTypes do not cross to the PGlite worker');
  return {
    rowMode: options?.rowMode,
    textTypes: options?.parsers ? Object.keys(options.parsers).map(Number) : [],
  };
}

function applyParsers<T>(result: TransferredResults, options: QueryOptions | undefined): Results<T> {
  const parsers = options?.parsers;
  if (parsers) {
    const arrayMode = options?.rowMode === 'array';
    result.fields.forEach((field, index) => {
      const parse = parsers[field.dataTypeID];
      if (!parse) return;
      for (const row of result.rows as Array<Record<string | number, unknown>>) {
        const key = arrayMode ? index : field.name;
        const value = row[key];
        if (typeof value === 'string')
          row[key] = (parse as (text: string, typeId: number) => unknown)(value, field.dataTypeID);
      }
    });
  }
  return result as Results<T>;
}

/**
 * PGlite on its own worker thread, reached by one message each way per statement. A transaction
 * pins the one connection: statements from outside it wait here until it ends, as they wait on
 * PGlite's own transaction lock in-thread.
 */
export class PgliteWorkerClient implements PgliteClient {
  readonly #thread: Worker;
  readonly #pending = new Map<number, Pending>();
  readonly #listeners = new Map<number, (payload: string) => void>();
  #nextId = 0;
  #transactionOpen: Promise<void> | undefined;
  #closed = false;
  #closing = false;
  #exited: Promise<void>;
  #failure: Error | undefined;

  private constructor(thread: Worker) {
    this.#thread = thread;
    this.#exited = new Promise((resolve) => thread.once('exit', () => resolve()));
    thread.on('message', (reply: PgliteWorkerReply) => this.#receive(reply));
    thread.on('error', (error) => this.#fail(error));
    thread.once('exit', (code) =>
      this.#fail(new Error(`the PGlite worker thread ended (exit code ${code})`)),
    );
  }

  /** Starts the thread and resolves once PGlite has opened in `dataFolder` (memory when absent). */
  static async create(dataFolder: string | undefined): Promise<PgliteWorkerClient> {
    const thread = new Worker(new URL('./pglite-worker-thread.ts', import.meta.url), {
      workerData: { dataFolder } satisfies PgliteWorkerData,
    });
    await new Promise<void>((resolve, reject) => {
      const settle = (error?: Error) => {
        thread.off('message', onMessage);
        thread.off('error', settle);
        thread.off('exit', onExit);
        if (error) reject(error);
        else resolve();
      };
      const onMessage = (reply: PgliteWorkerReply) => {
        if (reply.type === 'ready') settle();
        else if (reply.type === 'start-failed') settle(rebuildError(reply.error));
      };
      const onExit = (code: number) =>
        settle(new Error(`the PGlite worker thread ended at start (exit code ${code})`));
      thread.on('message', onMessage);
      thread.on('error', settle);
      thread.on('exit', onExit);
    });
    const client = new PgliteWorkerClient(thread);
    // Like PGlite in-thread, an idle database does not keep the process alive; a statement in flight does.
    thread.unref();
    return client;
  }

  get closed(): boolean {
    return this.#closed;
  }

  async query<T>(text: string, params: unknown[] = [], options?: QueryOptions): Promise<Results<T>> {
    if (this.#transactionOpen) await this.#outsideTransaction();
    return this.#query<T>(text, params, options, undefined);
  }

  async exec(text: string, options?: QueryOptions): Promise<Array<Results>> {
    if (this.#transactionOpen) await this.#outsideTransaction();
    return this.#exec(text, options, undefined);
  }

  async listen(channel: string, callback: (payload: string) => void): Promise<() => Promise<void>> {
    if (this.#transactionOpen) await this.#outsideTransaction();
    return this.#listen(channel, callback, undefined);
  }

  async transaction<T>(callback: (transaction: Transaction) => Promise<T>): Promise<T> {
    // The wait and the taking of the lock in one continuation, so two transactions cannot both take it.
    while (this.#transactionOpen) await this.#transactionOpen;
    let release = () => {};
    this.#transactionOpen = new Promise((resolve) => {
      release = resolve;
    });
    try {
      const id = (await this.#send({ type: 'begin' })) as number;
      let closed = false;
      const ensureOpen = () => {
        if (closed) throw new Error('Transaction is closed');
      };
      const transaction: Transaction = {
        query: async <R>(text: string, params?: unknown[], options?: QueryOptions) => {
          ensureOpen();
          return this.#query<R>(text, params ?? [], options, id);
        },
        sql: async <R>(strings: TemplateStringsArray, ...values: unknown[]) => {
          ensureOpen();
          const { query, params } = templatedQuery(strings, ...values);
          return this.#query<R>(query, params, undefined, id);
        },
        exec: async (text: string, options?: QueryOptions) => {
          ensureOpen();
          return this.#exec(text, options, id);
        },
        rollback: async () => {
          ensureOpen();
          closed = true;
          await this.#send({ type: 'rollback', transaction: id });
        },
        listen: async (channel: string, listener: (payload: string) => void) => {
          ensureOpen();
          return this.#listen(channel, listener, id);
        },
        get closed() {
          return closed;
        },
      };
      try {
        const result = await callback(transaction);
        if (!closed) {
          closed = true;
          await this.#send({ type: 'commit', transaction: id });
        }
        return result;
      } catch (error) {
        if (!closed) {
          closed = true;
          await this.#send({ type: 'rollback', transaction: id });
        }
        throw error;
      }
    } finally {
      this.#transactionOpen = undefined;
      release();
    }
  }

  /** Closes PGlite in the worker (a clean shutdown of the data folder), then waits for the thread to end. */
  async close(): Promise<void> {
    if (this.#closed) return;
    await this.#outsideTransaction();
    if (this.#closed || this.#closing) return;
    // Referenced until the thread ends: a script's last `await store.close()` must not see the loop go idle.
    this.#thread.ref();
    const closing = this.#send({ type: 'close' });
    this.#closing = true;
    try {
      await closing;
    } finally {
      this.#closed = true;
    }
    await this.#exited;
  }

  async #outsideTransaction(): Promise<void> {
    while (this.#transactionOpen) await this.#transactionOpen;
  }

  async #query<T>(
    text: string,
    params: unknown[],
    options: QueryOptions | undefined,
    transaction: number | undefined,
  ): Promise<Results<T>> {
    const result = await this.#send({
      type: 'query',
      text,
      params,
      options: splitOptions(options),
      transaction,
    });
    return applyParsers<T>(result as TransferredResults, options);
  }

  async #exec(text: string, options: QueryOptions | undefined, transaction: number | undefined) {
    const results = await this.#send({ type: 'exec', text, options: splitOptions(options), transaction });
    return (results as TransferredResults[]).map((result) => applyParsers<Row>(result, options));
  }

  async #listen(channel: string, callback: (payload: string) => void, transaction: number | undefined) {
    const listener = (await this.#send({ type: 'listen', channel, transaction })) as number;
    this.#listeners.set(listener, callback);
    return async () => {
      if (!this.#listeners.delete(listener) || this.#closed) return;
      await this.#send({ type: 'unlisten', listener });
    };
  }

  #send(request: Request): Promise<unknown> {
    if (this.#closed || this.#closing) return Promise.reject(new Error('PGlite is closed'));
    if (this.#failure) return Promise.reject(this.#failure);
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      // A parameter that cannot be cloned (a function, say) fails here, before anything is pending.
      this.#thread.postMessage({ ...request, id } as PgliteWorkerRequest);
      if (this.#pending.size === 0) this.#thread.ref();
      this.#pending.set(id, { resolve, reject });
    });
  }

  #receive(reply: PgliteWorkerReply): void {
    if (reply.type === 'notification') {
      this.#listeners.get(reply.listener)?.(reply.payload);
      return;
    }
    if (reply.type !== 'reply' && reply.type !== 'error') return;
    const pending = this.#pending.get(reply.id);
    if (!pending) return;
    this.#pending.delete(reply.id);
    if (this.#pending.size === 0 && !this.#closing) this.#thread.unref();
    if (reply.type === 'reply') pending.resolve(reply.value);
    else pending.reject(rebuildError(reply.error));
  }

  #fail(error: Error): void {
    this.#failure ??= error;
    for (const pending of this.#pending.values()) pending.reject(this.#failure);
    this.#pending.clear();
  }
}
