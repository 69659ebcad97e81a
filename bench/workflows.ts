/**
 * Workflow figures: start-to-completed latency of a 10-step sequential mock workflow (PGlite and
 * PostgreSQL), the same chain on LangGraph.js with its PostgreSQL checkpointer, steps per second
 * with two `flightdeck worker` processes on 100-wide fan-outs, and database statements per step
 * counted by kind. Prints markdown tables; never fails on timing.
 *
 *   node bench/workflows.ts [latency|throughput|statements]...   (default: all)
 *   FLIGHTDECK_BENCH_RUNS (200) and FLIGHTDECK_BENCH_FANOUT_RUNS (24) tune the run counts;
 *   FLIGHTDECK_BENCH_WORKERS (8) the runs each node drives at once.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import pg from 'pg';
import { startWorkflowRuntime } from '../src/services/workflows/start-workflow-runtime.ts';
import { openStore } from '../src/store/database.ts';
import { type CliProcess, runCli } from '../test/support/cli-process.ts';
import {
  chainSteps,
  createCompletionWatcher,
  createTemporaryDatabase,
  fanOutSteps,
  openTarget,
  percentile,
  prepareWorkspace,
  type StoreName,
} from './workflows/bench-workspace.ts';
import { openLangGraphPeer, peerPackages } from './workflows/langgraph-peer.ts';
import {
  classifyStatement,
  type StatementKind,
  statementKinds,
  tapPgliteStatements,
  tapPgStatements,
} from './workflows/statement-tap.ts';

const sections = process.argv.slice(2);
const wants = (name: string) => sections.length === 0 || sections.includes(name);
const runCount = Number(process.env.FLIGHTDECK_BENCH_RUNS ?? 200);
const fanOutRuns = Number(process.env.FLIGHTDECK_BENCH_FANOUT_RUNS ?? 24);
const warmupRuns = 20;
const chainLength = 10;
const fanOutWidth = 100;
/** Runs one node drives at once: FLIGHTDECK_WORKERS's default unless FLIGHTDECK_BENCH_WORKERS says. */
const workersPerNode = Number(process.env.FLIGHTDECK_BENCH_WORKERS ?? 8);
/** The workers' FLIGHTDECK_MASTER_KEY; the bench's own services use the same key. */
const masterKeyText = randomBytes(32).toString('base64');
const format = (value: number) => value.toFixed(1);
/** The machine is shared: the 1-minute load average goes next to every timed figure. */
const load = () => `load average ${loadavg()[0]?.toFixed(1)}`;

/** CPU seconds (user + system) a process has used so far; 0 once it is gone (Linux /proc). */
function cpuSecondsOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/** A chain workflow on a fresh store with an in-process runtime; `once` times one run. */
async function openChain(name: StoreName) {
  const opened = await openTarget(name);
  try {
    const { services, access, agentSlug } = await prepareWorkspace(opened.store, masterKeyText);
    const runtime = await startWorkflowRuntime({
      store: opened.store,
      services,
      workers: workersPerNode,
      scheduleIntervalMs: 0,
    });
    const workflow = await services.workflows.create(access, {
      name: 'Chain of ten',
      steps: chainSteps(agentSlug, chainLength),
    });
    const ended = createCompletionWatcher(services);
    return {
      async once() {
        const begin = performance.now();
        const run = await services.runs.start(access, workflow.id, { input: { text: 'go' }, mode: 'mock' });
        await ended(run.id);
        const duration = performance.now() - begin;
        const stored = await services.runs.get(access, run.id);
        if (stored.status !== 'completed') throw new Error(`run ${run.id} ended ${stored.status}`);
        return duration;
      },
      async close() {
        await runtime.stop(1_000);
        await opened.dispose();
      },
    };
  } catch (error) {
    await opened.dispose();
    throw error;
  }
}

async function repeat(count: number, once: () => Promise<number>, into: number[] = []): Promise<number[]> {
  for (let index = 0; index < count; index++) into.push(await once());
  return into;
}

const row = (label: string, durations: number[], target: string) =>
  `| ${label} | ${format(percentile(durations, 0.5))} | ${format(percentile(durations, 0.99))} | ${format(percentile(durations, 0.5) / chainLength)} | ${target} |`;

async function latencySection(): Promise<void> {
  const pglite = await openChain('embedded (PGlite)');
  let embedded: number[];
  try {
    await repeat(warmupRuns, pglite.once);
    embedded = await repeat(runCount, pglite.once);
  } finally {
    await pglite.close();
  }
  const embeddedLoad = load();

  // Flightdeck on PostgreSQL and the peer in alternating rounds, so drift on this shared machine
  // (other suites, CPU frequency) falls on both alike.
  const rounds = 4;
  const postgres = await openChain('PostgreSQL');
  const peerDatabase = await createTemporaryDatabase();
  const durations = { flightdeck: [] as number[], async: [] as number[], sync: [] as number[] };
  let peer: Awaited<ReturnType<typeof openLangGraphPeer>> | undefined;
  let peerStatements = new Map<string, number>();
  try {
    peer = await openLangGraphPeer({ databaseUrl: peerDatabase.url, chainLength });
    const invokePeer = peer.invoke;
    await repeat(warmupRuns, postgres.once);
    await repeat(warmupRuns, () => invokePeer('async'));
    await repeat(warmupRuns, () => invokePeer('sync'));
    for (let round = 0; round < rounds; round++) {
      const count = Math.ceil(runCount / rounds);
      await repeat(count, postgres.once, durations.flightdeck);
      await repeat(count, () => invokePeer('async'), durations.async);
      await repeat(count, () => invokePeer('sync'), durations.sync);
    }
    peerStatements = await peer.countStatements(20);
  } finally {
    await peer?.close();
    await postgres.close();
    await peerDatabase.drop();
  }

  const flightdeckP50 = percentile(durations.flightdeck, 0.5);
  const peerP50 = percentile(durations.async, 0.5);
  const met = (value: number, target: number) => `< ${target} ms: ${value < target ? 'met' : '**missed**'}`;
  console.log(
    `### ${chainLength}-step sequential mock workflow, start to \`completed\`, ${runCount} runs one after another\n`,
  );
  console.log(
    `Flightdeck: services.runs.start to the engine's run-end notify (in-process runtime, ${workersPerNode} workers, pool of 10). LangGraph.js: \`graph.invoke\` of ${chainLength} no-op nodes with PostgresSaver (pool of 10), fresh thread id per run. ${warmupRuns} runs of warm-up each; PostgreSQL and LangGraph in ${rounds} alternating rounds. ${embeddedLoad} after PGlite, ${load()} at the end.\n`,
  );
  console.log('| system | p50 (ms) | p99 (ms) | p50 per step (ms) | target p50 |');
  console.log('|---|---|---|---|---|');
  console.log(row('Flightdeck, embedded (PGlite)', embedded, met(percentile(embedded, 0.5), 5)));
  console.log(row('Flightdeck, PostgreSQL', durations.flightdeck, met(flightdeckP50, 15)));
  console.log(row('LangGraph.js, PostgresSaver, durability `async` (default)', durations.async, '–'));
  console.log(row('LangGraph.js, PostgresSaver, durability `sync`', durations.sync, '–'));
  const installed = Object.entries(peer?.versions ?? {})
    .map(([name, version]) => `${name} ${version}`)
    .join(', ');
  console.log(
    `\n${installed}: installed into a scratch folder in ${peer?.installSeconds.toFixed(1)} s (\`npm install --no-save --prefix <tmp>\` of ${peerPackages.join(' ')}).`,
  );
  const total = [...peerStatements.values()].reduce((sum, count) => sum + count, 0);
  console.log(
    `LangGraph statements per run (default durability): ${format(total)} — ${[...peerStatements].map(([kind, count]) => `${kind} ${format(count)}`).join(', ')}.`,
  );
  console.log(
    `\nTarget: Flightdeck PostgreSQL p50 ≤ half of LangGraph's (${format(peerP50 / 2)} ms): ${flightdeckP50 <= peerP50 / 2 ? 'met' : '**missed**'}, ratio ${(flightdeckP50 / peerP50).toFixed(2)} (against \`sync\`: ${(flightdeckP50 / percentile(durations.sync, 0.5)).toFixed(2)}).\n`,
  );
}

async function throughputSection(): Promise<void> {
  const temporary = await createTemporaryDatabase();
  const store = await openStore({ databaseUrl: temporary.url, poolSize: 10 });
  const client = new pg.Client({ connectionString: temporary.url });
  const workers: CliProcess[] = [];
  try {
    const { services, access, agentSlug } = await prepareWorkspace(store, masterKeyText);
    // This process only enqueues, like an API node with FLIGHTDECK_WORKERS=0.
    const runtime = await startWorkflowRuntime({ store, services, workers: 0, scheduleIntervalMs: 0 });
    const workflow = await services.workflows.create(access, {
      name: 'Fan-out of one hundred',
      steps: fanOutSteps(agentSlug, fanOutWidth),
    });
    for (let index = 0; index < 2; index++) {
      workers.push(
        runCli(['worker'], {
          DATABASE_URL: temporary.url,
          FLIGHTDECK_MASTER_KEY: masterKeyText,
          FLIGHTDECK_WORKERS: String(workersPerNode),
          // Two workers on one machine would both claim the default metrics port.
          FLIGHTDECK_METRICS_PORT: '0',
          LOG_LEVEL: 'warn',
        }),
      );
    }
    await Promise.all(workers.map((worker) => worker.waitFor('Flightdeck worker is running', 60_000)));
    await client.connect();
    const waitForRuns = async (runIds: string[], onPoll = async () => {}) => {
      const deadline = Date.now() + 240_000;
      for (;;) {
        await onPoll();
        const { rows } = await client.query<{ open: number }>(
          `select count(*)::int as open from workflow_runs
            where id = any($1) and status not in ('completed', 'failed', 'cancelled')`,
          [runIds],
        );
        if (rows[0]?.open === 0) return;
        if (Date.now() > deadline) throw new Error(`${rows[0]?.open} fan-out runs still open after 240 s`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };
    const start = () => services.runs.start(access, workflow.id, { input: { text: 'go' }, mode: 'mock' });
    await waitForRuns([(await start()).id, (await start()).id]);

    // Pools replace connections idle for 10 s, so the backends are sampled on every poll: one
    // first seen during the window counts from zero, one gone counts up to its last sample.
    const backendCpu = new Map<number, { first: number; last: number }>();
    const sampleBackends = async (atStart: boolean) => {
      const { rows } = await client.query<{ pid: number }>(
        'select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()',
      );
      for (const { pid } of rows) {
        const seconds = cpuSecondsOf(pid);
        const seen = backendCpu.get(pid);
        if (seen) seen.last = Math.max(seen.last, seconds);
        else backendCpu.set(pid, { first: atStart ? seconds : 0, last: seconds });
      }
    };
    const workerPids = workers.map((worker) => worker.child.pid ?? 0);
    const workersCpu = () => workerPids.reduce((sum, pid) => sum + cpuSecondsOf(pid), 0);
    await sampleBackends(true);
    const cpuBefore = { workers: workersCpu(), bench: process.cpuUsage() };
    const runIds: string[] = [];
    const startBegin = performance.now();
    for (let index = 0; index < fanOutRuns; index++) runIds.push((await start()).id);
    const startSeconds = (performance.now() - startBegin) / 1000;
    await waitForRuns(runIds, () => sampleBackends(false));
    await sampleBackends(false);
    const benchCpu = process.cpuUsage(cpuBefore.bench);
    const cpu = {
      workers: workersCpu() - cpuBefore.workers,
      postgres: [...backendCpu.values()].reduce((sum, { first, last }) => sum + last - first, 0),
      bench: (benchCpu.user + benchCpu.system) / 1e6,
    };
    const { rows: runRows } = await client.query<{ status: string; count: number }>(
      'select status, count(*)::int as count from workflow_runs where id = any($1) group by status',
      [runIds],
    );
    const { rows: stepRows } = await client.query<{ finished: number; worker: string }>(
      `select extract(epoch from finished_at)::float8 as finished, worker_id as worker
         from workflow_step_runs where run_id = any($1) and status = 'completed' order by finished_at`,
      [runIds],
    );
    const { rows: firstStart } = await client.query<{ created: number }>(
      'select extract(epoch from min(created_at))::float8 as created from workflow_runs where id = any($1)',
      [runIds],
    );
    const finishedTimes = stepRows.map((row) => row.finished);
    const lastFinished = finishedTimes.at(-1) ?? Number.NaN;
    const wallSeconds = lastFinished - (firstStart[0]?.created ?? Number.NaN);
    const at = (fraction: number) => finishedTimes[Math.floor(fraction * (finishedTimes.length - 1))] ?? 0;
    const steadyRate = (0.8 * finishedTimes.length) / (at(0.9) - at(0.1));
    const perWorker = new Map<string, number>();
    for (const row of stepRows) perWorker.set(row.worker, (perWorker.get(row.worker) ?? 0) + 1);
    const overall = stepRows.length / wallSeconds;

    console.log(
      `### Steps per second, two \`flightdeck worker\` processes (FLIGHTDECK_WORKERS=${workersPerNode} each), PostgreSQL\n`,
    );
    console.log(
      `${fanOutRuns} runs of root → ${fanOutWidth} parallel mock steps → join (${fanOutWidth + 2} steps each), started one after another from the bench process (enqueue only) in ${startSeconds.toFixed(1)} s; times from the step rows.\n`,
    );
    console.log('| figure | value |');
    console.log('|---|---|');
    console.log(`| runs | ${runRows.map((row) => `${row.count} ${row.status}`).join(', ')} |`);
    console.log(`| steps completed | ${stepRows.length.toLocaleString('en')} |`);
    console.log(`| first run created → last step finished | ${wallSeconds.toFixed(2)} s |`);
    console.log(`| steps/s over that span | **${overall.toFixed(0)}** |`);
    console.log(`| steps/s between the 10th and 90th percentile finish | **${steadyRate.toFixed(0)}** |`);
    console.log(
      `| steps per worker process | ${[...perWorker.values()].map((count) => count.toLocaleString('en')).join(' / ')} |`,
    );
    const perStep = (seconds: number) => ((seconds * 1000) / stepRows.length).toFixed(2);
    console.log(
      `| CPU ms per step: worker processes / PostgreSQL backends of the bench database / bench process | ${perStep(cpu.workers)} / ${perStep(cpu.postgres)} / ${perStep(cpu.bench)} |`,
    );
    const cpuPerStep = ((cpu.workers + cpu.postgres + cpu.bench) * 1000) / stepRows.length;
    console.log(
      `| steps/s ${cpus().length} idle cores would allow at that CPU cost | ${((cpus().length * 1000) / cpuPerStep).toFixed(0)} |`,
    );
    console.log(`| ${load()} at the end | |`);
    console.log(`\nTarget: ≥ 500 steps/s: ${overall >= 500 ? 'met' : '**missed**'}.\n`);
    await runtime.stop(1_000);
  } finally {
    await Promise.all(
      workers.map(async (worker) => {
        worker.child.kill('SIGTERM');
        await worker.exited;
      }),
    );
    await client.end().catch(() => {});
    await store.close();
    await temporary.drop();
  }
}

interface Tally {
  count: number;
  ms: number;
}

/** Runs `runs` mock runs one after another with every statement of this process counted by kind. */
async function countStatements(
  name: StoreName,
  steps: (agentSlug: string) => ReturnType<typeof chainSteps>,
  runs: number,
): Promise<{ tallies: Map<StatementKind, Tally>; steps: number; others: Set<string> }> {
  const opened = await openTarget(name);
  try {
    const { services, access, agentSlug } = await prepareWorkspace(opened.store, masterKeyText);
    const runtime = await startWorkflowRuntime({
      store: opened.store,
      services,
      workers: workersPerNode,
      scheduleIntervalMs: 0,
    });
    const workflow = await services.workflows.create(access, { name: 'Counted', steps: steps(agentSlug) });
    const ended = createCompletionWatcher(services);
    let phase: 'start' | 'engine' = 'engine';
    const once = async () => {
      phase = 'start';
      const run = await services.runs.start(access, workflow.id, { input: { text: 'go' }, mode: 'mock' });
      phase = 'engine';
      await ended(run.id);
      return run.id;
    };
    for (let index = 0; index < 3; index++) await once();
    const tallies = new Map<StatementKind, Tally>(statementKinds.map((kind) => [kind, { count: 0, ms: 0 }]));
    const others = new Set<string>();
    const listener = (statement: { text: string; rows: number; ms: number }) => {
      const kind = classifyStatement(statement, phase);
      if (kind === 'other') others.add(statement.text.replace(/\s+/g, ' ').slice(0, 100));
      const tally = tallies.get(kind);
      if (tally) {
        tally.count++;
        tally.ms += statement.ms;
      }
    };
    const connection = opened.store.queueConnection;
    const untap =
      connection.kind === 'pglite'
        ? tapPgliteStatements(connection.client, listener)
        : tapPgStatements(pg, listener);
    const runIds: string[] = [];
    try {
      for (let index = 0; index < runs; index++) runIds.push(await once());
    } finally {
      untap();
    }
    for (const runId of runIds) {
      const run = await services.runs.get(access, runId);
      if (run.status !== 'completed') throw new Error(`counted run ${runId} ended ${run.status}`);
    }
    await runtime.stop(1_000);
    return { tallies, steps: runs * steps(agentSlug).length, others };
  } finally {
    await opened.dispose();
  }
}

async function statementsSection(): Promise<void> {
  const chainRuns = 50;
  const wideRuns = 5;
  const cases = [
    {
      label: 'chain, PGlite',
      result: await countStatements('embedded (PGlite)', (slug) => chainSteps(slug, chainLength), chainRuns),
    },
    {
      label: 'chain, PostgreSQL',
      result: await countStatements('PostgreSQL', (slug) => chainSteps(slug, chainLength), chainRuns),
    },
    {
      label: 'fan-out, PostgreSQL',
      result: await countStatements('PostgreSQL', (slug) => fanOutSteps(slug, fanOutWidth), wideRuns),
    },
  ];
  console.log('### Database statements per step, counted at the driver\n');
  console.log(
    `Every statement this process sent (store, pg-boss, its LISTEN connection), ${chainRuns} runs of the ${chainLength}-step chain and ${wideRuns} runs of the ${fanOutWidth + 2}-step fan-out, one run at a time, ${workersPerNode} workers in process. Mean ms is call to answer on PostgreSQL (chain), queueing included.\n`,
  );
  console.log(`| statement | ${cases.map((entry) => `${entry.label} per step`).join(' | ')} | mean ms |`);
  console.log(`|---|${cases.map(() => '---|').join('')}---|`);
  const perStep = (entry: (typeof cases)[number], kind: StatementKind) =>
    (entry.result.tallies.get(kind)?.count ?? 0) / entry.result.steps;
  for (const kind of statementKinds) {
    if (cases.every((entry) => perStep(entry, kind) === 0)) continue;
    const postgres = cases[1]?.result.tallies.get(kind);
    const mean = postgres && postgres.count > 0 ? (postgres.ms / postgres.count).toFixed(2) : '–';
    console.log(
      `| ${kind} | ${cases.map((entry) => perStep(entry, kind).toFixed(2)).join(' | ')} | ${mean} |`,
    );
  }
  const totals = cases.map((entry) =>
    [...entry.result.tallies.values()].reduce((sum, tally) => sum + tally.count, 0),
  );
  console.log(
    `| **all statements** | ${cases.map((entry, index) => `**${((totals[index] ?? 0) / entry.result.steps).toFixed(2)}**`).join(' | ')} | |`,
  );
  const others = new Set(cases.flatMap((entry) => [...entry.result.others]));
  if (others.size > 0) console.log(`\nUnclassified: ${[...others].join(' · ')}`);
  const best = Math.min(...cases.map((entry, index) => (totals[index] ?? 0) / entry.result.steps));
  console.log(
    `\nTarget: ≤ 2 statements per step: ${best <= 2 ? 'met' : '**missed**'} (lowest ${best.toFixed(2)}).\n`,
  );
}

console.log(
  `Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, ${new Date().toISOString().slice(0, 10)}\n`,
);
if (wants('latency')) await latencySection();
if (wants('throughput')) await throughputSection();
if (wants('statements')) await statementsSection();
