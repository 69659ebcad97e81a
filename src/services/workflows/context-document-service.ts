import type { Clock } from '../../core/clock.ts';
import { conflictError, invalidError, notFoundError } from '../../core/errors.ts';
import { newId } from '../../core/ids.ts';
import type { Database } from '../../store/database.ts';
import {
  type ContextDocumentRow,
  type ContextDocumentVersionRow,
  inTransaction,
  type Repositories,
} from '../../store/repositories/index.ts';
import { isUniqueViolation } from '../../store/unique-violation.ts';
import type { WorkspaceAccess } from '../identity/principal.ts';

/** A document a run hands its agents, pinned at the version the run started with. */
export interface ContextPin {
  documentId: string;
  name: string;
  version: number;
}

export interface ContextDocumentView {
  id: string;
  name: string;
  format: 'text' | 'markdown';
  version: number;
  content: string;
  createdAt: Date;
  updatedAt: Date;
}

const namePattern = /^[A-Za-z_][\w-]{0,63}$/;
const documentNotFound = () =>
  notFoundError('context_document_not_found', 'No context document with this id or name in this workspace.');

function toView(
  row: ContextDocumentRow,
  version: ContextDocumentVersionRow | undefined,
): ContextDocumentView {
  return {
    id: row.id,
    name: row.name,
    format: row.format as ContextDocumentView['format'],
    version: row.version,
    content: version?.content ?? '',
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

/**
 * The workspace's context library: text or Markdown documents, every change a new version. A run
 * names documents (`context: [{ documentId, version? }]`); their texts reach its agents as
 * `{{ context.<name> }}`, and the run records the versions it used.
 */
export function createContextDocumentService(dependencies: {
  database: Database;
  repositories: Repositories;
  clock: Clock;
}) {
  const { database, repositories, clock } = dependencies;

  async function current(row: ContextDocumentRow) {
    const [latest] = await repositories.contextDocuments.listVersions(row.workspaceId, row.id);
    return toView(row, latest);
  }

  return {
    async create(
      access: WorkspaceAccess,
      input: { name: string; content: string; format?: 'text' | 'markdown' },
    ): Promise<ContextDocumentView> {
      if (!namePattern.test(input.name)) {
        throw invalidError(
          'context_name_invalid',
          'A context document name starts with a letter or _ and holds letters, digits, _ and - (templates use it as {{ context.<name> }}).',
          { field: 'name' },
        );
      }
      const now = clock.now();
      const id = newId(now.getTime());
      try {
        const row = await inTransaction(database, (scoped) =>
          scoped.contextDocuments.insert(
            {
              id,
              workspaceId: access.workspaceId,
              name: input.name,
              format: input.format ?? 'markdown',
              version: 1,
              createdBy: access.userId,
              createdAt: now,
              updatedAt: now,
            },
            {
              documentId: id,
              version: 1,
              workspaceId: access.workspaceId,
              content: input.content,
              createdBy: access.userId,
              createdAt: now,
            },
          ),
        );
        return current(row);
      } catch (error) {
        if (isUniqueViolation(error)) {
          throw conflictError(
            'context_name_taken',
            `A context document named "${input.name}" exists. Choose another name, or PUT a new version of it.`,
            {
              name: input.name,
            },
          );
        }
        throw error;
      }
    },

    async list(access: WorkspaceAccess): Promise<ContextDocumentView[]> {
      const rows = await repositories.contextDocuments.list(access.workspaceId);
      return Promise.all(rows.map(current));
    },

    async get(access: WorkspaceAccess, reference: string) {
      const row = await repositories.contextDocuments.find(access.workspaceId, reference);
      if (!row) throw documentNotFound();
      const versions = await repositories.contextDocuments.listVersions(access.workspaceId, row.id);
      return {
        ...toView(row, versions[0]),
        versions: versions.map((version) => ({
          version: version.version,
          characters: version.content.length,
          createdBy: version.createdBy,
          createdAt: version.createdAt,
        })),
      };
    },

    /** A new version with this content (runs already started keep theirs). */
    async update(
      access: WorkspaceAccess,
      reference: string,
      input: { content: string },
    ): Promise<ContextDocumentView> {
      const row = await inTransaction(database, async (scoped) => {
        const found = await scoped.contextDocuments.findForUpdate(access.workspaceId, reference);
        if (!found) throw documentNotFound();
        return scoped.contextDocuments.addVersion(found, input.content, access.userId, clock.now());
      });
      return current(row);
    },

    async remove(access: WorkspaceAccess, reference: string): Promise<void> {
      if (!(await repositories.contextDocuments.softDelete(access.workspaceId, reference, clock.now()))) {
        throw documentNotFound();
      }
    },

    /** Resolves a run's context list to pinned versions; 400 naming the entry for one that is unknown. */
    async pin(
      workspaceId: string,
      requested: ReadonlyArray<{ documentId: string; version?: number | undefined }>,
    ): Promise<ContextPin[]> {
      const pins: ContextPin[] = [];
      for (const [index, entry] of requested.entries()) {
        const row = await repositories.contextDocuments.find(workspaceId, entry.documentId);
        if (!row) {
          throw invalidError(
            'context_document_not_found',
            `context[${index}].documentId: no context document "${entry.documentId}" in this workspace.`,
            { field: `context[${index}].documentId` },
          );
        }
        const version = entry.version ?? row.version;
        if (version < 1 || version > row.version) {
          throw invalidError(
            'context_version_not_found',
            `context[${index}].version: "${row.name}" has versions 1 to ${row.version}.`,
            { field: `context[${index}].version` },
          );
        }
        if (pins.some((pin) => pin.name === row.name)) {
          throw invalidError(
            'context_document_repeated',
            `context[${index}]: "${row.name}" is named twice.`,
            {
              field: `context[${index}].documentId`,
            },
          );
        }
        pins.push({ documentId: row.id, name: row.name, version });
      }
      return pins;
    },
  };
}

export type ContextDocumentService = ReturnType<typeof createContextDocumentService>;

/** The pinned texts by name, as the prompt template reads them. */
export async function loadContext(
  repositories: Repositories,
  workspaceId: string,
  pins: readonly ContextPin[] | null,
): Promise<Record<string, string>> {
  const context: Record<string, string> = {};
  if (!pins || pins.length === 0) return context;
  const rows = await repositories.contextDocuments.contents(workspaceId, pins);
  for (const pin of pins) {
    const row = rows.find(
      (candidate) => candidate.documentId === pin.documentId && candidate.version === pin.version,
    );
    if (row) Object.defineProperty(context, pin.name, { value: row.content, enumerable: true });
  }
  return context;
}
