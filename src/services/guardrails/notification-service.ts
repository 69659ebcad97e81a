import type { Clock } from '../../core/clock.ts';
import { notFoundError } from '../../core/errors.ts';
import type { Repositories } from '../../store/repositories/index.ts';

/** An in-app notification as clients see it. */
export interface NotificationView {
  id: string;
  kind: string;
  title: string;
  body: string;
  data: Record<string, unknown>;
  createdAt: Date;
  readAt: Date | null;
}

/** One alert webhook delivery with its attempts and last outcome. */
export interface WebhookDeliveryView {
  id: string;
  url: string;
  event: string;
  status: string;
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  nextAttemptAt: Date;
  createdAt: Date;
  deliveredAt: Date | null;
}

/** How many webhook deliveries the list shows: the newest, enough to see what went wrong lately. */
const deliveryListLimit = 100;

/** The workspace's inbox of notifications (budget alerts, approval requests) and its webhook deliveries. */
export function createNotificationService(dependencies: { repositories: Repositories; clock: Clock }) {
  const { repositories, clock } = dependencies;
  return {
    /** Newest first. */
    async list(
      workspaceId: string,
      options: { unreadOnly: boolean; limit: number },
    ): Promise<NotificationView[]> {
      const rows = await repositories.notifications.list(workspaceId, options);
      return rows.map((row) => ({
        id: row.id,
        kind: row.kind,
        title: row.title,
        body: row.body,
        data: row.data,
        createdAt: row.createdAt,
        readAt: row.readAt,
      }));
    },

    /** Marks one notification read now; 404 `notification_not_found` for an id of another workspace. */
    async markRead(workspaceId: string, notificationId: string): Promise<void> {
      const marked = await repositories.notifications.markRead(workspaceId, notificationId, clock.now());
      if (!marked)
        throw notFoundError('notification_not_found', 'No notification with this id in this workspace.');
    },

    /** The newest alert webhook deliveries, newest first. */
    async listDeliveries(workspaceId: string): Promise<WebhookDeliveryView[]> {
      const rows = await repositories.notifications.listDeliveries(workspaceId, deliveryListLimit);
      return rows.map((row) => ({
        id: row.id,
        url: row.url,
        event: String(row.payload.event ?? 'notification'),
        status: row.status,
        attempts: row.attempts,
        lastStatusCode: row.lastStatusCode,
        lastError: row.lastError,
        nextAttemptAt: row.nextAttemptAt,
        createdAt: row.createdAt,
        deliveredAt: row.deliveredAt,
      }));
    },
  };
}

export type NotificationService = ReturnType<typeof createNotificationService>;
