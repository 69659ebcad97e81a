import { conflictError, FlightdeckError, notFoundError } from '../../core/errors.ts';
import { newId } from '../../core/ids.ts';
import { isRole, type Role, roleAtMost } from '../../security/permissions.ts';
import type { Database } from '../../store/database.ts';
import { inTransaction, type MemberRow, type Repositories } from '../../store/repositories/index.ts';
import { newPasswordLink } from './authentication-service.ts';
import { type CredentialChanges, createCredentialChanges } from './credential-changes.ts';
import type { Clock } from './identity-clock.ts';
import type { WorkspaceAccess } from './principal.ts';

export interface MemberView {
  userId: string;
  email: string;
  name: string;
  role: string;
  /** `invited` until the user has set a password through their link. */
  status: 'active' | 'invited';
  createdAt: Date;
}

function toView(row: MemberRow): MemberView {
  return {
    userId: row.userId,
    email: row.email,
    name: row.name,
    role: row.role,
    status: row.hasPassword ? 'active' : 'invited',
    createdAt: row.createdAt,
  };
}

const memberNotFound = () =>
  notFoundError('member_not_found', 'No member with this user id in this workspace.');

const lastOwner = () =>
  conflictError(
    'last_owner',
    'A workspace needs at least one owner. Make another member owner first, or delete the workspace.',
  );

/** An admin manages members below owner; only owners grant, change or remove the owner role. */
function checkRoleChangeAllowed(access: WorkspaceAccess, targetRole: Role, newRole: Role | null): void {
  if (access.role === 'owner') return;
  const touchesOwner = targetRole === 'owner' || newRole === 'owner';
  if (touchesOwner || (newRole !== null && !roleAtMost(newRole, access.role))) {
    throw new FlightdeckError({
      code: 'permission_denied',
      kind: 'forbidden',
      message: 'Only owners can grant, change or remove the owner role.',
      details: { role: access.role },
    });
  }
}

/** Members of a workspace: add existing users, invite new ones, change roles, remove. */
export function createMemberService(dependencies: {
  database: Database;
  repositories: Repositories;
  clock: Clock;
  publicUrl: string;
  /** Role changes and removals reach every node's authentication cache before they answer. */
  credentialChanges?: CredentialChanges;
}) {
  const { database, repositories, clock } = dependencies;
  const changes = dependencies.credentialChanges ?? createCredentialChanges({ database });
  return {
    async list(access: WorkspaceAccess): Promise<MemberView[]> {
      return (await repositories.workspaces.listMembers(access.workspaceId)).map(toView);
    },

    /**
     * Adds a user by email. An unknown email creates an invited account and returns a one-time
     * set-password link for the inviter to pass on (shown once, stored hashed).
     */
    async add(
      access: WorkspaceAccess,
      input: { email: string; role: Role; name?: string | undefined },
    ): Promise<{ member: MemberView; invitation: { setPasswordUrl: string; expiresAt: Date } | null }> {
      checkRoleChangeAllowed(access, 'viewer', input.role);
      return inTransaction(database, async (scoped) => {
        let user = await scoped.users.findByEmail(input.email.trim());
        let invitation: { setPasswordUrl: string; expiresAt: Date } | null = null;
        if (!user) {
          const email = input.email.trim();
          user = await scoped.users.insert({
            id: newId(),
            email,
            name: input.name?.trim() || email.split('@')[0] || email,
            passwordHash: null,
          });
          const link = newPasswordLink(clock);
          await scoped.passwordTokens.insert({
            tokenHash: link.tokenHash,
            userId: user.id,
            expiresAt: link.expiresAt,
          });
          invitation = {
            setPasswordUrl: `${dependencies.publicUrl}/set-password#token=${link.token}`,
            expiresAt: link.expiresAt,
          };
        }
        const added = await scoped.workspaces.addMember(access.workspaceId, user.id, input.role);
        if (!added) {
          throw conflictError('member_exists', `${user.email} is already a member of this workspace.`);
        }
        const member = await scoped.workspaces.findMember(access.workspaceId, user.id);
        if (!member) throw memberNotFound();
        return { member: toView(member), invitation };
      });
    },

    async changeRole(
      access: WorkspaceAccess,
      userId: string,
      role: Role,
    ): Promise<{ member: MemberView; previousRole: string }> {
      return changes.commit(async (scoped, announce) => {
        const target = await scoped.workspaces.findMember(access.workspaceId, userId);
        if (!target || !isRole(target.role)) throw memberNotFound();
        checkRoleChangeAllowed(access, target.role, role);
        if (target.role === 'owner' && role !== 'owner') {
          const owners = await scoped.workspaces.countOwnersForUpdate(access.workspaceId);
          if (owners <= 1) throw lastOwner();
        }
        await scoped.workspaces.setRole(access.workspaceId, userId, role);
        announce({ kind: 'membership-changed', workspaceId: access.workspaceId, userId });
        return { member: toView({ ...target, role }), previousRole: target.role };
      });
    },

    async remove(access: WorkspaceAccess, userId: string): Promise<MemberView> {
      return changes.commit(async (scoped, announce) => {
        const target = await scoped.workspaces.findMember(access.workspaceId, userId);
        if (!target || !isRole(target.role)) throw memberNotFound();
        checkRoleChangeAllowed(access, target.role, null);
        if (target.role === 'owner') {
          const owners = await scoped.workspaces.countOwnersForUpdate(access.workspaceId);
          if (owners <= 1) throw lastOwner();
        }
        await scoped.workspaces.removeMember(access.workspaceId, userId);
        announce({ kind: 'membership-changed', workspaceId: access.workspaceId, userId });
        return toView(target);
      });
    },
  };
}

export type MemberService = ReturnType<typeof createMemberService>;
