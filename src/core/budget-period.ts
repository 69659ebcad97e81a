/** Budgets run by UTC calendar month: the period a moment falls in starts at 00:00 UTC on the 1st. */
export function budgetPeriodStart(moment: Date): Date {
  return new Date(Date.UTC(moment.getUTCFullYear(), moment.getUTCMonth(), 1));
}

/** When the budget of the period containing `moment` resets (the next period's start). */
export function budgetPeriodEnd(moment: Date): Date {
  return new Date(Date.UTC(moment.getUTCFullYear(), moment.getUTCMonth() + 1, 1));
}

/** `2026-11` for a moment in November 2026 (UTC): the label alerts dedupe on. */
export function budgetPeriodLabel(moment: Date): string {
  return budgetPeriodStart(moment).toISOString().slice(0, 7);
}

/** Rounds money for messages; the ledger keeps nine decimals. */
export function formatUsd(amount: number): string {
  return `$${amount < 1 ? amount.toFixed(4) : amount.toFixed(2)}`;
}
