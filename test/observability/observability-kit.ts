import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createKeyring } from '../../src/security/keyring.ts';
import { makeMasterKey } from '../../src/security/keyring-master-keys.ts';
import { createPasswordHasher } from '../../src/security/password-hashing.ts';
import { parseAllowedHosts } from '../../src/security/ssrf-guard.ts';
import { createApp } from '../../src/server/create-app.ts';
import { createServices } from '../../src/services/create-services.ts';
import { startWorkflowRuntime } from '../../src/services/workflows/start-workflow-runtime.ts';
import { openStore } from '../../src/store/database.ts';
import { createTelemetryReadings } from '../../src/store/telemetry-readings.ts';
import type { Logger } from '../../src/telemetry/logger.ts';
import { createTelemetry } from '../../src/telemetry/telemetry.ts';
import type { TestApp } from '../support/test-app.ts';

const run = promisify(execFile);

export const deployDirectory = new URL('../../deploy/', import.meta.url).pathname;

/** Debian's binaries (packages prometheus and prometheus-alertmanager); .ci/run installs them. */
export const binaries = {
  promtool: '/usr/bin/promtool',
  prometheus: '/usr/bin/prometheus',
  amtool: '/usr/bin/amtool',
  alertmanager: '/usr/bin/prometheus-alertmanager',
};

/** Why the suites that need Prometheus's tools skip here, or null when they are installed. */
export function missingBinaries(): string | null {
  const missing = Object.values(binaries).filter((path) => !existsSync(path));
  return missing.length === 0
    ? null
    : `not installed: ${missing.join(', ')} (apt-get install prometheus prometheus-alertmanager; CI installs them)`;
}

/** Runs a tool; answers its exit code and output instead of throwing on a non-zero exit. */
export async function runTool(
  command: string,
  args: string[],
  options: { input?: string; cwd?: string } = {},
): Promise<{ code: number; output: string }> {
  if (options.input !== undefined) {
    return new Promise((resolve) => {
      const child = spawn(command, args, { cwd: options.cwd });
      let output = '';
      child.stdout.on('data', (chunk) => {
        output += chunk;
      });
      child.stderr.on('data', (chunk) => {
        output += chunk;
      });
      child.on('close', (code) => resolve({ code: code ?? 1, output }));
      child.stdin.end(options.input);
    });
  }
  try {
    const { stdout, stderr } = await run(command, args, { cwd: options.cwd, maxBuffer: 16 * 1024 * 1024 });
    return { code: 0, output: `${stdout}${stderr}` };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return {
      code: typeof failed.code === 'number' ? failed.code : 1,
      output: `${failed.stdout}${failed.stderr}`,
    };
  }
}

/** A TCP port nobody listens on right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface ObservedServer extends TestApp {
  url: string;
}

/**
 * A real Flightdeck listening on a loopback port (in-memory PGlite, workflow workers), with the
 * metrics token and the Alertmanager secret the suites choose.
 */
export async function startObservedServer(
  options: {
    metricsToken?: string;
    alertmanagerSecret?: string;
    workers?: number;
    logger?: Logger;
    stateCacheMs?: number;
  } = {},
): Promise<ObservedServer> {
  const store = await openStore({ dataDirectory: 'memory://' });
  await store.migrate();
  const services = createServices({
    store,
    publicUrl: 'http://127.0.0.1:3000',
    passwordHasher: createPasswordHasher({ cost: 2 ** 10 }),
    keyring: createKeyring([makeMasterKey('test', randomBytes(32))]),
    allowedProviderHosts: parseAllowedHosts('127.0.0.1,localhost'),
    logger: options.logger,
    telemetry: createTelemetry({
      readings: createTelemetryReadings(store.database),
      logger: options.logger,
      stateCacheMs: options.stateCacheMs,
    }),
  });
  const app = await createApp({
    store,
    services,
    version: '0.0.0-test',
    publicUrl: 'http://127.0.0.1:3000',
    metricsToken: options.metricsToken,
    alertmanagerSecret: options.alertmanagerSecret,
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const workflowRuntime = await startWorkflowRuntime({
    store,
    services,
    workers: options.workers ?? 4,
    scheduleIntervalMs: 0,
  });
  return {
    app,
    store,
    services,
    workflowRuntime,
    url: `http://127.0.0.1:${port}`,
    async close() {
      await workflowRuntime.stop(1_000);
      await app.close();
      await services.close();
      await store.close();
    },
  };
}

/** Parses the exposition text into samples: name, labels, value. */
export function parseSamples(
  text: string,
): Array<{ name: string; labels: Record<string, string>; value: number }> {
  const samples: Array<{ name: string; labels: Record<string, string>; value: number }> = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
      labels[pair[1] as string] = (pair[2] as string).replace(/\\(.)/g, (_all, character: string) =>
        character === 'n' ? '\n' : character,
      );
    }
    samples.push({ name: match[1] as string, labels, value: Number(match[3]) });
  }
  return samples;
}

/** Sum of a metric's samples whose labels include `match`. */
export function sumOf(text: string, name: string, match: Record<string, string> = {}): number {
  return parseSamples(text)
    .filter(
      (sample) =>
        sample.name === name && Object.entries(match).every(([key, value]) => sample.labels[key] === value),
    )
    .reduce((total, sample) => total + sample.value, 0);
}

/** A child process that is killed (and waited for) on `stop()`. */
export function startProcess(
  command: string,
  args: string[],
): { child: ChildProcess; output(): string; stop(): Promise<void> } {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output = (output + chunk).slice(-20_000);
  });
  child.stderr?.on('data', (chunk) => {
    output = (output + chunk).slice(-20_000);
  });
  return {
    child,
    output: () => output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** A temporary folder removed by the returned function. */
export async function temporaryFolder(prefix: string): Promise<{ path: string; remove(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

/** Polls `check` until it answers a value (not undefined) or the time runs out. */
export async function eventually<Value>(
  check: () => Promise<Value | undefined>,
  what: string,
  timeoutMs = 30_000,
): Promise<Value> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
