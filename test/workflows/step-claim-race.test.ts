import { and, eq } from 'drizzle-orm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/core/ids.ts';
import type { Database } from '../../src/store/database.ts';
import {
  createRepositories,
  type Repositories,
  type StepOutcome,
} from '../../src/store/repositories/index.ts';
import { executions, workspaces } from '../../src/store/schema/index.ts';
import { postgresReachable } from '../support/postgres.ts';
import { storeTargets } from '../support/store-targets.ts';

/**
 * Two workers on the same step, against the real run repository: every interleaving of observe,
 * claim (from what the worker saw, as the engine does), commit and cancel, including a worker whose
 * lease was "lost" while the other claims the step back from `running`. The model says what each
 * statement must answer; the database must agree after every step.
 */

const reachable = await postgresReachable();
const targets = storeTargets.filter((target) => target.name === 'pglite' || reachable);
const skipped = reachable ? '' : ' (postgres skipped: PostgreSQL not reachable)';

type StepStatus = 'pending' | 'ready' | 'running' | 'completed' | 'failed' | 'cancelled';
type ExecutionState = 'running' | 'completed' | 'failed' | 'interrupted';
type Worker = 0 | 1;

interface Model {
  run: 'running' | 'cancelled';
  step: { status: StepStatus; attempt: number; output: unknown };
  /** What each worker last read of the step. */
  views: [{ status: StepStatus; attempt: number } | null, { status: StepStatus; attempt: number } | null];
  /** The attempt each worker claimed last (what it would commit). */
  held: [number | null, number | null];
  /** Attempts whose commit landed. */
  landed: number[];
  /** The execution each successful claim started, by attempt. */
  executions: Map<number, ExecutionState>;
}

interface Real {
  repositories: Repositories;
  database: Database;
  workspaceId: string;
  runId: string;
}

const stepId = 'only';
const keyOf = (runId: string, attempt: number) => `workflow:${runId}:${stepId}:${attempt}`;
const outputOf = (worker: Worker, attempt: number) => ({ worker, attempt });

async function check(model: Model, real: Real) {
  const [row] = await real.repositories.workflowRuns.listSteps(real.runId);
  expect({ status: row?.status, attempt: row?.attempt, output: row?.output ?? null }).toEqual({
    status: model.step.status,
    attempt: model.step.attempt,
    output: model.step.output,
  });
  const rows = await real.database
    .select({ key: executions.idempotencyKey, status: executions.status, errorCode: executions.errorCode })
    .from(executions)
    .where(and(eq(executions.workspaceId, real.workspaceId), eq(executions.workflowRunId, real.runId)));
  const actual = Object.fromEntries(
    rows.map((execution) => [
      execution.key,
      execution.errorCode === 'interrupted' ? 'interrupted' : execution.status,
    ]),
  );
  const expected = Object.fromEntries(
    [...model.executions].map(([attempt, state]) => [keyOf(real.runId, attempt), state]),
  );
  expect(actual).toEqual(expected);
  // A step commits once, ever; and only the current attempt may still have a running execution.
  expect(model.landed.length).toBeLessThanOrEqual(1);
  const running = [...model.executions].filter(([, state]) => state === 'running');
  expect(running.every(([attempt]) => attempt === model.step.attempt)).toBe(true);
}

/** Every command checks the database against the model once it has acted. */
abstract class Step implements fc.AsyncCommand<Model, Real> {
  readonly worker: Worker;
  constructor(worker: Worker) {
    this.worker = worker;
  }
  abstract check(model: Readonly<Model>): boolean;
  abstract act(model: Model, real: Real): Promise<void>;
  abstract toString(): string;
  async run(model: Model, real: Real) {
    await this.act(model, real);
    await check(model, real);
  }
}

class Observe extends Step {
  check = () => true;
  async act(model: Model, real: Real) {
    const [row] = await real.repositories.workflowRuns.listSteps(real.runId);
    model.views[this.worker] = { status: row?.status as StepStatus, attempt: row?.attempt ?? -1 };
  }
  toString = () => `observe(w${this.worker})`;
}

/** Claims from the worker's view: `pending`/`ready` as seen, or the very `running` attempt it saw. */
class Claim extends Step {
  check = (model: Readonly<Model>) => model.views[this.worker] !== null;
  async act(model: Model, real: Real) {
    const view = model.views[this.worker];
    if (!view) throw new Error('claim without a view');
    const fromStatuses: StepStatus[] = view.status === 'running' ? ['running'] : ['pending', 'ready'];
    const wins =
      model.run === 'running' &&
      fromStatuses.includes(model.step.status) &&
      model.step.attempt === view.attempt;
    const claimed = await real.repositories.workflowRuns.claimStep(real.runId, stepId, {
      fromStatuses,
      attempt: view.attempt,
      workerId: `w${this.worker}`,
      input: { worker: this.worker },
      now: new Date(),
    });
    expect(claimed).toBe(wins ? model.step.attempt + 1 : undefined);
    if (claimed === undefined) return;
    // The claim took the step from whoever ran the attempt before: its execution ends interrupted.
    for (const [attempt, state] of model.executions)
      if (state === 'running') model.executions.set(attempt, 'interrupted');
    model.step = { ...model.step, status: 'running', attempt: claimed };
    model.views[this.worker] = { status: 'running', attempt: claimed };
    model.held[this.worker] = claimed;
    // What the engine does next: start the attempt's execution under its idempotency key.
    const now = new Date();
    await real.repositories.executions.insertRunning({
      id: newId(),
      workspaceId: real.workspaceId,
      agentId: 'agent',
      agentVersionId: 'agent-version',
      agentVersion: 1,
      status: 'running',
      mode: 'live',
      trigger: 'workflow',
      input: {},
      idempotencyKey: keyOf(real.runId, claimed),
      nodeId: `w${this.worker}`,
      deadlineAt: new Date(now.getTime() + 60_000),
      workflowRunId: real.runId,
      workflowStepId: stepId,
      createdAt: now,
    });
    model.executions.set(claimed, 'running');
  }
  toString = () => `claim(w${this.worker})`;
}

/** Finishes the worker's execution, then commits its attempt (a repeat commits it again). */
class Commit extends Step {
  readonly status: 'completed' | 'failed';
  constructor(worker: Worker, status: 'completed' | 'failed') {
    super(worker);
    this.status = status;
  }
  check = (model: Readonly<Model>) => model.held[this.worker] !== null;
  async act(model: Model, real: Real) {
    const attempt = model.held[this.worker];
    if (attempt === null) throw new Error('commit without a claim');
    const execution = await real.repositories.executions.findByIdempotencyKey(
      real.workspaceId,
      keyOf(real.runId, attempt),
    );
    if (!execution) throw new Error('the claimed attempt has no execution');
    const finished = await real.repositories.executions.finish(real.workspaceId, execution.id, {
      status: this.status,
      output: this.status === 'completed' ? outputOf(this.worker, attempt) : null,
      errorCode: this.status === 'failed' ? 'provider_error' : null,
      finishedAt: new Date(),
    });
    expect(finished !== undefined).toBe(model.executions.get(attempt) === 'running');
    if (finished) model.executions.set(attempt, this.status);
    const outcome: StepOutcome = {
      status: this.status,
      output: this.status === 'completed' ? outputOf(this.worker, attempt) : null,
      executionId: execution.id,
      costUsd: 0,
      errorCode: this.status === 'failed' ? 'provider_error' : null,
      errorMessage: null,
    };
    const current = model.step.status === 'running' && model.step.attempt === attempt;
    const landed = await real.repositories.workflowRuns.commitStep(
      real.runId,
      stepId,
      attempt,
      outcome,
      new Date(),
    );
    expect(landed).toBe(current);
    // An execution the next claim interrupted belongs to a stale attempt: it can never commit.
    if (model.executions.get(attempt) === 'interrupted') expect(landed).toBe(false);
    if (!landed) return;
    model.step = { ...model.step, status: this.status, output: outcome.output };
    model.landed.push(attempt);
  }
  toString = () => `commit(w${this.worker}, ${this.status})`;
}

class Cancel extends Step {
  check = (model: Readonly<Model>) => model.run === 'running';
  async act(model: Model, real: Real) {
    expect(await real.repositories.workflowRuns.cancel(real.workspaceId, real.runId, new Date())).toBe(true);
    model.run = 'cancelled';
    if (['pending', 'ready', 'running'].includes(model.step.status))
      model.step = { ...model.step, status: 'cancelled' };
  }
  toString = () => 'cancel';
}

const worker = fc.constantFrom<Worker>(0, 1);
const observe = worker.map((w) => new Observe(w));
const claim = worker.map((w) => new Claim(w));
const commit = fc
  .tuple(worker, fc.constantFrom<'completed' | 'failed'>('completed', 'completed', 'failed'))
  .map(([w, status]) => new Commit(w, status));
// Mostly the two workers; a cancel now and then (it ends the run, so it is rare).
const commands = [
  fc.oneof(
    { arbitrary: observe, weight: 3 },
    { arbitrary: claim, weight: 4 },
    { arbitrary: commit, weight: 3 },
    { arbitrary: fc.constant(new Cancel(0)), weight: 1 },
  ),
];

describe.each(targets)(`step claims and commits on $name${skipped}`, (target) => {
  let opened: Awaited<ReturnType<typeof target.open>>;
  let repositories: Repositories;
  let workspaceId: string;

  beforeAll(async () => {
    opened = await target.open();
    await opened.store.migrate();
    repositories = createRepositories(opened.store.database);
    workspaceId = newId();
    await opened.store.database.insert(workspaces).values({
      id: workspaceId,
      name: 'Race',
      settings: {
        rateLimitPerMinute: 1_000,
        monthlyBudgetUsd: null,
        alertThresholds: [],
        alertWebhookUrl: null,
      },
    });
  });
  afterAll(() => opened.dispose());

  /** A running run with one step, `pending` or `ready`, that nobody has claimed yet. */
  async function freshRun(initial: 'pending' | 'ready'): Promise<string> {
    const runId = newId();
    await repositories.workflowRuns.insert(
      {
        id: runId,
        workspaceId,
        workflowId: 'workflow',
        workflowVersionId: 'workflow-version',
        workflowVersion: 1,
        status: 'running',
        mode: 'live',
        trigger: 'manual',
        input: {},
        actingRole: 'owner',
      },
      [{ runId, stepId, workspaceId, position: 0, kind: 'agent', status: initial }],
    );
    return runId;
  }

  it('lets exactly one claim and one commit win in every interleaving of two workers', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom<'pending' | 'ready'>('pending', 'ready'),
        fc.commands(commands, { maxCommands: 20, size: 'large' }),
        async (initial, sequence) => {
          const runId = await freshRun(initial);
          const real: Real = { repositories, database: opened.store.database, workspaceId, runId };
          const model: Model = {
            run: 'running',
            step: { status: initial, attempt: 0, output: null },
            views: [null, null],
            held: [null, null],
            landed: [],
            executions: new Map(),
          };
          await fc.asyncModelRun(() => ({ model, real }), sequence);
          // A step that ended can never be claimed again, not even by the widest claim there is.
          if (['completed', 'failed', 'cancelled'].includes(model.step.status)) {
            for (const attempt of [undefined, model.step.attempt]) {
              const claimed = await repositories.workflowRuns.claimStep(runId, stepId, {
                fromStatuses: ['pending', 'ready', 'running'],
                attempt,
                workerId: 'late',
                input: null,
                now: new Date(),
              });
              expect(claimed).toBeUndefined();
            }
          }
          if (model.step.status === 'completed') {
            expect(model.landed).toEqual([model.step.attempt]);
            const [row] = await repositories.workflowRuns.listSteps(runId);
            const execution = await repositories.executions.findByIdempotencyKey(
              workspaceId,
              keyOf(runId, model.step.attempt),
            );
            expect(row?.executionId).toBe(execution?.id);
          }
        },
      ),
      { numRuns: 200 },
    );
  }, 120_000);

  it('admits one of eight claims made at the same instant, and only the current attempt commits', async () => {
    const claimAll = (runId: string, view: { status: StepStatus; attempt: number }, count: number) =>
      Promise.all(
        Array.from({ length: count }, (_, index) =>
          repositories.workflowRuns.claimStep(runId, stepId, {
            fromStatuses: view.status === 'running' ? ['running'] : ['pending', 'ready'],
            attempt: view.attempt,
            workerId: `racer-${index}`,
            input: { index },
            now: new Date(),
          }),
        ),
      );
    const commit = (runId: string, attempt: number) =>
      repositories.workflowRuns.commitStep(
        runId,
        stepId,
        attempt,
        {
          status: 'completed',
          output: { attempt },
          executionId: null,
          costUsd: 0,
          errorCode: null,
          errorMessage: null,
        },
        new Date(),
      );
    for (let round = 0; round < 25; round++) {
      const runId = await freshRun('pending');
      const first = await claimAll(runId, { status: 'pending', attempt: 0 }, 8);
      expect(first.filter((attempt) => attempt !== undefined)).toEqual([1]);
      // The holder of attempt 1 "loses its lease": eight workers take the step back from `running`.
      const second = await claimAll(runId, { status: 'running', attempt: 1 }, 8);
      expect(second.filter((attempt) => attempt !== undefined)).toEqual([2]);
      // The stale holder and the current one commit at the same instant: only attempt 2 lands.
      const [stale, current] = await Promise.all([commit(runId, 1), commit(runId, 2)]);
      expect({ stale, current }).toEqual({ stale: false, current: true });
      const [row] = await repositories.workflowRuns.listSteps(runId);
      expect(row).toMatchObject({ status: 'completed', attempt: 2, output: { attempt: 2 } });
      const events = await repositories.workflowRuns.listEvents(runId, 0, 100);
      expect(events.filter((event) => event.type === 'step-end').map((event) => event.data)).toEqual([
        expect.objectContaining({ attempt: 2, status: 'completed' }),
      ]);
    }
  }, 60_000);

  it('lets a cancel race claims and commits of other steps without a deadlock', async () => {
    for (let round = 0; round < 25; round++) {
      const runId = newId();
      await repositories.workflowRuns.insert(
        {
          id: runId,
          workspaceId,
          workflowId: 'workflow',
          workflowVersionId: 'workflow-version',
          workflowVersion: 1,
          status: 'running',
          mode: 'live',
          trigger: 'manual',
          input: {},
          actingRole: 'owner',
        },
        ['s1', 's2', 's3', 's4'].map((id, position) => ({
          runId,
          stepId: id,
          workspaceId,
          position,
          kind: 'agent',
          // Two steps in flight (their commits race the cancel), two about to be claimed.
          status: position < 2 ? 'running' : 'pending',
          attempt: position < 2 ? 1 : 0,
        })),
      );
      const outcome: StepOutcome = {
        status: 'completed',
        output: { done: true },
        executionId: null,
        costUsd: 0,
        errorCode: null,
        errorMessage: null,
      };
      const results = await Promise.allSettled([
        repositories.workflowRuns.commitStep(runId, 's1', 1, outcome, new Date()),
        repositories.workflowRuns.commitStep(runId, 's2', 1, outcome, new Date()),
        ...['s3', 's4'].map((id) =>
          repositories.workflowRuns.claimStep(runId, id, {
            fromStatuses: ['pending'],
            attempt: 0,
            workerId: 'racer',
            input: null,
            now: new Date(),
          }),
        ),
        repositories.workflowRuns.cancel(workspaceId, runId, new Date()),
      ]);
      // PostgreSQL answers a lock cycle with "deadlock detected" for one of them, often the cancel.
      const rejected = results.filter((result) => result.status === 'rejected');
      expect(rejected.map((result) => String(result.reason?.cause ?? result.reason))).toEqual([]);
      const values = results.map((result) => (result.status === 'fulfilled' ? result.value : undefined));
      expect(values[4], 'the cancel landed').toBe(true);
      // A commit that got in before the cancel stands; everything else the cancel ended.
      const steps = await repositories.workflowRuns.listSteps(runId);
      expect(steps.map((step) => step.status)).toEqual([
        values[0] === true ? 'completed' : 'cancelled',
        values[1] === true ? 'completed' : 'cancelled',
        'cancelled',
        'cancelled',
      ]);
    }
  }, 60_000);
});
