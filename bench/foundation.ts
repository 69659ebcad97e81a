// Foundation figures: cold start to ready (new and existing data folder), idle memory, /healthz throughput.
// Run: npm run bench -- foundation   (prints a markdown table; never part of the test suite)
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

const cliPath = fileURLToPath(new URL('../bin/flightdeck.js', import.meta.url));

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

async function startNode(environment: Record<string, string>) {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(process.execPath, [cliPath, 'serve'], {
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', PORT: String(port), ...environment },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('is running')) resolve();
    });
    child.on('exit', () => reject(new Error(`exited before ready: ${output}`)));
  });
  const readyMs = performance.now() - started;
  return {
    port,
    readyMs,
    rssMb() {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      const kilobytes = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
      return kilobytes / 1024;
    },
    async stop() {
      const exited = new Promise((resolve) => child.on('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

const dataDirectory = await mkdtemp(join(tmpdir(), 'flightdeck-bench-'));
try {
  const fresh = await startNode({ FLIGHTDECK_DATA_DIR: dataDirectory });
  await fresh.stop();
  const reused = await startNode({ FLIGHTDECK_DATA_DIR: dataDirectory });
  await new Promise((resolve) => setTimeout(resolve, 3000));
  const idleRss = reused.rssMb();
  // Warm up, then measure.
  await autocannon({ url: `http://127.0.0.1:${reused.port}/healthz`, connections: 50, duration: 2 });
  const result = await autocannon({
    url: `http://127.0.0.1:${reused.port}/healthz`,
    connections: 50,
    duration: 10,
  });
  const loadedRss = reused.rssMb();
  await reused.stop();

  console.log('| figure | value |');
  console.log('|---|---|');
  console.log(`| cold start to ready, new data folder | ${fresh.readyMs.toFixed(0)} ms |`);
  console.log(`| cold start to ready, existing data folder | ${reused.readyMs.toFixed(0)} ms |`);
  console.log(`| idle RSS (PGlite, 3 s after ready) | ${idleRss.toFixed(0)} MiB |`);
  console.log(`| RSS after the load test | ${loadedRss.toFixed(0)} MiB |`);
  console.log(
    `| /healthz at 50 connections, 10 s | ${result.requests.average.toFixed(0)} req/s (p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, ${result.non2xx} non-2xx, ${result.errors} errors) |`,
  );
} finally {
  await rm(dataDirectory, { recursive: true, force: true });
}
