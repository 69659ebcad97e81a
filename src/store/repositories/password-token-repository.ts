import { and, count, eq, gt, isNull } from 'drizzle-orm';
import type { Database } from '../database.ts';
import { passwordTokens } from '../schema/index.ts';

export type LinkPurpose = 'password' | 'email_verification';

/** One-time links: set a password (invitations, resets) or verify an address. */
export function createPasswordTokenRepository(database: Database) {
  return {
    async insert(token: {
      tokenHash: string;
      userId: string;
      expiresAt: Date;
      purpose?: LinkPurpose;
      emailed?: boolean;
    }): Promise<void> {
      await database.insert(passwordTokens).values(token);
    },
    /**
     * Marks the link used and returns its user, and whether it went only to the user's mailbox;
     * a used, expired, unknown or other-purpose link returns nothing.
     */
    async consume(
      tokenHash: string,
      now: Date,
      purpose: LinkPurpose = 'password',
    ): Promise<{ userId: string; emailed: boolean } | undefined> {
      const [row] = await database
        .update(passwordTokens)
        .set({ usedAt: now })
        .where(
          and(
            eq(passwordTokens.tokenHash, tokenHash),
            eq(passwordTokens.purpose, purpose),
            isNull(passwordTokens.usedAt),
            gt(passwordTokens.expiresAt, now),
          ),
        )
        .returning({ userId: passwordTokens.userId, emailed: passwordTokens.emailed });
      return row;
    },
    /** A link whose email could not be sent is handed to the inviter instead, and proves nothing. */
    async markNotEmailed(tokenHash: string): Promise<void> {
      await database
        .update(passwordTokens)
        .set({ emailed: false })
        .where(eq(passwordTokens.tokenHash, tokenHash));
    },
    /** Links of this purpose made for the user since `since`: caps emails anyone can trigger. */
    async countSince(userId: string, purpose: LinkPurpose, since: Date): Promise<number> {
      const [row] = await database
        .select({ value: count() })
        .from(passwordTokens)
        .where(
          and(
            eq(passwordTokens.userId, userId),
            eq(passwordTokens.purpose, purpose),
            gt(passwordTokens.createdAt, since),
          ),
        );
      return row?.value ?? 0;
    },
  };
}
