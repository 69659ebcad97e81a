import { periodMoveCtes } from './budget-period-moves.ts';

/** One execution's spend taken off its node's lease and recorded as a settled hold of its own. */
export interface LeaseSettlement {
  leaseId: string;
  holdId: string;
  agentId: string | null;
  providerKeyId: string | null;
  executionId: string | null;
  /** What the execution held in memory (its estimate). */
  reservedUsd: number;
  spentUsd: number;
  now: Date;
}

/**
 * The settlement as the common table expressions of a statement (without `with`), its batch in
 * parameter `$rows` (JSON) and its row count in `$count`; the ids of the settled holds it recorded
 * are in `recorded`. Constant text for given parameter numbers, so it can run named, alone or
 * after an execution finish in the same statement (one commit for both).
 *
 * Leases still `reserved` are locked in id order and shrink by what was spent on them, their period
 * rows (key order) move that spend from reserved to spent, and each execution gets a settled hold
 * row that keeps its agent and key for the usage views.
 */
export function leaseSettlementCtes(rows: number, count: number): string {
  return `settle_batch as (
          select distinct on (b.hold_id) b.*
          -- The limit tells the planner how many rows the JSON holds (it assumes 100, and then
          -- hashes all of budget_reservations, one row per settled execution, for the check below).
          from (select * from json_to_recordset($${rows}::json) as r(hold_id text, lease_id text,
                  agent_id text, provider_key_id text, execution_id text, reserved numeric, spent numeric,
                  at timestamptz) limit $${count}) as b
          -- A hold already settled counts once (two settles racing: the second insert conflicts,
          -- its statement rolls back, and alone it finds the row here). A sub-select per row rather
          -- than "not exists", which PostgreSQL turns into an anti-join that a plan kept from a young
          -- table runs as a hash of all of budget_reservations (one row per settled execution).
          where (select done.id from budget_reservations done where done.id = b.hold_id) is null
          order by b.hold_id
        ),
        totals as (select lease_id, sum(spent) as spent from settle_batch group by lease_id),
        taken as (
          select l.id from budget_reservations l join totals on totals.lease_id = l.id
          where l.state = 'reserved' and l.kind = 'lease' order by l.id for update of l
        ),
        leases as (
          update budget_reservations l set reserved_usd = greatest(l.reserved_usd - totals.spent, 0)
          from totals, taken
          where l.id = totals.lease_id and l.id = taken.id and l.state = 'reserved'
          returning l.id, l.workspace_id, l.scopes, l.period_start
        ),
        per_scope as (
          select leases.workspace_id, scoped.scope, leases.period_start, sum(totals.spent) as spent
          from leases join totals on totals.lease_id = leases.id
          cross join lateral jsonb_array_elements_text(leases.scopes) as scoped(scope)
          group by 1, 2, 3
        ),
        ${periodMoveCtes('per_scope.spent')},
        recorded as (
          insert into budget_reservations (id, workspace_id, period_start, scopes, agent_id,
            provider_key_id, execution_id, reserved_usd, spent_usd, state, kind, created_at,
            expires_at, finished_at)
          select settle_batch.hold_id, leases.workspace_id, leases.period_start, leases.scopes,
                 settle_batch.agent_id, settle_batch.provider_key_id, settle_batch.execution_id,
                 settle_batch.reserved, settle_batch.spent, 'settled', 'hold', settle_batch.at,
                 settle_batch.at, settle_batch.at
          from settle_batch join leases on leases.id = settle_batch.lease_id
          returning id
        )`;
}

/** The settlement alone: the ids of the holds it recorded. */
export const leaseSettlementText = `with ${leaseSettlementCtes(1, 2)}
        select id from recorded`;

/** The two parameters of a settlement (`$rows`, `$count`) for a batch. */
export function leaseSettlementParams(items: readonly LeaseSettlement[]): [string, number] {
  const batch = JSON.stringify(
    items.map((item) => ({
      hold_id: item.holdId,
      lease_id: item.leaseId,
      agent_id: item.agentId,
      provider_key_id: item.providerKeyId,
      execution_id: item.executionId,
      reserved: String(Math.max(0, item.reservedUsd)),
      spent: String(Math.max(0, item.spentUsd)),
      at: item.now.toISOString(),
    })),
  );
  return [batch, items.length];
}
