import { and, desc, eq, gte, inArray, lt, lte, or, type SQL } from 'drizzle-orm';
import type { Database } from '../database.ts';
import { auditEvents } from '../schema/index.ts';

export type AuditEventRow = typeof auditEvents.$inferSelect;

export interface AuditEventFilter {
  action?: string | undefined;
  actorUserId?: string | undefined;
  targetId?: string | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
  /** Position after which to continue: the last row of the previous page. */
  before?: { createdAt: Date; id: string } | undefined;
  limit: number;
}

/** The audit log: insert and read, nothing else. */
export function createAuditEventRepository(database: Database) {
  return {
    async insert(rows: Array<typeof auditEvents.$inferInsert>): Promise<void> {
      if (rows.length === 0) return;
      await database.insert(auditEvents).values(rows);
    },
    /**
     * The label and provider of deleted provider keys, from their `provider_key.deleted` events: the
     * key row is gone, but usage still counts its calls and should name it.
     */
    async deletedProviderKeyLabels(
      workspaceId: string,
      keyIds: string[],
    ): Promise<Map<string, { label: string; provider: string }>> {
      if (keyIds.length === 0) return new Map();
      const rows = await database
        .select({ id: auditEvents.targetId, metadata: auditEvents.metadata })
        .from(auditEvents)
        .where(
          and(
            eq(auditEvents.workspaceId, workspaceId),
            eq(auditEvents.action, 'provider_key.deleted'),
            inArray(auditEvents.targetId, keyIds),
          ),
        );
      const labels = new Map<string, { label: string; provider: string }>();
      for (const row of rows) {
        const { label, provider } = row.metadata as { label?: unknown; provider?: unknown };
        if (row.id && typeof label === 'string')
          labels.set(row.id, { label, provider: typeof provider === 'string' ? provider : '' });
      }
      return labels;
    },
    async list(workspaceId: string, filter: AuditEventFilter): Promise<AuditEventRow[]> {
      const conditions: SQL[] = [eq(auditEvents.workspaceId, workspaceId)];
      if (filter.action) conditions.push(eq(auditEvents.action, filter.action));
      if (filter.actorUserId) conditions.push(eq(auditEvents.actorUserId, filter.actorUserId));
      if (filter.targetId) conditions.push(eq(auditEvents.targetId, filter.targetId));
      if (filter.from) conditions.push(gte(auditEvents.createdAt, filter.from));
      if (filter.to) conditions.push(lte(auditEvents.createdAt, filter.to));
      if (filter.before) {
        const position = or(
          lt(auditEvents.createdAt, filter.before.createdAt),
          and(eq(auditEvents.createdAt, filter.before.createdAt), lt(auditEvents.id, filter.before.id)),
        );
        if (position) conditions.push(position);
      }
      return database
        .select()
        .from(auditEvents)
        .where(and(...conditions))
        .orderBy(desc(auditEvents.createdAt), desc(auditEvents.id))
        .limit(filter.limit);
    },
  };
}
