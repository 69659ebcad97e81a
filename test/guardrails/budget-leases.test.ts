import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeProvider, startFakeProvider } from '../../src/llm/fake-provider/index.ts';
import { createKeyring } from '../../src/security/keyring.ts';
import { makeMasterKey } from '../../src/security/keyring-master-keys.ts';
import { createServices, type Services } from '../../src/services/create-services.ts';
import type { Reservation } from '../../src/services/guardrails/budget-service.ts';
import { openStore, type Store } from '../../src/store/database.ts';
import { queryRows } from '../../src/store/query-rows.ts';
import { apiClient } from '../executions/execution-test-kit.ts';
import { createWorkspaceFixture, type WorkspaceFixture } from '../support/identity-fixture.ts';
import { createTemporaryDatabase, type TemporaryDatabase } from '../support/postgres.ts';
import { createManualClock, createTestApp, createTestServices, type TestApp } from '../support/test-app.ts';

const owner = (fixture: WorkspaceFixture) => ({
  workspaceId: fixture.workspaceId,
  role: 'owner' as const,
  userId: fixture.users.owner,
  tokenId: null,
});

async function leaseRows(store: Store, workspaceId: string) {
  return queryRows<{ state: string; count: number }>(
    store.database,
    sql`select state, count(*)::int as count from budget_reservations
        where workspace_id = ${workspaceId} and kind = 'lease' group by state`,
  );
}

describe('budget leases on PostgreSQL: 200 concurrent executions against a budget that fits about 50', () => {
  let database: TemporaryDatabase;
  let fake: FakeProvider;
  const reserveStatements = { count: 0 };
  const nodes: TestApp[] = [];
  beforeAll(async () => {
    fake = await startFakeProvider();
    database = await createTemporaryDatabase();
    const keyring = createKeyring([makeMasterKey('shared', randomBytes(32))]);
    for (let index = 0; index < 3; index++) {
      const store = await openStore({
        databaseUrl: database.url,
        poolSize: 8,
        queryLogger: {
          logQuery: (query) => {
            if (query.startsWith('with wanted(scope')) reserveStatements.count++;
          },
        },
      });
      nodes.push(await createTestApp({ store, keyring }));
    }
  }, 60_000);
  afterAll(async () => {
    for (const node of nodes) {
      await node.services.close();
      await node.close();
    }
    await database.drop();
    await fake.close();
  });

  for (const nodeCount of [1, 3]) {
    it(`keeps committed spend within the limit on ${nodeCount} node(s) and leaves no lease once given back`, async () => {
      const [first] = nodes;
      if (!first) throw new Error('no node');
      const fixture = await createWorkspaceFixture(first.services, `leases-${nodeCount}`);
      const api = apiClient(first, fixture);
      await api.addFakeKey(fake, 'openai');
      const agent = await api.createAgent({
        name: `Leased ${nodeCount}`,
        provider: 'openai',
        model: 'gpt-4o-mini',
        promptTemplate: 'Summarise: {{ input.text }}',
        maxTokens: 200,
      });
      const { estimate } = await first.services.executions.estimateFor(owner(fixture), agent.id, {
        input: { text: 'race' },
        mode: 'live',
      });
      const limit = estimate * 50.5;
      await first.services.workspaces.update(owner(fixture), { settings: { monthlyBudgetUsd: limit } });
      const callsBefore = fake.calls.length;
      reserveStatements.count = 0;

      const answers = await Promise.all(
        Array.from({ length: 200 }, (_, index) =>
          apiClient(nodes[index % nodeCount] ?? first, fixture).post(`/agents/${agent.id}/executions`, {
            input: { text: 'race' },
            mode: 'live',
          }),
        ),
      );
      const statuses = answers.map((answer) => answer.statusCode);
      expect(statuses.filter((status) => status !== 201 && status !== 402)).toEqual([]);
      const admitted = statuses.filter((status) => status === 201).length;
      // Every slice handed out is backed by the database, so no more than the limit could start…
      expect(admitted).toBeGreaterThanOrEqual(50);
      expect(fake.calls.length - callsBefore).toBe(admitted);
      // …and the leases took the reserve statements off most admitted executions (each refusal
      // still asks the database once: the budget is nearly spent then, so it reserves per call).
      const refusedCount = 200 - admitted;
      expect(reserveStatements.count - refusedCount).toBeLessThan(admitted / 4);
      expect((await leaseRows(first.store, fixture.workspaceId)).length).toBeGreaterThan(0);

      const during = await first.services.budgets.usage(fixture.workspaceId);
      expect(during.spentUsd).toBeLessThanOrEqual(limit);
      expect(during.spentUsd + during.reservedUsd).toBeLessThanOrEqual(limit + 1e-9);
      const costs = answers
        .filter((answer) => answer.statusCode === 201)
        .reduce((sum, answer) => sum + (answer.json().costUsd as number), 0);
      expect(during.spentUsd).toBeCloseTo(costs, 9);

      await Promise.all(nodes.map((node) => node.services.budgets.returnLeases()));
      const after = await first.services.budgets.usage(fixture.workspaceId);
      expect(after.reservedUsd).toBe(0);
      expect(after.spentUsd).toBeCloseTo(costs, 9);
      expect(await first.services.repositories.budgets.openReservationCount(fixture.workspaceId)).toBe(0);
      // The usage view still attributes every execution's spend to its agent and key.
      expect(after.byAgent.find((row) => row.agentId === agent.id)?.calls).toBe(admitted);
    }, 120_000);
  }
});

describe('budget leases of a node that crashed', () => {
  it('are reclaimed after their expiry, and the budget is whole again', async () => {
    const store = await openStore({ dataDirectory: 'memory://' });
    await store.migrate();
    try {
      const base = createTestServices(store);
      const clock = createManualClock(new Date());
      const node = (): Services =>
        createServices({
          store,
          publicUrl: 'http://127.0.0.1:3000',
          keyring: base.providerKeys.keyring,
          clock,
        });
      const fixture = await createWorkspaceFixture(base, 'crash');
      await base.workspaces.update(owner(fixture), { settings: { monthlyBudgetUsd: 40 } });
      const request = {
        workspaceId: fixture.workspaceId,
        agentId: null,
        providerKeyId: null,
        executionId: null,
        estimateUsd: 1,
        holdMs: 60_000,
      };
      const crashed = node();
      // Two leases of 16: the crashed node holds 32 of 40 and never gives them back.
      for (let index = 0; index < 20; index++) await crashed.budgets.reserve(request);
      expect((await crashed.budgets.usage(fixture.workspaceId)).reservedUsd).toBeCloseTo(32, 9);
      const survivor = node();
      const taken: Reservation[] = [];
      for (let index = 0; index < 8; index++) taken.push(await survivor.budgets.reserve(request));
      await expect(survivor.budgets.reserve(request)).rejects.toMatchObject({ code: 'budget_exceeded' });
      for (const reservation of taken) await survivor.budgets.settle(reservation, 0.5);

      // Past the leases' expiry any node's sweep gives the crashed node's slices back.
      clock.advance(16 * 60_000);
      expect(await survivor.budgets.reclaimExpired(null)).toBe(2);
      await survivor.budgets.returnLeases();
      const usage = await survivor.budgets.usage(fixture.workspaceId);
      expect(usage.reservedUsd).toBe(0);
      expect(usage.spentUsd).toBeCloseTo(4, 9);
      expect(await base.repositories.budgets.openReservationCount(fixture.workspaceId)).toBe(0);
      await expect(survivor.budgets.reserve(request)).resolves.toMatchObject({ amountUsd: 1 });
      await survivor.budgets.close();
    } finally {
      await store.close();
    }
  }, 60_000);
});

describe('budget lease ledger properties', () => {
  it('never lets spent + reserved pass the limit and counts every settlement once, across nodes, top-ups, returns, expiry and crashes', async () => {
    const store = await openStore({ dataDirectory: 'memory://' });
    await store.migrate();
    try {
      const base = createTestServices(store);
      const clock = createManualClock(new Date('2026-11-10T12:00:00Z'));
      const limit = 10;
      const holdMs = 5 * 60_000;
      const command = fc.oneof(
        fc.record({
          kind: fc.constant('reserve' as const),
          node: fc.nat(2),
          amount: fc.integer({ min: 0, max: 150 }).map((cents) => cents / 100),
        }),
        fc.record({
          kind: fc.constant('settle' as const),
          pick: fc.nat(),
          // Above 1: the provider counted more than the estimate (recorded in full).
          fraction: fc.double({ min: 0, max: 1.2, noNaN: true }),
        }),
        fc.record({ kind: fc.constant('release' as const), pick: fc.nat() }),
        fc.record({ kind: fc.constant('return' as const), node: fc.nat(2) }),
        fc.record({ kind: fc.constant('expire' as const), minutes: fc.integer({ min: 1, max: 20 }) }),
        fc.record({ kind: fc.constant('crash' as const), node: fc.nat(2) }),
      );
      let run = 0;
      await fc.assert(
        fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 30 }), async (commands) => {
          const makeNode = () =>
            createServices({
              store,
              publicUrl: 'http://127.0.0.1:3000',
              keyring: base.providerKeys.keyring,
              clock,
              budgetLeases: { estimatesPerLease: 4, leaseMs: 10 * 60_000, idleMs: 60 * 60_000 },
            });
          const nodes = [makeNode(), makeNode(), makeNode()];
          // Reads totals and sweeps on the test's clock (the month of the holds).
          const observer = makeNode();
          const fixture = await createWorkspaceFixture(base, `lease-property-${run++}`);
          await base.workspaces.update(owner(fixture), { settings: { monthlyBudgetUsd: limit } });
          const open: Array<{ node: number; reservation: Reservation; backedUntil: number }> = [];
          let modelSpent = 0;
          let overage = 0;
          for (const step of commands) {
            if (step.kind === 'reserve') {
              const services = nodes[step.node] as Services;
              try {
                const reservation = await services.budgets.reserve({
                  workspaceId: fixture.workspaceId,
                  agentId: null,
                  providerKeyId: null,
                  executionId: null,
                  estimateUsd: step.amount,
                  holdMs,
                });
                // A hold is backed until its own row or its lease row expires.
                const [row] = await queryRows<{ expiresAt: Date | string }>(
                  store.database,
                  sql`select expires_at as "expiresAt" from budget_reservations
                      where id = ${reservation.leaseId ?? reservation.id}`,
                );
                open.push({
                  node: step.node,
                  reservation,
                  backedUntil: new Date(row?.expiresAt ?? 0).getTime(),
                });
              } catch (error) {
                expect(error).toMatchObject({ code: 'budget_exceeded' });
              }
            } else if (step.kind === 'settle' || step.kind === 'release') {
              if (open.length === 0) continue;
              const [entry] = open.splice(step.pick % open.length, 1);
              if (!entry) continue;
              const services = nodes[entry.node] as Services;
              const cost =
                step.kind === 'settle' ? Number((entry.reservation.amountUsd * step.fraction).toFixed(9)) : 0;
              if (step.kind === 'settle') await services.budgets.settle(entry.reservation, cost);
              else await services.budgets.release(entry.reservation);
              modelSpent += cost;
              overage += Math.max(0, cost - entry.reservation.amountUsd);
              // Ending it again, on its node or another, changes nothing.
              await services.budgets.settle(entry.reservation, 5);
              await services.budgets.release(entry.reservation);
              await (nodes[(entry.node + 1) % 3] as Services).budgets.settle(entry.reservation, 5);
            } else if (step.kind === 'return') {
              await (nodes[step.node] as Services).budgets.returnLeases();
            } else if (step.kind === 'crash') {
              // The node's memory is gone; its holds are never settled, its leases wait for expiry.
              for (let index = open.length - 1; index >= 0; index--)
                if (open[index]?.node === step.node) open.splice(index, 1);
              nodes[step.node] = makeNode();
            } else {
              clock.advance(step.minutes * 60_000);
              await observer.budgets.reclaimExpired(fixture.workspaceId);
              // A hold past its backing's expiry may have been reclaimed: the model forgets it.
              for (let index = open.length - 1; index >= 0; index--)
                if ((open[index]?.backedUntil ?? 0) <= clock.now().getTime()) open.splice(index, 1);
            }
            const usage = await observer.budgets.usage(fixture.workspaceId);
            expect(usage.spentUsd).toBeCloseTo(modelSpent, 6);
            // Only a provider counting more than the estimate can take spend past the limit.
            expect(usage.spentUsd + usage.reservedUsd).toBeLessThanOrEqual(limit + overage + 1e-9);
            const held = open.reduce((sum, entry) => sum + entry.reservation.amountUsd, 0);
            expect(usage.reservedUsd + 1e-9).toBeGreaterThanOrEqual(held - overage);
          }
          // Every open hold ended and every lease given back or expired: nothing is left held.
          for (const entry of open.splice(0))
            await (nodes[entry.node] as Services).budgets.release(entry.reservation);
          for (const services of nodes) await services.budgets.returnLeases();
          clock.advance(60 * 60_000);
          await observer.budgets.reclaimExpired(fixture.workspaceId);
          expect((await observer.budgets.usage(fixture.workspaceId)).reservedUsd).toBe(0);
          expect(await base.repositories.budgets.openReservationCount(fixture.workspaceId)).toBe(0);
          for (const services of [...nodes, observer]) await services.budgets.close();
        }),
        { numRuns: 30 },
      );
    } finally {
      await store.close();
    }
  }, 180_000);
});
