// Idle memory and start to ready of `flightdeck serve`, on PostgreSQL and embedded, as shipped, with
// a smaller V8 young generation, and with the lean module loading hooks left out (the same entry
// point without them), in one run.
// Each cell: a first start creates the data, then three starts on the existing data are measured
// (RSS 3 s after ready, and what of it is anonymous memory); the median is printed.
// Usage: npm run bench -- footprint
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../test/support/cli-process.ts';
import { memoryOfTree } from '../test/support/process-tree.ts';
import { createTemporaryDatabase } from './workflows/bench-workspace.ts';

const cliPath = fileURLToPath(new URL('../bin/flightdeck.js', import.meta.url));
const preloadUrl = new URL('../src/cli/preload-tracing.ts', import.meta.url).href;
const mainUrl = new URL('../src/cli/main.ts', import.meta.url).href;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const starts = 3;

/** bin/flightdeck.js as shipped, or the same entry (compile cache, preload, CLI) without the hooks. */
const withoutHooks = join(mkdtempSync(join(tmpdir(), 'flightdeck-footprint-entry-')), 'entry.mjs');
writeFileSync(
  withoutHooks,
  `(await import('node:module')).enableCompileCache?.();\nawait import(${JSON.stringify(preloadUrl)});\nawait import(${JSON.stringify(mainUrl)});\n`,
);
const entryPoints = {
  shipped: [cliPath, 'serve'],
  // A deployment choice (a V8 flag cannot be set from inside): the young generation held to 16 MB.
  'shipped, node --max-semi-space-size=16': ['--max-semi-space-size=16', cliPath, 'serve'],
  'without lean module loading': [withoutHooks, 'serve'],
};

async function serve(args: string[], environment: Record<string, string>) {
  const port = await freePort();
  const started = performance.now();
  const child: ChildProcess = spawn(process.execPath, args, {
    env: {
      PATH: process.env.PATH ?? '',
      PORT: String(port),
      LOG_LEVEL: 'warn',
      FLIGHTDECK_METRICS_PORT: '0',
      ...environment,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const ready = new RegExp(`open http://127\\.0\\.0\\.1:${port}`);
  while (!ready.test(output)) {
    if (child.exitCode !== null) throw new Error(`serve exited:\n${output}`);
    if (performance.now() - started > 60_000) throw new Error(`serve not ready:\n${output}`);
    await sleep(5);
  }
  const readyMs = performance.now() - started;
  return {
    readyMs,
    pid: child.pid ?? 0,
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(10_000).then(() => child.kill('SIGKILL'))]);
    },
  };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

console.log(
  `| store | entry point | idle RSS (MiB, 3 s after ready) | of it anonymous | start to ready (ms) |`,
);
console.log('|---|---|---|---|---|');
for (const store of ['postgres', 'embedded'] as const) {
  for (const [entryName, args] of Object.entries(entryPoints)) {
    const database = store === 'postgres' ? await createTemporaryDatabase() : undefined;
    const dataFolder = mkdtempSync(join(tmpdir(), 'flightdeck-footprint-'));
    const environment = {
      FLIGHTDECK_MASTER_KEY: randomBytes(32).toString('base64'),
      ...(database ? { DATABASE_URL: database.url } : { FLIGHTDECK_DATA_DIR: dataFolder }),
    };
    try {
      await (await serve(args, environment)).stop(); // creates the data
      const rss: number[] = [];
      const anonymous: number[] = [];
      const ready: number[] = [];
      for (let round = 0; round < starts; round++) {
        const node = await serve(args, environment);
        await sleep(3_000);
        const memory = memoryOfTree(node.pid);
        rss.push(memory.rss);
        anonymous.push(memory.anonymous);
        ready.push(node.readyMs);
        await node.stop();
      }
      console.log(
        `| ${store} | ${entryName} | ${median(rss).toFixed(0)} | ${median(anonymous).toFixed(0)} | ${median(ready).toFixed(0)} |`,
      );
    } finally {
      rmSync(dataFolder, { recursive: true, force: true });
      await database?.drop();
    }
  }
}
