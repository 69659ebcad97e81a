import { LRUCache } from 'lru-cache';
import type { TelemetryReadings, WorkspaceLabelRow } from '../store/telemetry-readings.ts';

/** `Acme Corp.` → `acme-corp`; empty names become `workspace`. */
export function slugify(name: string): string {
  const slug = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 48)
    .replace(/-+$/g, '');
  return slug === '' ? 'workspace' : slug;
}

/**
 * The `workspace` label of every workspace: its name as a slug, unique across the installation.
 * Workspaces have no slug of their own, so the oldest of two with the same name keeps the plain
 * slug and the younger gets its id's last six characters appended. The alert receiver reverses
 * this mapping, so an alert's `workspace` label finds its workspace again.
 */
export function workspaceSlugs(rows: readonly WorkspaceLabelRow[]): Map<string, string> {
  const ordered = [...rows].sort(
    (first, second) =>
      first.createdAt.getTime() - second.createdAt.getTime() || first.id.localeCompare(second.id),
  );
  const taken = new Set<string>();
  const slugs = new Map<string, string>();
  for (const row of ordered) {
    const base = slugify(row.name);
    let slug = base;
    if (taken.has(slug)) slug = `${base}-${row.id.slice(-6).toLowerCase()}`;
    taken.add(slug);
    slugs.set(row.id, slug);
  }
  return slugs;
}

/** Small time-bounded memo: labels change rarely (a rename) and must not cost a query per event. */
export function createMemo<Value>(ttlMs: number, maxEntries: number) {
  const entries = new LRUCache<string, Promise<Value>>({ max: maxEntries, ttl: ttlMs });
  return (key: string, load: () => Promise<Value>): Promise<Value> => {
    const hit = entries.get(key);
    if (hit) return hit;
    // A failed load is forgotten, so the next event asks again instead of repeating the failure.
    const value = load().catch((error: unknown) => {
      if (entries.peek(key) === value) entries.delete(key);
      throw error;
    });
    entries.set(key, value);
    return value;
  };
}

export interface MetricLabels {
  workspace(workspaceId: string): Promise<string>;
  agent(agentId: string): Promise<string>;
  workflow(workflowId: string): Promise<string>;
  /** Every workspace's label, for the alert receiver's way back from a label to a workspace. */
  workspaces(): Promise<Map<string, string>>;
}

/** Resolves ids to bounded label values through the database, cached for `ttlMs` (default 30 s). */
export function createMetricLabels(readings: TelemetryReadings, ttlMs = 30_000): MetricLabels {
  const slugMemo = createMemo<string>(ttlMs, 5_000);
  let generation = 0;
  let current: { value: Promise<Map<string, string>>; generation: number; loadedAt: number } | undefined;
  const load = () => {
    const value = readings.listWorkspaces().then(workspaceSlugs);
    const entry = { value, generation: ++generation, loadedAt: Date.now() };
    value.catch(() => {
      if (current === entry) current = undefined;
    });
    current = entry;
    return entry;
  };
  const loaded = () => (current && Date.now() - current.loadedAt < ttlMs ? current : load());
  /** Ids missing even from a load made after they were asked for (deleted workspaces). */
  const unknown = new Map<string, number>();
  return {
    async workspace(workspaceId) {
      const seen = loaded();
      const slug = (await seen.value).get(workspaceId);
      if (slug !== undefined) return slug;
      if ((unknown.get(workspaceId) ?? 0) > Date.now()) return 'unknown';
      // A workspace made since that load: one load that started after it was asked sees it.
      const fresh = current && current.generation > seen.generation ? current : load();
      const found = (await fresh.value).get(workspaceId);
      if (found !== undefined) return found;
      if (unknown.size >= 1_000) unknown.clear();
      unknown.set(workspaceId, Date.now() + ttlMs);
      return 'unknown';
    },
    agent: (agentId) =>
      slugMemo(`agent:${agentId}`, async () => (await readings.agentSlug(agentId)) ?? 'unknown'),
    workflow: (workflowId) =>
      slugMemo(`workflow:${workflowId}`, async () => (await readings.workflowSlug(workflowId)) ?? 'unknown'),
    workspaces: () => loaded().value,
  };
}
