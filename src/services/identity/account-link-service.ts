import type { Clock } from '../../core/clock.ts';
import { FlightdeckError } from '../../core/errors.ts';
import { hashSecret } from '../../security/secret-tokens.ts';
import type { Database } from '../../store/database.ts';
import { inTransaction, type Repositories } from '../../store/repositories/index.ts';
import { emailVerificationMessage, passwordResetMessage } from '../email/email-messages.ts';
import { disabledEmailSender, type EmailSender } from '../email/email-sender.ts';
import { newPasswordLink } from './authentication-service.ts';
import type { Principal } from './principal.ts';

/** At most this many links of one kind per account per window: nobody can flood a mailbox. */
const linksPerWindow = 3;
const linkWindowMs = 15 * 60 * 1000;
const resetValidForMs = 60 * 60 * 1000;
const verificationValidForMs = 24 * 60 * 60 * 1000;

const emailNotConfigured = (what: string) =>
  new FlightdeckError({
    code: 'email_not_configured',
    kind: 'conflict',
    message: `${what} needs email, and this server has no SMTP server configured (FLIGHTDECK_SMTP_URL). Ask an admin.`,
  });

/**
 * Links that go only to a user's mailbox: password resets and address verification. Using one
 * proves control of the address (see setPasswordWithLink and verifyEmail).
 */
export function createAccountLinkService(dependencies: {
  database: Database;
  repositories: Repositories;
  clock: Clock;
  publicUrl: string;
  email?: EmailSender;
}) {
  const { repositories, clock, publicUrl } = dependencies;
  const email = dependencies.email ?? disabledEmailSender;

  async function underCap(userId: string, purpose: 'password' | 'email_verification'): Promise<boolean> {
    const since = new Date(clock.now().getTime() - linkWindowMs);
    return (await repositories.passwordTokens.countSince(userId, purpose, since)) < linksPerWindow;
  }

  return {
    /**
     * Emails a reset link when the address has an account. Answers the same whether it has one
     * or not (and whether the send worked), so the answer reveals no account.
     */
    async requestPasswordReset(address: string): Promise<void> {
      if (!email.configured) throw emailNotConfigured('Resetting a password');
      const user = await repositories.users.findByEmail(address.trim());
      if (!user || !(await underCap(user.id, 'password'))) return;
      const link = newPasswordLink(clock, resetValidForMs);
      await repositories.passwordTokens.insert({
        tokenHash: link.tokenHash,
        userId: user.id,
        expiresAt: link.expiresAt,
        purpose: 'password',
        emailed: true,
      });
      await email.send(
        passwordResetMessage({
          to: user.email,
          resetUrl: `${publicUrl}/set-password#token=${link.token}`,
          token: link.token,
          expiresAt: link.expiresAt,
        }),
      );
    },

    /** Emails the signed-in user a link that confirms their address. */
    async requestVerification(principal: Principal): Promise<{ alreadyVerified: boolean }> {
      if (principal.kind !== 'user') {
        throw new FlightdeckError({
          code: 'user_session_required',
          kind: 'forbidden',
          message: 'Sign in as the user whose address is to be confirmed; an API token has no address.',
        });
      }
      if (!email.configured) throw emailNotConfigured('Confirming an email address');
      const user = await repositories.users.findById(principal.userId);
      if (!user) throw emailNotConfigured('Confirming an email address');
      if (user.emailVerifiedAt) return { alreadyVerified: true };
      if (!(await underCap(user.id, 'email_verification'))) {
        throw new FlightdeckError({
          code: 'too_many_links',
          kind: 'rate_limited',
          message: `At most ${linksPerWindow} confirmation emails per ${linkWindowMs / 60_000} minutes: use the last one you received.`,
          retryAfterSeconds: linkWindowMs / 1000,
        });
      }
      const link = newPasswordLink(clock, verificationValidForMs);
      await repositories.passwordTokens.insert({
        tokenHash: link.tokenHash,
        userId: user.id,
        expiresAt: link.expiresAt,
        purpose: 'email_verification',
        emailed: true,
      });
      await email.send(
        emailVerificationMessage({
          to: user.email,
          verifyUrl: `${publicUrl}/verify-email#token=${link.token}`,
          token: link.token,
          expiresAt: link.expiresAt,
        }),
      );
      return { alreadyVerified: false };
    },

    /** Redeems a confirmation link: the account's address is verified from now on. */
    async verifyEmail(token: string): Promise<{ userId: string; email: string }> {
      return inTransaction(dependencies.database, async (scoped) => {
        const now = clock.now();
        const consumed = await scoped.passwordTokens.consume(hashSecret(token), now, 'email_verification');
        const user = consumed ? await scoped.users.findById(consumed.userId) : undefined;
        if (!consumed || !user) {
          throw new FlightdeckError({
            code: 'verification_link_invalid',
            kind: 'invalid',
            message:
              'This confirmation link is unknown, already used or expired. Sign in and ask for a new one.',
          });
        }
        await scoped.users.markEmailVerified(user.id, now);
        return { userId: user.id, email: user.email };
      });
    },
  };
}

export type AccountLinkService = ReturnType<typeof createAccountLinkService>;
