import { LRUCache } from 'lru-cache';
import type { ChangeNotifications } from '../../store/change-notifications.ts';
import type { ApiTokenRow, SessionRow } from '../../store/repositories/index.ts';
import { isAgentChangePayload } from '../agents/published-agent-cache.ts';
import { type CredentialChange, parseCredentialChange } from './credential-changes.ts';

/** A live token with its creator's current role in the token's workspace. */
export interface CachedToken {
  token: ApiTokenRow;
  creatorRole: string;
}

export interface CachedSession {
  session: SessionRow;
  user: { id: string; email: string; name: string };
}

export interface CredentialCacheSettings {
  /** Entries per kind (tokens, sessions, memberships); the least recently used go first. */
  maxEntries: number;
  /** How long an entry is trusted without a change notice: a bound for a notice that was lost. */
  ttlMs: number;
}

export const defaultCredentialCacheSettings: CredentialCacheSettings = { maxEntries: 10_000, ttlMs: 60_000 };

/**
 * This node's copies of tokens, sessions and memberships, read through to the store. Served only
 * while `notifications` is listening (otherwise every lookup goes to the database); every change
 * notice drops what it names, and a reset drops everything. A lookup that was in flight while any
 * change arrived is answered but not kept, so a copy read before a change cannot outlive it.
 */
export function createCredentialCache(dependencies: {
  notifications: ChangeNotifications;
  settings?: Partial<CredentialCacheSettings> | undefined;
}) {
  const { notifications } = dependencies;
  const settings = { ...defaultCredentialCacheSettings, ...dependencies.settings };
  const options = { max: settings.maxEntries, ttl: settings.ttlMs };
  const tokens = new LRUCache<string, CachedToken>(options);
  const sessions = new LRUCache<string, CachedSession>(options);
  /** Role by `workspaceId userId`. */
  const memberships = new LRUCache<string, { role: string }>(options);
  let generation = 0;

  const membershipKey = (workspaceId: string, userId: string) => `${workspaceId} ${userId}`;

  function dropWhere<Value extends {}>(
    cache: LRUCache<string, Value>,
    matches: (value: Value, key: string) => boolean,
  ) {
    const keys: string[] = [];
    for (const [key, value] of cache.entries()) if (matches(value, key)) keys.push(key);
    for (const key of keys) cache.delete(key);
  }

  function clear(): void {
    generation++;
    tokens.clear();
    sessions.clear();
    memberships.clear();
  }

  function apply(change: CredentialChange): void {
    generation++;
    switch (change.kind) {
      case 'token-revoked':
        dropWhere(tokens, (entry) => entry.token.id === change.tokenId);
        return;
      case 'session-ended':
        sessions.delete(change.sessionIdHash);
        return;
      case 'user-sessions-ended':
        dropWhere(sessions, (entry) => entry.session.userId === change.userId);
        return;
      case 'membership-changed':
        memberships.delete(membershipKey(change.workspaceId, change.userId));
        dropWhere(
          tokens,
          (entry) =>
            entry.token.workspaceId === change.workspaceId && entry.token.createdBy === change.userId,
        );
        return;
      case 'workspace-deleted':
        dropWhere(memberships, (_entry, key) => key.startsWith(`${change.workspaceId} `));
        dropWhere(tokens, (entry) => entry.token.workspaceId === change.workspaceId);
        return;
    }
  }

  notifications.subscribe({
    message(payload) {
      const change = parseCredentialChange(payload);
      if (change) apply(change);
      // Agent notices share the channel (published-agent-cache.ts); anything else unknown drops all.
      else if (!isAgentChangePayload(payload)) clear();
    },
    reset: clear,
  });

  async function readThrough<Value extends {}>(
    cache: LRUCache<string, Value>,
    key: string,
    load: () => Promise<Value | undefined>,
    usable: (value: Value) => boolean,
  ): Promise<Value | undefined> {
    if (notifications.listening) {
      const cached = cache.get(key);
      if (cached !== undefined) {
        if (usable(cached)) return cached;
        cache.delete(key);
      }
    }
    const startedAt = generation;
    const loaded = await load();
    if (loaded !== undefined && notifications.listening && startedAt === generation) cache.set(key, loaded);
    return loaded;
  }

  return {
    /** The live token with this hash; `load` answers only tokens that authenticate. */
    token: (tokenHash: string, load: () => Promise<CachedToken | undefined>) =>
      readThrough(tokens, tokenHash, load, () => true),
    /** The session with this hash while `usable` holds for the copy (expiry, idle time); else reloaded. */
    session: (
      idHash: string,
      load: () => Promise<CachedSession | undefined>,
      usable: (entry: CachedSession) => boolean,
    ) => readThrough(sessions, idHash, load, usable),
    membership: (workspaceId: string, userId: string, load: () => Promise<{ role: string } | undefined>) =>
      readThrough(memberships, membershipKey(workspaceId, userId), load, () => true),
    /** Entries held now, by kind (for tests and diagnostics). */
    get size() {
      return { tokens: tokens.size, sessions: sessions.size, memberships: memberships.size };
    },
  };
}

export type CredentialCache = ReturnType<typeof createCredentialCache>;
