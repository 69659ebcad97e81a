/**
 * The common table expressions that move money on budget period rows, shared by the statements that
 * end holds and settle leases: `locked` takes the period rows `per_scope` names in key order (every
 * statement that changes periods locks them in this order, so two never wait on each other
 * crosswise), and `moved` takes `released` off their reserved total and adds `per_scope.spent` to
 * their spent total. `per_scope` has one row per workspace, scope and period start.
 */
export function periodMoveCtes(released: 'per_scope.reserved' | 'per_scope.spent'): string {
  return `locked as (
          select p.workspace_id, p.scope, p.period_start
          from budget_periods p join per_scope on p.workspace_id = per_scope.workspace_id
            and p.period_start = per_scope.period_start and p.scope = per_scope.scope
          order by p.workspace_id, p.period_start, p.scope
          for update of p
        ),
        moved as (
          update budget_periods p
          set reserved_usd = greatest(p.reserved_usd - ${released}, 0),
              spent_usd = p.spent_usd + per_scope.spent
          from per_scope, locked
          where p.workspace_id = locked.workspace_id and p.scope = locked.scope
            and p.period_start = locked.period_start and per_scope.workspace_id = locked.workspace_id
            and per_scope.scope = locked.scope and per_scope.period_start = locked.period_start
          returning p.scope
        )`;
}
