/**
 * Flightdeck against a gateway that writes nothing, in one run on one machine: the fake provider
 * (its own process) called directly, through Portkey's open-source gateway (@portkey-ai/gateway
 * 1.15.2, installed into a scratch folder, never a project dependency) and through `flightdeck
 * serve` with an API token on PostgreSQL and embedded (PGlite), each recording every execution.
 * Flightdeck runs twice per store: as shipped, and with group commit and budget leases off
 * (FLIGHTDECK_GROUP_COMMIT=off FLIGHTDECK_BUDGET_LEASES=off), the "before" of the same run.
 * Each throughput run also accounts the CPU per request of every part of the machine (the target's
 * processes, PostgreSQL's, the fake's and this process, which runs autocannon), from /proc.
 *
 *   node bench/gateway.ts            FLIGHTDECK_BENCH_SECONDS=8 sets each throughput run's length.
 *
 * Prints markdown tables; never fails on timing.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import pg from 'pg';
import { freePort } from '../test/support/cli-process.ts';
import { cpuOfCommand, cpuOfTree, memoryOfTree } from '../test/support/process-tree.ts';

const seconds = Number(process.env.FLIGHTDECK_BENCH_SECONDS ?? 8);
const cores = availableParallelism();
const adminUrl = process.env.FLIGHTDECK_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const cliPath = fileURLToPath(new URL('../bin/flightdeck.js', import.meta.url));
const fakeModule = new URL('../src/llm/fake-provider/index.ts', import.meta.url).href;
const prompt = 'Summarise the benefits of circuit breakers in two sentences.';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Child {
  child: ChildProcess;
  output: () => string;
  stop(): Promise<void>;
}

function launch(command: string, args: string[], environment: NodeJS.ProcessEnv, cwd?: string): Child {
  const child = spawn(command, args, { env: environment, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  });
  return {
    child,
    output: () => output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(10_000).then(() => child.kill('SIGKILL'))]);
    },
  };
}

async function waitForOutput(process: Child, pattern: RegExp, timeoutMs = 90_000): Promise<RegExpExecArray> {
  const started = performance.now();
  for (;;) {
    const match = pattern.exec(process.output());
    if (match) return match;
    if (process.child.exitCode !== null) throw new Error(`exited before ${pattern}:\n${process.output()}`);
    if (performance.now() - started > timeoutMs)
      throw new Error(`timed out on ${pattern}:\n${process.output()}`);
    await sleep(5);
  }
}

/** RSS of a process and its children (a serving group's primary and its processes). */
const rssMiB = (pid: number | undefined): number => memoryOfTree(pid).rss;

async function startFake(delayMs: number): Promise<{ url: string; process: Child }> {
  const script = `import { startFakeProvider } from ${JSON.stringify(fakeModule)};
const delay = ${delayMs};
const fake = await startFakeProvider(delay > 0 ? { respond: async () => { await new Promise((r) => setTimeout(r, delay)); return { text: 'Breakers stop cascades. They recover on their own.' }; } } : { text: 'Breakers stop cascades. They recover on their own.' });
console.log('fake at ' + fake.url);`;
  const process = launch(
    globalThis.process.execPath,
    ['--input-type=module', '-e', script],
    globalThis.process.env,
  );
  const match = await waitForOutput(process, /fake at (\S+)/);
  return { url: match[1] ?? '', process };
}

async function startPortkey(folder: string): Promise<{ url: string; process: Child; readyMs: number }> {
  const port = await freePort();
  const started = performance.now();
  const process = launch(
    globalThis.process.execPath,
    [join(folder, 'node_modules/@portkey-ai/gateway/build/start-server.js'), `--port=${port}`, '--headless'],
    { PATH: globalThis.process.env.PATH ?? '', NODE_ENV: 'production' },
    folder,
  );
  await waitForOutput(process, /Ready for connections/);
  return { url: `http://127.0.0.1:${port}`, process, readyMs: performance.now() - started };
}

interface Flightdeck {
  url: string;
  process: Child;
  readyMs: number;
}

async function startFlightdeck(environment: Record<string, string>): Promise<Flightdeck> {
  const port = await freePort();
  const started = performance.now();
  const process = launch(globalThis.process.execPath, [cliPath, 'serve'], {
    PATH: globalThis.process.env.PATH ?? '',
    PORT: String(port),
    LOG_LEVEL: 'warn',
    FLIGHTDECK_ALLOWED_PROVIDER_HOSTS: '127.0.0.1',
    FLIGHTDECK_METRICS_PORT: '0',
    // The bench drives the node past any sane event-loop delay: measure, do not shed.
    FLIGHTDECK_OVERLOAD_EVENT_LOOP_DELAY_MS: '0',
    FLIGHTDECK_OVERLOAD_HEAP_PERCENT: '0',
    ...environment,
  });
  await waitForOutput(process, new RegExp(`open http://127\\.0\\.0\\.1:${port}`));
  return { url: `http://127.0.0.1:${port}`, process, readyMs: performance.now() - started };
}

/** First owner, an API token, the fake as an openai key, one agent; answers what a call needs. */
async function prepare(base: string, fakeUrl: string) {
  const setup = await fetch(`${base}/api/setup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      email: 'bench@example.test',
      password: 'a long bench password',
      name: 'Bench',
      workspaceName: 'Bench',
    }),
  });
  const { workspace, csrfToken } = (await setup.json()) as { workspace: { id: string }; csrfToken: string };
  const session = {
    'content-type': 'application/json',
    cookie: (setup.headers.get('set-cookie') ?? '').split(';')[0] ?? '',
    'x-csrf-token': csrfToken,
  };
  const api = `${base}/api/workspaces/${workspace.id}`;
  const send = async (method: string, path: string, body: unknown) =>
    (
      await fetch(`${api}${path}`, { method, headers: session, body: JSON.stringify(body) })
    ).json() as Promise<Record<string, unknown>>;
  await send('PATCH', '', { settings: { rateLimitPerMinute: 1_000_000 } });
  const token = (await send('POST', '/tokens', { name: 'bench', role: 'owner' })).token as string;
  const key = await send('POST', '/provider-keys', {
    provider: 'openai',
    label: 'fake',
    apiKey: 'sk-bench-0001',
    baseUrl: `${fakeUrl}/v1`,
  });
  const agent = await send('POST', '/agents', {
    name: 'Gateway bench',
    provider: 'openai',
    model: 'gpt-4o-mini',
    providerKeyId: key.id,
    promptTemplate: '{{ input.text }}',
    maxTokens: 200,
  });
  return { workspaceId: workspace.id, token, agentId: agent.id as string, api };
}

interface Target {
  name: string;
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** The processes whose CPU a throughput run accounts for: the target's and the fake's. */
interface Processes {
  target?: number;
  fake?: number;
}

/** CPU milliseconds per request of each part of the machine over one throughput run. */
interface CpuPerRequest {
  target: number;
  postgres: number;
  fake: number;
  loadGenerator: number;
  total: number;
}

const direct = (fakeUrl: string): Target => ({
  name: 'direct to the fake',
  url: `${fakeUrl}/v1/chat/completions`,
  headers: { 'content-type': 'application/json', authorization: 'Bearer sk-bench-0001' },
  body: JSON.stringify({
    model: 'gpt-4o-mini',
    messages: [{ role: 'user', content: prompt }],
    max_tokens: 200,
  }),
});

const portkey = (gatewayUrl: string, fakeUrl: string): Target => ({
  name: 'Portkey 1.15.2',
  url: `${gatewayUrl}/v1/chat/completions`,
  headers: {
    'content-type': 'application/json',
    authorization: 'Bearer sk-bench-0001',
    'x-portkey-provider': 'openai',
    'x-portkey-custom-host': `${fakeUrl}/v1`,
  },
  body: JSON.stringify({
    model: 'gpt-4o-mini',
    messages: [{ role: 'user', content: prompt }],
    max_tokens: 200,
  }),
});

const flightdeckTarget = (name: string, prepared: Awaited<ReturnType<typeof prepare>>): Target => ({
  name,
  url: `${prepared.api}/agents/${prepared.agentId}/executions`,
  headers: { 'content-type': 'application/json', authorization: `Bearer ${prepared.token}` },
  body: JSON.stringify({ input: { text: prompt }, mode: 'live' }),
});

async function call(target: Target): Promise<number> {
  const started = performance.now();
  const response = await fetch(target.url, { method: 'POST', headers: target.headers, body: target.body });
  await response.arrayBuffer();
  if (response.status >= 300) throw new Error(`${target.name}: ${response.status}`);
  return performance.now() - started;
}

function percentile(values: number[], fraction: number): number {
  const sorted = [...values].sort((left, right) => left - right);
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))] ?? Number.NaN;
}

/** Latencies of `count` calls at a concurrency (client-side, keep-alive fetch). */
async function latencies(target: Target, concurrency: number, count: number): Promise<number[]> {
  for (let index = 0; index < 30; index++) await call(target);
  const results: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next++ < count) results.push(await call(target));
    }),
  );
  return results;
}

async function throughput(
  target: Target,
  processes: Processes,
): Promise<{ requests: number; errors: number; cpu: CpuPerRequest }> {
  const options = {
    url: target.url,
    method: 'POST' as const,
    headers: target.headers,
    body: target.body,
    connections: 64,
  };
  await autocannon({ ...options, duration: 2 });
  // CPU of every part the run loads, so a figure can be read against the machine's cores: the
  // target, PostgreSQL (every postgres process; only Flightdeck on PostgreSQL uses it), the fake,
  // and this process, which runs autocannon.
  const cpuNow = () => ({
    target: cpuOfTree(processes.target),
    postgres: cpuOfCommand('postgres'),
    fake: cpuOfTree(processes.fake),
    loadGenerator: (process.cpuUsage().user + process.cpuUsage().system) / 1000,
  });
  const before = cpuNow();
  const result = await autocannon({ ...options, duration: seconds });
  const after = cpuNow();
  const count = Math.max(1, result.requests.total);
  const part = (name: keyof typeof before) => (after[name] - before[name]) / count;
  const cpu = {
    target: part('target'),
    postgres: part('postgres'),
    fake: part('fake'),
    loadGenerator: part('loadGenerator'),
  };
  return {
    requests: result.requests.average,
    errors: result.non2xx + result.errors,
    cpu: { ...cpu, total: cpu.target + cpu.postgres + cpu.fake + cpu.loadGenerator },
  };
}

async function createDatabase(): Promise<{ url: string; name: string; drop(): Promise<void> }> {
  const name = `flightdeck_bench_${randomBytes(6).toString('hex')}`;
  const admin = async (statement: string) => {
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    try {
      await client.query(statement);
    } finally {
      await client.end();
    }
  };
  await admin(`create database "${name}"`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), name, drop: () => admin(`drop database if exists "${name}" with (force)`) };
}

/** Transactions committed in a database so far (every autocommit statement is one). */
async function commits(name: string): Promise<number> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    // Statistics are sent by backends at the end of a transaction or every 0.5 s; let them arrive.
    await sleep(1_100);
    await client.query('select pg_stat_clear_snapshot()');
    const result = await client.query<{ commits: string }>(
      'select xact_commit::text as commits from pg_stat_database where datname = $1',
      [name],
    );
    return Number(result.rows[0]?.commits ?? 0);
  } finally {
    await client.end();
  }
}

async function recordedCount(prepared: Awaited<ReturnType<typeof prepare>>): Promise<number> {
  const to = new Date(Date.now() + 60_000);
  const from = new Date(to.getTime() - 86_400_000);
  const response = await fetch(
    `${prepared.api}/executions/stats?from=${from.toISOString()}&to=${to.toISOString()}&interval=day`,
    { headers: { authorization: `Bearer ${prepared.token}` } },
  );
  const body = (await response.json()) as { totals: { count: number } };
  return body.totals.count;
}

interface Variant {
  name: string;
  store: 'postgres' | 'embedded';
  shipped: boolean;
  /** More of the environment, e.g. several serving processes. */
  environment?: Record<string, string>;
}

const variants: Variant[] = [
  { name: 'Flightdeck, PostgreSQL', store: 'postgres', shipped: true },
  { name: 'Flightdeck, PostgreSQL, group commit and leases off', store: 'postgres', shipped: false },
  {
    name: 'Flightdeck, PostgreSQL, 2 processes',
    store: 'postgres',
    shipped: true,
    environment: { FLIGHTDECK_PROCESSES: '2' },
  },
  { name: 'Flightdeck, embedded', store: 'embedded', shipped: true },
  { name: 'Flightdeck, embedded, group commit and leases off', store: 'embedded', shipped: false },
  {
    name: 'Flightdeck, embedded, PGlite worker',
    store: 'embedded',
    shipped: true,
    environment: { FLIGHTDECK_PGLITE_WORKER: 'on' },
  },
];

async function main(): Promise<void> {
  const scratch = mkdtempSync(join(tmpdir(), 'flightdeck-gateway-bench-'));
  const installStarted = performance.now();
  execFileSync(
    'npm',
    ['install', '--no-save', '--no-audit', '--no-fund', '--prefix', scratch, '@portkey-ai/gateway@1.15.2'],
    { stdio: 'ignore' },
  );
  console.log(
    `Portkey installed into a scratch folder in ${((performance.now() - installStarted) / 1000).toFixed(1)} s`,
  );
  const fakes = { zero: await startFake(0), slow: await startFake(20) };
  const gateway = await startPortkey(scratch);
  await sleep(3_000);
  const portkeyRss = rssMiB(gateway.process.child.pid);

  const latencyRows: string[] = [];
  const throughputRows: string[] = [];
  const cpuRows: string[] = [];
  const footprintRows: string[] = [];
  const baseline = { p50: 0, p99: 0, zero: 0, slow: 0 };
  const portkeyFigures = { added50: 0, requests: 0 };

  const measureTarget = async (
    name: string,
    zero: Target,
    slow: Target,
    targetPid: number | undefined,
    recorded?: () => Promise<number>,
  ) => {
    const before = recorded ? await recorded() : 0;
    const fast = await throughput(zero, { target: targetPid, fake: fakes.zero.process.child.pid });
    const fastRecorded = recorded ? ((await recorded()) - before) / (seconds + 2) : fast.requests;
    const slowBefore = recorded ? await recorded() : 0;
    const slowRun = await throughput(slow, { target: targetPid, fake: fakes.slow.process.child.pid });
    const slowRecorded = recorded ? ((await recorded()) - slowBefore) / (seconds + 2) : slowRun.requests;
    // Latencies last, of a node in service: Flightdeck keeps one plan per batch statement only once
    // its process has written 1,000 rows with it (src/store/grown-statement-name.ts); before that a
    // finish is planned on every run. Every target gets the same order.
    const single = await latencies(zero, 1, 400);
    const sixteen = await latencies(zero, 16, 1_600);
    const p50 = percentile(single, 0.5);
    const p99 = percentile(sixteen, 0.99);
    return { name, p50, p99, fast, fastRecorded, slowRun, slowRecorded };
  };
  const report = (figures: Awaited<ReturnType<typeof measureTarget>>) => {
    latencyRows.push(
      `| ${figures.name} | ${figures.p50.toFixed(2)} | ${(figures.p50 - baseline.p50).toFixed(2)} | ${figures.p99.toFixed(2)} | ${(figures.p99 - baseline.p99).toFixed(2)} |`,
    );
    const cpuRow = (run: string, cpu: CpuPerRequest) =>
      `| ${figures.name} | ${run} | ${cpu.target.toFixed(3)} | ${cpu.postgres.toFixed(3)} | ${cpu.fake.toFixed(3)} | ${cpu.loadGenerator.toFixed(3)} | ${cpu.total.toFixed(3)} | ${Math.round((cores * 1000) / cpu.total)} |`;
    cpuRows.push(cpuRow('zero-latency', figures.fast.cpu), cpuRow('20 ms', figures.slowRun.cpu));
    throughputRows.push(
      `| ${figures.name} | ${Math.round(figures.fast.requests)} | ${Math.round(figures.fastRecorded)} | ${figures.fast.errors} | ${Math.round(figures.slowRun.requests)} | ${Math.round(figures.slowRecorded)} | ${((figures.slowRun.requests / baseline.slow) * 100).toFixed(0)} % |`,
    );
  };

  const directFigures = await measureTarget(
    'direct to the fake',
    direct(fakes.zero.url),
    direct(fakes.slow.url),
    undefined,
  );
  Object.assign(baseline, {
    p50: directFigures.p50,
    p99: directFigures.p99,
    zero: directFigures.fast.requests,
    slow: directFigures.slowRun.requests,
  });
  report(directFigures);
  const portkeyResult = await measureTarget(
    'Portkey 1.15.2',
    portkey(gateway.url, fakes.zero.url),
    portkey(gateway.url, fakes.slow.url),
    gateway.process.child.pid,
  );
  portkeyFigures.added50 = portkeyResult.p50 - baseline.p50;
  portkeyFigures.requests = portkeyResult.fast.requests;
  report(portkeyResult);
  footprintRows.push(
    `| Portkey 1.15.2 | ${portkeyRss.toFixed(0)} | ${gateway.readyMs.toFixed(0)} (first start) | — |`,
  );
  await gateway.process.stop();

  const statementRows: string[] = [];
  for (const variant of variants) {
    const switches: Record<string, string> = variant.shipped
      ? {}
      : { FLIGHTDECK_GROUP_COMMIT: 'off', FLIGHTDECK_BUDGET_LEASES: 'off' };
    const database = variant.store === 'postgres' ? await createDatabase() : null;
    const dataFolder =
      variant.store === 'embedded' ? mkdtempSync(join(tmpdir(), 'flightdeck-bench-data-')) : null;
    const environment: Record<string, string> = {
      FLIGHTDECK_MASTER_KEY: randomBytes(32).toString('base64'),
      ...(database ? { DATABASE_URL: database.url } : { FLIGHTDECK_DATA_DIR: dataFolder ?? '' }),
      ...switches,
      ...variant.environment,
    };
    try {
      // The first start creates the data (cluster and migrations); the second is start to ready.
      const first = await startFlightdeck(environment);
      const prepared = await prepare(first.url, fakes.zero.url);
      await first.process.stop();
      const node = await startFlightdeck(environment);
      await sleep(3_000);
      const idleRss = rssMiB(node.process.child.pid);
      footprintRows.push(
        `| ${variant.name} | ${idleRss.toFixed(0)} | ${node.readyMs.toFixed(0)} (existing ${variant.store === 'postgres' ? 'database' : 'data folder'}) | ${first.readyMs.toFixed(0)} |`,
      );
      const onNode = { ...prepared, api: prepared.api.replace(first.url, node.url) };
      // The 20 ms fake: the same workspace with a second key and agent pointing at it.
      const slowPrepared = await prepareSlowAgent(onNode, fakes.slow.url);
      const zeroTarget = flightdeckTarget(variant.name, onNode);
      const slowTarget = flightdeckTarget(variant.name, slowPrepared);
      const commitsBefore = database ? await commits(database.name) : 0;
      const recordedBefore = await recordedCount(onNode);
      const figures = await measureTarget(variant.name, zeroTarget, slowTarget, node.process.child.pid, () =>
        recordedCount(onNode),
      );
      if (database) {
        const executions = (await recordedCount(onNode)) - recordedBefore;
        const transactions = (await commits(database.name)) - commitsBefore;
        statementRows.push(
          `| ${variant.name} | ${executions} | ${transactions} | ${(transactions / Math.max(1, executions)).toFixed(2)} |`,
        );
      }
      report(figures);
      await node.process.stop();
    } finally {
      await database?.drop();
      if (dataFolder) rmSync(dataFolder, { recursive: true, force: true });
    }
  }
  await fakes.zero.process.stop();
  await fakes.slow.process.stop();
  rmSync(scratch, { recursive: true, force: true });

  console.log(`\n### Added latency over direct (client-side fetch, keep-alive), Node ${process.version}\n`);
  console.log('| target | p50 at c=1 (ms) | added p50 | p99 at c=16 (ms) | added p99 |');
  console.log('|---|---|---|---|---|');
  for (const row of latencyRows) console.log(row);
  console.log(`\nPortkey's added p50 at c=1: ${portkeyFigures.added50.toFixed(2)} ms.`);
  console.log(
    `\n### Requests and recorded executions per second, 64 connections, ${seconds} s (+2 s warm-up counted in recorded/s)\n`,
  );
  console.log(
    '| target | requests/s, zero-latency fake | recorded/s | errors | requests/s, 20 ms fake | recorded/s | of direct (20 ms) |',
  );
  console.log('|---|---|---|---|---|---|---|');
  for (const row of throughputRows) console.log(row);
  console.log(`\nPortkey: ${Math.round(portkeyFigures.requests)} requests/s with the zero-latency fake.`);
  console.log(
    `\n### CPU per request, 64 connections (ms; /proc, every process on this ${cores}-CPU machine)\n`,
  );
  console.log(
    'The last column is what the machine could serve if the run used every CPU and nothing else ran: a ceiling, not a prediction.\n',
  );
  console.log(
    '| target | fake | target process | PostgreSQL | fake provider | load generator | total | ceiling (requests/s) |',
  );
  console.log('|---|---|---|---|---|---|---|---|');
  for (const row of cpuRows) console.log(row);
  console.log(
    '\n### Transactions committed per recorded execution, PostgreSQL (pg_stat_database, the whole database)\n',
  );
  console.log('| target | executions | transactions | per execution |');
  console.log('|---|---|---|---|');
  for (const row of statementRows) console.log(row);
  console.log('\n### Footprint\n');
  console.log('| target | idle RSS (MiB, 3 s after ready) | start to ready (ms) | first start (ms) |');
  console.log('|---|---|---|---|');
  for (const row of footprintRows) console.log(row);
}

/** A second key and agent of the same workspace on the 20 ms fake. */
async function prepareSlowAgent(prepared: Awaited<ReturnType<typeof prepare>>, fakeUrl: string) {
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${prepared.token}` };
  const key = (await (
    await fetch(`${prepared.api}/provider-keys`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        provider: 'openai',
        label: 'slow fake',
        apiKey: 'sk-bench-0002',
        baseUrl: `${fakeUrl}/v1`,
      }),
    })
  ).json()) as { id: string };
  const agent = (await (
    await fetch(`${prepared.api}/agents`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        name: 'Gateway bench slow',
        provider: 'openai',
        model: 'gpt-4o-mini',
        providerKeyId: key.id,
        promptTemplate: '{{ input.text }}',
        maxTokens: 200,
      }),
    })
  ).json()) as { id: string };
  return { ...prepared, agentId: agent.id };
}

await main();
