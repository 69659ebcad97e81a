import { and, desc, eq, isNull, or, sql } from 'drizzle-orm';
import type { Database } from '../database.ts';
import {
  notifications,
  type WebhookDeliveryStatus,
  webhookDeliveries,
  workspaceSecrets,
} from '../schema/index.ts';

export type NotificationRow = typeof notifications.$inferSelect;
export type WebhookDeliveryRow = typeof webhookDeliveries.$inferSelect;

/** In-app notifications, their webhook deliveries, and workspace secrets such as the signing key. */
export function createNotificationRepository(database: Database) {
  return {
    /** Inserts unless a notification with the same dedupe key exists; returns it only when new. */
    async insertOnce(row: typeof notifications.$inferInsert): Promise<NotificationRow | undefined> {
      const [inserted] = await database.insert(notifications).values(row).onConflictDoNothing().returning();
      return inserted;
    },
    async list(
      workspaceId: string,
      options: { unreadOnly: boolean; limit: number },
    ): Promise<NotificationRow[]> {
      return database
        .select()
        .from(notifications)
        .where(
          and(
            eq(notifications.workspaceId, workspaceId),
            options.unreadOnly ? isNull(notifications.readAt) : undefined,
          ),
        )
        .orderBy(desc(notifications.createdAt), desc(notifications.id))
        .limit(options.limit);
    },
    async markRead(workspaceId: string, id: string, now: Date): Promise<boolean> {
      const rows = await database
        .update(notifications)
        .set({ readAt: now })
        .where(and(eq(notifications.workspaceId, workspaceId), eq(notifications.id, id)))
        .returning({ id: notifications.id });
      return rows.length > 0;
    },

    async insertDelivery(row: typeof webhookDeliveries.$inferInsert): Promise<void> {
      await database.insert(webhookDeliveries).values(row);
    },
    /**
     * Claims due deliveries with a lease: a claimed row is invisible to other workers until the
     * lease ends, and a worker that dies mid-send only delays it.
     */
    async claimDue(now: Date, leaseUntil: Date, limit: number): Promise<WebhookDeliveryRow[]> {
      return database
        .update(webhookDeliveries)
        .set({ status: 'sending', nextAttemptAt: leaseUntil })
        .where(
          sql`${webhookDeliveries.id} in (
            select id from webhook_deliveries
            where (status = 'pending' or status = 'sending') and next_attempt_at <= ${now}
            order by next_attempt_at
            limit ${limit}
            for update skip locked)`,
        )
        .returning();
    },
    async recordAttempt(
      id: string,
      outcome: {
        status: Exclude<WebhookDeliveryStatus, 'sending'>;
        attempts: number;
        nextAttemptAt: Date;
        statusCode: number | null;
        error: string | null;
        deliveredAt: Date | null;
      },
    ): Promise<void> {
      await database
        .update(webhookDeliveries)
        .set({
          status: outcome.status,
          attempts: outcome.attempts,
          nextAttemptAt: outcome.nextAttemptAt,
          lastStatusCode: outcome.statusCode,
          lastError: outcome.error,
          deliveredAt: outcome.deliveredAt,
        })
        .where(eq(webhookDeliveries.id, id));
    },
    async listDeliveries(workspaceId: string, limit: number): Promise<WebhookDeliveryRow[]> {
      return database
        .select()
        .from(webhookDeliveries)
        .where(eq(webhookDeliveries.workspaceId, workspaceId))
        .orderBy(desc(webhookDeliveries.createdAt), desc(webhookDeliveries.id))
        .limit(limit);
    },
    async pendingCount(): Promise<number> {
      const [row] = await database
        .select({ count: sql<number>`count(*)::int` })
        .from(webhookDeliveries)
        .where(or(eq(webhookDeliveries.status, 'pending'), eq(webhookDeliveries.status, 'sending')));
      return row?.count ?? 0;
    },

    async findSecret(workspaceId: string, name: string): Promise<string | undefined> {
      const [row] = await database
        .select({ envelope: workspaceSecrets.secretEnvelope })
        .from(workspaceSecrets)
        .where(and(eq(workspaceSecrets.workspaceId, workspaceId), eq(workspaceSecrets.name, name)));
      return row?.envelope;
    },
    /** Stores the secret unless one exists (first writer wins); returns the stored envelope. */
    async insertSecretIfAbsent(workspaceId: string, name: string, envelope: string): Promise<string> {
      await database
        .insert(workspaceSecrets)
        .values({ workspaceId, name, secretEnvelope: envelope })
        .onConflictDoNothing();
      return (await this.findSecret(workspaceId, name)) ?? envelope;
    },
    async replaceSecret(workspaceId: string, name: string, envelope: string): Promise<void> {
      await database
        .insert(workspaceSecrets)
        .values({ workspaceId, name, secretEnvelope: envelope })
        .onConflictDoUpdate({
          target: [workspaceSecrets.workspaceId, workspaceSecrets.name],
          set: { secretEnvelope: envelope, createdAt: new Date() },
        });
    },
    /** Page of every workspace secret, for the start-up check and master key rotation. */
    async pageOfSecrets(
      after: { workspaceId: string; name: string } | null,
      limit: number,
    ): Promise<Array<{ workspaceId: string; name: string; secretEnvelope: string }>> {
      return database
        .select()
        .from(workspaceSecrets)
        .where(
          after === null
            ? undefined
            : or(
                sql`${workspaceSecrets.workspaceId} > ${after.workspaceId}`,
                and(
                  eq(workspaceSecrets.workspaceId, after.workspaceId),
                  sql`${workspaceSecrets.name} > ${after.name}`,
                ),
              ),
        )
        .orderBy(workspaceSecrets.workspaceId, workspaceSecrets.name)
        .limit(limit);
    },
    async replaceSecretIf(
      workspaceId: string,
      name: string,
      expected: string,
      replacement: string,
    ): Promise<boolean> {
      const rows = await database
        .update(workspaceSecrets)
        .set({ secretEnvelope: replacement })
        .where(
          and(
            eq(workspaceSecrets.workspaceId, workspaceId),
            eq(workspaceSecrets.name, name),
            eq(workspaceSecrets.secretEnvelope, expected),
          ),
        )
        .returning({ name: workspaceSecrets.name });
      return rows.length > 0;
    },
  };
}
