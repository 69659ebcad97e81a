import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/core/ids.ts';
import { openStore, type Store } from '../../src/store/database.ts';
import { queryRows } from '../../src/store/query-rows.ts';
import {
  createRepositories,
  type ExecutionFinish,
  type ExecutionInsert,
  type Repositories,
} from '../../src/store/repositories/index.ts';
import { createTemporaryDatabase } from '../support/postgres.ts';

/** A fresh, migrated store whose every statement is counted (drizzle's logger sees each one it sends). */
async function countedStore(kind: 'pglite' | 'pglite-worker' | 'postgres') {
  const counter = { statements: [] as string[] };
  const temporary = kind === 'postgres' ? await createTemporaryDatabase() : null;
  const store = await openStore({
    databaseUrl: temporary?.url,
    dataDirectory: 'memory://',
    poolSize: 8,
    pgliteWorker: kind === 'pglite-worker',
    queryLogger: { logQuery: (query) => counter.statements.push(query) },
  });
  await store.migrate();
  return {
    store,
    counter,
    async dispose() {
      await store.close();
      await temporary?.drop();
    },
  };
}

function runningRow(workspaceId: string, overrides: Partial<ExecutionInsert> = {}): ExecutionInsert {
  const now = new Date();
  return {
    id: newId(),
    workspaceId,
    agentId: 'agent-1',
    agentVersionId: 'version-1',
    agentVersion: 1,
    status: 'running',
    mode: 'live',
    trigger: 'api',
    input: { zebra: 1, apple: { yak: 2, bee: 3 } },
    nodeId: 'node-a',
    deadlineAt: new Date(now.getTime() + 60_000),
    createdAt: now,
    ...overrides,
  };
}

function finished(output: unknown): ExecutionFinish {
  return {
    status: 'completed',
    output,
    rawOutput: null,
    errorCode: null,
    errorMessage: null,
    inputTokens: 10,
    outputTokens: 5,
    totalTokens: 15,
    costUsd: 0.000123456789,
    costPriced: true,
    latencyMs: 12.5,
    timeToFirstTokenMs: null,
    retries: 0,
    attempts: [],
    fallbackUsed: false,
    repaired: false,
    provider: 'openai',
    model: 'gpt-4o-mini',
    finishedAt: new Date(),
  };
}

/** A workspace of its own (the rows under test reference it). */
async function insertWorkspace(store: Store, name: string): Promise<string> {
  const id = newId();
  await queryRows(
    store.database,
    sql`insert into workspaces (id, name, settings) values (${id}, ${name}, '{}'::jsonb)`,
  );
  return id;
}

/** A lease ($1 by default) on the workspace's scope for this month, under a $10 limit: settlements shrink it. */
async function takeLease(repositories: Repositories, workspaceId: string, amountUsd = 1) {
  const now = new Date();
  const periodStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  const leaseId = newId();
  const lease = await repositories.budgets.reserve({
    id: leaseId,
    workspaceId,
    periodStart,
    workspaceScope: 'workspace',
    agentScope: null,
    defaultWorkspaceLimitUsd: 10,
    amountUsd,
    agentId: null,
    providerKeyId: null,
    executionId: null,
    now,
    expiresAt: new Date(now.getTime() + 3_600_000),
    kind: 'lease',
  });
  expect(lease.reserved).toBe(true);
  return { leaseId, periodStart, now };
}

const settlementOf = (leaseId: string, executionId: string | null, now: Date) => ({
  leaseId,
  holdId: newId(),
  agentId: null,
  providerKeyId: null,
  executionId,
  reservedUsd: 0.02,
  spentUsd: 0.01,
  now,
});

describe.each(['pglite', 'pglite-worker', 'postgres'] as const)(
  'execution records by group commit on %s',
  (target) => {
    let store: Store;
    let counter: { statements: string[] };
    let repositories: Repositories;
    let workspaceId: string;
    let dispose: () => Promise<void>;

    beforeAll(async () => {
      const counted = await countedStore(target);
      ({ store, counter, dispose } = counted);
      repositories = createRepositories(store.database);
      workspaceId = await insertWorkspace(store, 'Group commit');
    });
    afterAll(async () => {
      await dispose();
    });

    it('answers each start with the row as stored, defaults included, without reading it back', async () => {
      const rows = [
        runningRow(workspaceId),
        runningRow(workspaceId, {
          input: { quote: "it's", nested: [1, { b: 2, a: 1 }] },
          idempotencyKey: `key-${newId()}`,
          request: { messages: [{ role: 'user', content: 'hi' }] },
          workflowRunId: 'run-1',
        }),
      ];
      const answered = await Promise.all(rows.map((row) => repositories.executions.insertRunning(row)));
      for (const [index, row] of rows.entries()) {
        const stored = await repositories.executions.findById(workspaceId, row.id ?? '');
        expect(answered[index]).toEqual(stored);
        expect(JSON.stringify(answered[index])).toBe(JSON.stringify(stored));
      }
      expect(answered[0]).toMatchObject({
        attempts: [],
        toolCalls: [],
        retries: 0,
        costPriced: true,
        output: null,
      });
    });

    it('writes 100 concurrent starts and 100 finishes as one statement each, every row durable', async () => {
      counter.statements.length = 0;
      const rows = Array.from({ length: 100 }, () => runningRow(workspaceId));
      const inserted = await Promise.all(rows.map((row) => repositories.executions.insertRunning(row)));
      expect(inserted.every((row, index) => row?.id === rows[index]?.id && row?.status === 'running')).toBe(
        true,
      );
      expect(counter.statements.filter((text) => /^insert into "executions"/.test(text))).toHaveLength(1);

      counter.statements.length = 0;
      const outputs = rows.map((_, index) => ({
        zulu: index,
        alpha: [{ yankee: 'y', bravo: 'b' }],
        price: 0.1,
      }));
      const done = await Promise.all(
        rows.map((row, index) =>
          repositories.executions.finish(workspaceId, row.id ?? '', finished(outputs[index])),
        ),
      );
      expect(counter.statements.filter((text) => /^update "executions"/.test(text))).toHaveLength(1);
      expect(done.map((row) => row?.status)).toEqual(rows.map(() => 'completed'));
      // Read back: key order and the typed numbers survive the JSON batch.
      const stored = await repositories.executions.findById(workspaceId, rows[7]?.id ?? '');
      expect(JSON.stringify(stored?.output)).toBe(JSON.stringify(outputs[7]));
      expect(JSON.stringify(stored?.input)).toBe('{"zebra":1,"apple":{"yak":2,"bee":3}}');
      expect(stored?.costUsd).toBe(0.000123456789);
      expect(stored?.finishedAt).toBeInstanceOf(Date);
      expect(stored?.inputTokens).toBe(10);
    });

    it('finishes only running rows, and a second finish in the same batch changes nothing', async () => {
      const row = runningRow(workspaceId);
      await repositories.executions.insertRunning(row);
      const [first, second] = await Promise.all([
        repositories.executions.finish(workspaceId, row.id ?? '', finished('first')),
        repositories.executions.finish(workspaceId, row.id ?? '', finished('second')),
      ]);
      expect([first?.status, second?.status].filter(Boolean)).toEqual(['completed', 'completed']);
      expect(
        await repositories.executions.finish(workspaceId, row.id ?? '', finished('late')),
      ).toBeUndefined();
      // A finish naming another workspace's execution changes nothing.
      const foreign = runningRow(workspaceId);
      await repositories.executions.insertRunning(foreign);
      expect(
        await repositories.executions.finish('other-workspace', foreign.id ?? '', finished('x')),
      ).toBeUndefined();
      expect((await repositories.executions.findById(workspaceId, foreign.id ?? ''))?.status).toBe('running');
    });

    it('gives an idempotency key to the first row of a batch and undefined to its twin', async () => {
      const key = `key-${newId()}`;
      const twins = [
        runningRow(workspaceId, { idempotencyKey: key }),
        runningRow(workspaceId, { idempotencyKey: key }),
      ];
      const answers = await Promise.all(twins.map((row) => repositories.executions.insertRunning(row)));
      expect(answers.filter((answer) => answer !== undefined)).toHaveLength(1);
      const stored = await repositories.executions.findByIdempotencyKey(workspaceId, key);
      expect(stored?.id).toBe(answers.find((answer) => answer !== undefined)?.id);
    });

    it('fails only the bad row of a batch: the others are written', async () => {
      const good = Array.from({ length: 5 }, () => runningRow(workspaceId));
      // A workspace that does not exist breaks the foreign key: the batch statement fails as a whole.
      const bad = runningRow('no-such-workspace');
      const answers = await Promise.allSettled(
        [...good, bad].map((row) => repositories.executions.insertRunning(row)),
      );
      expect(answers.slice(0, 5).every((answer) => answer.status === 'fulfilled')).toBe(true);
      expect(answers[5]?.status).toBe('rejected');
      for (const row of good)
        expect((await repositories.executions.findById(workspaceId, row.id ?? ''))?.status).toBe('running');
    });

    it('ends executions and settles their holds of the same turn in one statement once the finish is named', async () => {
      // Named from the first row: what a node does once its tables have grown.
      const grown = createRepositories(store.database, { namedStatementsAfterRows: 0 });
      const fresh = await insertWorkspace(store, 'End writes');
      const { leaseId, periodStart, now } = await takeLease(repositories, fresh);
      const rows = Array.from({ length: 20 }, () => runningRow(fresh));
      await Promise.all(rows.map((row) => grown.executions.insertRunning(row)));
      counter.statements.length = 0;
      const settlements = rows.map((row) => settlementOf(leaseId, row.id ?? null, now));
      const [done, settled] = await Promise.all([
        Promise.all(
          rows.map((row, index) =>
            grown.executions.finish(fresh, row.id ?? '', finished({ index, beta: 2, alpha: 1 })),
          ),
        ),
        Promise.all(settlements.map((settlement) => grown.budgets.settleFromLease(settlement))),
      ]);
      expect(counter.statements).toHaveLength(1);
      expect(counter.statements[0]).toMatch(/^with finished as \(update "executions"/);
      expect(done.map((row) => row?.status)).toEqual(rows.map(() => 'completed'));
      expect(settled).toEqual(rows.map(() => true));
      const stored = await grown.executions.findById(fresh, rows[5]?.id ?? '');
      expect(JSON.stringify(stored?.output)).toBe('{"index":5,"beta":2,"alpha":1}');
      const period = await grown.budgets.period(fresh, 'workspace', periodStart);
      expect(period.spentUsd).toBeCloseTo(0.2, 12);
      expect(period.reservedUsd).toBeCloseTo(0.8, 12);
      const holds = await queryRows<{ count: number }>(
        store.database,
        sql`select count(*)::int as count from budget_reservations
            where workspace_id = ${fresh} and kind = 'hold' and state = 'settled'`,
      );
      expect(holds[0]?.count).toBe(20);
    });

    it('fails only the bad finish of a joined statement: the other finishes and every settlement are written', async () => {
      const grown = createRepositories(store.database, { namedStatementsAfterRows: 0 });
      const fresh = await insertWorkspace(store, 'End writes failing');
      const { leaseId, periodStart, now } = await takeLease(repositories, fresh);
      const rows = Array.from({ length: 4 }, () => runningRow(fresh));
      await Promise.all(rows.map((row) => grown.executions.insertRunning(row)));
      // Not an integer: PostgreSQL refuses the whole statement that carries it.
      const bad = { ...finished('bad'), inputTokens: 'many' as unknown as number };
      const answers = await Promise.allSettled([
        ...rows.map((row, index) =>
          grown.executions.finish(fresh, row.id ?? '', index === 2 ? bad : finished(index)),
        ),
        ...rows.map((row) => grown.budgets.settleFromLease(settlementOf(leaseId, row.id ?? null, now))),
      ]);
      expect(answers.map((answer) => answer.status)).toEqual([
        'fulfilled',
        'fulfilled',
        'rejected',
        'fulfilled',
        'fulfilled',
        'fulfilled',
        'fulfilled',
        'fulfilled',
      ]);
      expect(answers.slice(4).map((answer) => (answer.status === 'fulfilled' ? answer.value : null))).toEqual(
        [true, true, true, true],
      );
      const statuses = await Promise.all(
        rows.map(async (row) => (await grown.executions.findById(fresh, row.id ?? ''))?.status),
      );
      expect(statuses).toEqual(['completed', 'completed', 'running', 'completed']);
      const period = await grown.budgets.period(fresh, 'workspace', periodStart);
      expect(period.spentUsd).toBeCloseTo(0.04, 12);
    });

    it('finishes and settles side by side while the finish is still unnamed (a young table)', async () => {
      const young = createRepositories(store.database);
      const { leaseId, now } = await takeLease(young, workspaceId);
      const row = runningRow(workspaceId);
      await young.executions.insertRunning(row);
      counter.statements.length = 0;
      const [done, settled] = await Promise.all([
        young.executions.finish(workspaceId, row.id ?? '', finished('young')),
        young.budgets.settleFromLease(settlementOf(leaseId, row.id ?? null, now)),
      ]);
      expect(done?.status).toBe('completed');
      expect(settled).toBe(true);
      expect(counter.statements.map((text) => text.split(' ', 2).join(' ')).sort()).toEqual([
        'update "executions"',
        'with settle_batch',
      ]);
    });

    it('writes each row alone with group commit off (inside a transaction, the bench before)', async () => {
      const single = createRepositories(store.database, { groupCommit: false });
      counter.statements.length = 0;
      const rows = Array.from({ length: 4 }, () => runningRow(workspaceId));
      await Promise.all(rows.map((row) => single.executions.insertRunning(row)));
      for (const row of rows)
        expect((await single.executions.findById(workspaceId, row.id ?? ''))?.status).toBe('running');
    });
  },
);

describe('batch statements named from the first row, on PostgreSQL (one pooled connection)', () => {
  let store: Store;
  let dispose: () => Promise<void>;
  let repositories: Repositories;
  let workspaceId: string;
  beforeAll(async () => {
    const temporary = await createTemporaryDatabase();
    store = await openStore({ databaseUrl: temporary.url, poolSize: 1 });
    await store.migrate();
    dispose = async () => {
      await store.close();
      await temporary.drop();
    };
    // Named from the first row: what a long-running node does once its tables have grown.
    repositories = createRepositories(store.database, { namedStatementsAfterRows: 0 });
    workspaceId = await insertWorkspace(store, 'Named statements');
  });
  afterAll(async () => {
    await dispose();
  });

  it('finishes and settles batch after batch through the same prepared statements, each row once', async () => {
    const now = new Date();
    const periodStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
    const leaseId = newId();
    const lease = await repositories.budgets.reserve({
      id: leaseId,
      workspaceId,
      periodStart,
      workspaceScope: 'workspace',
      agentScope: null,
      defaultWorkspaceLimitUsd: 10,
      amountUsd: 1,
      agentId: null,
      providerKeyId: null,
      executionId: null,
      now,
      expiresAt: new Date(now.getTime() + 3_600_000),
      kind: 'lease',
    });
    expect(lease.reserved).toBe(true);
    const settledHolds: string[] = [];
    for (let round = 0; round < 3; round++) {
      const rows = Array.from({ length: 10 }, () => runningRow(workspaceId));
      await Promise.all(rows.map((row) => repositories.executions.insertRunning(row)));
      const done = await Promise.all(
        rows.map((row, index) =>
          repositories.executions.finish(workspaceId, row.id ?? '', finished({ round, index })),
        ),
      );
      expect(done.map((row) => row?.status)).toEqual(rows.map(() => 'completed'));
      const holds = rows.map(() => newId());
      const settled = await Promise.all(
        rows.map((row, index) =>
          repositories.budgets.settleFromLease({
            leaseId,
            holdId: holds[index] ?? '',
            agentId: null,
            providerKeyId: null,
            executionId: row.id ?? null,
            reservedUsd: 0.02,
            spentUsd: 0.01,
            now,
          }),
        ),
      );
      expect(settled).toEqual(rows.map(() => true));
      settledHolds.push(...holds);
      const stored = await repositories.executions.findById(workspaceId, rows[3]?.id ?? '');
      expect(stored?.output).toEqual({ round, index: 3 });
    }
    // A hold settled again counts once, through the named statement too.
    expect(
      await repositories.budgets.settleFromLease({
        leaseId,
        holdId: settledHolds[0] ?? '',
        agentId: null,
        providerKeyId: null,
        executionId: null,
        reservedUsd: 0.02,
        spentUsd: 0.01,
        now,
      }),
    ).toBe(false);
    // Finishes and settlements of the same turn: one named statement ends them both.
    for (let round = 0; round < 2; round++) {
      const rows = Array.from({ length: 5 }, () => runningRow(workspaceId));
      await Promise.all(rows.map((row) => repositories.executions.insertRunning(row)));
      const [done, settled] = await Promise.all([
        Promise.all(
          rows.map((row) => repositories.executions.finish(workspaceId, row.id ?? '', finished(round))),
        ),
        Promise.all(
          rows.map((row) => repositories.budgets.settleFromLease(settlementOf(leaseId, row.id ?? null, now))),
        ),
      ]);
      expect(done.map((row) => row?.status)).toEqual(rows.map(() => 'completed'));
      expect(settled).toEqual(rows.map(() => true));
    }
    const period = await repositories.budgets.period(workspaceId, 'workspace', periodStart);
    expect(period.spentUsd).toBeCloseTo(0.4, 12);
    expect(period.reservedUsd).toBeCloseTo(0.6, 12);
    // Batches of one row, as at concurrency 1: the kept plan serves them too (PostgreSQL's default
    // mode would plan a custom one for each, a one-row batch being cheaper to plan for).
    for (let round = 0; round < 8; round++) {
      const row = runningRow(workspaceId);
      await repositories.executions.insertRunning(row);
      await Promise.all([
        repositories.executions.finish(workspaceId, row.id ?? '', finished(round)),
        repositories.budgets.settleFromLease(settlementOf(leaseId, row.id ?? null, now)),
      ]);
    }
    const plans = await queryRows<{ name: string; generic: number; custom: number }>(
      store.database,
      sql`select name, generic_plans::int as generic, custom_plans::int as custom from pg_prepared_statements
          where name in ('execution_end_1', 'execution_insert_running')`,
    );
    for (const plan of plans) expect(plan).toMatchObject({ custom: 0 });
    expect(plans.find((plan) => plan.name === 'execution_end_1')?.generic).toBeGreaterThanOrEqual(10);
    // The one pooled connection holds the statements by name: parsed once, planned once.
    const prepared = await queryRows<{ name: string }>(
      store.database,
      sql`select name from pg_prepared_statements order by name`,
    );
    expect(prepared.map((row) => row.name)).toEqual(
      expect.arrayContaining([
        'budget_settle_from_leases',
        'execution_end_1',
        'execution_finish_1',
        'execution_insert_running',
      ]),
    );
  });
});
