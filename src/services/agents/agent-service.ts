import { conflictError, invalidError, notFoundError } from '../../core/errors.ts';
import { newId } from '../../core/ids.ts';
import type { Database } from '../../store/database.ts';
import {
  type AgentVersionRow,
  type AgentWithVersion,
  inTransaction,
  type Repositories,
} from '../../store/repositories/index.ts';
import { isUniqueViolation } from '../../store/unique-violation.ts';
import type { Clock } from '../identity/identity-clock.ts';
import type { WorkspaceAccess } from '../identity/principal.ts';
import {
  type AgentDefinition,
  type AgentField,
  type AgentInput,
  type AgentPatch,
  applyPatch,
  changedFields,
  checkDefinition,
  definitionFromInput,
  readDefinition,
} from './agent-definition.ts';
import { decodeCursor, decodeVersionCursor, encodeCursor } from './cursor.ts';

export interface AgentView extends AgentDefinition {
  id: string;
  version: number;
  versionId: string;
  createdAt: Date;
  updatedAt: Date;
}

export interface AgentVersionView {
  id: string;
  agentId: string;
  number: number;
  changedFields: AgentField[];
  createdBy: string | null;
  createdAt: Date;
  definition: AgentDefinition;
}

export function toAgentView({ agent, version }: AgentWithVersion): AgentView {
  return {
    id: agent.id,
    ...readDefinition(version.definition),
    slug: agent.slug,
    version: agent.version,
    versionId: agent.currentVersionId,
    createdAt: agent.createdAt,
    updatedAt: agent.updatedAt,
  };
}

export function toVersionView(row: AgentVersionRow): AgentVersionView {
  return {
    id: row.id,
    agentId: row.agentId,
    number: row.number,
    changedFields: row.changedFields as AgentField[],
    createdBy: row.createdBy,
    createdAt: row.createdAt,
    definition: readDefinition(row.definition),
  };
}

export const agentNotFound = () =>
  notFoundError('agent_not_found', 'No agent with this id or slug in this workspace.');

const slugTaken = (slug: string) =>
  conflictError(
    'agent_slug_taken',
    `Another agent in this workspace already uses the slug "${slug}". Choose another slug.`,
    {
      slug,
    },
  );

/**
 * Ids a definition names must exist in the workspace: `providerKeyId: "nope"` was saved and then
 * silently fell back to the default key. 400 naming the field, and the key's provider must match.
 */
async function checkReferences(repositories: Repositories, workspaceId: string, definition: AgentDefinition) {
  const references = [
    { field: 'providerKeyId', id: definition.providerKeyId, provider: definition.provider },
    ...definition.fallbacks.map((fallback, index) => ({
      field: `fallbacks[${index}].providerKeyId`,
      id: fallback.providerKeyId,
      provider: fallback.provider,
    })),
  ];
  for (const reference of references) {
    if (reference.id === null) continue;
    const key = await repositories.providerKeys.find(workspaceId, reference.id);
    if (!key) {
      throw invalidError(
        'provider_key_not_found',
        `${reference.field}: no provider key with id "${reference.id}" in this workspace. Pick one from GET …/provider-keys, or send null for the workspace default.`,
        { field: reference.field, id: reference.id },
      );
    }
    if (key.provider !== reference.provider) {
      throw invalidError(
        'provider_key_mismatch',
        `${reference.field}: the key "${key.label}" is a ${key.provider} key, but the agent calls ${reference.provider}.`,
        { field: reference.field, id: reference.id, keyProvider: key.provider },
      );
    }
  }
}

/** Agents: every change makes an immutable version; deleting hides the agent and keeps its history. */
export function createAgentService(dependencies: {
  database: Database;
  repositories: Repositories;
  clock: Clock;
}) {
  const { database, repositories, clock } = dependencies;
  return {
    async create(access: WorkspaceAccess, input: AgentInput): Promise<AgentView> {
      const definition = definitionFromInput(input);
      checkDefinition(definition);
      await checkReferences(repositories, access.workspaceId, definition);
      const now = clock.now();
      const agentId = newId(now.getTime());
      const versionId = newId(now.getTime());
      try {
        const created = await inTransaction(database, (scoped) =>
          scoped.agents.insert(
            {
              id: agentId,
              workspaceId: access.workspaceId,
              slug: definition.slug,
              currentVersionId: versionId,
              version: 1,
              createdBy: access.userId,
              createdAt: now,
              updatedAt: now,
            },
            {
              id: versionId,
              workspaceId: access.workspaceId,
              agentId,
              number: 1,
              definition: definition as unknown as Record<string, unknown>,
              changedFields: [],
              createdBy: access.userId,
              createdAt: now,
            },
          ),
        );
        return toAgentView(created);
      } catch (error) {
        if (isUniqueViolation(error)) throw slugTaken(definition.slug);
        throw error;
      }
    },

    async get(access: WorkspaceAccess, reference: string): Promise<AgentView> {
      const found = await repositories.agents.find(access.workspaceId, reference);
      if (!found) throw agentNotFound();
      return toAgentView(found);
    },

    async list(
      access: WorkspaceAccess,
      options: { limit: number; cursor?: string; search?: string; tag?: string },
    ): Promise<{ items: AgentView[]; nextCursor: string | null }> {
      const rows = await repositories.agents.list(access.workspaceId, {
        limit: options.limit + 1,
        after: options.cursor ? decodeCursor(options.cursor) : undefined,
        search: options.search,
        tag: options.tag,
      });
      const page = rows.slice(0, options.limit);
      const last = page.at(-1);
      return {
        items: page.map(toAgentView),
        nextCursor:
          rows.length > options.limit && last ? encodeCursor(last.agent.createdAt, last.agent.id) : null,
      };
    },

    /** Applies a change as a new version; a request that changes nothing makes no version. */
    async update(access: WorkspaceAccess, reference: string, patch: AgentPatch): Promise<AgentView> {
      try {
        return await inTransaction(database, async (scoped) => {
          const found = await scoped.agents.findForUpdate(access.workspaceId, reference);
          if (!found) throw agentNotFound();
          const before = { ...readDefinition(found.version.definition), slug: found.agent.slug };
          const after = applyPatch(before, patch);
          const changes = changedFields(before, after);
          if (changes.length === 0) return toAgentView(found);
          checkDefinition(after);
          await checkReferences(scoped, access.workspaceId, after);
          const now = clock.now();
          const number = found.agent.version + 1;
          const updated = await scoped.agents.addVersion(
            access.workspaceId,
            found.agent.id,
            {
              id: newId(now.getTime()),
              workspaceId: access.workspaceId,
              agentId: found.agent.id,
              number,
              definition: after as unknown as Record<string, unknown>,
              changedFields: changes,
              createdBy: access.userId,
              createdAt: now,
            },
            { slug: after.slug, updatedAt: now },
          );
          return toAgentView(updated);
        });
      } catch (error) {
        if (isUniqueViolation(error, 'agents_workspace_slug') && patch.slug) throw slugTaken(patch.slug);
        throw error;
      }
    },

    async remove(access: WorkspaceAccess, reference: string): Promise<void> {
      const removed = await repositories.agents.softDelete(access.workspaceId, reference, clock.now());
      if (!removed) throw agentNotFound();
    },

    async listVersions(
      access: WorkspaceAccess,
      reference: string,
      options: { limit: number; cursor?: string },
    ): Promise<{ items: AgentVersionView[]; nextCursor: string | null }> {
      const found = await repositories.agents.find(access.workspaceId, reference);
      if (!found) throw agentNotFound();
      const beforeNumber = decodeVersionCursor(options.cursor);
      const rows = await repositories.agents.listVersions(access.workspaceId, found.agent.id, {
        limit: options.limit + 1,
        beforeNumber,
      });
      const page = rows.slice(0, options.limit);
      const last = page.at(-1);
      return {
        items: page.map(toVersionView),
        nextCursor: rows.length > options.limit && last ? String(last.number) : null,
      };
    },
  };
}

export type AgentService = ReturnType<typeof createAgentService>;
