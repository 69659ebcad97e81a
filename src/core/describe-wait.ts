/**
 * A wait in the units a person would say ("15 minutes", "40 seconds"), rounded up so "try again in"
 * never names a moment that is still too early. The console words `Retry-After` the same way.
 */
export function describeWait(seconds: number): string {
  const plural = (count: number, unit: string) => `${count} ${unit}${count === 1 ? '' : 's'}`;
  if (seconds < 60) return plural(Math.max(1, Math.ceil(seconds)), 'second');
  if (seconds < 3600) return plural(Math.ceil(seconds / 60), 'minute');
  if (seconds < 86_400) return plural(Math.ceil(seconds / 3600), 'hour');
  return plural(Math.ceil(seconds / 86_400), 'day');
}
