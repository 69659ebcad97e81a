/**
 * Authentication on the hot path, cache off ("before": every request reads its token or session
 * and membership) against cache on ("after"), embedded and on PostgreSQL: statements per
 * authenticated request, the time authentication itself takes (in process), and an authenticated
 * GET over HTTP (inject at concurrency 1, autocannon at 32 connections). Prints markdown tables;
 * never fails on timing.
 *
 *   node bench/authentication.ts
 *   FLIGHTDECK_BENCH_CALLS=3000 FLIGHTDECK_BENCH_SECONDS=5 tune it.
 */
import { randomBytes } from 'node:crypto';
import autocannon from 'autocannon';
import pg from 'pg';
import { newId } from '../src/core/ids.ts';
import { createKeyring } from '../src/security/keyring.ts';
import { makeMasterKey } from '../src/security/keyring-master-keys.ts';
import { createPasswordHasher } from '../src/security/password-hashing.ts';
import { createApp } from '../src/server/create-app.ts';
import { createServices, type Services } from '../src/services/create-services.ts';
import {
  type ChangeNotifications,
  openChangeNotifications,
  silentChangeNotifications,
} from '../src/store/change-notifications.ts';
import { openStore, type Store } from '../src/store/database.ts';

const calls = Number(process.env.FLIGHTDECK_BENCH_CALLS ?? 3_000);
const seconds = Number(process.env.FLIGHTDECK_BENCH_SECONDS ?? 5);
const adminUrl = process.env.FLIGHTDECK_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

async function admin(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

function percentile(values: number[], fraction: number): number {
  const sorted = [...values].sort((left, right) => left - right);
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))] ?? Number.NaN;
}

async function timings(call: () => Promise<unknown>, count: number): Promise<{ p50: number; p99: number }> {
  for (let index = 0; index < 200; index++) await call();
  const durations: number[] = [];
  for (let index = 0; index < count; index++) {
    const begin = performance.now();
    await call();
    durations.push(performance.now() - begin);
  }
  return { p50: percentile(durations, 0.5), p99: percentile(durations, 0.99) };
}

const statements = { count: 0 };
const queryLogger = { logQuery: () => void statements.count++ };

/** A workspace with an owner, a session of theirs and an API token. */
async function prepare(services: Services) {
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
  const access = { workspaceId: workspace.id, role: 'owner' as const, userId: user.id, tokenId: null };
  await services.workspaces.update(access, { settings: { rateLimitPerMinute: 100_000_000 } });
  const token = await services.apiTokens.create(access, { name: 'bench', role: 'owner' });
  const session = await services.authentication.issueSession(user.id, { address: null, userAgent: null });
  return { workspaceId: workspace.id, token: token.token, sessionId: session.sessionId };
}

interface Row {
  store: string;
  mode: 'before (no cache)' | 'after (cache)';
  tokenStatements: number;
  sessionStatements: number;
  tokenAuth: { p50: number; p99: number };
  sessionAuth: { p50: number; p99: number };
  tokenGet: { p50: number; p99: number };
  requestsPerSecond: number;
}

async function measureMode(
  store: Store,
  storeName: string,
  mode: Row['mode'],
  notifications: ChangeNotifications,
  credentials: { workspaceId: string; token: string; sessionId: string },
): Promise<Row> {
  const services = createServices({
    store,
    publicUrl: 'http://127.0.0.1',
    passwordHasher: createPasswordHasher({ cost: 2 ** 10 }),
    keyring: createKeyring([makeMasterKey('bench', randomBytes(32))]),
    changeNotifications: notifications,
  });
  const app = await createApp({ store, services, version: 'bench', publicUrl: 'http://127.0.0.1' });
  const url = `/api/workspaces/${credentials.workspaceId}`;
  const bearer = { authorization: `Bearer ${credentials.token}` };
  const cookie = { cookie: `flightdeck_session=${credentials.sessionId}` };
  const get = async (headers: Record<string, string>) => {
    const response = await app.inject({ method: 'GET', url, headers });
    if (response.statusCode !== 200) throw new Error(`${response.statusCode} ${response.body}`);
  };
  // Steady state: after the first request (the once-a-minute touch is done, copies are held).
  await get(bearer);
  await get(cookie);
  const statementsOf = async (headers: Record<string, string>) => {
    const before = statements.count;
    for (let index = 0; index < 100; index++) await get(headers);
    return (statements.count - before) / 100;
  };
  const tokenStatements = await statementsOf(bearer);
  const sessionStatements = await statementsOf(cookie);
  const authenticateToken = async () => {
    const principal = await services.authentication.authenticateToken(credentials.token);
    if (!principal) throw new Error('token refused');
    await services.authentication.workspaceAccess(principal, credentials.workspaceId);
  };
  const authenticateSession = async () => {
    const principal = await services.authentication.authenticateSession(credentials.sessionId);
    if (!principal) throw new Error('session refused');
    await services.authentication.workspaceAccess(principal, credentials.workspaceId);
  };
  const tokenAuth = await timings(authenticateToken, calls);
  const sessionAuth = await timings(authenticateSession, calls);
  const tokenGet = await timings(() => get(bearer), calls);
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  const options = { url: `${address}${url}`, headers: bearer, connections: 32 };
  await autocannon({ ...options, duration: 1 });
  const result = await autocannon({ ...options, duration: seconds });
  if (result.non2xx + result.errors > 0) throw new Error(`${result.non2xx + result.errors} failed requests`);
  await app.close();
  await services.close();
  return {
    store: storeName,
    mode,
    tokenStatements,
    sessionStatements,
    tokenAuth,
    sessionAuth,
    tokenGet,
    requestsPerSecond: result.requests.average,
  };
}

async function measureStore(storeName: string, open: () => Promise<Store>): Promise<Row[]> {
  const store = await open();
  try {
    await store.migrate();
    const setup = createServices({
      store,
      publicUrl: 'http://127.0.0.1',
      passwordHasher: createPasswordHasher({ cost: 2 ** 10 }),
      keyring: createKeyring([makeMasterKey('bench', randomBytes(32))]),
    });
    const credentials = await prepare(setup);
    const before = await measureMode(
      store,
      storeName,
      'before (no cache)',
      silentChangeNotifications,
      credentials,
    );
    const after = await measureMode(
      store,
      storeName,
      'after (cache)',
      await openChangeNotifications(store),
      credentials,
    );
    return [before, after];
  } finally {
    await store.close();
  }
}

const rows: Row[] = [];
rows.push(
  ...(await measureStore('embedded (PGlite)', () => openStore({ dataDirectory: 'memory://', queryLogger }))),
);
const name = `flightdeck_bench_${randomBytes(6).toString('hex')}`;
await admin(`create database "${name}"`);
try {
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  rows.push(
    ...(await measureStore('PostgreSQL', () =>
      openStore({ databaseUrl: url.toString(), poolSize: 16, queryLogger }),
    )),
  );
} finally {
  await admin(`drop database if exists "${name}" with (force)`);
}

const ms = (value: number) => value.toFixed(3);
console.log(`### Authentication per request, ${calls} calls per cell, Node ${process.version}\n`);
console.log(
  'Statements: per `GET /api/workspaces/{id}` in steady state (the route itself reads the workspace: 1). Authentication: `authenticateToken`/`authenticateSession` plus the workspace access, in process. GET: the whole request through `inject()`, token, concurrency 1. req/s: autocannon, 32 connections, token.\n',
);
console.log(
  '| store | mode | statements, token | statements, session | token auth p50 / p99 (ms) | session auth p50 / p99 (ms) | GET p50 / p99 (ms) | GET req/s |',
);
console.log('|---|---|---|---|---|---|---|---|');
for (const row of rows)
  console.log(
    `| ${row.store} | ${row.mode} | ${row.tokenStatements} | ${row.sessionStatements} | ${ms(row.tokenAuth.p50)} / ${ms(row.tokenAuth.p99)} | ${ms(row.sessionAuth.p50)} / ${ms(row.sessionAuth.p99)} | ${ms(row.tokenGet.p50)} / ${ms(row.tokenGet.p99)} | ${Math.round(row.requestsPerSecond).toLocaleString('en')} |`,
  );
