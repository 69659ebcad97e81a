import { readdirSync, readFileSync } from 'node:fs';

/** The parent pid of a process, from /proc/<pid>/stat (after the command name, which may hold spaces). */
function parentOf(pid: string): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined; // it ended while we looked
  }
}

/** The pids whose parent is `pid` (a serving primary's processes), in ascending order. */
export function childrenOf(pid: number | undefined): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry) && parentOf(entry) === pid)
    .map(Number)
    .sort((left, right) => left - right);
}

/** Resident memory of a process and its children in MiB, and how much of it is anonymous. */
export function memoryOfTree(pid: number | undefined): { rss: number; anonymous: number } {
  let rss = 0;
  let anonymous = 0;
  for (const member of [pid, ...childrenOf(pid)]) {
    try {
      const status = readFileSync(`/proc/${member}/status`, 'utf8');
      const kib = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
      rss += kib('VmRSS');
      anonymous += kib('RssAnon');
    } catch {}
  }
  return { rss: rss / 1024, anonymous: anonymous / 1024 };
}
