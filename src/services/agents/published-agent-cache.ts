import { LRUCache } from 'lru-cache';
import type { ChangeNotifications } from '../../store/change-notifications.ts';
import type { AgentRow, AgentVersionRow, Repositories } from '../../store/repositories/index.ts';
import { parseCredentialChange } from '../identity/credential-changes.ts';

/** An agent changed (saved, published, labelled, deleted): every node drops its copy of it. */
export interface AgentChange {
  kind: 'agent-changed';
  workspaceId: string;
  agentId: string;
}

export function encodeAgentChange(change: Omit<AgentChange, 'kind'>): string {
  return JSON.stringify({ kind: 'agent-changed', workspaceId: change.workspaceId, agentId: change.agentId });
}

/** The agent change a payload carries, or null (other caches' notices, or anything malformed). */
export function parseAgentChange(payload: string): AgentChange | null {
  if (!payload.includes('"agent-changed"')) return null;
  try {
    const value = JSON.parse(payload) as Partial<AgentChange>;
    return value.kind === 'agent-changed' &&
      typeof value.workspaceId === 'string' &&
      typeof value.agentId === 'string'
      ? { kind: value.kind, workspaceId: value.workspaceId, agentId: value.agentId }
      : null;
  } catch {
    return null;
  }
}

/** A notice of another kind of cache on the same channel: the credential cache must not clear for it. */
export function isAgentChangePayload(payload: string): boolean {
  return parseAgentChange(payload) !== null;
}

type Published = { agent: AgentRow | undefined; version: AgentVersionRow | undefined };

export interface PublishedAgentCacheSettings {
  maxEntries: number;
  /** How long a copy is trusted without a notice: the bound for a notice that was lost. */
  ttlMs: number;
}

/**
 * This node's copies of "the agent and its published version" by workspace and id or slug — the
 * one read every execution makes before its provider call. Served only while `notifications` is
 * listening; the agent service announces every change in the transaction that makes it and
 * answers once every node applied it, so a published version is what the very next run gets on
 * any node. Only found agents are kept (a new agent needs no notice). A lookup that was in flight
 * while any notice arrived is answered but not kept, so a copy read before a change cannot outlive it.
 */
export function createPublishedAgentCache(dependencies: {
  notifications: ChangeNotifications;
  settings?: Partial<PublishedAgentCacheSettings> | undefined;
}) {
  const { notifications } = dependencies;
  const settings = { maxEntries: 10_000, ttlMs: 60_000, ...dependencies.settings };
  const entries = new LRUCache<string, Published>({ max: settings.maxEntries, ttl: settings.ttlMs });
  let generation = 0;
  const keyOf = (workspaceId: string, reference: string) => `${workspaceId} ${reference}`;

  const dropWhere = (matches: (value: Published) => boolean) => {
    const keys: string[] = [];
    for (const [key, value] of entries.entries()) if (matches(value)) keys.push(key);
    for (const key of keys) entries.delete(key);
  };
  const clear = () => {
    generation++;
    entries.clear();
  };

  notifications.subscribe({
    message(payload) {
      const change = parseAgentChange(payload);
      if (change) {
        generation++;
        dropWhere((value) => value.agent?.id === change.agentId);
        return;
      }
      // A deleted workspace takes its agents with it (the credential notice names it).
      const credentialChange = parseCredentialChange(payload);
      if (credentialChange?.kind === 'workspace-deleted') {
        generation++;
        dropWhere((value) => value.agent?.workspaceId === credentialChange.workspaceId);
      }
    },
    reset: clear,
  });

  return {
    /** The agent and its published version, from this node's copy or `load`. */
    async published(
      workspaceId: string,
      reference: string,
      load: () => Promise<Published>,
    ): Promise<Published> {
      const key = keyOf(workspaceId, reference);
      if (notifications.listening) {
        const cached = entries.get(key);
        if (cached) return cached;
      }
      const startedAt = generation;
      const loaded = await load();
      if (loaded.agent && notifications.listening && startedAt === generation)
        entries.set(key, deepFreeze(loaded));
      return loaded;
    },
    get size() {
      return entries.size;
    },
  };
}

export type PublishedAgentCache = ReturnType<typeof createPublishedAgentCache>;

/**
 * Repositories whose `agents.findPublished` reads through the cache; for services outside a
 * transaction (executions, the OpenAI-compatible endpoint). Transactions build their own.
 */
export function withCachedPublishedAgents(
  repositories: Repositories,
  cache: PublishedAgentCache,
): Repositories {
  const agents: Repositories['agents'] = {
    ...repositories.agents,
    findPublished: (workspaceId, reference) =>
      cache.published(workspaceId, reference, () =>
        repositories.agents.findPublished(workspaceId, reference),
      ),
  };
  return { ...repositories, agents };
}

/** Copies are shared by every caller: a caller that wrote into one would change it for the rest. */
function deepFreeze<Value>(value: Value): Value {
  if (value && typeof value === 'object' && !Object.isFrozen(value) && !(value instanceof Date)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}
