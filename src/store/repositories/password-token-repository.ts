import { and, eq, gt, isNull } from 'drizzle-orm';
import type { Database } from '../database.ts';
import { passwordTokens } from '../schema/index.ts';

/** One-time set-password links for invited users. */
export function createPasswordTokenRepository(database: Database) {
  return {
    async insert(token: { tokenHash: string; userId: string; expiresAt: Date }): Promise<void> {
      await database.insert(passwordTokens).values(token);
    },
    /** Marks the link used and returns its user; a used, expired or unknown link returns nothing. */
    async consume(tokenHash: string, now: Date): Promise<{ userId: string } | undefined> {
      const [row] = await database
        .update(passwordTokens)
        .set({ usedAt: now })
        .where(
          and(
            eq(passwordTokens.tokenHash, tokenHash),
            isNull(passwordTokens.usedAt),
            gt(passwordTokens.expiresAt, now),
          ),
        )
        .returning({ userId: passwordTokens.userId });
      return row;
    },
  };
}
