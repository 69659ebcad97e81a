import { type ChangeNotifications, silentChangeNotifications } from '../../store/change-notifications.ts';
import type { Database } from '../../store/database.ts';
import { createRepositories, type Repositories } from '../../store/repositories/index.ts';

/** A change after which a cached credential or membership may no longer be trusted. */
export type CredentialChange =
  | { kind: 'token-revoked'; tokenId: string }
  | { kind: 'session-ended'; sessionIdHash: string }
  | { kind: 'user-sessions-ended'; userId: string }
  /** Role changed or member removed; also ends the rights of the tokens the member created there. */
  | { kind: 'membership-changed'; workspaceId: string; userId: string }
  | { kind: 'workspace-deleted'; workspaceId: string };

export function encodeCredentialChange(change: CredentialChange): string {
  return JSON.stringify(change);
}

const isText = (value: unknown): value is string => typeof value === 'string' && value.length > 0;

/** The change a payload carries, or null for anything else (which a cache treats as "drop all"). */
export function parseCredentialChange(payload: string): CredentialChange | null {
  let value: Record<string, unknown>;
  try {
    value = JSON.parse(payload) as Record<string, unknown>;
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  switch (value.kind) {
    case 'token-revoked':
      return isText(value.tokenId) ? { kind: value.kind, tokenId: value.tokenId } : null;
    case 'session-ended':
      return isText(value.sessionIdHash) ? { kind: value.kind, sessionIdHash: value.sessionIdHash } : null;
    case 'user-sessions-ended':
      return isText(value.userId) ? { kind: value.kind, userId: value.userId } : null;
    case 'membership-changed':
      return isText(value.workspaceId) && isText(value.userId)
        ? { kind: value.kind, workspaceId: value.workspaceId, userId: value.userId }
        : null;
    case 'workspace-deleted':
      return isText(value.workspaceId) ? { kind: value.kind, workspaceId: value.workspaceId } : null;
    default:
      return null;
  }
}

/** How services that revoke, remove or change rights commit, so every node's cache hears of it. */
export interface CredentialChanges {
  /**
   * Runs `work` in one transaction; the changes it announces are published in that transaction
   * (so they travel exactly when it commits) and this resolves once every listening node has
   * applied them.
   */
  commit<Result>(
    work: (scoped: Repositories, announce: (change: CredentialChange) => void) => Promise<Result>,
  ): Promise<Result>;
}

/** Commits with announcements over `notifications`; without one, a plain transaction that tells no one. */
export function createCredentialChanges(dependencies: {
  database: Database;
  notifications?: ChangeNotifications;
}): CredentialChanges {
  const { database } = dependencies;
  const notifications = dependencies.notifications ?? silentChangeNotifications;
  return {
    async commit(work) {
      const { result, publications } = await database.transaction(async (transaction) => {
        const scoped = transaction as unknown as Database;
        const changes: CredentialChange[] = [];
        const result = await work(createRepositories(scoped), (change) => changes.push(change));
        const publications = [];
        for (const change of changes)
          publications.push(await notifications.publish(scoped, encodeCredentialChange(change)));
        return { result, publications };
      });
      await Promise.all(publications.map((publication) => publication.delivered()));
      return result;
    },
  };
}
