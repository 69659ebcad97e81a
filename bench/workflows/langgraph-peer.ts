/**
 * The peer: LangGraph.js with its PostgreSQL checkpointer, installed by the bench into a scratch
 * folder (never a project dependency) and loaded from there. A chain of no-op nodes, each adding
 * one to the state, invoked with a fresh thread id per run.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { tapPgStatements } from './statement-tap.ts';

export const peerPackages = [
  '@langchain/langgraph@1.7.3',
  '@langchain/langgraph-checkpoint-postgres@1.0.5',
  '@langchain/core@1.4.0',
];

export type Durability = 'async' | 'sync';

/** The installed peer with its graph compiled, ready to be invoked. */
export interface LangGraphPeer {
  versions: Record<string, string>;
  installSeconds: number;
  /** One `graph.invoke` on a fresh thread; answers its duration in ms. */
  invoke(durability: Durability): Promise<number>;
  /** Statements per run by kind over `runs` runs of the default durability. */
  countStatements(runs: number): Promise<Map<string, number>>;
  close(): Promise<void>;
}

interface GraphBuilder {
  addNode(name: string, action: (state: { value: number }) => { value: number }): GraphBuilder;
  addEdge(from: string, to: string): GraphBuilder;
  compile(options: { checkpointer: unknown }): {
    invoke(
      input: { value: number },
      config: { configurable: { thread_id: string }; durability: Durability },
    ): Promise<{ value: number }>;
  };
}
interface LangGraphModule {
  StateGraph: new (state: unknown) => GraphBuilder;
  Annotation: (() => unknown) & { Root(spec: Record<string, unknown>): unknown };
  START: string;
  END: string;
}
interface CheckpointModule {
  PostgresSaver: new (pool: unknown) => { setup(): Promise<void> };
}
interface PgModule {
  Client: { prototype: object };
  Pool: new (options: {
    connectionString: string;
    max: number;
  }) => { on(event: 'error', listener: () => void): void; end(): Promise<void> };
}

/** The ESM entry of a package installed in `folder`, imported from there. */
async function importInstalled<Module>(folder: string, name: string): Promise<Module> {
  const packageFolder = join(folder, 'node_modules', name);
  const manifest = JSON.parse(await readFile(join(packageFolder, 'package.json'), 'utf8')) as {
    exports?: Record<string, unknown>;
    main?: string;
  };
  const root = manifest.exports?.['.'] as string | { import?: string | { default?: string } } | undefined;
  const imported = typeof root === 'string' ? root : root?.import;
  const entry = (typeof imported === 'string' ? imported : imported?.default) ?? manifest.main ?? 'index.js';
  const loaded = (await import(pathToFileURL(join(packageFolder, entry)).href)) as { default?: Module };
  return (loaded.default && name === 'pg' ? loaded.default : loaded) as Module;
}

async function installedVersion(folder: string, name: string): Promise<string> {
  const manifest = await readFile(join(folder, 'node_modules', name, 'package.json'), 'utf8');
  return (JSON.parse(manifest) as { version: string }).version;
}

function install(folder: string): number {
  const begin = performance.now();
  // `npm run` exports its own prefixes; the scratch folder must win over the project's.
  const environment = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !/^npm_config_.*prefix$/i.test(name)),
  );
  const result = spawnSync(
    'npm',
    [
      'install',
      '--no-save',
      '--no-package-lock',
      '--no-audit',
      '--no-fund',
      '--loglevel=error',
      '--prefix',
      folder,
    ].concat(peerPackages),
    { stdio: ['ignore', 'ignore', 'inherit'], env: environment },
  );
  if (result.status !== 0) throw new Error(`npm install of ${peerPackages.join(' ')} failed`);
  return (performance.now() - begin) / 1000;
}

function classifyPeerStatement(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (/^(begin|commit)$/i.test(flat)) return 'transaction begin / commit';
  const insert = /^insert into (?:"?\w+"?\.)?"?(\w+)"?/i.exec(flat);
  if (insert) return `insert into ${insert[1]}`;
  if (/^select/i.test(flat)) return 'read (latest checkpoint of the thread)';
  return 'other';
}

/** Installs the peer into a scratch folder and builds the chain on `databaseUrl`. */
export async function openLangGraphPeer(options: {
  databaseUrl: string;
  chainLength: number;
}): Promise<LangGraphPeer> {
  const folder = await mkdtemp(join(tmpdir(), 'flightdeck-bench-langgraph-'));
  const removeFolder = () => rm(folder, { recursive: true, force: true });
  try {
    const installSeconds = install(folder);
    const versions: Record<string, string> = {};
    for (const name of [
      '@langchain/langgraph',
      '@langchain/langgraph-checkpoint-postgres',
      '@langchain/core',
    ])
      versions[name] = await installedVersion(folder, name);
    const { StateGraph, Annotation, START, END } = await importInstalled<LangGraphModule>(
      folder,
      '@langchain/langgraph',
    );
    const { PostgresSaver } = await importInstalled<CheckpointModule>(
      folder,
      '@langchain/langgraph-checkpoint-postgres',
    );
    const peerPg = await importInstalled<PgModule>(folder, 'pg');
    const pool = new peerPg.Pool({ connectionString: options.databaseUrl, max: 10 });
    pool.on('error', () => {});
    const checkpointer = new PostgresSaver(pool);
    await checkpointer.setup();
    let builder = new StateGraph(Annotation.Root({ value: Annotation() }));
    for (let index = 1; index <= options.chainLength; index++)
      builder = builder.addNode(`n${index}`, (state) => ({ value: state.value + 1 }));
    builder = builder.addEdge(START, 'n1');
    for (let index = 1; index < options.chainLength; index++)
      builder = builder.addEdge(`n${index}`, `n${index + 1}`);
    const graph = builder.addEdge(`n${options.chainLength}`, END).compile({ checkpointer });
    let thread = 0;
    const invoke = async (durability: Durability) => {
      const begin = performance.now();
      const state = await graph.invoke(
        { value: 0 },
        { configurable: { thread_id: `bench-${durability}-${++thread}` }, durability },
      );
      const duration = performance.now() - begin;
      if (state.value !== options.chainLength) throw new Error(`graph ended at ${state.value}`);
      return duration;
    };
    return {
      versions,
      installSeconds,
      invoke,
      async countStatements(runs) {
        const counted = new Map<string, number>();
        const untap = tapPgStatements(peerPg, (statement) => {
          const kind = classifyPeerStatement(statement.text);
          counted.set(kind, (counted.get(kind) ?? 0) + 1);
        });
        try {
          for (let index = 0; index < runs; index++) await invoke('async');
        } finally {
          untap();
        }
        return new Map([...counted].map(([kind, count]) => [kind, count / runs]));
      },
      async close() {
        await pool.end();
        await removeFolder();
      },
    };
  } catch (error) {
    await removeFolder();
    throw error;
  }
}
