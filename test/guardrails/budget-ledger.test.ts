import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServices } from '../../src/services/create-services.ts';
import type { Reservation } from '../../src/services/guardrails/budget-service.ts';
import { openStore, type Store } from '../../src/store/database.ts';
import { createWorkspaceFixture } from '../support/identity-fixture.ts';
import { storeTargets } from '../support/store-targets.ts';
import { createManualClock, createTestApp, createTestServices, type TestApp } from '../support/test-app.ts';

async function setBudget(
  testApp: TestApp,
  workspaceId: string,
  ownerId: string,
  monthlyBudgetUsd: number | null,
) {
  await testApp.services.workspaces.update(
    { workspaceId, role: 'owner', userId: ownerId, tokenId: null },
    { settings: { monthlyBudgetUsd } },
  );
}

describe.each(storeTargets)('budget ledger on $name', (target) => {
  let testApp: TestApp;
  let dispose: () => Promise<void>;
  let url: string | undefined;

  beforeAll(async () => {
    const opened = await target.open();
    dispose = opened.dispose;
    url = opened.url;
    testApp = await createTestApp({ store: opened.store });
  });
  afterAll(async () => {
    await testApp.app.close();
    await dispose();
  });

  it('admits exactly what fits when 200 reservations race, and leaves none open', async () => {
    const fixture = await createWorkspaceFixture(testApp.services, 'race');
    await setBudget(testApp, fixture.workspaceId, fixture.users.owner, 50);
    const budgets = testApp.services.budgets;
    const attempts = await Promise.allSettled(
      Array.from({ length: 200 }, (_, index) =>
        budgets.reserve({
          workspaceId: fixture.workspaceId,
          agentId: null,
          providerKeyId: null,
          executionId: `execution-${index}`,
          estimateUsd: 1,
          holdMs: 60_000,
        }),
      ),
    );
    const admitted = attempts.filter((attempt) => attempt.status === 'fulfilled');
    const refused = attempts.filter((attempt) => attempt.status === 'rejected');
    expect(admitted).toHaveLength(50);
    expect(refused).toHaveLength(150);
    expect((refused[0] as PromiseRejectedResult).reason).toMatchObject({ code: 'budget_exceeded' });
    const during = await budgets.usage(fixture.workspaceId);
    expect(during.reservedUsd).toBeCloseTo(50, 9);

    // Settle each to its real cost (less than the estimate), concurrently.
    await Promise.all(
      admitted.map((attempt) => budgets.settle((attempt as PromiseFulfilledResult<Reservation>).value, 0.75)),
    );
    // This node's leases still hold the unspent rest until they are given back.
    await budgets.returnLeases();
    const after = await budgets.usage(fixture.workspaceId);
    expect(after.spentUsd).toBeCloseTo(37.5, 9);
    expect(after.reservedUsd).toBe(0);
    expect(after.remainingUsd).toBeCloseTo(12.5, 9);
    expect(await testApp.services.repositories.budgets.openReservationCount(fixture.workspaceId)).toBe(0);
  });

  it('explains a refusal with spent, limit and reset date', async () => {
    const fixture = await createWorkspaceFixture(testApp.services, 'message');
    await setBudget(testApp, fixture.workspaceId, fixture.users.owner, 2);
    const reserve = () =>
      testApp.services.budgets.reserve({
        workspaceId: fixture.workspaceId,
        agentId: null,
        providerKeyId: null,
        executionId: null,
        estimateUsd: 1.5,
        holdMs: 60_000,
      });
    const first = await reserve();
    await testApp.services.budgets.settle(first, 1.25);
    const refusal = await reserve().catch((error: unknown) => error);
    expect(refusal).toMatchObject({
      code: 'budget_exceeded',
      kind: 'payment_required',
      details: { spentUsd: 1.25, limitUsd: 2, estimateUsd: 1.5 },
    });
    expect((refusal as Error).message).toMatch(
      /spent \$1\.25 of its \$2\.00 monthly budget.*resets on \d{4}-\d{2}-01/,
    );
  });

  it('holds an agent to its own limit inside the workspace limit', async () => {
    const fixture = await createWorkspaceFixture(testApp.services, 'agent');
    await setBudget(testApp, fixture.workspaceId, fixture.users.owner, 100);
    await testApp.services.budgets.setAgentLimit(fixture.workspaceId, 'agent-a', 3);
    const reserve = (agentId: string) =>
      testApp.services.budgets.reserve({
        workspaceId: fixture.workspaceId,
        agentId,
        providerKeyId: null,
        executionId: null,
        estimateUsd: 1,
        holdMs: 60_000,
      });
    for (let index = 0; index < 3; index++) await reserve('agent-a');
    expect(await testApp.services.budgets.agentBudget(fixture.workspaceId, 'agent-a')).toEqual({
      agentId: 'agent-a',
      monthlyLimitUsd: 3,
      spentUsd: 0,
      reservedUsd: 3,
    });
    await expect(reserve('agent-a')).rejects.toMatchObject({
      code: 'budget_exceeded',
      details: { scope: 'agent:agent-a' },
    });
    await expect(reserve('agent-b')).resolves.toMatchObject({ amountUsd: 1 });
    // The refused agent reservation left nothing behind on the workspace total: agent-a's three
    // holds (each alone: a lease of 16 did not fit its limit of 3) and agent-b's lease of 16.
    expect((await testApp.services.budgets.usage(fixture.workspaceId)).reservedUsd).toBeCloseTo(3 + 16, 9);
  });

  it('gives back the holds of a process that crashed once they expire', async () => {
    const fixture = await createWorkspaceFixture(testApp.services, 'crash');
    await setBudget(testApp, fixture.workspaceId, fixture.users.owner, 5);
    const clock = createManualClock(new Date());
    // The "crashed" node took holds and never came back to settle them.
    const crashed = createServices({
      store: testApp.store,
      publicUrl: 'http://127.0.0.1:3000',
      keyring: testApp.services.providerKeys.keyring,
      clock,
    });
    for (let index = 0; index < 5; index++) {
      await crashed.budgets.reserve({
        workspaceId: fixture.workspaceId,
        agentId: null,
        providerKeyId: null,
        executionId: null,
        estimateUsd: 1,
        holdMs: 120_000,
      });
    }
    const survivor = createServices({
      store: testApp.store,
      publicUrl: 'http://127.0.0.1:3000',
      keyring: testApp.services.providerKeys.keyring,
      clock,
    });
    const request = {
      workspaceId: fixture.workspaceId,
      agentId: null,
      providerKeyId: null,
      executionId: null,
      estimateUsd: 1,
      holdMs: 120_000,
    };
    await expect(survivor.budgets.reserve(request)).rejects.toMatchObject({ code: 'budget_exceeded' });
    clock.advance(120_001);
    expect(await survivor.budgets.reclaimExpired(null)).toBeGreaterThanOrEqual(5);
    expect((await survivor.budgets.usage(fixture.workspaceId)).reservedUsd).toBe(0);
    await expect(survivor.budgets.reserve(request)).resolves.toMatchObject({ amountUsd: 1 });
  });

  if (target.name === 'postgres') {
    it('holds across three nodes sharing one database', async () => {
      const fixture = await createWorkspaceFixture(testApp.services, 'nodes');
      await setBudget(testApp, fixture.workspaceId, fixture.users.owner, 50);
      const nodes: Store[] = await Promise.all(
        [1, 2, 3].map(() => openStore({ databaseUrl: url, poolSize: 8 })),
      );
      try {
        const services = nodes.map((store) => createTestServices(store));
        const attempts = await Promise.allSettled(
          Array.from({ length: 210 }, (_, index) =>
            (services[index % 3] ?? testApp.services).budgets
              .reserve({
                workspaceId: fixture.workspaceId,
                agentId: null,
                providerKeyId: null,
                executionId: null,
                estimateUsd: 1,
                holdMs: 60_000,
              })
              // A hold is settled by the node that took it (a leased one lives in its memory).
              .then((reservation) => ({ reservation, node: index % 3 })),
          ),
        );
        const admitted = attempts.flatMap((attempt) =>
          attempt.status === 'fulfilled' ? [attempt.value] : [],
        );
        expect(admitted).toHaveLength(50);
        await Promise.all(
          admitted.map(({ reservation, node }) => services[node]?.budgets.settle(reservation, 1)),
        );
        await Promise.all(services.map((node) => node.budgets.returnLeases()));
        const usage = await testApp.services.budgets.usage(fixture.workspaceId);
        expect(usage.spentUsd).toBeCloseTo(50, 9);
        expect(usage.reservedUsd).toBe(0);
      } finally {
        await Promise.all(nodes.map((store) => store.close()));
      }
    }, 60_000);
  }
});

describe('budget ledger properties', () => {
  it('keeps spent + reserved within the limit and counts nothing twice, whatever the sequence (a statement per hold)', async () => {
    const store = await openStore({ dataDirectory: 'memory://' });
    await store.migrate();
    try {
      const clock = createManualClock(new Date('2026-11-10T12:00:00Z'));
      const base = createTestServices(store);
      const services = createServices({
        store,
        publicUrl: 'http://127.0.0.1:3000',
        keyring: base.providerKeys.keyring,
        passwordHasher: base.passwordHasher,
        allowedProviderHosts: base.allowedProviderHosts,
        clock,
        // The model below is of per-call holds; leases have their own property (budget-leases.test.ts).
        budgetLeases: false,
      });
      const limit = 10;
      const command = fc.oneof(
        fc.record({
          kind: fc.constant('reserve' as const),
          amount: fc.integer({ min: 0, max: 400 }).map((cents) => cents / 100),
        }),
        fc.record({
          kind: fc.constant('settle' as const),
          pick: fc.nat(),
          fraction: fc.double({ min: 0, max: 1, noNaN: true }),
        }),
        fc.record({ kind: fc.constant('release' as const), pick: fc.nat() }),
        fc.record({ kind: fc.constant('expire' as const), minutes: fc.integer({ min: 1, max: 20 }) }),
      );
      let run = 0;
      await fc.assert(
        fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 25 }), async (commands) => {
          const fixture = await createWorkspaceFixture(services, `property-${run++}`);
          await services.workspaces.update(
            { workspaceId: fixture.workspaceId, role: 'owner', userId: fixture.users.owner, tokenId: null },
            { settings: { monthlyBudgetUsd: limit } },
          );
          const open: Array<{ reservation: Reservation; expiresAt: number }> = [];
          let modelSpent = 0;
          for (const step of commands) {
            if (step.kind === 'reserve') {
              const fits =
                modelSpent +
                  open.reduce((sum, entry) => sum + entry.reservation.amountUsd, 0) +
                  step.amount <=
                limit + 1e-9;
              try {
                const reservation = await services.budgets.reserve({
                  workspaceId: fixture.workspaceId,
                  agentId: null,
                  providerKeyId: null,
                  executionId: null,
                  estimateUsd: step.amount,
                  holdMs: 10 * 60_000,
                });
                expect(fits).toBe(true);
                open.push({ reservation, expiresAt: clock.now().getTime() + 10 * 60_000 });
              } catch (error) {
                expect(fits).toBe(false);
                expect(error).toMatchObject({ code: 'budget_exceeded' });
              }
            } else if (step.kind === 'settle' || step.kind === 'release') {
              if (open.length === 0) continue;
              const [entry] = open.splice(step.pick % open.length, 1);
              if (!entry) continue;
              const cost =
                step.kind === 'settle' ? Number((entry.reservation.amountUsd * step.fraction).toFixed(9)) : 0;
              if (step.kind === 'settle') await services.budgets.settle(entry.reservation, cost);
              else await services.budgets.release(entry.reservation);
              modelSpent += cost;
              // Finishing again must change nothing.
              await services.budgets.settle(entry.reservation, 5);
              await services.budgets.release(entry.reservation);
            } else {
              clock.advance(step.minutes * 60_000);
              await services.budgets.reclaimExpired(fixture.workspaceId);
              for (let index = open.length - 1; index >= 0; index--) {
                if ((open[index]?.expiresAt ?? 0) <= clock.now().getTime()) open.splice(index, 1);
              }
            }
            const usage = await services.budgets.usage(fixture.workspaceId);
            const modelReserved = open.reduce((sum, entry) => sum + entry.reservation.amountUsd, 0);
            expect(usage.spentUsd).toBeCloseTo(modelSpent, 6);
            expect(usage.reservedUsd).toBeCloseTo(modelReserved, 6);
            expect(usage.spentUsd + usage.reservedUsd).toBeLessThanOrEqual(limit + 1e-9);
          }
        }),
        { numRuns: 40 },
      );
    } finally {
      await store.close();
    }
  }, 120_000);
});
