import { FlightdeckError, notFoundError } from '../../core/errors.ts';
import { isRole, type Permission, roleAllows } from '../../security/permissions.ts';
import type { Principal, WorkspaceAccess } from './principal.ts';

/** Where a user's role in a workspace is read: the repository, or the authentication cache over it. */
export interface MembershipLookup {
  findMembership(workspaceId: string, userId: string): Promise<{ role: string } | undefined>;
}

/** The one answer for a workspace the caller cannot see: the same whether it exists or not. */
export function workspaceNotFound(): FlightdeckError {
  return notFoundError('workspace_not_found', 'No workspace with this id is visible to you.');
}

/**
 * Resolves the caller's role in a workspace. A workspace the caller does not belong to answers
 * 404 (never 403), so ids from other tenants reveal nothing.
 */
export async function resolveWorkspaceAccess(
  memberships: MembershipLookup,
  principal: Principal,
  workspaceId: string,
): Promise<WorkspaceAccess> {
  if (principal.kind === 'token') {
    if (principal.workspaceId !== workspaceId) throw workspaceNotFound();
    return { workspaceId, role: principal.role, userId: principal.userId, tokenId: principal.tokenId };
  }
  const membership = await memberships.findMembership(workspaceId, principal.userId);
  if (!membership || !isRole(membership.role)) throw workspaceNotFound();
  return { workspaceId, role: membership.role, userId: principal.userId, tokenId: null };
}

/** Throws 403 `permission_denied` unless the role grants the permission. */
export function requirePermission(access: WorkspaceAccess, permission: Permission): void {
  if (roleAllows(access.role, permission)) return;
  throw new FlightdeckError({
    code: 'permission_denied',
    kind: 'forbidden',
    message: `Your role (${access.role}) does not allow this: it needs the "${permission}" permission.`,
    details: { role: access.role, permission },
  });
}
