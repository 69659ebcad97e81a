import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeProvider, startFakeProvider } from '../../src/llm/fake-provider/index.ts';
import { freePort } from '../support/cli-process.ts';
import {
  auditSteps,
  type DurabilityRig,
  openDurabilityRig,
  sleep,
  stepKey,
  waitForRuns,
} from './durability-kit.ts';

/**
 * The database itself goes away mid-run: a PostgreSQL cluster of this suite's own (initdb under
 * /tmp, its own port, so the server the other suites share is never touched) is stopped the hard
 * way (`pg_ctl stop -m immediate`: no checkpoint, crash recovery on start) while two `flightdeck
 * worker` processes are driving runs, once briefly and once for longer than the lease. The workers
 * must ride it out and every run complete, each step committed once.
 */

const execFileAsync = promisify(execFile);
const runCount = 80;
const callMs = 60;
const workerConcurrency = 4;

/** Debian's PostgreSQL binaries, newest version first. */
function postgresBinaries(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).sort((left, right) => Number(right) - Number(left));
  return versions.map((version) => join(root, version, 'bin')).find((bin) => existsSync(join(bin, 'pg_ctl')));
}

const bin = postgresBinaries();
// initdb refuses to run as root: run the cluster as the `postgres` user then.
const asRoot = process.getuid?.() === 0;
const canRunAsPostgres = !asRoot || existsSync('/usr/sbin/runuser');
const skipReason = !bin
  ? ' (skipped: no /usr/lib/postgresql/*/bin/pg_ctl)'
  : !canRunAsPostgres
    ? ' (skipped: running as root without runuser)'
    : '';

async function postgresTool(tool: string, args: string[]) {
  const command = join(bin ?? '', tool);
  return asRoot
    ? execFileAsync('/usr/sbin/runuser', ['-u', 'postgres', '--', command, ...args])
    : execFileAsync(command, args);
}

describe.skipIf(skipReason !== '')(`workflow runs survive a PostgreSQL restart${skipReason}`, () => {
  let folder: string;
  let port: number;
  let fake: FakeProvider;
  let rig: DurabilityRig;
  const data = () => join(folder, 'data');
  const start = () =>
    postgresTool('pg_ctl', [
      '-D',
      data(),
      '-l',
      join(folder, 'server.log'),
      '-w',
      '-o',
      `-p ${port} -k ${folder} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100`,
      'start',
    ]);
  const crash = () => postgresTool('pg_ctl', ['-D', data(), '-m', 'immediate', 'stop']);

  beforeAll(async () => {
    folder = await mkdtemp('/tmp/flightdeck-pg-restart-');
    if (asRoot) {
      const { stdout } = await execFileAsync('id', ['-u', 'postgres']);
      const { stdout: group } = await execFileAsync('id', ['-g', 'postgres']);
      await chown(folder, Number(stdout.trim()), Number(group.trim()));
    }
    await postgresTool('initdb', ['-D', data(), '-A', 'trust', '-U', 'postgres', '--no-sync']);
    port = await freePort();
    await start();
    fake = await startFakeProvider();
    rig = await openDurabilityRig({
      databaseUrl: `postgres://postgres@127.0.0.1:${port}/postgres`,
      fake,
      callMs,
      workerConcurrency,
    });
  }, 60_000);
  afterAll(async () => {
    await rig?.close();
    await fake?.close();
    await crash().catch(() => {});
    if (folder) await rm(folder, { recursive: true, force: true });
  }, 60_000);

  const running = async () =>
    (
      await rig.sql.query<{ runId: string; stepId: string }>(
        `select run_id as "runId", step_id as "stepId" from workflow_step_runs where status = 'running'`,
      )
    ).rows;
  const completedCount = async () =>
    (
      await rig.sql.query<{ count: number }>(
        `select count(*)::int as count from workflow_runs where status = 'completed'`,
      )
    ).rows[0]?.count ?? 0;

  it('completes every run across a short and a long outage, each step committed once', {
    timeout: 180_000,
  }, async () => {
    const workers = [rig.startWorker(), rig.startWorker()];
    await Promise.all(workers.map((worker) => worker.nodeId));
    // All started before the first outage: a start needs the database like anything else.
    const runIds: string[] = [];
    for (let index = 0; index < runCount; index++)
      runIds.push(await rig.startRun(`r${String(index).padStart(2, '0')}`));

    // The steps running when the server went down may each be run once more per outage.
    const cuts = new Map<string, number>();
    const outages: Array<{ downMs: number; cut: number; completedBefore: number }> = [];
    for (const [downMs, afterCompleted] of [
      [3_000, 40],
      [14_000, 60],
    ] as const) {
      while ((await completedCount()) < afterCompleted) await sleep(50);
      const cut = await running();
      const completedBefore = await completedCount();
      await crash();
      await sleep(downMs);
      await start();
      for (const step of cut) {
        const key = stepKey(step.runId, step.stepId);
        cuts.set(key, (cuts.get(key) ?? 0) + 1);
      }
      outages.push({ downMs, cut: cut.length, completedBefore });
    }
    const restartedAt = Date.now();
    await waitForRuns(rig.sql, runCount, 120_000);
    const drainSeconds = Math.round((Date.now() - restartedAt) / 1000);

    // A claim that landed just before the crash, after the snapshot, may also be cut once.
    const audit = await auditSteps(rig, fake, runIds, (key) => (cuts.get(key) ?? 0) + 1, [
      'interrupted',
      'client_closed',
    ]);
    const repeated = [...audit.repeatedCalls.values()].reduce((sum, count) => sum + count, 0);
    process.stdout.write(
      `postgres restart: ${JSON.stringify({
        runs: runIds.length,
        outages,
        secondsToFinishAfterLastRestart: drainSeconds,
        providerCalls: fake.calls.length,
        repeatedCalls: repeated,
        abandonedExecutions: audit.abandonedExecutions,
        reusedExecutions: audit.reusedExecutions,
        workersAlive: workers.map((worker) => worker.process.child.exitCode === null),
      })}\n`,
    );
    expect(audit.problems).toEqual([]);
    // The workers rode the outages out rather than crashing.
    for (const worker of workers) expect(worker.process.child.exitCode, worker.process.output()).toBeNull();
  });
});
