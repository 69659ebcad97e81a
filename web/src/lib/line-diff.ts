export type DiffLine = { kind: 'same' | 'added' | 'removed'; text: string };

/** A line diff by longest common subsequence; inputs here are prompts and small JSON documents. */
export function diffLines(before: string, after: string): DiffLine[] {
  const a = before.split('\n');
  const b = after.split('\n');
  const lengths: number[][] = Array.from({ length: a.length + 1 }, () =>
    new Array<number>(b.length + 1).fill(0),
  );
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      const row = lengths[i] as number[];
      row[j] =
        a[i] === b[j]
          ? (lengths[i + 1]?.[j + 1] ?? 0) + 1
          : Math.max(lengths[i + 1]?.[j] ?? 0, row[j + 1] ?? 0);
    }
  }
  const result: DiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      result.push({ kind: 'same', text: a[i] ?? '' });
      i++;
      j++;
    } else if ((lengths[i + 1]?.[j] ?? 0) >= (lengths[i]?.[j + 1] ?? 0)) {
      result.push({ kind: 'removed', text: a[i++] ?? '' });
    } else {
      result.push({ kind: 'added', text: b[j++] ?? '' });
    }
  }
  while (i < a.length) result.push({ kind: 'removed', text: a[i++] ?? '' });
  while (j < b.length) result.push({ kind: 'added', text: b[j++] ?? '' });
  return result;
}

/** Text for diffing any value: strings as they are, everything else as indented JSON. */
export function diffText(value: unknown): string {
  if (typeof value === 'string') return value;
  return value === undefined ? '' : JSON.stringify(value, null, 2);
}
