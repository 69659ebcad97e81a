import { and, eq, inArray, lte, sql } from 'drizzle-orm';
import type { Database } from '../database.ts';
import { queryRows } from '../query-rows.ts';
import {
  agentBudgets,
  budgetPeriods,
  budgetReservations,
  type ReservationFinish,
  type WorkspaceSettingsColumn,
} from '../schema/index.ts';
import { periodMoveCtes } from './budget-period-moves.ts';
import { createExecutionEndWrites, type ExecutionEndWrites } from './execution-end-writes.ts';
import type { LeaseSettlement } from './lease-settlement-statement.ts';
import { createStatementBatcher } from './statement-batcher.ts';

export interface ScopeLimit {
  scope: string;
  /** Null: no limit, but the spend is still counted. */
  limitUsd: number | null;
}

export type ReserveOutcome =
  | { reserved: true /** The workspace scope had a limit. */; workspaceLimited: boolean }
  | { reserved: false; scope: string; spentUsd: number; reservedUsd: number; limitUsd: number };

export type { ReservationFinish } from '../schema/index.ts';

const periodKey = (workspaceId: string, scope: string, periodStart: Date) =>
  `${workspaceId}|${scope}|${periodStart.getTime()}`;

export interface FinishedReservation {
  finished: boolean;
  workspaceId?: string;
  scopes?: string[];
  periodStart?: Date;
}

export type { LeaseSettlement } from './lease-settlement-statement.ts';

interface FinishItem {
  id: string;
  how: ReservationFinish;
  spentUsd: number;
  now: Date;
}

/**
 * The spending ledger. Every total changes by conditional updates on one row per scope and month,
 * so concurrent reservations on any number of nodes cannot push spent + reserved over a limit, and
 * a reservation leaves the `reserved` state exactly once. Finishes and lease settlements arriving
 * in one turn of the event loop share one statement (group commit).
 */
export function createBudgetRepository(
  database: Database,
  options: { groupCommit?: boolean; namedStatementsAfterRows?: number; endWrites?: ExecutionEndWrites } = {},
) {
  const knownPeriods = new Set<string>();
  const finishes = createStatementBatcher<FinishItem, FinishedReservation>({
    enabled: options.groupCommit ?? true,
    flush: (items) => finishReservations(database, items),
  });
  // Settlements share their statements (and commit) with the execution finishes of the same turn.
  const endWrites = options.endWrites ?? createExecutionEndWrites(database, options);
  return {
    /**
     * Takes a hold on the workspace scope and, with an agent, the agent's scope — on every one or
     * on none — in one statement: the limits are read (workspace settings, agent budget), the
     * scopes' period rows are locked in scope order (two reservations never wait on each other
     * crosswise) and checked with the latest totals, and only when every one fits are they raised
     * and the reservation row written. Period rows are created first when this process has not
     * seen them.
     */
    async reserve(input: {
      id: string;
      workspaceId: string;
      periodStart: Date;
      workspaceScope: string;
      /** Null: the hold counts against the workspace only. */
      agentScope: string | null;
      /** The workspace limit when its settings do not name one. */
      defaultWorkspaceLimitUsd: number | null;
      amountUsd: number;
      agentId: string | null;
      providerKeyId: string | null;
      executionId: string | null;
      now: Date;
      expiresAt: Date;
      /** `lease`: a node's slice of the budget (see `settleFromLease`); `hold` by default. */
      kind?: 'hold' | 'lease';
    }): Promise<ReserveOutcome> {
      const scopes = [input.workspaceScope, input.agentScope]
        .filter((scope): scope is string => scope !== null)
        .map((scope) => ({ scope }));
      const missing = scopes.filter(
        ({ scope }) => !knownPeriods.has(periodKey(input.workspaceId, scope, input.periodStart)),
      );
      if (missing.length > 0) {
        await database
          .insert(budgetPeriods)
          .values(
            missing.map(({ scope }) => ({
              workspaceId: input.workspaceId,
              scope,
              periodStart: input.periodStart,
            })),
          )
          .onConflictDoNothing();
        // Period rows are never deleted (only with their workspace), so once seen they exist.
        if (knownPeriods.size > 10_000) knownPeriods.clear();
        for (const { scope } of missing)
          knownPeriods.add(periodKey(input.workspaceId, scope, input.periodStart));
      }
      const amount = sql`${String(input.amountUsd)}::numeric`;
      const defaultLimit =
        input.defaultWorkspaceLimitUsd === null ? null : String(input.defaultWorkspaceLimitUsd);
      const rows = await queryRows<{
        fits: boolean;
        scope: string;
        spent: string;
        reserved: string;
        limitUsd: string | null;
      }>(
        database,
        sql`with wanted(scope, limit_usd) as (
              select ${input.workspaceScope}::text,
                     case when w.settings -> 'monthlyBudgetUsd' is null then ${defaultLimit}::numeric
                          else (w.settings ->> 'monthlyBudgetUsd')::numeric end
              from workspaces w where w.id = ${input.workspaceId}
              union all
              select ${input.agentScope}::text,
                     (select b.monthly_limit_usd from agent_budgets b
                      where b.workspace_id = ${input.workspaceId} and b.agent_id = ${input.agentId})
              where ${input.agentScope}::text is not null
            ),
            locked as (
              select p.scope, p.spent_usd, p.reserved_usd, wanted.limit_usd
              from budget_periods p join wanted on wanted.scope = p.scope
              where p.workspace_id = ${input.workspaceId} and p.period_start = ${input.periodStart}
              order by p.scope
              for update of p
            ),
            verdict as (
              select count(*) = ${scopes.length}
                     and coalesce(bool_and(limit_usd is null or spent_usd + reserved_usd + ${amount} <= limit_usd), false)
                     as fits
              from locked
            ),
            held as (
              update budget_periods p set reserved_usd = p.reserved_usd + ${amount}
              from verdict
              where verdict.fits and p.workspace_id = ${input.workspaceId}
                and p.period_start = ${input.periodStart} and p.scope in (select scope from wanted)
              returning p.scope
            ),
            recorded as (
              insert into budget_reservations (id, workspace_id, period_start, scopes, agent_id,
                provider_key_id, execution_id, reserved_usd, state, kind, created_at, expires_at)
              select ${input.id}, ${input.workspaceId}, ${input.periodStart},
                     ${JSON.stringify(scopes.map(({ scope }) => scope))}::jsonb, ${input.agentId},
                     ${input.providerKeyId}, ${input.executionId}, ${amount}, 'reserved',
                     ${input.kind ?? 'hold'}, ${input.now}, ${input.expiresAt}
              from verdict where verdict.fits
              returning id
            )
            select (select fits from verdict) as fits, locked.scope, locked.spent_usd::text as spent,
                   locked.reserved_usd::text as reserved, locked.limit_usd::text as "limitUsd"
            from locked
            order by locked.scope`,
      );
      if (rows[0]?.fits === true) {
        const workspaceRow = rows.find((row) => row.scope === input.workspaceScope);
        return { reserved: true, workspaceLimited: workspaceRow?.limitUsd != null };
      }
      if (rows.length < scopes.length && missing.length === 0) {
        // A period row this process saw is gone (tables cleared under it): create it and try again.
        for (const { scope } of scopes)
          knownPeriods.delete(periodKey(input.workspaceId, scope, input.periodStart));
        return this.reserve(input);
      }
      for (const row of rows) {
        if (row.limitUsd === null) continue;
        const limitUsd = Number(row.limitUsd);
        const spentUsd = Number(row.spent);
        const reservedUsd = Number(row.reserved);
        if (spentUsd + reservedUsd + input.amountUsd > limitUsd)
          return { reserved: false, scope: row.scope, spentUsd, reservedUsd, limitUsd };
      }
      throw new Error('budget reservation refused without a full scope');
    },

    /**
     * Ends a reservation (a hold, or a lease's unused rest): moves it out of `reserved` and adds
     * what was really spent, in one statement shared with the other finishes of this turn (period
     * rows locked in key order, like `reserve`). Answers `finished: false` when it had already
     * ended (settled, released or expired): nothing counts twice.
     */
    finish(id: string, how: ReservationFinish, spentUsd: number, now: Date): Promise<FinishedReservation> {
      return finishes.submit({ id, how, spentUsd, now });
    },

    /**
     * Records an execution's spend against its node's lease: the lease's hold shrinks by the spend,
     * the period totals move it from reserved to spent, and a settled hold row keeps the
     * execution's agent and key for the usage views. False when the lease had already ended
     * (returned, or expired and reclaimed): then nothing is counted, as for an expired hold.
     */
    settleFromLease(settlement: LeaseSettlement): Promise<boolean> {
      return endWrites.settle(settlement);
    },

    /** The workspace's stored settings and, with an agent, its own monthly limit: one query for a reservation. */
    async limits(
      workspaceId: string,
      agentId: string | null,
    ): Promise<{ settings: WorkspaceSettingsColumn | null; agentLimitUsd: number | null }> {
      const [row] = await queryRows<{ settings: unknown; agentLimit: string | number | null }>(
        database,
        sql`select w.settings,
                   (select b.monthly_limit_usd from agent_budgets b
                    where b.workspace_id = w.id and b.agent_id = ${agentId}) as "agentLimit"
            from workspaces w where w.id = ${workspaceId}`,
      );
      if (!row) return { settings: null, agentLimitUsd: null };
      const settings = typeof row.settings === 'string' ? JSON.parse(row.settings) : row.settings;
      return {
        settings: (settings as WorkspaceSettingsColumn | null) ?? null,
        agentLimitUsd: row.agentLimit === null ? null : Number(row.agentLimit),
      };
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

    /**
     * Spend and holds of one month grouped by a column (agent or provider key), with how many of the
     * calls ran a model without a price (their execution's `cost_priced` is false): they settle at 0,
     * which is not what they cost.
     */
    async usageBy(
      workspaceId: string,
      periodStart: Date,
      column: 'agent_id' | 'provider_key_id',
    ): Promise<
      Array<{
        id: string | null;
        spentUsd: number;
        reservedUsd: number;
        calls: number;
        unpricedCalls: number;
      }>
    > {
      const rows = await queryRows<{
        id: string | null;
        spent: string | null;
        reserved: string | null;
        calls: number;
        unpriced: number;
      }>(
        database,
        sql`select ${sql.identifier('reservation')}.${sql.identifier(column)} as id,
              coalesce(sum(reservation.spent_usd), 0)::text as spent,
              coalesce(sum(case when reservation.state = 'reserved' then reservation.reserved_usd else 0 end), 0)::text as reserved,
              (count(*) filter (where reservation.kind = 'hold'))::int as calls,
              (count(*) filter (where reservation.kind = 'hold' and not execution.cost_priced))::int as unpriced
            from budget_reservations as reservation
            left join executions as execution on execution.id = reservation.execution_id
            where reservation.workspace_id = ${workspaceId} and reservation.period_start = ${periodStart}
            group by 1 order by sum(reservation.spent_usd) desc nulls last`,
      );
      return rows.map((row) => ({
        id: row.id,
        spentUsd: Number(row.spent ?? 0),
        reservedUsd: Number(row.reserved ?? 0),
        calls: row.calls,
        unpricedCalls: row.unpriced,
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

/** Ends holds in one statement: reservation rows in id order, then their period rows in key order. */
async function finishReservations(database: Database, items: FinishItem[]): Promise<FinishedReservation[]> {
  const batch = JSON.stringify(
    items.map((item) => ({
      id: item.id,
      how: item.how,
      spent: String(Math.max(0, item.spentUsd)),
      at: item.now.toISOString(),
    })),
  );
  const rows = await queryRows<{
    id: string;
    workspaceId: string;
    scopes: unknown;
    periodStart: Date | string;
  }>(
    database,
    sql`with batch as (
          select distinct on (id) id, how, spent, at
          -- The limit tells the planner how many rows the JSON holds (it assumes 100): with the
          -- real count it looks the rows up by key instead of hashing the whole table.
          from (select * from json_to_recordset(${batch}::json)
                  as r(id text, how text, spent numeric, at timestamptz) limit ${items.length}) as b
          order by id
        ),
        taken as (
          select r.id from budget_reservations r join batch on batch.id = r.id
          where r.state = 'reserved' order by r.id for update of r
        ),
        ended as (
          update budget_reservations r set state = batch.how, spent_usd = batch.spent, finished_at = batch.at
          from batch, taken
          where r.id = batch.id and r.id = taken.id and r.state = 'reserved'
          returning r.id, r.workspace_id, r.scopes, r.period_start, r.reserved_usd, r.spent_usd
        ),
        per_scope as (
          select ended.workspace_id, scoped.scope, ended.period_start,
                 sum(ended.reserved_usd) as reserved, sum(ended.spent_usd) as spent
          from ended cross join lateral jsonb_array_elements_text(ended.scopes) as scoped(scope)
          group by 1, 2, 3
        ),
        ${sql.raw(periodMoveCtes('per_scope.reserved'))}
        select id, workspace_id as "workspaceId", scopes, period_start as "periodStart",
               (select count(*) from moved) as moved
        from ended`,
  );
  const byId = new Map(rows.map((row) => [row.id, row]));
  return items.map((item) => {
    const row = byId.get(item.id);
    // A duplicate id in one batch ends once; its twin answers like a second finish would.
    if (!row) return { finished: false };
    byId.delete(item.id);
    const scopes =
      typeof row.scopes === 'string' ? (JSON.parse(row.scopes) as string[]) : (row.scopes as string[]);
    return { finished: true, workspaceId: row.workspaceId, scopes, periodStart: new Date(row.periodStart) };
  });
}
