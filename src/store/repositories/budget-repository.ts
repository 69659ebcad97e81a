import { and, eq, inArray, lte, sql } from 'drizzle-orm';
import type { Database } from '../database.ts';
import { queryRows } from '../query-rows.ts';
import { agentBudgets, budgetPeriods, budgetReservations } from '../schema/index.ts';

export interface ScopeLimit {
  scope: string;
  /** Null: no limit, but the spend is still counted. */
  limitUsd: number | null;
}

export type ReserveOutcome =
  | { reserved: true }
  | { reserved: false; scope: string; spentUsd: number; reservedUsd: number; limitUsd: number };

export type ReservationFinish = 'settled' | 'released' | 'expired';

/** Thrown inside the reserve transaction to roll back holds already taken on other scopes. */
class ScopeFull extends Error {
  readonly outcome: Extract<ReserveOutcome, { reserved: false }>;
  constructor(outcome: Extract<ReserveOutcome, { reserved: false }>) {
    super('scope full');
    this.outcome = outcome;
  }
}

/**
 * The spending ledger. Every total changes by conditional updates on one row per scope and month,
 * so concurrent reservations on any number of nodes cannot push spent + reserved over a limit, and
 * a reservation leaves the `reserved` state exactly once.
 */
export function createBudgetRepository(database: Database) {
  return {
    async reserve(input: {
      id: string;
      workspaceId: string;
      periodStart: Date;
      scopes: ScopeLimit[];
      amountUsd: number;
      agentId: string | null;
      providerKeyId: string | null;
      executionId: string | null;
      now: Date;
      expiresAt: Date;
    }): Promise<ReserveOutcome> {
      try {
        await database.transaction(async (transaction) => {
          // Always the same order, so two transactions never wait on each other's rows crosswise.
          for (const { scope, limitUsd } of [...input.scopes].sort((a, b) =>
            a.scope.localeCompare(b.scope),
          )) {
            await transaction
              .insert(budgetPeriods)
              .values({ workspaceId: input.workspaceId, scope, periodStart: input.periodStart })
              .onConflictDoNothing();
            const key = and(
              eq(budgetPeriods.workspaceId, input.workspaceId),
              eq(budgetPeriods.scope, scope),
              eq(budgetPeriods.periodStart, input.periodStart),
            );
            const fits =
              limitUsd === null
                ? key
                : and(
                    key,
                    sql`${budgetPeriods.spentUsd} + ${budgetPeriods.reservedUsd} + ${input.amountUsd} <= ${limitUsd}`,
                  );
            const updated = await transaction
              .update(budgetPeriods)
              .set({ reservedUsd: sql`${budgetPeriods.reservedUsd} + ${input.amountUsd}` })
              .where(fits)
              .returning({ scope: budgetPeriods.scope });
            if (updated.length === 0 && limitUsd !== null) {
              const [totals] = await transaction
                .select({ spentUsd: budgetPeriods.spentUsd, reservedUsd: budgetPeriods.reservedUsd })
                .from(budgetPeriods)
                .where(key);
              throw new ScopeFull({
                reserved: false,
                scope,
                spentUsd: totals?.spentUsd ?? 0,
                reservedUsd: totals?.reservedUsd ?? 0,
                limitUsd,
              });
            }
          }
          await transaction.insert(budgetReservations).values({
            id: input.id,
            workspaceId: input.workspaceId,
            periodStart: input.periodStart,
            scopes: input.scopes.map((scope) => scope.scope),
            agentId: input.agentId,
            providerKeyId: input.providerKeyId,
            executionId: input.executionId,
            reservedUsd: input.amountUsd,
            state: 'reserved',
            createdAt: input.now,
            expiresAt: input.expiresAt,
          });
        });
        return { reserved: true };
      } catch (error) {
        if (error instanceof ScopeFull) return error.outcome;
        throw error;
      }
    },

    /**
     * Ends a reservation: moves its hold out of `reserved` and adds what was really spent.
     * Returns false when it had already ended (settled, released or expired): nothing counts twice.
     */
    async finish(
      id: string,
      how: ReservationFinish,
      spentUsd: number,
      now: Date,
    ): Promise<{ finished: boolean; workspaceId?: string; scopes?: string[]; periodStart?: Date }> {
      return database.transaction(async (transaction) => {
        const [row] = await transaction
          .update(budgetReservations)
          .set({ state: how, spentUsd, finishedAt: now })
          .where(and(eq(budgetReservations.id, id), eq(budgetReservations.state, 'reserved')))
          .returning({
            workspaceId: budgetReservations.workspaceId,
            scopes: budgetReservations.scopes,
            periodStart: budgetReservations.periodStart,
            reservedUsd: budgetReservations.reservedUsd,
          });
        if (!row) return { finished: false };
        for (const scope of [...row.scopes].sort()) {
          await transaction
            .update(budgetPeriods)
            .set({
              reservedUsd: sql`greatest(${budgetPeriods.reservedUsd} - ${row.reservedUsd}, 0)`,
              spentUsd: sql`${budgetPeriods.spentUsd} + ${spentUsd}`,
            })
            .where(
              and(
                eq(budgetPeriods.workspaceId, row.workspaceId),
                eq(budgetPeriods.scope, scope),
                eq(budgetPeriods.periodStart, row.periodStart),
              ),
            );
        }
        return {
          finished: true,
          workspaceId: row.workspaceId,
          scopes: row.scopes,
          periodStart: row.periodStart,
        };
      });
    },

    /** Reservations past their expiry (a crashed or stuck process), optionally in one workspace. */
    async listExpired(now: Date, workspaceId: string | null, limit: number): Promise<string[]> {
      const rows = await database
        .select({ id: budgetReservations.id })
        .from(budgetReservations)
        .where(
          and(
            eq(budgetReservations.state, 'reserved'),
            lte(budgetReservations.expiresAt, now),
            workspaceId === null ? undefined : eq(budgetReservations.workspaceId, workspaceId),
          ),
        )
        .limit(limit);
      return rows.map((row) => row.id);
    },

    async period(
      workspaceId: string,
      scope: string,
      periodStart: Date,
    ): Promise<{ spentUsd: number; reservedUsd: number }> {
      const [row] = await database
        .select({ spentUsd: budgetPeriods.spentUsd, reservedUsd: budgetPeriods.reservedUsd })
        .from(budgetPeriods)
        .where(
          and(
            eq(budgetPeriods.workspaceId, workspaceId),
            eq(budgetPeriods.scope, scope),
            eq(budgetPeriods.periodStart, periodStart),
          ),
        );
      return row ?? { spentUsd: 0, reservedUsd: 0 };
    },

    async openReservationCount(workspaceId: string): Promise<number> {
      const [row] = await database
        .select({ count: sql<number>`count(*)::int` })
        .from(budgetReservations)
        .where(
          and(eq(budgetReservations.workspaceId, workspaceId), eq(budgetReservations.state, 'reserved')),
        );
      return row?.count ?? 0;
    },

    /** Spend and holds of one month grouped by a column (agent or provider key). */
    async usageBy(
      workspaceId: string,
      periodStart: Date,
      column: 'agent_id' | 'provider_key_id',
    ): Promise<Array<{ id: string | null; spentUsd: number; reservedUsd: number; calls: number }>> {
      const rows = await queryRows<{
        id: string | null;
        spent: string | null;
        reserved: string | null;
        calls: number;
      }>(
        database,
        sql`select ${sql.identifier(column)} as id,
              coalesce(sum(spent_usd), 0)::text as spent,
              coalesce(sum(case when state = 'reserved' then reserved_usd else 0 end), 0)::text as reserved,
              count(*)::int as calls
            from budget_reservations
            where workspace_id = ${workspaceId} and period_start = ${periodStart}
            group by 1 order by sum(spent_usd) desc nulls last`,
      );
      return rows.map((row) => ({
        id: row.id,
        spentUsd: Number(row.spent ?? 0),
        reservedUsd: Number(row.reserved ?? 0),
        calls: row.calls,
      }));
    },

    async agentLimits(workspaceId: string, agentIds: string[]): Promise<Map<string, number>> {
      if (agentIds.length === 0) return new Map();
      const rows = await database
        .select({ agentId: agentBudgets.agentId, limit: agentBudgets.monthlyLimitUsd })
        .from(agentBudgets)
        .where(and(eq(agentBudgets.workspaceId, workspaceId), inArray(agentBudgets.agentId, agentIds)));
      return new Map(rows.map((row) => [row.agentId, row.limit]));
    },

    async setAgentLimit(workspaceId: string, agentId: string, monthlyLimitUsd: number | null): Promise<void> {
      if (monthlyLimitUsd === null) {
        await database
          .delete(agentBudgets)
          .where(and(eq(agentBudgets.workspaceId, workspaceId), eq(agentBudgets.agentId, agentId)));
        return;
      }
      await database
        .insert(agentBudgets)
        .values({ workspaceId, agentId, monthlyLimitUsd, updatedAt: new Date() })
        .onConflictDoUpdate({
          target: [agentBudgets.workspaceId, agentBudgets.agentId],
          set: { monthlyLimitUsd, updatedAt: new Date() },
        });
    },
  };
}
