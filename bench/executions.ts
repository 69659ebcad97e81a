/**
 * Execution figures: the time an execution adds over calling the provider directly (record written),
 * recorded executions per second over HTTP at 64 connections, and history/stats/agent-list latency
 * with 1,000,000 executions and 10,000 agents in one workspace on PostgreSQL. Prints markdown tables;
 * never fails on timing.
 *
 *   node bench/executions.ts [overhead|throughput|scale]...   (default: all)
 *   FLIGHTDECK_BENCH_ROWS=1000000 FLIGHTDECK_BENCH_AGENTS=10000 tune the scale section.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createOpenAI } from '@ai-sdk/openai';
import { generateText } from 'ai';
import autocannon from 'autocannon';
import pg from 'pg';
import { newId } from '../src/core/ids.ts';
import { startFakeProvider } from '../src/llm/fake-provider/index.ts';
import { createKeyring } from '../src/security/keyring.ts';
import { makeMasterKey } from '../src/security/keyring-master-keys.ts';
import { createPasswordHasher } from '../src/security/password-hashing.ts';
import { parseAllowedHosts } from '../src/security/ssrf-guard.ts';
import { createApp } from '../src/server/create-app.ts';
import { createServices, type Services } from '../src/services/create-services.ts';
import type { WorkspaceAccess } from '../src/services/identity/principal.ts';
import { openStore, type Store } from '../src/store/database.ts';

const sections = process.argv.slice(2);
const wants = (name: string) => sections.length === 0 || sections.includes(name);
const model = 'gpt-4o-mini';
const prompt = 'Summarise the benefits of circuit breakers in two sentences.';

const adminUrl = process.env.FLIGHTDECK_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** A fresh database for one bench run, named apart from the test suites' (which clean theirs up). */
async function createTemporaryDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
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
  return { url: url.toString(), drop: () => admin(`drop database if exists "${name}" with (force)`) };
}

function percentile(values: number[], fraction: number): number {
  const sorted = [...values].sort((left, right) => left - right);
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))] ?? Number.NaN;
}
const format = (value: number) => value.toFixed(3);

async function measure(call: () => Promise<void>, concurrency: number, count: number): Promise<number[]> {
  const durations: number[] = [];
  let started = 0;
  const worker = async () => {
    while (started < count) {
      started++;
      const begin = performance.now();
      await call();
      durations.push(performance.now() - begin);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return durations;
}

interface Target {
  name: 'embedded (PGlite)' | 'PostgreSQL';
  open(): Promise<{ store: Store; dispose(): Promise<void> }>;
}
const targets: Target[] = [
  {
    name: 'embedded (PGlite)',
    async open() {
      const store = await openStore({ dataDirectory: 'memory://' });
      return { store, dispose: () => store.close() };
    },
  },
  {
    name: 'PostgreSQL',
    async open() {
      const temporary = await createTemporaryDatabase();
      const store = await openStore({ databaseUrl: temporary.url, poolSize: 16 });
      return {
        store,
        async dispose() {
          await store.close();
          await temporary.drop();
        },
      };
    },
  },
];

/** A migrated store with services, one workspace, an API token, a provider key at `baseUrl` and an agent. */
async function prepareWorkspace(store: Store, baseUrl: string) {
  await store.migrate();
  const services = createServices({
    store,
    publicUrl: 'http://127.0.0.1:3000',
    passwordHasher: createPasswordHasher({ cost: 2 ** 10 }),
    keyring: createKeyring([makeMasterKey('bench', randomBytes(32))]),
    allowedProviderHosts: parseAllowedHosts('127.0.0.1'),
  });
  const user = await services.repositories.users.insert({
    id: newId(),
    email: `bench-${newId()}@example.test`,
    name: 'Bench',
    passwordHash: null,
  });
  const principal = {
    kind: 'user' as const,
    userId: user.id,
    email: user.email,
    name: user.name,
    sessionIdHash: '',
    csrfToken: '',
  };
  const workspace = await services.workspaces.create(principal, { name: 'Bench' });
  const access: WorkspaceAccess = {
    workspaceId: workspace.id,
    role: 'owner',
    userId: user.id,
    tokenId: null,
  };
  const token = await services.apiTokens.create(access, { name: 'bench', role: 'owner' });
  // The bench measures executions, not the workspace's rate limit.
  await services.workspaces.update(access, { settings: { rateLimitPerMinute: 1_000_000 } });
  await services.providerKeys.create(
    access,
    { userId: user.id, tokenId: null, address: null, userAgent: null },
    { provider: 'openai', label: 'fake', apiKey: 'sk-bench-0000', baseUrl },
  );
  const agent = await services.agents.create(access, {
    name: 'Bench agent',
    provider: 'openai',
    model,
    promptTemplate: '{{ input.text }}',
    inputSchema: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
  });
  return { services, access, token: token.token, agent };
}

async function execute(
  services: Services,
  access: WorkspaceAccess,
  agentId: string,
  mode: 'live' | 'mock' = 'live',
) {
  const prepared = await services.executions.prepare(
    access,
    agentId,
    { input: { text: prompt }, mode },
    { trigger: 'api' },
  );
  if (prepared.kind !== 'run') throw new Error('unexpected replay');
  const execution = await prepared.run({ stream: false });
  if (execution.status !== 'completed')
    throw new Error(`execution failed: ${JSON.stringify(execution.error)}`);
}

async function overheadSection(): Promise<void> {
  const fake = await startFakeProvider();
  const baseURL = `${fake.url}/v1`;
  const openai = createOpenAI({ apiKey: 'sk-bench', baseURL });
  const direct = async () => {
    await generateText({
      model: openai.chat(model),
      messages: [{ role: 'user', content: prompt }],
      maxRetries: 0,
    });
  };
  const callsPerRound = Number(process.env.FLIGHTDECK_BENCH_CALLS ?? 1_500);
  const rounds = 3;
  const rows: string[] = [];
  for (const target of targets) {
    const opened = await target.open();
    try {
      const { services, access, agent } = await prepareWorkspace(opened.store, baseURL);
      const layered = () => execute(services, access, agent.id);
      for (const concurrency of [1, 16]) {
        await measure(direct, concurrency, 300);
        await measure(layered, concurrency, 300);
        const directDurations: number[] = [];
        const layeredDurations: number[] = [];
        for (let round = 0; round < rounds; round++) {
          directDurations.push(...(await measure(direct, concurrency, callsPerRound)));
          layeredDurations.push(...(await measure(layered, concurrency, callsPerRound)));
        }
        const [d50, d99, l50, l99] = [
          percentile(directDurations, 0.5),
          percentile(directDurations, 0.99),
          percentile(layeredDurations, 0.5),
          percentile(layeredDurations, 0.99),
        ];
        rows.push(
          `| ${target.name} | ${concurrency} | ${format(d50)} | ${format(l50)} | **${format(l50 - d50)}** | ${format(d99)} | ${format(l99)} | **${format(l99 - d99)}** |`,
        );
      }
    } finally {
      await opened.dispose();
    }
  }
  await fake.close();
  console.log(`### Added time per execution (record written), ${rounds * callsPerRound} calls per cell\n`);
  console.log(
    'Direct: the AI SDK calling the fake provider. Execution: agent lookup, input validation, template, key decryption, `running` insert, the same call through the model caller, cost, `completed` update.\n',
  );
  console.log(
    '| store | concurrency | direct p50 (ms) | execution p50 (ms) | added p50 | direct p99 (ms) | execution p99 (ms) | added p99 |',
  );
  console.log('|---|---|---|---|---|---|---|---|');
  for (const row of rows) console.log(row);
  console.log('\nTarget: added p50 ≤ 1 ms, added p99 ≤ 3 ms at concurrency 16.\n');
}

/** The fake provider in its own process, so it does not share the server's event loop. */
async function startFakeProcess(): Promise<{ url: string; stop(): Promise<void> }> {
  const script = `import { startFakeProvider } from ${JSON.stringify(new URL('../src/llm/fake-provider/index.ts', import.meta.url).href)};
const fake = await startFakeProvider(); console.log(fake.url); process.on('SIGTERM', () => fake.close().then(() => process.exit(0)));`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString().trim()));
    child.once('exit', () => reject(new Error('fake provider exited')));
  });
  return {
    url,
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

async function throughputSection(): Promise<void> {
  const fake = await startFakeProcess();
  const seconds = Number(process.env.FLIGHTDECK_BENCH_SECONDS ?? 10);
  const rows: string[] = [];
  for (const target of targets) {
    const opened = await target.open();
    try {
      const { services, token, agent, access } = await prepareWorkspace(opened.store, `${fake.url}/v1`);
      const app = await createApp({
        store: opened.store,
        services,
        version: 'bench',
        publicUrl: 'http://127.0.0.1',
      });
      const address = await app.listen({ port: 0, host: '127.0.0.1' });
      for (const mode of ['live', 'mock'] as const) {
        const options = {
          url: `${address}/api/workspaces/${access.workspaceId}/agents/${agent.id}/executions`,
          method: 'POST' as const,
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ input: { text: prompt }, mode }),
          connections: 64,
        };
        await autocannon({ ...options, duration: 2 });
        const before = (await services.executions.stats(access, statsWindow())).totals.count;
        const result = await autocannon({ ...options, duration: seconds });
        const recorded = (await services.executions.stats(access, statsWindow())).totals.count - before;
        rows.push(
          `| ${target.name} | ${mode === 'live' ? 'live, fake provider (own process)' : 'mock'} | ${Math.round(result.requests.average).toLocaleString('en')} | ${Math.round(recorded / seconds).toLocaleString('en')} | ${result.latency.p50} | ${result.latency.p99} | ${result.non2xx + result.errors} |`,
        );
      }
      await app.close();
    } finally {
      await opened.dispose();
    }
  }
  await fake.stop();
  console.log(`### Recorded executions per second, 64 connections, ${seconds} s, Node ${process.version}\n`);
  console.log('| store | provider | requests/s | executions recorded/s | p50 (ms) | p99 (ms) | errors |');
  console.log('|---|---|---|---|---|---|---|');
  for (const row of rows) console.log(row);
  console.log('\nTarget: ≥ 2,000 executions/s embedded and on PostgreSQL.\n');
}

function statsWindow() {
  const to = new Date(Date.now() + 60_000);
  return { from: new Date(to.getTime() - 86_400_000), to, interval: 'day' as const };
}

async function scaleSection(): Promise<void> {
  const totalRows = Number(process.env.FLIGHTDECK_BENCH_ROWS ?? 1_000_000);
  const totalAgents = Number(process.env.FLIGHTDECK_BENCH_AGENTS ?? 10_000);
  const spanDays = 90;
  const temporary = await createTemporaryDatabase();
  const store = await openStore({ databaseUrl: temporary.url, poolSize: 8 });
  try {
    const { services, token, access, agent } = await prepareWorkspace(store, 'http://127.0.0.1:9/v1');
    const client = new pg.Client({ connectionString: temporary.url });
    client.on('error', () => {});
    await client.connect();
    const seedStarted = performance.now();
    await seedAgents(client, access.workspaceId, totalAgents);
    await seedExecutions(client, access.workspaceId, agent.id, agent.versionId, totalRows, spanDays);
    await client.query('vacuum analyze executions');
    await client.query('vacuum analyze agents');
    await client.query('vacuum analyze agent_versions');
    const seedSeconds = (performance.now() - seedStarted) / 1000;
    await client.end();

    const app = await createApp({ store, services, version: 'bench', publicUrl: 'http://127.0.0.1' });
    const headers = { authorization: `Bearer ${token}` };
    const base = `/api/workspaces/${access.workspaceId}`;
    const to = new Date();
    const from = new Date(to.getTime() - 30 * 86_400_000);
    const cases: Array<[string, string]> = [
      ['history, first page (50, newest first)', `${base}/executions`],
      ['history, first page filtered by agent', `${base}/executions?agentId=${agent.id}`],
      ['history, first page of failed', `${base}/executions?status=failed`],
      [
        'stats, last 30 days by day',
        `${base}/executions/stats?from=${from.toISOString()}&to=${to.toISOString()}&interval=day`,
      ],
      [
        'stats, last 30 days by hour',
        `${base}/executions/stats?from=${from.toISOString()}&to=${to.toISOString()}&interval=hour`,
      ],
      [
        'stats, last 24 hours by hour',
        `${base}/executions/stats?from=${new Date(to.getTime() - 86_400_000).toISOString()}&to=${to.toISOString()}&interval=hour`,
      ],
      ['agent list, first page (50 of 10,000)', `${base}/agents`],
    ];
    const rows: string[] = [];
    for (const [label, url] of cases) {
      const once = async () => {
        const response = await app.inject({ method: 'GET', url, headers });
        if (response.statusCode !== 200)
          throw new Error(`${label}: ${response.statusCode} ${response.body.slice(0, 200)}`);
      };
      await measure(once, 1, 10);
      const durations = await measure(once, 1, label.startsWith('stats') ? 60 : 300);
      rows.push(
        `| ${label} | ${format(percentile(durations, 0.5))} | ${format(percentile(durations, 0.95))} |`,
      );
    }
    const windowRows = await services.executions.stats(access, { from, to, interval: 'day' });
    await app.close();
    console.log(
      `### ${totalRows.toLocaleString('en')} executions over ${spanDays} days and ${totalAgents.toLocaleString('en')} agents in one workspace, PostgreSQL (seeded in ${seedSeconds.toFixed(1)} s)\n`,
    );
    console.log(
      `The 30-day window holds ${windowRows.totals.count.toLocaleString('en')} executions. Times are through the HTTP app (authentication and serialisation included), sequential.\n`,
    );
    console.log('| query | p50 (ms) | p95 (ms) |');
    console.log('|---|---|---|');
    for (const row of rows) console.log(row);
    console.log('\nTarget: history first page and 30-day stats p95 ≤ 50 ms; agent list p95 ≤ 10 ms.\n');
  } finally {
    await store.close();
    // FLIGHTDECK_BENCH_KEEP=1 keeps the seeded database for EXPLAIN sessions.
    if (process.env.FLIGHTDECK_BENCH_KEEP === '1') console.log(`kept ${temporary.url}`);
    else await temporary.drop();
  }
}

async function seedAgents(client: pg.Client, workspaceId: string, count: number): Promise<void> {
  await client.query(
    `with numbered as (
       select n, gen_random_uuid()::text as agent_id, gen_random_uuid()::text as version_id,
              date_trunc('milliseconds', now() - (n || ' minutes')::interval) as created
       from generate_series(1, $2::int) as n
     ), inserted_agents as (
       insert into agents (id, workspace_id, slug, current_version_id, version, created_at, updated_at)
       select agent_id, $1, 'seeded-agent-' || n, version_id, 1, created, created from numbered
     )
     insert into agent_versions (id, workspace_id, agent_id, number, definition, changed_fields, created_at)
     select version_id, $1, agent_id, 1,
            jsonb_build_object('slug', 'seeded-agent-' || n, 'name', 'Seeded agent ' || n, 'description', '',
              'tags', '[]'::jsonb, 'provider', 'openai', 'model', 'gpt-4o-mini', 'providerKeyId', null,
              'systemPrompt', 'You are helpful.', 'promptTemplate', '{{ input.text }}', 'temperature', null,
              'maxTokens', null, 'inputSchema', null, 'outputSchema', null,
              'retry', jsonb_build_object('maxAttempts', 3, 'baseDelayMs', 1000, 'maxDelayMs', 10000),
              'fallbacks', '[]'::jsonb, 'timeoutMs', 120000),
            '[]'::jsonb, created
     from numbered`,
    [workspaceId, count],
  );
}

/** Executions spread evenly over `spanDays` up to now, 94% completed, 5% failed; one agent in ten is the bench agent. */
async function seedExecutions(
  client: pg.Client,
  workspaceId: string,
  agentId: string,
  versionId: string,
  count: number,
  spanDays: number,
): Promise<void> {
  const batch = 250_000;
  const stepMs = (spanDays * 86_400_000) / count;
  for (let start = 0; start < count; start += batch) {
    await client.query(
      `insert into executions (id, workspace_id, agent_id, agent_version_id, agent_version, status, mode, trigger,
         input, output, error_code, error_message, input_tokens, output_tokens, total_tokens, cost_usd, cost_priced,
         latency_ms, retries, attempts, fallback_used, provider, model, node_id, deadline_at, created_at, finished_at)
       select gen_random_uuid()::text, $1,
              case when n % 10 = 0 then $2 else 'other-agent-' || (n % 97) end, $3, 1,
              case when n % 20 = 0 then 'failed' else 'completed' end,
              case when n % 7 = 0 then 'mock' else 'live' end,
              case when n % 3 = 0 then 'test' else 'api' end,
              jsonb_build_object('text', 'input ' || n),
              case when n % 20 = 0 then null else to_jsonb('answer ' || n) end,
              case when n % 20 = 0 then 'provider_rate_limited' end,
              case when n % 20 = 0 then 'The provider is rate limiting this key.' end,
              100 + n % 400, 50 + n % 300, 150 + n % 400 + n % 300, (100 + n % 400) * 0.00000015 + (50 + n % 300) * 0.0000006, true,
              200 + (n::bigint * 7919) % 2800, 0,
              '[{"provider":"openai","model":"gpt-4o-mini","status":"succeeded","statusCode":200,"errorCode":null,"latencyMs":420,"purpose":"answer"}]'::jsonb,
              false, 'openai', 'gpt-4o-mini', 'seed', t + interval '2 minutes', t, t + interval '1 second'
       from (
         select n, date_trunc('milliseconds', now() - ((($4::int - n) * $5::float8) || ' milliseconds')::interval) as t
         from generate_series($6::int, $7::int) as n
       ) as seeded`,
      [workspaceId, agentId, versionId, count, stepMs, start + 1, Math.min(count, start + batch)],
    );
  }
}

if (wants('overhead')) await overheadSection();
if (wants('throughput')) await throughputSection();
if (wants('scale')) await scaleSection();
