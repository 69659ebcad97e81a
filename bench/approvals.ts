/**
 * Approval figures on PostgreSQL, workers in process: the time from a decision to the next step's
 * start (the `approval-end` and `step-start` events' times), and the latency of a fresh 3-step mock
 * run with none, then 1,000, runs waiting for approval (waiting runs hold no worker). Prints markdown;
 * never fails on timing.
 *
 *   node bench/approvals.ts      FLIGHTDECK_BENCH_WAITING=1000 FLIGHTDECK_BENCH_DECISIONS=100 tune it.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openStore } from '../src/store/database.ts';
import { createWorkspaceFixture } from '../test/support/identity-fixture.ts';
import { createTestApp, type TestApp } from '../test/support/test-app.ts';

const adminUrl = process.env.FLIGHTDECK_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const waitingRuns = Number(process.env.FLIGHTDECK_BENCH_WAITING ?? 1_000);
const decisions = Number(process.env.FLIGHTDECK_BENCH_DECISIONS ?? 100);
const freshRuns = 50;

async function admin(statement: string) {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
};

async function main() {
  const name = `flightdeck_bench_${randomBytes(6).toString('hex')}`;
  await admin(`create database "${name}"`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  let testApp: TestApp | undefined;
  try {
    const store = await openStore({ databaseUrl: url.toString(), poolSize: 10 });
    // Two workers' worth of run slots, as `flightdeck serve` would have.
    testApp = await createTestApp({ store, workflows: { workers: 16 } });
    const fixture = await createWorkspaceFixture(testApp.services, 'bench-approvals');
    const access = {
      workspaceId: fixture.workspaceId,
      role: 'owner' as const,
      userId: fixture.users.owner,
      tokenId: null,
    };
    const services = testApp.services;
    const gate = await services.agents.create(access, {
      name: 'Gate',
      provider: 'mock',
      model: 'mock-model',
      approval: 'required',
    });
    const plain = await services.agents.create(access, {
      name: 'Plain',
      provider: 'mock',
      model: 'mock-model',
    });
    const gated = await services.workflows.create(access, {
      name: 'Gated',
      steps: [
        { id: 'gate', agent: gate.slug, input: {} },
        { id: 'next', agent: plain.slug, input: {}, needs: ['gate'] },
      ],
    });
    const chain = await services.workflows.create(access, {
      name: 'Chain',
      steps: [
        { id: 'a', agent: plain.slug, input: {} },
        { id: 'b', agent: plain.slug, input: {}, needs: ['a'] },
        { id: 'c', agent: plain.slug, input: {}, needs: ['b'] },
      ],
    });

    const waitFor = async (runId: string, statuses: string[]) => {
      for (;;) {
        const run = await services.repositories.workflowRuns.findById(runId);
        if (run && statuses.includes(run.status)) return run;
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
    };
    const freshLatencies = async () => {
      const latencies: number[] = [];
      for (let index = 0; index < freshRuns; index++) {
        const started = performance.now();
        const run = await services.runs.start(access, chain.id, { input: {}, mode: 'mock' });
        await waitFor(run.id, ['completed', 'failed']);
        latencies.push(performance.now() - started);
      }
      return latencies;
    };

    const before = await freshLatencies();

    // Decision → next step start, from the stored events (one clock: the database's rows carry the node's times).
    const decisionLatencies: number[] = [];
    for (let index = 0; index < decisions; index++) {
      const run = await services.runs.start(access, gated.id, { input: { index }, mode: 'mock' });
      await waitFor(run.id, ['waiting_approval']);
      const [approval] = await services.repositories.workflowApprovals.list(
        fixture.workspaceId,
        { runId: run.id },
        { limit: 1 },
      );
      if (!approval) throw new Error('no approval');
      const decidedAt = performance.now();
      await services.approvals.approve(access, approval.id, {});
      for (;;) {
        const step = (await services.repositories.workflowRuns.listSteps(run.id)).find(
          (row) => row.stepId === 'next',
        );
        if (step && step.status !== 'pending') break;
        await new Promise((resolve) => setTimeout(resolve, 0));
      }
      decisionLatencies.push(performance.now() - decidedAt);
      await waitFor(run.id, ['completed']);
    }

    // Park many runs at their gate, then measure fresh runs again.
    const parked: string[] = [];
    for (let index = 0; index < waitingRuns; index++) {
      parked.push((await services.runs.start(access, gated.id, { input: { index }, mode: 'mock' })).id);
    }
    for (const runId of parked) await waitFor(runId, ['waiting_approval']);
    const after = await freshLatencies();

    const row = (label: string, values: number[]) =>
      `| ${label} | ${values.length} | ${percentile(values, 50).toFixed(1)} | ${percentile(values, 99).toFixed(1)} |`;
    console.log('| figure (PostgreSQL, workers in process) | n | p50 ms | p99 ms |');
    console.log('|---|---|---|---|');
    console.log(row('decision → next step claimed (poll 0 ms)', decisionLatencies));
    console.log(row('fresh 3-step mock run, none waiting', before));
    console.log(row(`fresh 3-step mock run, ${waitingRuns} waiting for approval`, after));
  } finally {
    await testApp?.close();
    await admin(`drop database if exists "${name}" with (force)`);
  }
}

await main();
