import type { Clock } from '../../core/clock.ts';
import { conflictError, FlightdeckError, notFoundError } from '../../core/errors.ts';
import { newId } from '../../core/ids.ts';
import { isRole, type Role, roleAtMost } from '../../security/permissions.ts';
import type { Database } from '../../store/database.ts';
import { inTransaction, type MemberRow, type Repositories } from '../../store/repositories/index.ts';
import { type AuditActor, createAuditLog } from '../audit/audit-log.ts';
import { invitationMessage, pendingInvitationMessage } from '../email/email-messages.ts';
import { disabledEmailSender, type EmailSender } from '../email/email-sender.ts';
import { newPasswordLink } from './authentication-service.ts';
import { type CredentialChanges, createCredentialChanges } from './credential-changes.ts';
import type { WorkspaceAccess } from './principal.ts';

export interface MemberView {
  userId: string;
  email: string;
  name: string;
  role: string;
  /**
   * `invited` until the user has set a password through their link; `pending` while an
   * invitation of an existing, unverified account waits for its holder to accept it.
   */
  status: 'active' | 'invited' | 'pending';
  /** Whether the holder proved control of the address (used a link emailed to it). */
  emailVerified: boolean;
  createdAt: Date;
}

/** What the inviter gets back about a new account's set-password link. */
export interface InvitationLinkView {
  /** `email`: sent to the address only; `link`: handed to the inviter to pass on. */
  delivery: 'email' | 'link';
  setPasswordUrl: string | null;
  expiresAt: Date;
  /** Why an email could not go out, when SMTP is configured but the send failed. */
  emailProblem: string | null;
}

function toView(row: MemberRow): MemberView {
  return {
    userId: row.userId,
    email: row.email,
    name: row.name,
    role: row.role,
    status: row.membershipStatus === 'pending' ? 'pending' : row.hasPassword ? 'active' : 'invited',
    emailVerified: row.emailVerified,
    createdAt: row.createdAt,
  };
}

/** Only an owner who can act keeps a workspace alive: active, with a password (see countOwnersForUpdate). */
const countsAsOwner = (row: MemberRow) =>
  row.role === 'owner' && row.membershipStatus === 'active' && row.hasPassword;

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
  /** Invitations go by email when configured; otherwise the link is handed to the inviter. */
  email?: EmailSender;
}) {
  const { database, repositories, clock, publicUrl } = dependencies;
  const changes = dependencies.credentialChanges ?? createCredentialChanges({ database });
  const email = dependencies.email ?? disabledEmailSender;

  /**
   * Sends the new account's link to its address. Runs after the commit, so no one is emailed
   * about an account that does not exist; a failed send hands the link to the inviter instead
   * and marks it as not emailed, so using it proves nothing about the address.
   */
  async function deliverInvitation(
    access: WorkspaceAccess,
    to: string,
    link: ReturnType<typeof newPasswordLink>,
  ): Promise<InvitationLinkView> {
    const setPasswordUrl = `${publicUrl}/set-password#token=${link.token}`;
    const handedOver = (emailProblem: string | null): InvitationLinkView => ({
      delivery: 'link',
      setPasswordUrl,
      expiresAt: link.expiresAt,
      emailProblem,
    });
    if (!email.configured) return handedOver(null);
    const { workspaceName, inviterName } = await invitationContext(access);
    const delivery = await email.send(
      invitationMessage({
        to,
        workspaceName,
        inviterName,
        setPasswordUrl,
        token: link.token,
        expiresAt: link.expiresAt,
      }),
    );
    if (delivery.sent)
      return { delivery: 'email', setPasswordUrl: null, expiresAt: link.expiresAt, emailProblem: null };
    await repositories.passwordTokens.markNotEmailed(link.tokenHash);
    return handedOver(
      'The invitation email could not be sent; pass this link on to the new member yourself.',
    );
  }

  async function invitationContext(access: WorkspaceAccess) {
    const [workspace, inviter] = await Promise.all([
      repositories.workspaces.findById(access.workspaceId),
      repositories.users.findById(access.userId),
    ]);
    return { workspaceName: workspace?.name ?? 'a workspace', inviterName: inviter?.name ?? 'An admin' };
  }

  return {
    async list(access: WorkspaceAccess): Promise<MemberView[]> {
      return (await repositories.workspaces.listMembers(access.workspaceId)).map(toView);
    },

    /**
     * Adds a user by email. An unknown email creates an invited account with a one-time
     * set-password link: emailed when SMTP is configured, otherwise returned for the inviter to
     * pass on (shown once, stored hashed). An existing account whose holder never proved the
     * address joins as `pending` until they sign in and accept, so no one can claim an account
     * for another workspace by setting its password first.
     */
    async add(
      access: WorkspaceAccess,
      input: { email: string; role: Role; name?: string | undefined },
      actor?: AuditActor,
    ): Promise<{ member: MemberView; invitation: InvitationLinkView | null; existingAccount: boolean }> {
      checkRoleChangeAllowed(access, 'viewer', input.role);
      const address = input.email.trim();
      const outcome = await inTransaction(database, async (scoped) => {
        // Insert-or-find, not find-then-insert: two workspaces inviting one new address at once
        // converge on one account instead of one of them failing on the unique email.
        const { user, created } = await scoped.users.insertOrFind({
          id: newId(),
          email: address,
          name: input.name?.trim() || address.split('@')[0] || address,
          passwordHash: null,
        });
        const pending = !created && user.emailVerifiedAt === null;
        const added = await scoped.workspaces.addMember(access.workspaceId, user.id, input.role, {
          status: pending ? 'pending' : 'active',
          invitedBy: access.userId,
        });
        if (!added) {
          throw conflictError('member_exists', `${user.email} is already a member of this workspace.`);
        }
        let link: ReturnType<typeof newPasswordLink> | null = null;
        if (created) {
          link = newPasswordLink(clock);
          await scoped.passwordTokens.insert({
            tokenHash: link.tokenHash,
            userId: user.id,
            expiresAt: link.expiresAt,
            emailed: email.configured,
          });
        }
        const member = await scoped.workspaces.findMember(access.workspaceId, user.id);
        if (!member) throw memberNotFound();
        if (actor) {
          await createAuditLog({ repositories: scoped, clock }).record(
            access.workspaceId,
            actor,
            'member.added',
            { type: 'user', id: member.userId },
            { email: member.email, role: member.role, status: toView(member).status },
          );
        }
        return { member: toView(member), link, created, to: user.email };
      });
      let invitation: InvitationLinkView | null = null;
      if (outcome.link) {
        invitation = await deliverInvitation(access, outcome.to, outcome.link);
      } else if (outcome.member.status === 'pending' && email.configured) {
        const { workspaceName, inviterName } = await invitationContext(access);
        await email.send(
          pendingInvitationMessage({
            to: outcome.to,
            workspaceName,
            inviterName,
            invitationsUrl: `${publicUrl}/invitations`,
          }),
        );
      }
      return { member: outcome.member, invitation, existingAccount: !outcome.created };
    },

    async changeRole(
      access: WorkspaceAccess,
      userId: string,
      role: Role,
      actor?: AuditActor,
    ): Promise<{ member: MemberView; previousRole: string }> {
      return changes.commit(async (scoped, announce) => {
        const target = await scoped.workspaces.findMember(access.workspaceId, userId);
        if (!target || !isRole(target.role)) throw memberNotFound();
        checkRoleChangeAllowed(access, target.role, role);
        if (countsAsOwner(target) && role !== 'owner') {
          const owners = await scoped.workspaces.countOwnersForUpdate(access.workspaceId);
          if (owners <= 1) throw lastOwner();
        }
        await scoped.workspaces.setRole(access.workspaceId, userId, role);
        announce({ kind: 'membership-changed', workspaceId: access.workspaceId, userId });
        if (actor && target.role !== role) {
          await createAuditLog({ repositories: scoped, clock }).record(
            access.workspaceId,
            actor,
            'member.role_changed',
            { type: 'user', id: userId },
            { email: target.email, role, previousRole: target.role },
          );
        }
        return { member: toView({ ...target, role }), previousRole: target.role };
      });
    },

    async remove(access: WorkspaceAccess, userId: string, actor?: AuditActor): Promise<MemberView> {
      return changes.commit(async (scoped, announce) => {
        const target = await scoped.workspaces.findMember(access.workspaceId, userId);
        if (!target || !isRole(target.role)) throw memberNotFound();
        checkRoleChangeAllowed(access, target.role, null);
        if (countsAsOwner(target)) {
          const owners = await scoped.workspaces.countOwnersForUpdate(access.workspaceId);
          if (owners <= 1) throw lastOwner();
        }
        await scoped.workspaces.removeMember(access.workspaceId, userId);
        announce({ kind: 'membership-changed', workspaceId: access.workspaceId, userId });
        if (actor) {
          await createAuditLog({ repositories: scoped, clock }).record(
            access.workspaceId,
            actor,
            'member.removed',
            { type: 'user', id: userId },
            { email: target.email, role: target.role },
          );
        }
        return toView(target);
      });
    },
  };
}

export type MemberService = ReturnType<typeof createMemberService>;
