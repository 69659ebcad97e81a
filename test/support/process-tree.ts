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

/** CPU time (user + system, ms) a process has used so far, or 0 once it has ended. */
function cpuOf(pid: number | string): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime (fields 14 and 15 of stat, 11 and 12 after the command) in clock ticks of 10 ms.
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return 0;
  }
}

/** CPU time (ms) used so far by a process and its children (a serving group). */
export function cpuOfTree(pid: number | undefined): number {
  if (pid === undefined) return 0;
  return [pid, ...childrenOf(pid)].reduce((total, member) => total + cpuOf(member), 0);
}

/** CPU time (ms) used so far by every process of a command name (e.g. all of PostgreSQL's). */
export function cpuOfCommand(command: string): number {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === command) total += cpuOf(entry);
    } catch {}
  }
  return total;
}
