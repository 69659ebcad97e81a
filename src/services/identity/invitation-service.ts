import { FlightdeckError, notFoundError } from '../../core/errors.ts';
import type { Database } from '../../store/database.ts';
import type { PendingInvitationRow, Repositories } from '../../store/repositories/index.ts';
import { disabledEmailSender, type EmailSender } from '../email/email-sender.ts';
import { type CredentialChanges, createCredentialChanges } from './credential-changes.ts';
import type { Principal } from './principal.ts';

/** An invitation's id is its workspace's: a user has at most one per workspace. */
export type InvitationView = PendingInvitationRow & { id: string };

const toView = (row: PendingInvitationRow): InvitationView => ({ id: row.workspaceId, ...row });

const invitationNotFound = () =>
  notFoundError('invitation_not_found', 'You have no pending invitation to this workspace.');

/** Invitations belong to a person: an API token (a workspace's credential) cannot answer them. */
function userOf(principal: Principal): { userId: string } {
  if (principal.kind === 'user') return { userId: principal.userId };
  throw new FlightdeckError({
    code: 'user_session_required',
    kind: 'forbidden',
    message: 'Invitations are answered by the invited person, signed in; an API token cannot answer them.',
  });
}

/**
 * Pending memberships, as their holder sees them: list, accept, decline. A pending membership
 * grants nothing until accepted; accepting needs a verified address when email is configured,
 * so that the person who reads the mailbox is the one who decides.
 */
export function createInvitationService(dependencies: {
  database: Database;
  repositories: Repositories;
  credentialChanges?: CredentialChanges;
  email?: EmailSender;
}) {
  const { repositories } = dependencies;
  const changes =
    dependencies.credentialChanges ?? createCredentialChanges({ database: dependencies.database });
  const email = dependencies.email ?? disabledEmailSender;
  return {
    async list(principal: Principal): Promise<InvitationView[]> {
      if (principal.kind !== 'user') return [];
      return (await repositories.workspaces.listPendingForUser(principal.userId)).map(toView);
    },

    async accept(principal: Principal, workspaceId: string): Promise<InvitationView> {
      const { userId } = userOf(principal);
      const invitation = (await repositories.workspaces.listPendingForUser(userId)).find(
        (pending) => pending.workspaceId === workspaceId,
      );
      if (!invitation) throw invitationNotFound();
      if (email.configured) {
        const user = await repositories.users.findById(userId);
        if (!user?.emailVerifiedAt) {
          throw new FlightdeckError({
            code: 'email_unverified',
            kind: 'forbidden',
            message:
              'Confirm your email address before joining another workspace: POST /api/me/email-verification sends you a link.',
          });
        }
      }
      await changes.commit(async (scoped, announce) => {
        if (!(await scoped.workspaces.activatePending(workspaceId, userId))) throw invitationNotFound();
        announce({ kind: 'membership-changed', workspaceId, userId });
      });
      return toView(invitation);
    },

    async decline(principal: Principal, workspaceId: string): Promise<void> {
      const { userId } = userOf(principal);
      if (!(await repositories.workspaces.deletePending(workspaceId, userId))) throw invitationNotFound();
    },
  };
}

export type InvitationService = ReturnType<typeof createInvitationService>;
