import type { Clock } from '../../core/clock.ts';
import { decodeCursor, encodeCursor } from '../../core/cursor.ts';
import { newId } from '../../core/ids.ts';
import { redactSecrets } from '../../core/redact-secrets.ts';
import type { AuditEventRow, Repositories } from '../../store/repositories/index.ts';

export const auditActions = [
  'workspace.created',
  'workspace.settings_changed',
  'member.added',
  'member.role_changed',
  'member.removed',
  'token.created',
  'token.revoked',
  'provider_key.created',
  'provider_key.updated',
  'provider_key.rotated',
  'provider_key.deleted',
  'provider_key.tested',
  'secret.created',
  'secret.updated',
  'secret.deleted',
  'mcp_server.created',
  'mcp_server.updated',
  'mcp_server.deleted',
  'mcp_server.tool_tested',
  'auth.login_failed',
  'agent.published',
  'agent.rolled_back',
  'agent.label_set',
  'agent.label_removed',
  'workflow.webhook_secret_rotated',
  'instance.master_key_rotated',
] as const;
export type AuditAction = (typeof auditActions)[number];

/** Who did it and from where. */
export interface AuditActor {
  userId: string | null;
  tokenId: string | null;
  email?: string | null;
  address: string | null;
  userAgent: string | null;
}

export interface AuditEventView {
  id: string;
  action: string;
  actor: { userId: string | null; tokenId: string | null; email: string | null };
  target: { type: string; id: string | null };
  metadata: Record<string, unknown>;
  address: string | null;
  userAgent: string | null;
  createdAt: Date;
}

function toView(row: AuditEventRow): AuditEventView {
  return {
    id: row.id,
    action: row.action,
    actor: { userId: row.actorUserId, tokenId: row.actorTokenId, email: row.actorEmail },
    target: { type: row.targetType, id: row.targetId },
    metadata: row.metadata,
    address: row.address,
    userAgent: row.userAgent,
    createdAt: row.createdAt,
  };
}

/** The audit log: append events (metadata scrubbed of anything secret-named) and read them back. */
export function createAuditLog(dependencies: { repositories: Repositories; clock: Clock }) {
  const { repositories, clock } = dependencies;
  return {
    async record(
      workspaceIds: string | string[],
      actor: AuditActor,
      action: AuditAction,
      target: { type: string; id: string | null },
      metadata: Record<string, unknown> = {},
      /** The transaction of the change it records: the change and its event commit together or not at all. */
      within: Repositories = repositories,
    ): Promise<void> {
      const now = clock.now();
      const scrubbed = redactSecrets(metadata) as Record<string, unknown>;
      await within.auditEvents.insert(
        (Array.isArray(workspaceIds) ? workspaceIds : [workspaceIds]).map((workspaceId) => ({
          id: newId(now.getTime()),
          workspaceId,
          actorUserId: actor.userId,
          actorTokenId: actor.tokenId,
          actorEmail: actor.email ?? null,
          action,
          targetType: target.type,
          targetId: target.id,
          metadata: scrubbed,
          address: actor.address,
          userAgent: actor.userAgent?.slice(0, 512) ?? null,
          createdAt: now,
        })),
      );
    },

    async list(
      workspaceId: string,
      query: {
        action?: string;
        actorUserId?: string;
        targetId?: string;
        from?: Date;
        to?: Date;
        cursor?: string;
        limit: number;
      },
    ): Promise<{ items: AuditEventView[]; nextCursor: string | null }> {
      const before = query.cursor ? decodeCursor(query.cursor) : undefined;
      const rows = await repositories.auditEvents.list(workspaceId, {
        ...query,
        before,
        limit: query.limit + 1,
      });
      const page = rows.slice(0, query.limit);
      const last = page.at(-1);
      return {
        items: page.map(toView),
        nextCursor: rows.length > query.limit && last ? encodeCursor(last.createdAt, last.id) : null,
      };
    },
  };
}

export type AuditLog = ReturnType<typeof createAuditLog>;
