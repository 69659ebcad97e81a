import { budgetPeriodStart } from '../../core/budget-period.ts';
import type { Clock } from '../../core/clock.ts';
import { newId } from '../../core/ids.ts';
import type { Repositories, ReserveOutcome } from '../../store/repositories/index.ts';

/**
 * A node's slices of budgets (docs/decisions/2026-12-02-budget-leases.md). Each slice is a `lease`
 * row reserved like any hold, so the database's totals always cover what this node hands out in
 * memory: committed spend cannot pass a limit however many nodes lease. Holds taken from a lease
 * cost no statement; their settlements go out in group-committed statements that shrink the lease.
 */
export interface BudgetLeaseSettings {
  /** A lease is this many times the estimate that asked for it. */
  estimatesPerLease: number;
  /** How long a lease lives; holds taken from it must expire before it does. */
  leaseMs: number;
  /** A lease nobody held from for this long is given back. */
  idleMs: number;
  /**
   * A lease hands out holds for this long, then the next hold takes a new one: a lowered limit
   * reaches every node within this time (this node's own changes at once, `retireWorkspace`).
   */
  grantMs: number;
  /** After a lease was refused (the budget is nearly spent), this scope reserves per call for this long. */
  perCallAfterRefusalMs: number;
}

export const defaultBudgetLeaseSettings: BudgetLeaseSettings = {
  estimatesPerLease: 16,
  leaseMs: 15 * 60_000,
  idleMs: 5_000,
  grantMs: 2_000,
  perCallAfterRefusalMs: 2_000,
};

interface Lease {
  id: string;
  key: string;
  workspaceId: string;
  agentId: string | null;
  /** What the lease row still reserves in the database. */
  remainingUsd: number;
  /** What holds taken from it and not yet ended add up to. */
  outstandingUsd: number;
  holds: Set<string>;
  expiresAt: number;
  /** No new holds after this (clock time): the next one takes a lease that reads the limit again. */
  grantUntil: number;
  lastUsedAt: number;
  workspaceLimited: boolean;
  /** No new holds: it is given back once its holds ended. */
  retiring: boolean;
  /**
   * Settlements of ended holds still waiting for their (group-committed) statement. The lease is
   * never given back while one is in flight: the release would land first and the spend be lost.
   */
  settling: number;
}

/** Nothing is held from it and nothing it handed out is still being written. */
const isIdle = (lease: Lease) => lease.holds.size === 0 && lease.settling === 0;

export interface LeasedHold {
  id: string;
  leaseId: string;
  amountUsd: number;
  workspaceLimited: boolean;
}

/** What the per-call path needs to reserve one hold the usual way. */
export interface LeaseRequest {
  workspaceId: string;
  agentId: string | null;
  amountUsd: number;
  holdMs: number;
  /** Reserves a lease row (`kind: 'lease'`) of this amount; the budget service's reserve statement. */
  reserveLease(amountUsd: number, id: string, expiresAt: Date): Promise<ReserveOutcome>;
}

/** The in-memory side of leases over the budget repository; one per process. */
export function createBudgetLeases(dependencies: {
  repositories: Repositories;
  clock: Clock;
  settings?: Partial<BudgetLeaseSettings>;
}) {
  const { repositories, clock } = dependencies;
  const settings = { ...defaultBudgetLeaseSettings, ...dependencies.settings };
  const leasesByKey = new Map<string, Lease[]>();
  const leasesById = new Map<string, Lease>();
  const pendingTopUps = new Map<string, Promise<void>>();
  const perCallUntil = new Map<string, number>();

  const keyOf = (workspaceId: string, agentId: string | null, now: Date) =>
    `${workspaceId}|${agentId ?? ''}|${budgetPeriodStart(now).getTime()}`;

  function forget(lease: Lease): void {
    leasesById.delete(lease.id);
    const siblings = (leasesByKey.get(lease.key) ?? []).filter((other) => other !== lease);
    if (siblings.length === 0) leasesByKey.delete(lease.key);
    else leasesByKey.set(lease.key, siblings);
  }

  /** Gives a lease's unused rest back to the budget (its holds have all ended). */
  async function giveBack(lease: Lease): Promise<void> {
    forget(lease);
    await repositories.budgets.finish(lease.id, 'released', 0, clock.now());
  }

  function takeFrom(key: string, amountUsd: number, holdExpiresAt: number): LeasedHold | null {
    const now = clock.now().getTime();
    for (const lease of leasesByKey.get(key) ?? []) {
      if (now > lease.grantUntil) lease.retiring = true;
      if (lease.retiring || lease.expiresAt < holdExpiresAt) continue;
      if (lease.remainingUsd - lease.outstandingUsd + 1e-12 < amountUsd) continue;
      const id = newId(clock.now().getTime());
      lease.outstandingUsd += amountUsd;
      lease.holds.add(id);
      lease.lastUsedAt = clock.now().getTime();
      return { id, leaseId: lease.id, amountUsd, workspaceLimited: lease.workspaceLimited };
    }
    return null;
  }

  async function topUp(key: string, request: LeaseRequest): Promise<boolean> {
    const now = clock.now();
    const id = newId(now.getTime());
    const amountUsd = Number((request.amountUsd * settings.estimatesPerLease).toFixed(9));
    const expiresAt = new Date(now.getTime() + Math.max(settings.leaseMs, request.holdMs * 2));
    const outcome = await request.reserveLease(amountUsd, id, expiresAt);
    if (!outcome.reserved) {
      perCallUntil.set(key, now.getTime() + settings.perCallAfterRefusalMs);
      return false;
    }
    const lease: Lease = {
      id,
      key,
      workspaceId: request.workspaceId,
      agentId: request.agentId,
      remainingUsd: amountUsd,
      outstandingUsd: 0,
      holds: new Set(),
      expiresAt: expiresAt.getTime(),
      grantUntil: now.getTime() + settings.grantMs,
      lastUsedAt: now.getTime(),
      workspaceLimited: outcome.workspaceLimited,
      retiring: false,
      settling: 0,
    };
    // Leases that can no longer outlive a new hold stop taking holds and go back once idle.
    for (const older of leasesByKey.get(key) ?? [])
      if (older.expiresAt < now.getTime() + request.holdMs) older.retiring = true;
    leasesByKey.set(key, [...(leasesByKey.get(key) ?? []), lease]);
    leasesById.set(id, lease);
    return true;
  }

  /** Ends a hold in memory; answers its lease, or null when the hold is unknown or ended already. */
  function endHold(hold: { id: string; leaseId: string; amountUsd: number }, spentUsd: number): Lease | null {
    const lease = leasesById.get(hold.leaseId);
    if (!lease?.holds.delete(hold.id)) return null;
    lease.outstandingUsd = Math.max(0, lease.outstandingUsd - hold.amountUsd);
    lease.remainingUsd = Math.max(0, lease.remainingUsd - spentUsd);
    return lease;
  }

  async function afterHoldEnded(lease: Lease): Promise<void> {
    if (isIdle(lease) && (lease.retiring || lease.expiresAt <= clock.now().getTime())) await giveBack(lease);
  }

  return {
    settings,

    /**
     * A hold from this node's lease, topping it up when it has no room; null when the scope is
     * nearly spent (a lease of `estimatesPerLease` estimates was refused): reserve per call then.
     */
    async reserve(request: LeaseRequest): Promise<LeasedHold | null> {
      const now = clock.now();
      const key = keyOf(request.workspaceId, request.agentId, now);
      const holdExpiresAt = now.getTime() + request.holdMs;
      for (;;) {
        const hold = takeFrom(key, request.amountUsd, holdExpiresAt);
        if (hold) return hold;
        if ((perCallUntil.get(key) ?? 0) > clock.now().getTime()) return null;
        const pending = pendingTopUps.get(key);
        if (pending) {
          // One top-up per scope at a time: the others wait for it and look again.
          await pending;
          continue;
        }
        const topping = topUp(key, request).finally(() => pendingTopUps.delete(key));
        pendingTopUps.set(
          key,
          topping.then(
            () => {},
            () => {},
          ),
        );
        if (!(await topping)) return null;
      }
    },

    /** Records what a leased hold spent (group-committed); false when its lease had ended. */
    async settle(
      hold: LeasedHold,
      context: { agentId: string | null; providerKeyId: string | null; executionId: string | null },
      spentUsd: number,
    ): Promise<boolean> {
      // Only the node that handed a hold out can end it: a hold already ended, or one of another
      // node's leases (whose copy alone knows whether it was released), counts nothing.
      const lease = endHold(hold, spentUsd);
      if (!lease) return false;
      lease.settling += 1;
      let recorded: boolean;
      try {
        recorded = await repositories.budgets.settleFromLease({
          leaseId: lease.id,
          holdId: hold.id,
          agentId: context.agentId,
          providerKeyId: context.providerKeyId,
          executionId: context.executionId,
          reservedUsd: hold.amountUsd,
          spentUsd,
          now: clock.now(),
        });
      } finally {
        lease.settling -= 1;
      }
      // The lease was reclaimed under us (this process stalled past its expiry): drop it.
      if (!recorded) forget(lease);
      else await afterHoldEnded(lease);
      return recorded;
    },

    /** Gives a leased hold back to its lease: no statement. */
    async release(hold: LeasedHold): Promise<void> {
      const lease = endHold(hold, 0);
      if (lease) await afterHoldEnded(lease);
    },

    /** Whether this hold came from a lease (and has not ended). */
    isLeased(hold: { id: string; leaseId?: string }): hold is LeasedHold {
      return hold.leaseId !== undefined;
    },

    /** Gives back every lease without holds (idle ones only unless `all`); answers how many. */
    async returnIdle(options: { all?: boolean } = {}): Promise<number> {
      const now = clock.now().getTime();
      const idle = [...leasesById.values()].filter(
        (lease) =>
          isIdle(lease) &&
          (options.all === true ||
            lease.retiring ||
            lease.expiresAt <= now ||
            now - lease.lastUsedAt >= settings.idleMs),
      );
      await Promise.all(idle.map(giveBack));
      return idle.length;
    },

    /**
     * A workspace's limits changed: its leases take no more holds (the next reservation reads the
     * new limit), and those without holds go back now.
     */
    async retireWorkspace(workspaceId: string): Promise<void> {
      const leases = [...leasesById.values()].filter((lease) => lease.workspaceId === workspaceId);
      for (const lease of leases) lease.retiring = true;
      for (const key of [...perCallUntil.keys()])
        if (key.startsWith(`${workspaceId}|`)) perCallUntil.delete(key);
      await Promise.all(leases.filter(isIdle).map(giveBack));
    },

    /** Leases this process holds, for tests and the usage view's explanation. */
    held(): Array<{ id: string; workspaceId: string; remainingUsd: number; outstandingUsd: number }> {
      return [...leasesById.values()].map((lease) => ({
        id: lease.id,
        workspaceId: lease.workspaceId,
        remainingUsd: lease.remainingUsd,
        outstandingUsd: lease.outstandingUsd,
      }));
    },
  };
}

export type BudgetLeases = ReturnType<typeof createBudgetLeases>;
