import {
  budgetPeriodEnd,
  budgetPeriodLabel,
  budgetPeriodStart,
  formatUsd,
} from '../../core/budget-period.ts';
import type { Clock } from '../../core/clock.ts';
import { FlightdeckError } from '../../core/errors.ts';
import { newId } from '../../core/ids.ts';
import type { Repositories, ScopeLimit } from '../../store/repositories/index.ts';
import { completeSettings, defaultWorkspaceSettings } from '../identity/workspace-settings.ts';
import type { AlertService } from './alert-service.ts';
import { type BudgetLeaseSettings, createBudgetLeases, type LeasedHold } from './budget-leases.ts';

export interface Reservation {
  id: string;
  amountUsd: number;
  /** False when the workspace had no monthly limit at reservation time: settling then checks no alert. */
  workspaceLimited?: boolean;
  /** Set when the hold came from this node's lease (in memory) instead of a row of its own. */
  leaseId?: string;
  /** Whose hold it is, kept for the settled row of a leased hold. */
  workspaceId?: string;
  agentId?: string | null;
  providerKeyId?: string | null;
  executionId?: string | null;
}

export interface ReserveRequest {
  workspaceId: string;
  agentId: string | null;
  providerKeyId: string | null;
  executionId: string | null;
  /** The pessimistic estimate: prompt tokens + max output tokens at list price. */
  estimateUsd: number;
  /** How long the hold may last before a sweep reclaims it (the call's deadline plus margin). */
  holdMs: number;
}

export interface UsageView {
  periodStart: Date;
  resetsAt: Date;
  limitUsd: number | null;
  spentUsd: number;
  reservedUsd: number;
  remainingUsd: number | null;
  /** Calls of a model without a price this month: `spentUsd` holds them at 0, which is not their cost. */
  unpricedCalls: number;
  byAgent: Array<{
    agentId: string | null;
    spentUsd: number;
    reservedUsd: number;
    calls: number;
    unpricedCalls: number;
  }>;
  byProviderKey: Array<{
    providerKeyId: string | null;
    /** The key's label, a deleted key's as it was when deleted; null when not known (or no key). */
    providerKeyLabel: string | null;
    providerKeyDeleted: boolean;
    spentUsd: number;
    reservedUsd: number;
    calls: number;
    unpricedCalls: number;
  }>;
}

const workspaceScope = 'workspace';
const agentScope = (agentId: string) => `agent:${agentId}`;

/**
 * Spending limits: reserve before a provider call, settle to the real cost after, release on
 * failure. Holds that outlive their process are reclaimed by `reclaimExpired`.
 */
export function createBudgetService(dependencies: {
  repositories: Repositories;
  clock: Clock;
  alerts: AlertService;
  /** Node leases (default on); `false` reserves every hold with a statement of its own. */
  leases?: Partial<BudgetLeaseSettings> | false;
}) {
  const { repositories, clock, alerts } = dependencies;
  const leases =
    dependencies.leases === false
      ? null
      : createBudgetLeases({ repositories, clock, settings: dependencies.leases });
  // Idle leases go back to the budget, so a quiet node does not sit on room other nodes need.
  const idleTimer =
    leases === null
      ? null
      : setInterval(
          () => {
            leases.returnIdle().catch(() => {});
          },
          Math.max(1_000, leases.settings.idleMs),
        );
  idleTimer?.unref();

  /** The workspace's limit and, with an agent, the agent's, for the usage view (a reservation reads them in its own statement). */
  async function limitsFor(workspaceId: string, agentId: string | null): Promise<ScopeLimit[]> {
    const stored = await repositories.budgets.limits(workspaceId, agentId);
    const scopes: ScopeLimit[] = [
      { scope: workspaceScope, limitUsd: completeSettings(stored.settings ?? undefined).monthlyBudgetUsd },
    ];
    if (agentId) scopes.push({ scope: agentScope(agentId), limitUsd: stored.agentLimitUsd });
    return scopes;
  }

  /** When each workspace's expired holds were last looked for (clock time), to keep that off most reservations. */
  const lastReclaimAt = new Map<string, number>();
  const reclaimEveryMs = 30_000;

  async function reclaimExpired(workspaceId: string | null): Promise<number> {
    const now = clock.now();
    let reclaimed = 0;
    for (const id of await repositories.budgets.listExpired(now, workspaceId, 100)) {
      if ((await repositories.budgets.finish(id, 'expired', 0, now)).finished) reclaimed++;
    }
    return reclaimed;
  }

  return {
    reclaimExpired,

    /** True when a workspace or agent limit applies: then a run of unknown price cannot be held. */
    async isLimited(workspaceId: string, agentId: string | null): Promise<boolean> {
      return (await limitsFor(workspaceId, agentId)).some((limit) => limit.limitUsd !== null);
    },

    /** Takes the hold or throws 402 `budget_exceeded` before any provider call. */
    async reserve(request: ReserveRequest): Promise<Reservation> {
      const now = clock.now();
      const last = lastReclaimAt.get(request.workspaceId);
      if (last === undefined || now.getTime() - last >= reclaimEveryMs || now.getTime() < last) {
        if (lastReclaimAt.size > 10_000) lastReclaimAt.clear();
        lastReclaimAt.set(request.workspaceId, now.getTime());
        await reclaimExpired(request.workspaceId);
      }
      const amountUsd = Math.max(0, Number(request.estimateUsd.toFixed(9)));
      const who = {
        workspaceId: request.workspaceId,
        agentId: request.agentId,
        providerKeyId: request.providerKeyId,
        executionId: request.executionId,
      };
      const statement = (kind: 'hold' | 'lease', id: string, amount: number, expiresAt: Date) =>
        repositories.budgets.reserve({
          id,
          kind,
          workspaceId: request.workspaceId,
          periodStart: budgetPeriodStart(now),
          workspaceScope,
          agentScope: request.agentId ? agentScope(request.agentId) : null,
          defaultWorkspaceLimitUsd: defaultWorkspaceSettings.monthlyBudgetUsd,
          amountUsd: amount,
          agentId: request.agentId,
          providerKeyId: kind === 'lease' ? null : request.providerKeyId,
          executionId: kind === 'lease' ? null : request.executionId,
          now,
          expiresAt,
        });
      const leased = await leases?.reserve({
        workspaceId: request.workspaceId,
        agentId: request.agentId,
        amountUsd,
        holdMs: request.holdMs,
        reserveLease: (amount, id, expiresAt) => statement('lease', id, amount, expiresAt),
      });
      if (leased) return { ...leased, ...who };
      // No lease (off, or the budget is nearly spent): this hold gets a row of its own.
      const id = newId(now.getTime());
      const attempt = () => statement('hold', id, amountUsd, new Date(now.getTime() + request.holdMs));
      let outcome = await attempt();
      // Expired holds of a crashed process must never refuse a run: reclaim them and try once more.
      if (!outcome.reserved && (await reclaimExpired(request.workspaceId)) > 0) outcome = await attempt();
      if (!outcome.reserved) {
        const resetsAt = budgetPeriodEnd(now);
        const whose = outcome.scope === workspaceScope ? 'This workspace' : 'This agent';
        throw new FlightdeckError({
          code: 'budget_exceeded',
          kind: 'payment_required',
          message:
            `${whose} has spent ${formatUsd(outcome.spentUsd)} of its ${formatUsd(outcome.limitUsd)} monthly budget` +
            (outcome.reservedUsd > 0
              ? ` (${formatUsd(outcome.reservedUsd)} more is held by runs in progress)`
              : '') +
            `, and this run could cost up to ${formatUsd(amountUsd)}. The budget resets on ${resetsAt.toISOString().slice(0, 10)}; ` +
            'raise the limit in the workspace settings or use mock mode meanwhile.',
          details: {
            scope: outcome.scope,
            spentUsd: outcome.spentUsd,
            reservedUsd: outcome.reservedUsd,
            limitUsd: outcome.limitUsd,
            estimateUsd: amountUsd,
            resetsAt: resetsAt.toISOString(),
          },
        });
      }
      return { id, amountUsd, workspaceLimited: outcome.workspaceLimited, ...who };
    },

    /**
     * Records the real cost (a cut stream passes what it used) and releases the rest of the hold.
     * A cost above the hold (the provider counted more than the estimate) is recorded in full, so
     * the next reservation sees the overage.
     */
    async settle(reservation: Reservation, costUsd: number): Promise<void> {
      const spentUsd = Math.max(0, costUsd);
      let workspaceId: string | undefined;
      if (reservation.leaseId !== undefined && leases) {
        const settled = await leases.settle(
          reservation as LeasedHold,
          {
            agentId: reservation.agentId ?? null,
            providerKeyId: reservation.providerKeyId ?? null,
            executionId: reservation.executionId ?? null,
          },
          spentUsd,
        );
        if (settled) workspaceId = reservation.workspaceId;
      } else {
        const finished = await repositories.budgets.finish(reservation.id, 'settled', spentUsd, clock.now());
        if (finished.finished) workspaceId = finished.workspaceId;
      }
      // Alerts are thresholds of the workspace limit: without one (at reservation time) there is nothing to check.
      if (workspaceId && reservation.workspaceLimited !== false) await alerts.checkBudget(workspaceId);
    },

    /** Gives the whole hold back (the call failed before costing anything, or was refused). */
    async release(reservation: Reservation): Promise<void> {
      if (reservation.leaseId !== undefined && leases) {
        await leases.release(reservation as LeasedHold);
        return;
      }
      await repositories.budgets.finish(reservation.id, 'released', 0, clock.now());
    },

    /**
     * Gives this node's leases back to their budgets: idle ones, or every one without open holds
     * (`all`, at shutdown and in tests before reading totals). Answers how many.
     */
    async returnLeases(options: { all?: boolean } = { all: true }): Promise<number> {
      return leases ? leases.returnIdle(options) : 0;
    },

    /** Stops the idle-lease timer and gives every lease without open holds back. */
    async close(): Promise<void> {
      if (idleTimer) clearInterval(idleTimer);
      // A store already closed leaves the leases to expire and be reclaimed like a crashed node's.
      await leases?.returnIdle({ all: true }).catch(() => 0);
    },

    async usage(workspaceId: string): Promise<UsageView> {
      /** Names each key line: the live key's label, else the label the audit log kept at its deletion. */
      async function withKeyLabels<Line extends { id: string | null }>(
        scope: string,
        lines: Line[],
      ): Promise<
        Array<
          Omit<Line, 'id'> & {
            providerKeyId: string | null;
            providerKeyLabel: string | null;
            providerKeyDeleted: boolean;
          }
        >
      > {
        const live = new Map((await repositories.providerKeys.list(scope)).map((key) => [key.id, key.label]));
        const missing = lines.flatMap((line) => (line.id && !live.has(line.id) ? [line.id] : []));
        const deleted = await repositories.auditEvents.deletedProviderKeyLabels(scope, missing);
        return lines.map(({ id, ...rest }) => ({
          providerKeyId: id,
          providerKeyLabel: id === null ? null : (live.get(id) ?? deleted.get(id)?.label ?? null),
          providerKeyDeleted: id !== null && !live.has(id),
          ...rest,
        }));
      }

      const now = clock.now();
      const periodStart = budgetPeriodStart(now);
      const [limits, totals, byAgent, byProviderKey] = await Promise.all([
        limitsFor(workspaceId, null),
        repositories.budgets.period(workspaceId, workspaceScope, periodStart),
        repositories.budgets.usageBy(workspaceId, periodStart, 'agent_id'),
        repositories.budgets.usageBy(workspaceId, periodStart, 'provider_key_id'),
      ]);
      const limitUsd = limits[0]?.limitUsd ?? null;
      return {
        periodStart,
        resetsAt: budgetPeriodEnd(now),
        limitUsd,
        spentUsd: totals.spentUsd,
        reservedUsd: totals.reservedUsd,
        remainingUsd: limitUsd === null ? null : Math.max(0, limitUsd - totals.spentUsd - totals.reservedUsd),
        unpricedCalls: byAgent.reduce((sum, line) => sum + line.unpricedCalls, 0),
        byAgent: byAgent.map(({ id, ...rest }) => ({ agentId: id, ...rest })),
        byProviderKey: await withKeyLabels(workspaceId, byProviderKey),
      };
    },

    async agentBudget(
      workspaceId: string,
      agentId: string,
    ): Promise<{ agentId: string; monthlyLimitUsd: number | null; spentUsd: number; reservedUsd: number }> {
      const [limits, totals] = await Promise.all([
        repositories.budgets.agentLimits(workspaceId, [agentId]),
        repositories.budgets.period(workspaceId, agentScope(agentId), budgetPeriodStart(clock.now())),
      ]);
      return { agentId, monthlyLimitUsd: limits.get(agentId) ?? null, ...totals };
    },

    async setAgentLimit(workspaceId: string, agentId: string, monthlyLimitUsd: number | null): Promise<void> {
      await repositories.budgets.setAgentLimit(workspaceId, agentId, monthlyLimitUsd);
      await leases?.retireWorkspace(workspaceId);
    },

    /** The workspace's settings changed (its limit may have): this node's leases read it again. */
    async limitsChanged(workspaceId: string): Promise<void> {
      await leases?.retireWorkspace(workspaceId);
    },

    periodLabel: () => budgetPeriodLabel(clock.now()),
  };
}

export type BudgetService = ReturnType<typeof createBudgetService>;
