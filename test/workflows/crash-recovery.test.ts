import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeProvider, startFakeProvider } from '../../src/llm/fake-provider/index.ts';
import {
  adminDatabaseUrl,
  createTemporaryDatabase,
  postgresReachable,
  type TemporaryDatabase,
} from '../support/postgres.ts';
import {
  auditSteps,
  type DurabilityRig,
  openDurabilityRig,
  sleep,
  stepKey,
  stepsInParallel,
  type WorkerProcess,
  waitForRuns,
} from './durability-kit.ts';

/**
 * The durability claims, end to end: two real `flightdeck worker` processes drive 200 runs of a
 * five-step DAG of live agent steps on one PostgreSQL database while a random one of them is killed
 * with SIGKILL ten times (and restarted each time). Every run completes, no committed step ran
 * twice, and a step in flight when its worker died costs at most one more provider call per kill
 * that cut it.
 */

const runCount = 200;
const killCount = 10;
/** Runs each worker process drives at once. */
const workerConcurrency = 4;
/** Each provider call answers after this long, so kills land mid-step. */
const callMs = 60;
/** The lease: FLIGHTDECK_QUEUE_HEARTBEAT_SECONDS of the workers (see durability-kit.ts). */
const heartbeatMs = 10_000;

const reachable = await postgresReachable();

interface Kill {
  at: number;
  /** Steps `running` under the killed worker once it was gone: the ones the kill cut. */
  cut: Array<{ runId: string; stepId: string; attempt: number }>;
}

describe.skipIf(!reachable)(
  `workflow runs survive killed workers on PostgreSQL${reachable ? '' : ` (skipped: PostgreSQL not reachable at ${adminDatabaseUrl})`}`,
  () => {
    let database: TemporaryDatabase;
    let fake: FakeProvider;
    let rig: DurabilityRig;

    beforeAll(async () => {
      database = await createTemporaryDatabase();
      fake = await startFakeProvider();
      rig = await openDurabilityRig({ databaseUrl: database.url, fake, callMs, workerConcurrency });
    }, 60_000);
    afterAll(async () => {
      await rig?.close();
      await fake?.close();
      await database?.drop();
    }, 60_000);

    const runningUnder = async (nodeId: string) =>
      (
        await rig.sql.query<{ runId: string; stepId: string; attempt: number }>(
          `select run_id as "runId", step_id as "stepId", attempt from workflow_step_runs
            where status = 'running' and worker_id = $1`,
          [nodeId],
        )
      ).rows;

    /** Kills a worker with SIGKILL once it has a step in flight, and starts its replacement. */
    async function kill(workers: WorkerProcess[], slot: number): Promise<Kill> {
      const victim = workers[slot];
      if (!victim) throw new Error(`no worker in slot ${slot}`);
      const nodeId = await victim.nodeId;
      for (let waited = 0; waited < 3_000 && (await runningUnder(nodeId)).length === 0; waited += 20)
        await sleep(20);
      victim.process.child.kill('SIGKILL');
      const at = Date.now();
      await victim.process.exited;
      workers[slot] = rig.startWorker();
      // A statement the worker sent just before it died may still commit: look once it has.
      await sleep(250);
      return { at, cut: await runningUnder(nodeId) };
    }

    it(`completes ${runCount} runs while a worker is killed ${killCount} times, and no committed step runs twice`, {
      timeout: 240_000,
    }, async () => {
      const workers = [rig.startWorker(), rig.startWorker()];
      await Promise.all(workers.map((worker) => worker.nodeId));

      // Runs arrive over the first ~25 s, so there is work in flight at every kill.
      const began = Date.now();
      const runIds: string[] = [];
      const starting = (async () => {
        for (let index = 0; index < runCount; index++) {
          runIds.push(await rig.startRun(`t${String(index).padStart(3, '0')}`));
          await sleep(120);
        }
      })();
      const kills: Kill[] = [];
      for (let index = 0; index < killCount; index++) {
        await sleep(1_000 + Math.random() * 2_000);
        kills.push(await kill(workers, Math.random() < 0.5 ? 0 : 1));
      }
      await starting;
      await waitForRuns(rig.sql, runCount, 120_000);
      const finishedAt = Date.now();

      const cuts = new Map<string, number>();
      for (const { cut } of kills) {
        for (const step of cut) {
          const key = stepKey(step.runId, step.stepId);
          cuts.set(key, (cuts.get(key) ?? 0) + 1);
        }
      }
      const audit = await auditSteps(rig, fake, runIds, (key) => cuts.get(key) ?? 0);

      // Recovery: from a kill to the next claim of each step it cut. A second kill before that
      // claim may have cut the recovery itself, so only undisturbed recoveries are bounded.
      const recoveries: Array<{ ms: number; undisturbed: boolean }> = [];
      // A commit the worker sent just before it died can land after the look at what it held: that
      // step was never claimed again, and its last attempt is the one the kill "cut".
      const landedAsTheyDied: string[] = [];
      for (const { at, cut } of kills) {
        for (const step of cut) {
          const own = audit.starts.filter((row) => row.runId === step.runId && row.stepId === step.stepId);
          const next = own.find((row) => row.attempt === step.attempt + 1);
          if (!next) {
            if (Math.max(...own.map((row) => row.attempt)) === step.attempt)
              landedAsTheyDied.push(stepKey(step.runId, step.stepId));
            continue;
          }
          const reclaimedAt = next.createdAt.getTime();
          const undisturbed = !kills.some((other) => other.at > at && other.at < reclaimedAt);
          recoveries.push({ ms: reclaimedAt - at, undisturbed });
        }
      }
      const sorted = recoveries.map((recovery) => recovery.ms).sort((left, right) => left - right);
      const stepsCut = kills.reduce((sum, { cut }) => sum + cut.length, 0);
      const repeated = [...audit.repeatedCalls.values()].reduce((sum, count) => sum + count, 0);
      process.stdout.write(
        `crash recovery: ${JSON.stringify({
          seconds: Math.round((finishedAt - began) / 1000),
          drainSecondsAfterLastKill: Math.round((finishedAt - (kills.at(-1)?.at ?? began)) / 1000),
          kills: kills.length,
          stepsCutPerKill: kills.map(({ cut }) => cut.length),
          providerCalls: fake.calls.length,
          repeatedCalls: repeated,
          abandonedExecutions: audit.abandonedExecutions,
          reusedExecutions: audit.reusedExecutions,
          committedAsWorkerDied: landedAsTheyDied.length,
          recoveryMs: { min: sorted[0], median: sorted[Math.floor(sorted.length / 2)], max: sorted.at(-1) },
        })}\n`,
      );

      expect(audit.problems).toEqual([]);
      expect(stepsCut, 'the kills landed mid-step').toBeGreaterThan(0);
      expect(recoveries.length + landedAsTheyDied.length).toBe(stepsCut);
      // A kill cuts only what its worker had in flight: its run slots times the steps of a run that
      // run side by side, each costing at most one repeated call (the audit checks it per step).
      for (const { cut } of kills)
        expect(cut.length).toBeLessThanOrEqual(workerConcurrency * stepsInParallel);
      expect(repeated).toBeLessThanOrEqual(stepsCut);
      // The lease expires after a heartbeat; pg-boss's monitor and a poll add a few seconds. Runs
      // used to wait up to a minute more for a stale queue cache (see create-pg-boss-run-queue.ts).
      for (const { ms, undisturbed } of recoveries)
        if (undisturbed) expect(ms).toBeLessThan(heartbeatMs + 20_000);
    });
  },
);
