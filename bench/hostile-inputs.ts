/**
 * Hostile inputs against a real server (PGlite, HTTP on a loopback port): one client sends the
 * requests that used to freeze a node (a 900,000-character mock input, a 9,000 × `{{ input }}`
 * template, a catastrophically backtracking pattern, JSON nested 100,000 deep, lone surrogates)
 * while another asks `GET /healthz` every 10 ms. Prints /healthz p50/p99/max without and with
 * the hostile load, and each hostile request's latency and answer. Never fails on timing.
 *
 *   node bench/hostile-inputs.ts
 *   FLIGHTDECK_BENCH_SECONDS=10 FLIGHTDECK_BENCH_HOSTILE_CLIENTS=2 tune it.
 */
import { randomBytes } from 'node:crypto';
import { newId } from '../src/core/ids.ts';
import { createKeyring } from '../src/security/keyring.ts';
import { makeMasterKey } from '../src/security/keyring-master-keys.ts';
import { createPasswordHasher } from '../src/security/password-hashing.ts';
import { createApp } from '../src/server/create-app.ts';
import { createServices } from '../src/services/create-services.ts';
import { openStore } from '../src/store/database.ts';

const seconds = Number(process.env.FLIGHTDECK_BENCH_SECONDS ?? 10);
const hostileClients = Number(process.env.FLIGHTDECK_BENCH_HOSTILE_CLIENTS ?? 2);

function percentile(values: number[], fraction: number): number {
  const sorted = [...values].sort((left, right) => left - right);
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))] ?? Number.NaN;
}

const round = (value: number) => (Number.isFinite(value) ? value.toFixed(1) : 'n/a');

const store = await openStore({ dataDirectory: 'memory://' });
await store.migrate();
const services = createServices({
  store,
  publicUrl: 'http://127.0.0.1',
  passwordHasher: createPasswordHasher({ cost: 2 ** 10 }),
  keyring: createKeyring([makeMasterKey('bench', randomBytes(32))]),
});
const app = await createApp({
  store,
  services,
  version: 'bench',
  publicUrl: 'http://127.0.0.1',
  bodyLimitBytes: 4 * 1024 * 1024,
  // The production defaults (configuration.ts): shed load rather than queue behind it.
  overload: { maxEventLoopDelayMs: 1_000, maxHeapUsedPercent: 90, retryAfterSeconds: 5 },
});
await app.listen({ host: '127.0.0.1', port: 0 });
const address = app.server.address();
const origin = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;

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
const workspace = await services.workspaces.create(principal, { name: 'Hostile' });
const access = { workspaceId: workspace.id, role: 'owner' as const, userId: user.id, tokenId: null };
await services.workspaces.update(access, { settings: { rateLimitPerMinute: 100_000_000 } });
const token = (await services.apiTokens.create(access, { name: 'bench', role: 'owner' })).token;
const base = `${origin}/api/workspaces/${workspace.id}`;
const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };

async function createAgent(body: Record<string, unknown>): Promise<string> {
  const response = await fetch(`${base}/agents`, { method: 'POST', headers, body: JSON.stringify(body) });
  if (response.status !== 201) throw new Error(`agent: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { id: string }).id;
}

const echo = await createAgent({ name: 'Echo', provider: 'mock', model: 'gpt-4o-mini' });
const repeater = await createAgent({
  name: 'Repeater',
  provider: 'mock',
  model: 'mock-model',
  promptTemplate: '{{ input }}'.repeat(9_000),
});
const patterned = await createAgent({
  name: 'Patterned',
  provider: 'mock',
  model: 'mock-model',
  inputSchema: { type: 'object', properties: { code: { type: 'string', pattern: '^(a+)+$' } } },
});

const hostileCases: Array<{ name: string; url: string; body: string }> = [
  {
    name: '900,000-character mock input, no spaces',
    url: `${base}/agents/${echo}/executions`,
    body: JSON.stringify({ input: 'a'.repeat(900_000), mode: 'mock' }),
  },
  {
    name: '9,000 × {{ input }} template, 100 KB input',
    url: `${base}/agents/${repeater}/executions`,
    body: JSON.stringify({ input: 'x'.repeat(100_000), mode: 'mock' }),
  },
  {
    name: 'pattern ^(a+)+$ against 30,000 a then !',
    url: `${base}/agents/${patterned}/executions`,
    body: JSON.stringify({ input: { code: `${'a'.repeat(30_000)}!` }, mode: 'mock' }),
  },
  {
    name: 'JSON nested 100,000 deep',
    url: `${base}/agents/${echo}/executions`,
    body: `{"input":${'['.repeat(100_000)}${']'.repeat(100_000)},"mode":"mock"}`,
  },
  {
    name: 'lone surrogate in a rename',
    url: base,
    body: '{"name":"renamed\\ud800"}',
  },
];

async function sendHostile(hostile: (typeof hostileCases)[number]): Promise<{ ms: number; status: number }> {
  const started = performance.now();
  const method = hostile.url === base ? 'PATCH' : 'POST';
  const response = await fetch(hostile.url, { method, headers, body: hostile.body });
  await response.arrayBuffer();
  return { ms: performance.now() - started, status: response.status };
}

/** /healthz every 10 ms until `until`; latencies in milliseconds. */
async function probeHealth(until: number): Promise<{ latencies: number[]; failures: number }> {
  const latencies: number[] = [];
  let failures = 0;
  while (performance.now() < until) {
    const started = performance.now();
    const response = await fetch(`${origin}/healthz`).catch(() => null);
    if (response?.status !== 200) failures++;
    await response?.arrayBuffer();
    latencies.push(performance.now() - started);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return { latencies, failures };
}

// Warm up, then a quiet baseline.
for (const hostile of hostileCases) await sendHostile(hostile);
const quiet = await probeHealth(performance.now() + seconds * 500);

const results = new Map<string, Array<{ ms: number; status: number }>>();
const end = performance.now() + seconds * 1_000;
const loaded = probeHealth(end);
await Promise.all(
  Array.from({ length: hostileClients }, async (_, client) => {
    for (let index = client; performance.now() < end; index++) {
      const hostile = hostileCases[index % hostileCases.length] as (typeof hostileCases)[number];
      const outcome = await sendHostile(hostile);
      results.set(hostile.name, [...(results.get(hostile.name) ?? []), outcome]);
    }
  }),
);
const underLoad = await loaded;

console.log(`Node ${process.version}, PGlite, ${hostileClients} hostile client(s), ${seconds} s\n`);
console.log('| /healthz | requests | failed | p50 ms | p99 ms | max ms |');
console.log('|---|---:|---:|---:|---:|---:|');
for (const [label, run] of [
  ['quiet', quiet],
  ['while hostile inputs are sent', underLoad],
] as const) {
  console.log(
    `| ${label} | ${run.latencies.length} | ${run.failures} | ${round(percentile(run.latencies, 0.5))} | ${round(percentile(run.latencies, 0.99))} | ${round(Math.max(...run.latencies))} |`,
  );
}
console.log('\n| hostile request | sent | answers | p50 ms | max ms |');
console.log('|---|---:|---|---:|---:|');
for (const hostile of hostileCases) {
  const outcomes = results.get(hostile.name) ?? [];
  const statuses = [...new Set(outcomes.map((outcome) => outcome.status))].join(', ');
  const times = outcomes.map((outcome) => outcome.ms);
  console.log(
    `| ${hostile.name} | ${outcomes.length} | ${statuses} | ${round(percentile(times, 0.5))} | ${round(Math.max(...times))} |`,
  );
}

await app.close();
await services.close();
await store.close();
