import { and, asc, desc, eq, inArray, isNull, or, sql } from 'drizzle-orm';
import type { Database } from '../database.ts';
import { contextDocuments, contextDocumentVersions } from '../schema/index.ts';

export type ContextDocumentRow = typeof contextDocuments.$inferSelect;
export type ContextDocumentVersionRow = typeof contextDocumentVersions.$inferSelect;

/** Context documents and their immutable versions. Every query names the workspace. */
export function createContextDocumentRepository(database: Database) {
  const byReference = (workspaceId: string, reference: string) =>
    and(
      eq(contextDocuments.workspaceId, workspaceId),
      isNull(contextDocuments.deletedAt),
      or(eq(contextDocuments.id, reference), eq(contextDocuments.name, reference)),
    );
  return {
    /** Inserts a document and its first version; call inside a transaction. */
    async insert(
      document: typeof contextDocuments.$inferInsert,
      version: typeof contextDocumentVersions.$inferInsert,
    ): Promise<ContextDocumentRow> {
      const [row] = await database.insert(contextDocuments).values(document).returning();
      await database.insert(contextDocumentVersions).values(version);
      if (!row) throw new Error('insert returned no row');
      return row;
    },

    async find(workspaceId: string, reference: string): Promise<ContextDocumentRow | undefined> {
      const [row] = await database.select().from(contextDocuments).where(byReference(workspaceId, reference));
      return row;
    },

    async findForUpdate(workspaceId: string, reference: string): Promise<ContextDocumentRow | undefined> {
      const [row] = await database
        .select()
        .from(contextDocuments)
        .where(byReference(workspaceId, reference))
        .for('update');
      return row;
    },

    async list(workspaceId: string): Promise<ContextDocumentRow[]> {
      return database
        .select()
        .from(contextDocuments)
        .where(and(eq(contextDocuments.workspaceId, workspaceId), isNull(contextDocuments.deletedAt)))
        .orderBy(asc(contextDocuments.name));
    },

    /** Adds the next version and points the document at it; call inside a transaction after `findForUpdate`. */
    async addVersion(
      document: ContextDocumentRow,
      content: string,
      createdBy: string | null,
      now: Date,
    ): Promise<ContextDocumentRow> {
      const version = document.version + 1;
      await database.insert(contextDocumentVersions).values({
        documentId: document.id,
        version,
        workspaceId: document.workspaceId,
        content,
        createdBy,
        createdAt: now,
      });
      const [row] = await database
        .update(contextDocuments)
        .set({ version, updatedAt: now })
        .where(eq(contextDocuments.id, document.id))
        .returning();
      if (!row) throw new Error('update returned no row');
      return row;
    },

    async listVersions(workspaceId: string, documentId: string): Promise<ContextDocumentVersionRow[]> {
      return database
        .select()
        .from(contextDocumentVersions)
        .where(
          and(
            eq(contextDocumentVersions.workspaceId, workspaceId),
            eq(contextDocumentVersions.documentId, documentId),
          ),
        )
        .orderBy(desc(contextDocumentVersions.version));
    },

    /** The texts of the given (document, version) pairs, for a run's agents. */
    async contents(
      workspaceId: string,
      pins: ReadonlyArray<{ documentId: string; version: number }>,
    ): Promise<ContextDocumentVersionRow[]> {
      if (pins.length === 0) return [];
      return database
        .select()
        .from(contextDocumentVersions)
        .where(
          and(
            eq(contextDocumentVersions.workspaceId, workspaceId),
            inArray(
              contextDocumentVersions.documentId,
              pins.map((pin) => pin.documentId),
            ),
            sql`(${contextDocumentVersions.documentId}, ${contextDocumentVersions.version}) in (${sql.join(
              pins.map((pin) => sql`(${pin.documentId}, ${pin.version}::int)`),
              sql`, `,
            )})`,
          ),
        );
    },

    async softDelete(workspaceId: string, reference: string, now: Date): Promise<boolean> {
      const rows = await database
        .update(contextDocuments)
        .set({ deletedAt: now, updatedAt: now })
        .where(byReference(workspaceId, reference))
        .returning({ id: contextDocuments.id });
      return rows.length > 0;
    },
  };
}
