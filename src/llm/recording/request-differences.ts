import { stableStringify } from '../../core/stable-stringify.ts';

/** One field where a replayed request differs from the recorded one; values are shortened. */
export interface RequestDifference {
  /** `system`, `model`, `messages[1].content`, `outputSchema.properties.total.type`, … */
  path: string;
  recorded: unknown;
  replayed: unknown;
}

const maxDifferences = 20;
const maxTextLength = 120;

/**
 * The leaves where two requests differ, as JSON-ish paths. Long text is cut around the first
 * differing character, so a changed word in a long prompt shows up without the whole prompt.
 */
export function requestDifferences(recorded: unknown, replayed: unknown): RequestDifference[] {
  const differences: RequestDifference[] = [];
  walk(recorded, replayed, '', differences);
  return differences.slice(0, maxDifferences);
}

/** `system: "You are a…" → "You are the…"; messages[0].content: …` for an error message. */
export function describeDifferences(differences: readonly RequestDifference[]): string {
  return differences
    .slice(0, 5)
    .map((difference) => `${difference.path}: ${show(difference.recorded)} → ${show(difference.replayed)}`)
    .join('; ');
}

function walk(left: unknown, right: unknown, path: string, out: RequestDifference[]): void {
  if (out.length >= maxDifferences) return;
  if (isObject(left) && isObject(right)) {
    const keys = [...new Set([...Object.keys(left), ...Object.keys(right)])];
    for (const key of keys) walk(left[key], right[key], path ? `${path}.${key}` : key, out);
    return;
  }
  if (Array.isArray(left) && Array.isArray(right)) {
    for (let index = 0; index < Math.max(left.length, right.length); index++)
      walk(left[index], right[index], `${path}[${index}]`, out);
    return;
  }
  if (stableStringify(left) === stableStringify(right)) return;
  if (typeof left === 'string' && typeof right === 'string') {
    const [recorded, replayed] = aroundFirstDifference(left, right);
    out.push({ path, recorded, replayed });
    return;
  }
  out.push({ path, recorded: shorten(left), replayed: shorten(right) });
}

function aroundFirstDifference(left: string, right: string): [string, string] {
  if (left.length <= maxTextLength && right.length <= maxTextLength) return [left, right];
  let index = 0;
  while (index < left.length && index < right.length && left[index] === right[index]) index++;
  const start = Math.max(0, index - 40);
  const cut = (text: string) =>
    `${start > 0 ? '…' : ''}${text.slice(start, start + maxTextLength)}${text.length > start + maxTextLength ? '…' : ''}`;
  return [cut(left), cut(right)];
}

function shorten(value: unknown): unknown {
  if (value === undefined) return null;
  const text = stableStringify(value);
  return text.length > maxTextLength ? `${text.slice(0, maxTextLength)}…` : value;
}

function show(value: unknown): string {
  return value === null || value === undefined ? '(absent)' : JSON.stringify(value);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
