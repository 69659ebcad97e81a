import { and, desc, eq, gte, lt, lte, or, type SQL } from 'drizzle-orm';
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
