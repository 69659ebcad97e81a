/**
 * A value as a `::json` statement parameter: SQL NULL for null or undefined, JSON text otherwise
 * (the text is kept as written, so key order survives in `json` columns).
 */
export const jsonText = (value: unknown): string | null =>
  value === undefined || value === null ? null : JSON.stringify(value);
