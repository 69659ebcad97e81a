import type { Clock } from '../../core/clock.ts';
import { FlightdeckError, notFoundError } from '../../core/errors.ts';
import { newId } from '../../core/ids.ts';
import { isRole, type Role, roleAllows, roleAtMost } from '../../security/permissions.ts';
import { newApiToken } from '../../security/secret-tokens.ts';
import type { Database } from '../../store/database.ts';
import { type ApiTokenRow, inTransaction, type Repositories } from '../../store/repositories/index.ts';
import { type AuditActor, createAuditLog } from '../audit/audit-log.ts';
import { type CredentialChanges, createCredentialChanges } from './credential-changes.ts';
import type { WorkspaceAccess } from './principal.ts';

export interface ApiTokenView {
  id: string;
  name: string;
  role: string;
  prefix: string;
  createdBy: { id: string; email: string; name: string } | null;
  createdAt: Date;
  lastUsedAt: Date | null;
  rateLimitPerMinute: number | null;
}

function toView(row: ApiTokenRow, creator: ApiTokenView['createdBy']): ApiTokenView {
  return {
    id: row.id,
    name: row.name,
    role: row.role,
    prefix: row.prefix,
    createdBy: creator,
    createdAt: row.createdAt,
    lastUsedAt: row.lastUsedAt,
    rateLimitPerMinute: row.rateLimitPerMinute,
  };
}

/** Workspace API tokens: shown once on creation, stored as SHA-256, revocable at once on every node. */
export function createApiTokenService(dependencies: {
  database: Database;
  repositories: Repositories;
  clock: Clock;
  credentialChanges?: CredentialChanges;
}) {
  const { repositories, clock } = dependencies;
  const changes =
    dependencies.credentialChanges ?? createCredentialChanges({ database: dependencies.database });
  return {
    async list(access: WorkspaceAccess): Promise<ApiTokenView[]> {
      const rows = await repositories.apiTokens.listActive(access.workspaceId);
      return rows.map((row) => toView(row, row.creator));
    },

    async create(
      access: WorkspaceAccess,
      input: { name: string; role: Role; rateLimitPerMinute?: number | null | undefined },
      actor?: AuditActor,
    ): Promise<ApiTokenView & { token: string }> {
      if (!roleAtMost(input.role, access.role)) {
        throw new FlightdeckError({
          code: 'role_too_high',
          kind: 'forbidden',
          message: `A token cannot have a higher role than yours (${access.role}).`,
          details: { requested: input.role, yours: access.role },
        });
      }
      const secret = newApiToken();
      // The token and its audit event commit together; the secret itself never enters the log.
      const row = await inTransaction(dependencies.database, async (scoped) => {
        const inserted = await scoped.apiTokens.insert({
          id: newId(),
          workspaceId: access.workspaceId,
          name: input.name.trim(),
          role: input.role,
          prefix: secret.prefix,
          tokenHash: secret.hash,
          createdBy: access.userId,
          createdAt: clock.now(),
          rateLimitPerMinute: input.rateLimitPerMinute ?? null,
        });
        if (actor) {
          await createAuditLog({ repositories: scoped, clock }).record(
            access.workspaceId,
            actor,
            'token.created',
            { type: 'api_token', id: inserted.id },
            { name: inserted.name, role: inserted.role, rateLimitPerMinute: inserted.rateLimitPerMinute },
          );
        }
        return inserted;
      });
      const creator = await repositories.users.findById(access.userId);
      return {
        ...toView(row, creator ? { id: creator.id, email: creator.email, name: creator.name } : null),
        token: secret.token,
      };
    },

    /**
     * Members revoke their own tokens; those who manage members revoke any — but nobody revokes
     * a token whose role is above their own. A token acts as its creator, so without that rule a
     * member-role token its owner made could revoke every owner token the same owner made.
     */
    async revoke(access: WorkspaceAccess, tokenId: string, actor?: AuditActor): Promise<ApiTokenView> {
      const row = await repositories.apiTokens.findActive(access.workspaceId, tokenId);
      if (!row) throw notFoundError('token_not_found', 'No active API token with this id in this workspace.');
      if (!isRole(row.role) || !roleAtMost(row.role, access.role)) {
        throw new FlightdeckError({
          code: 'role_too_high',
          kind: 'forbidden',
          message: `This token's role (${row.role}) is above yours (${access.role}); ask someone with that role to revoke it.`,
          details: { tokenRole: row.role, yours: access.role },
        });
      }
      if (row.createdBy !== access.userId && !roleAllows(access.role, 'manage_members')) {
        throw new FlightdeckError({
          code: 'permission_denied',
          kind: 'forbidden',
          message: 'You can revoke only the tokens you created. Ask an admin to revoke this one.',
          details: { role: access.role },
        });
      }
      await changes.commit(async (scoped, announce) => {
        await scoped.apiTokens.revoke(access.workspaceId, tokenId, clock.now());
        announce({ kind: 'token-revoked', tokenId });
        if (actor) {
          await createAuditLog({ repositories: scoped, clock }).record(
            access.workspaceId,
            actor,
            'token.revoked',
            { type: 'api_token', id: row.id },
            { name: row.name, role: row.role },
          );
        }
      });
      return toView(row, null);
    },
  };
}

export type ApiTokenService = ReturnType<typeof createApiTokenService>;
