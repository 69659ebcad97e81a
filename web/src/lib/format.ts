/** Display helpers; the API's numbers are shown as they are, never rounded into something else. */

export function formatCost(costUsd: number | null, priced = true): string {
  if (!priced || costUsd === null) return 'not priced';
  return formatUsd(costUsd);
}

/**
 * A total over executions some of which had no price: the priced cost plus how many are not priced,
 * so an unknown cost is never shown (or summed) as $0.
 */
export function formatPricedTotal(costUsd: number, unpricedCount: number, count: number): string {
  if (unpricedCount === 0) return formatUsd(costUsd);
  if (unpricedCount >= count) return 'not priced';
  return `${formatUsd(costUsd)} + ${unpricedCount.toLocaleString()} not priced`;
}

export function formatMs(ms: number | null): string {
  if (ms === null) return '—';
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

/**
 * A wait in the units a person would say: "15 minutes", "2 hours", "40 seconds". Rounded up, so
 * "try again in" never names a moment that is still too early.
 */
export function formatDuration(seconds: number): string {
  const plural = (count: number, unit: string) => `${count} ${unit}${count === 1 ? '' : 's'}`;
  if (seconds < 60) return plural(Math.max(1, Math.ceil(seconds)), 'second');
  if (seconds < 3600) return plural(Math.ceil(seconds / 60), 'minute');
  if (seconds < 86_400) return plural(Math.ceil(seconds / 3600), 'hour');
  return plural(Math.ceil(seconds / 86_400), 'day');
}

export function formatDateTime(iso: string | null): string {
  if (!iso) return '—';
  return new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

export function formatNumber(value: number | null): string {
  return value === null ? '—' : value.toLocaleString();
}

export function formatPercent(value: number | null): string {
  return value === null ? '—' : `${(value * 100).toFixed(1)}%`;
}

export function formatJson(value: unknown): string {
  return value === undefined ? '' : JSON.stringify(value, null, 2);
}

/** Budget amounts: cents for dollars and up, four decimals below a dollar (test budgets are tiny). */
/**
 * Every amount of money the console shows, the same way everywhere: cents for a dollar and more,
 * and below a dollar as many digits as the amount has (up to nine, the store's precision), so
 * $0.000011 never shows as $0.0000 in one place and $0.000011 in another.
 */
export function formatUsd(value: number | null): string {
  if (value === null) return 'no limit';
  if (value === 0 || Math.abs(value) >= 1) return `$${value.toFixed(2)}`;
  const text = value.toFixed(9).replace(/0+$/, '');
  const decimals = text.length - text.indexOf('.') - 1;
  return `$${decimals < 2 ? value.toFixed(2) : text}`;
}

export function formatDate(iso: string | null): string {
  if (!iso) return '—';
  return new Date(iso).toLocaleDateString(undefined, { dateStyle: 'medium', timeZone: 'UTC' });
}
