/**
 * What the workflow bench's sections share: temporary databases, a workspace with one mock agent,
 * the two workflow shapes, and a way to learn that a run ended without querying for it.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { newId } from '../../src/core/ids.ts';
import { createKeyring } from '../../src/security/keyring.ts';
import { parseMasterKeys } from '../../src/security/keyring-master-keys.ts';
import { createPasswordHasher } from '../../src/security/password-hashing.ts';
import { createServices, type Services } from '../../src/services/create-services.ts';
import type { WorkspaceAccess } from '../../src/services/identity/principal.ts';
import { openStore, type Store } from '../../src/store/database.ts';

export const adminUrl =
  process.env.FLIGHTDECK_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TemporaryDatabase {
  url: string;
  drop(): Promise<void>;
}

async function runAdmin(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

/** A fresh database for one bench run, named apart from the test suites'. */
export async function createTemporaryDatabase(): Promise<TemporaryDatabase> {
  const name = `flightdeck_bench_${randomBytes(6).toString('hex')}`;
  await runAdmin(`create database "${name}"`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => runAdmin(`drop database if exists "${name}" with (force)`) };
}

export type StoreName = 'embedded (PGlite)' | 'PostgreSQL';

export interface OpenedStore {
  store: Store;
  dispose(): Promise<void>;
}

/** In-memory PGlite, or a PostgreSQL pool of 10 (the CLI's default) on a temporary database. */
export async function openTarget(name: StoreName): Promise<OpenedStore> {
  if (name === 'embedded (PGlite)') {
    const store = await openStore({ dataDirectory: 'memory://' });
    return { store, dispose: () => store.close() };
  }
  const temporary = await createTemporaryDatabase();
  const store = await openStore({ databaseUrl: temporary.url, poolSize: 10 });
  return {
    store,
    async dispose() {
      await store.close();
      await temporary.drop();
    },
  };
}

/** A migrated store with services (keyring from `masterKeyText`), one workspace and one mock agent. */
export async function prepareWorkspace(store: Store, masterKeyText: string) {
  await store.migrate();
  const services = createServices({
    store,
    publicUrl: 'http://127.0.0.1:3000',
    passwordHasher: createPasswordHasher({ cost: 2 ** 10 }),
    keyring: createKeyring(parseMasterKeys(masterKeyText)),
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
  const agent = await services.agents.create(access, {
    name: 'Bench step',
    provider: 'mock',
    model: 'mock-model',
    promptTemplate: '{{ input.text }}',
  });
  return { services, access, agentSlug: agent.slug };
}

/** s1 → s2 → … → sN, each step's input the previous step's output. */
export function chainSteps(agentSlug: string, length: number) {
  return Array.from({ length }, (_, index) => ({
    id: `s${index + 1}`,
    agent: agentSlug,
    input: { text: index === 0 ? '{{ run.input.text }}' : `{{ steps.s${index}.output }}` },
  }));
}

/** root → `width` parallel steps → join, whose input names every branch. */
export function fanOutSteps(agentSlug: string, width: number) {
  const branches = Array.from({ length: width }, (_, index) => ({
    id: `b${index + 1}`,
    agent: agentSlug,
    input: { text: '{{ steps.root.output }}' },
  }));
  return [
    { id: 'root', agent: agentSlug, input: { text: '{{ run.input.text }}' } },
    ...branches,
    {
      id: 'join',
      agent: agentSlug,
      input: { text: branches.map((branch) => `{{ steps.${branch.id}.output }}`).join(' ') },
    },
  ];
}

/**
 * Resolves when a run driven in this process has ended, without a database round trip: the run
 * repository's `finish` (the statement that ends a run) is wrapped to note the run in memory, and
 * a `runSignals` subscriber resolves on the notify the engine sends right after it.
 */
export function createCompletionWatcher(services: Services): (runId: string) => Promise<void> {
  const ended = new Set<string>();
  const runs = services.repositories.workflowRuns;
  const finish = runs.finish.bind(runs);
  runs.finish = async (runId, end, now) => {
    const changed = await finish(runId, end, now);
    if (changed) ended.add(runId);
    return changed;
  };
  return (runId) =>
    new Promise<void>((resolve, reject) => {
      if (ended.delete(runId)) return resolve();
      // Should the engine stop ending runs through this repository object, fail instead of hanging.
      const timer = setTimeout(() => {
        unsubscribe();
        reject(new Error(`run ${runId} was not seen ending within 60 s`));
      }, 60_000);
      const unsubscribe = services.runSignals.subscribe(runId, () => {
        if (!ended.delete(runId)) return;
        clearTimeout(timer);
        unsubscribe();
        resolve();
      });
    });
}

export function percentile(values: readonly number[], fraction: number): number {
  const sorted = [...values].sort((left, right) => left - right);
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))] ?? Number.NaN;
}
