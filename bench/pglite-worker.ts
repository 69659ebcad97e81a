/**
 * PGlite on the event loop or in a worker thread. The same statements a live execution sends (insert
 * of the running row, the finishing update, a select by primary key, through the real execution
 * repository on the real schema) against (a) PGlite in the main thread, as `openStore` runs it by default,
 * (b) PGlite's own `PGliteWorker` on a Node worker thread (it is written for browser Web Workers; the
 * shims below adapt it), (c) a minimal query proxy over a worker thread's message port (the floor of
 * what a worker costs; plain statements only, no transactions), (d) the store's own worker client
 * (`openStore({ pgliteWorker: true })`, FLIGHTDECK_PGLITE_WORKER=on). The figure that matters most
 * is the main thread's event-loop delay while the load runs: that is what /healthz and every request
 * feel.
 * Prints a markdown table; never fails on timing.
 *
 *   node bench/pglite-worker.ts [iterationsPerRound]
 */
import { setMaxListeners } from 'node:events';
import { loadavg } from 'node:os';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { PGlite, type QueryOptions, types } from '@electric-sql/pglite';
import { PGliteWorker, worker as servePgliteWorker } from '@electric-sql/pglite/worker';
import { drizzle } from 'drizzle-orm/pglite';
import { migrate } from 'drizzle-orm/pglite/migrator';
import { newId } from '../src/core/ids.ts';
import { type Database, migrationsFolder, openStore } from '../src/store/database.ts';
import {
  createExecutionRepository,
  type ExecutionRepository,
} from '../src/store/repositories/execution-repository.ts';
import { createWorkspaceRepository } from '../src/store/repositories/workspace-repository.ts';
import * as schema from '../src/store/schema/index.ts';
import { isUniqueViolation } from '../src/store/unique-violation.ts';

type WorkerRole = 'pglite-worker' | 'minimal-proxy';
const migrationOptions = {
  migrationsFolder,
  migrationsTable: 'flightdeck_migrations',
  migrationsSchema: 'public',
};

/** Node has no Web Locks; one process holds the only PGlite, so every lock is granted at once, except… */
function installLockShim(neverGranted: (name: string) => boolean): void {
  const locks = {
    request(name: string, callback: () => Promise<unknown>) {
      // …the worker's wait for a "tab" to close, which in a browser resolves when the tab goes away.
      if (neverGranted(name)) return new Promise(() => {});
      return Promise.resolve().then(callback);
    },
  };
  Object.defineProperty(globalThis.navigator, 'locks', { value: locks, configurable: true });
}

// ---------------------------------------------------------------- worker thread side

async function serveInWorker(role: WorkerRole): Promise<void> {
  const port = parentPort!;
  if (role === 'pglite-worker') {
    installLockShim((name) => name.startsWith('pglite-tab-close:'));
    // PGlite's worker() talks to `self` as a Web Worker does.
    Object.assign(globalThis, {
      postMessage: (message: unknown) => port.postMessage(message),
      addEventListener: (
        type: 'message',
        listener: (event: { data: unknown }) => void,
        options?: { once?: boolean },
      ) => port[options?.once ? 'once' : 'on'](type, (data) => listener({ data })),
    });
    // Its worker logs every failed statement to stderr; the bench reports what errors carry itself.
    console.error = () => {};
    await servePgliteWorker({ init: () => PGlite.create() });
    return;
  }
  const client = await PGlite.create();
  await migrate(drizzle(client, { schema }), migrationOptions);
  // Drizzle's parsers are functions and cannot cross threads; it always sends these (dates stay text).
  const parsers = Object.fromEntries(
    [types.TIMESTAMP, types.TIMESTAMPTZ, types.INTERVAL, types.DATE, 1231, 1115, 1185, 1187, 1182].map(
      (type) => [type, (value: string) => value],
    ),
  );
  port.on('message', async (request: ProxyRequest) => {
    try {
      const result = await client.query(request.text, request.params, { rowMode: request.rowMode, parsers });
      port.postMessage({
        id: request.id,
        result: { rows: result.rows, fields: result.fields, affectedRows: result.affectedRows },
      });
    } catch (error) {
      // Every field of PGlite's DatabaseError (code, constraint, detail…): callers classify errors by them.
      port.postMessage({
        id: request.id,
        error: cloneableFields(error),
      });
    }
  });
  port.postMessage({ ready: true });
}

/** The error's own plain fields (functions and objects stay behind: they cannot be cloned). */
function cloneableFields(error: unknown): Record<string, unknown> {
  const fields: Record<string, unknown> = { message: (error as Error).message };
  for (const [key, value] of Object.entries(error as object)) {
    if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) fields[key] = value;
  }
  return fields;
}

// ---------------------------------------------------------------- main thread side

interface ProxyRequest {
  id: number;
  text: string;
  params: unknown[];
  rowMode: QueryOptions['rowMode'];
}

/** What drizzle's PGlite session calls for a plain statement; one message each way per statement. */
class MinimalProxyClient {
  #thread: Worker;
  #nextId = 0;
  #pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  constructor(thread: Worker) {
    this.#thread = thread;
    thread.on('message', (reply: { id: number; result?: unknown; error?: { message: string } }) => {
      const pending = this.#pending.get(reply.id);
      this.#pending.delete(reply.id);
      if (reply.error) pending?.reject(Object.assign(new Error(reply.error.message), reply.error));
      else pending?.resolve(reply.result);
    });
  }
  query(text: string, params: unknown[] = [], options: QueryOptions = {}): Promise<unknown> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#thread.postMessage({ id, text, params, rowMode: options.rowMode } satisfies ProxyRequest);
    });
  }
  transaction(): never {
    throw new Error('the minimal proxy runs plain statements only');
  }
}

/** A Node worker thread dressed as the Web Worker PGliteWorker expects (EventTarget + postMessage). */
function asWebWorker(thread: Worker): globalThis.Worker {
  const target = new EventTarget();
  thread.on('message', (data) => target.dispatchEvent(new MessageEvent('message', { data })));
  return Object.assign(target, {
    postMessage: (message: unknown) => thread.postMessage(message),
    terminate: () => void thread.terminate(),
  }) as unknown as globalThis.Worker;
}

interface Variant {
  name: string;
  database: Database;
  close(): Promise<void>;
}

const startThread = (role: WorkerRole) => new Worker(new URL(import.meta.url), { workerData: { role } });

async function openInThread(): Promise<Variant> {
  const client = await PGlite.create();
  await migrate(drizzle(client, { schema }), migrationOptions);
  const database = drizzle(client, { schema }) as unknown as Database;
  return { name: '(a) in-thread', database, close: () => client.close() };
}

async function openPgliteWorker(): Promise<Variant> {
  installLockShim(() => false);
  const client = await PGliteWorker.create(asWebWorker(startThread('pglite-worker')));
  // Drizzle's driver and migrator, unchanged, over PGlite's worker client (the migrator uses a transaction).
  const database = drizzle(client as unknown as PGlite, { schema }) as unknown as Database;
  await migrate(database as never, migrationOptions);
  return { name: '(b) PGliteWorker', database, close: () => client.close() };
}

async function openMinimalProxy(): Promise<Variant> {
  const thread = startThread('minimal-proxy');
  await new Promise((resolve) => thread.once('message', resolve));
  const client = new MinimalProxyClient(thread);
  const database = drizzle(client as unknown as PGlite, { schema }) as unknown as Database;
  return { name: '(c) minimal proxy', database, close: () => thread.terminate().then(() => {}) };
}

/** The shipped client: `openStore`'s worker thread, migrated the way the server migrates it. */
async function openWorkerClient(): Promise<Variant> {
  const store = await openStore({ dataDirectory: 'memory://', pgliteWorker: true });
  await store.migrate();
  return { name: '(d) store worker client', database: store.database, close: () => store.close() };
}

const largeInput = {
  topic: 'circuit breakers',
  audience: 'engineers',
  notes: 'x'.repeat(400),
  tags: ['a', 'b', 'c'],
};
const renderedRequest = {
  system: 'You are a concise assistant.',
  messages: [{ role: 'user', content: `Summarise ${'circuit breakers '.repeat(40)}` }],
  parameters: { temperature: 0.2, maxTokens: 512 },
};

/** One live execution's statements: the running row, its finish, a read by primary key. */
async function oneExecution(repository: ExecutionRepository, workspaceId: string, timings: Timings) {
  const id = newId();
  const now = new Date();
  let begin = performance.now();
  await repository.insertRunning({
    id,
    workspaceId,
    agentId: 'agent_bench',
    agentVersionId: 'version_bench',
    agentVersion: 3,
    status: 'running',
    mode: 'live',
    trigger: 'api',
    input: largeInput,
    idempotencyKey: null,
    requestHash: 'a'.repeat(64),
    nodeId: 'bench-node',
    deadlineAt: new Date(now.getTime() + 60_000),
    createdBy: 'user_bench',
    tokenId: null,
    request: renderedRequest,
    createdAt: now,
  });
  timings.insert.push(performance.now() - begin);
  // The provider call sits here in a live execution: the loop gets a turn, as it does in the server.
  await new Promise((resolve) => setImmediate(resolve));
  begin = performance.now();
  await repository.finish(workspaceId, id, {
    status: 'completed',
    output: { summary: 'Breakers stop calls to a failing dependency.', confidence: 0.92 },
    rawOutput: '{"summary":"Breakers stop calls to a failing dependency.","confidence":0.92}',
    errorCode: null,
    errorMessage: null,
    inputTokens: 412,
    outputTokens: 96,
    totalTokens: 508,
    costUsd: 0.000_12,
    costPriced: true,
    latencyMs: 842.5,
    timeToFirstTokenMs: 310.2,
    retries: 0,
    attempts: [{ provider: 'openai', model: 'gpt-4o-mini', statusCode: 200, latencyMs: 842.5 }] as never,
    fallbackUsed: false,
    repaired: false,
    provider: 'openai',
    model: 'gpt-4o-mini',
    finishedAt: new Date(),
  });
  timings.update.push(performance.now() - begin);
  begin = performance.now();
  const row = await repository.findById(workspaceId, id);
  timings.select.push(performance.now() - begin);
  if (row?.status !== 'completed') throw new Error(`execution ${id} did not read back as completed`);
}

interface Timings {
  insert: number[];
  update: number[];
  select: number[];
}

interface Cell {
  timings: Timings;
  statements: number;
  elapsedMs: number;
  /** Event-loop delay p99 of each round, in ms (histograms of separate rounds cannot be merged). */
  delayP99s: number[];
  delayMaxMs: number;
  busyMs: number;
  idleMs: number;
}

async function runRound(
  variant: Variant,
  workspaceId: string,
  concurrency: number,
  count: number,
  cell?: Cell,
) {
  // Group commit off: one statement per call, so each figure is one statement's round trip.
  const repository = createExecutionRepository(variant.database, { groupCommit: false });
  const timings = cell?.timings ?? { insert: [], update: [], select: [] };
  // A fresh monitor per round: a re-enabled one counts the pause between rounds as one long delay.
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  const utilization = performance.eventLoopUtilization();
  const begin = performance.now();
  let started = 0;
  const lane = async () => {
    while (started < count) {
      started++;
      await oneExecution(repository, workspaceId, timings);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  const elapsedMs = performance.now() - begin;
  const used = performance.eventLoopUtilization(utilization);
  // In-thread, a burst of statements never yields; one timer turn lets the monitor record it.
  await new Promise((resolve) => setTimeout(resolve, 5));
  delay.disable();
  if (!cell) return;
  cell.elapsedMs += elapsedMs;
  cell.delayP99s.push(delay.percentile(99) / 1e6);
  cell.delayMaxMs = Math.max(cell.delayMaxMs, delay.max / 1e6);
  cell.busyMs += used.active;
  cell.idleMs += used.idle;
  cell.statements += count * 3;
}

function percentile(values: number[], fraction: number): number {
  const sorted = [...values].sort((left, right) => left - right);
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))] ?? Number.NaN;
}

async function runBench(): Promise<void> {
  const iterations = Number(process.argv[2] ?? 400);
  // PGliteWorker adds a listener per call in flight to one BroadcastChannel; 64 in flight is expected.
  setMaxListeners(256);
  const rounds = 3;
  const concurrencies = [1, 64];
  const loadBefore = loadavg();
  const variants = [
    await openInThread(),
    await openPgliteWorker(),
    await openMinimalProxy(),
    await openWorkerClient(),
  ];
  const workspaceId = 'ws_bench';
  const uniqueViolationSeen = new Map<string, boolean>();
  for (const variant of variants) {
    const workspace = {
      id: workspaceId,
      name: 'Bench',
      settings: {
        rateLimitPerMinute: 600,
        monthlyBudgetUsd: null,
        alertThresholds: [],
        alertWebhookUrl: null,
      },
    };
    const workspaces = createWorkspaceRepository(variant.database);
    await workspaces.insert(workspace);
    // The store tells a duplicate from other failures by SQLSTATE 23505 and the constraint name.
    const duplicate = await workspaces.insert(workspace).then(
      () => undefined,
      (error: unknown) => error,
    );
    uniqueViolationSeen.set(variant.name, isUniqueViolation(duplicate, 'workspaces_pkey'));
  }
  const idleDelay = monitorEventLoopDelay({ resolution: 1 });
  idleDelay.enable();
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  idleDelay.disable();

  const cells = new Map<string, Cell>();
  for (const concurrency of concurrencies) {
    for (const variant of variants) await runRound(variant, workspaceId, concurrency, 100);
    // Alternating rounds (a, b, c, a, b, c, …) spread the shared machine's drift over every variant.
    for (let round = 0; round < rounds; round++) {
      for (const variant of variants) {
        const key = `${variant.name}|${concurrency}`;
        const cell = cells.get(key) ?? {
          timings: { insert: [], update: [], select: [] },
          statements: 0,
          elapsedMs: 0,
          delayP99s: [],
          delayMaxMs: 0,
          busyMs: 0,
          idleMs: 0,
        };
        cells.set(key, cell);
        await runRound(variant, workspaceId, concurrency, iterations, cell);
      }
    }
  }
  const loadAfter = loadavg();
  for (const variant of variants) await variant.close();

  const milliseconds = (value: number) => value.toFixed(2);
  const pair = (values: number[]) =>
    `${milliseconds(percentile(values, 0.5))} / ${milliseconds(percentile(values, 0.99))}`;
  console.log(
    `${rounds} × ${iterations} executions (3 statements each) per cell, in-memory PGlite, Node ${process.version}; ` +
      `load average before ${loadBefore.map((value) => value.toFixed(2)).join(' ')}, after ${loadAfter.map((value) => value.toFixed(2)).join(' ')}; ` +
      `idle event-loop delay p99 ${milliseconds(idleDelay.percentile(99) / 1e6)} ms\n`,
  );
  console.log(
    '| variant | concurrency | statements/s | insert p50 / p99 ms | update p50 / p99 ms | select p50 / p99 ms | main event-loop delay p99 (median round) / max ms | main thread busy |',
  );
  console.log('|---|---|---|---|---|---|---|---|');
  for (const concurrency of concurrencies) {
    for (const variant of variants) {
      const cell = cells.get(`${variant.name}|${concurrency}`)!;
      const { insert, update, select } = cell.timings;
      const perSecond = Math.round(cell.statements / (cell.elapsedMs / 1_000));
      const delay = `${milliseconds(percentile(cell.delayP99s, 0.5))} / ${milliseconds(cell.delayMaxMs)}`;
      const busy = `${Math.round((100 * cell.busyMs) / (cell.busyMs + cell.idleMs))} %`;
      console.log(
        `| ${variant.name} | ${concurrency} | ${perSecond.toLocaleString('en-US')} | ${pair(insert)} | ${pair(update)} | ${pair(select)} | ${delay} | ${busy} |`,
      );
    }
  }
  console.log(
    '\nA duplicate primary key still reads as a unique violation (SQLSTATE 23505 and constraint name):',
  );
  for (const [name, seen] of uniqueViolationSeen) console.log(`- ${name}: ${seen ? 'yes' : 'no'}`);
}

if (isMainThread) await runBench();
else await serveInWorker((workerData as { role: WorkerRole }).role);
