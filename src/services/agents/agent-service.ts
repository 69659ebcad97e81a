import type { Clock } from '../../core/clock.ts';
import { decodeCursor, decodeVersionCursor, encodeCursor } from '../../core/cursor.ts';
import { conflictError, invalidError, notFoundError } from '../../core/errors.ts';
import { newId } from '../../core/ids.ts';
import { type ChangeNotifications, silentChangeNotifications } from '../../store/change-notifications.ts';
import type { Database } from '../../store/database.ts';
import {
  type AgentVersionRow,
  type AgentWithVersion,
  createRepositories,
  inTransaction,
  type Repositories,
} from '../../store/repositories/index.ts';
import { isUniqueViolation } from '../../store/unique-violation.ts';
import { type AuditActor, createAuditLog } from '../audit/audit-log.ts';
import type { WorkspaceAccess } from '../identity/principal.ts';
import type { ToolEntryChecks } from '../tools/tool.ts';
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
import { agentNotFound, labelPattern, publishedLabel } from './agent-version-selector.ts';
import { checkToolReferences } from './check-tool-references.ts';
import { encodeAgentChange } from './published-agent-cache.ts';

export { agentNotFound };

export interface AgentView extends AgentDefinition {
  id: string;
  /** The newest version: what the builder shows and the test panel runs (a draft until published). */
  version: number;
  versionId: string;
  /** What callers run when they name no version (the `production` label); null before a first publish. */
  publishedVersion: number | null;
  publishedVersionId: string | null;
  /** Other labels callers can target (`versionLabel`, `agent/<slug>@<label>`): label → version number. */
  labels: Record<string, number>;
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
    publishedVersion: agent.publishedVersion,
    publishedVersionId: agent.publishedVersionId,
    labels: agent.labels,
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

/** Stands in for the caller when a service publishes without a request (never from a route). */
const systemActor: AuditActor = { userId: null, tokenId: null, address: null, userAgent: null };

const versionMissing = (number: number, newest: number) =>
  invalidError(
    'agent_version_not_found',
    `version: this agent has versions 1 to ${newest}; ${number} is not one.`,
    {
      field: 'version',
      version: number,
    },
  );

function checkLabel(label: string) {
  if (!labelPattern.test(label)) {
    throw invalidError(
      'label_invalid',
      'label: use 1 to 40 lowercase letters, digits, "-" or "_", starting with a letter (e.g. "staging").',
      { field: 'label' },
    );
  }
}

/** Agents: every change makes an immutable version; deleting hides the agent and keeps its history. */
export function createAgentService(dependencies: {
  database: Database;
  repositories: Repositories;
  clock: Clock;
  /** Save-time checks of tool entries by kind beyond the agent tool's (the mcp one from tools/mcp/). */
  toolChecks?: ToolEntryChecks;
  /** Where changes are announced, so every node's copy of the agent (published-agent-cache.ts) goes. */
  notifications?: ChangeNotifications;
}) {
  const { database, repositories, clock } = dependencies;
  const notifications = dependencies.notifications ?? silentChangeNotifications;

  /**
   * Runs `change` in one transaction that also announces the agent's change (the notice travels at
   * its commit), and answers once every listening node dropped its copy.
   */
  async function changingAgent<Result>(
    workspaceId: string,
    change: (scoped: Repositories) => Promise<{ result: Result; agentId: string }>,
  ): Promise<Result> {
    const { result, publication } = await database.transaction(async (transaction) => {
      const scopedDatabase = transaction as unknown as Database;
      const { result, agentId } = await change(createRepositories(scopedDatabase, { groupCommit: false }));
      const publication = await notifications.publish(
        scopedDatabase,
        encodeAgentChange({ workspaceId, agentId }),
      );
      return { result, publication };
    });
    await publication.delivered();
    return result;
  }

  /** Adds `after` as the newest version (a draft until published); inside the caller's transaction. */
  async function addVersion(
    scoped: Repositories,
    access: WorkspaceAccess,
    found: AgentWithVersion,
    after: AgentDefinition,
    changes: AgentField[],
  ): Promise<AgentWithVersion> {
    checkDefinition(after);
    await checkReferences(scoped, access.workspaceId, after);
    // The kinds' own checks ran before the transaction (checkToolKinds): they may read through their
    // own connection or ask a server, which inside it would wait on PGlite's one connection.
    await checkToolReferences(scoped, access.workspaceId, { id: found.agent.id, slug: after.slug }, after);
    const now = clock.now();
    return scoped.agents.addVersion(
      access.workspaceId,
      found.agent.id,
      {
        id: newId(now.getTime()),
        workspaceId: access.workspaceId,
        agentId: found.agent.id,
        number: found.agent.version + 1,
        definition: after as unknown as Record<string, unknown>,
        changedFields: changes,
        createdBy: access.userId,
        createdAt: now,
      },
      { slug: after.slug, updatedAt: now },
    );
  }

  /**
   * Points the `production` label at a version, audited with the version it replaced in the same
   * transaction. Moving it to an older version than the published one is a rollback.
   */
  async function publishIn(
    scoped: Repositories,
    access: WorkspaceAccess,
    actor: AuditActor,
    found: AgentWithVersion,
    number: number,
  ): Promise<AgentWithVersion> {
    const previous = found.agent.publishedVersion;
    if (previous === number) return found;
    const version =
      number === found.version.number
        ? found.version
        : await scoped.agents.findVersionByNumber(access.workspaceId, found.agent.id, number);
    if (!version) throw versionMissing(number, found.agent.version);
    const agent = await scoped.agents.setPublished(access.workspaceId, found.agent.id, {
      versionId: version.id,
      number,
      updatedAt: clock.now(),
    });
    await createAuditLog({ repositories: scoped, clock }).record(
      access.workspaceId,
      actor,
      previous !== null && number < previous ? 'agent.rolled_back' : 'agent.published',
      { type: 'agent', id: found.agent.id },
      { slug: found.agent.slug, version: number, previousVersion: previous },
    );
    return { agent, version: found.version };
  }

  /** The kinds' save checks (an mcp entry's server and tool), outside any transaction. */
  async function checkToolKinds(workspaceId: string, agentId: string | null, tools: readonly unknown[]) {
    for (const [index, item] of tools.entries()) {
      const entry = item as AgentDefinition['tools'][number];
      await dependencies.toolChecks?.[entry.kind]?.(entry, `tools[${index}]`, { workspaceId, agentId });
    }
  }

  /** Runs `change` on the locked agent inside one transaction. */
  const withLockedAgent = (
    access: WorkspaceAccess,
    reference: string,
    change: (scoped: Repositories, found: AgentWithVersion) => Promise<AgentWithVersion>,
  ) =>
    changingAgent(access.workspaceId, async (scoped) => {
      const found = await scoped.agents.findForUpdate(access.workspaceId, reference);
      if (!found) throw agentNotFound();
      return { result: toAgentView(await change(scoped, found)), agentId: found.agent.id };
    });

  return {
    /** Version 1, published unless `publish: false` keeps it a draft nobody runs by default. */
    async create(
      access: WorkspaceAccess,
      input: AgentInput,
      options: { publish?: boolean; actor?: AuditActor } = {},
    ): Promise<AgentView> {
      const publish = options.publish ?? true;
      const definition = definitionFromInput(input);
      checkDefinition(definition);
      await checkReferences(repositories, access.workspaceId, definition);
      await checkToolReferences(
        repositories,
        access.workspaceId,
        { id: null, slug: definition.slug },
        definition,
        dependencies.toolChecks,
      );
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
              publishedVersionId: publish ? versionId : null,
              publishedVersion: publish ? 1 : null,
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

    /** Agents whose draft or published version uses the key (own key or fallback), named for a delete prompt. */
    async listUsingProviderKey(
      access: WorkspaceAccess,
      providerKeyId: string,
    ): Promise<Array<{ id: string; slug: string; name: string }>> {
      return repositories.agents.listUsingProviderKey(access.workspaceId, providerKeyId);
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

    /**
     * Applies a change as a new draft version; a request that changes nothing makes no version.
     * `publish: true` publishes the result in the same transaction (what `flightdeck apply` does).
     */
    async update(
      access: WorkspaceAccess,
      reference: string,
      patch: AgentPatch,
      options: { publish?: boolean; actor?: AuditActor } = {},
    ): Promise<AgentView> {
      if (patch.tools !== undefined) await checkToolKinds(access.workspaceId, null, patch.tools);
      try {
        return await withLockedAgent(access, reference, async (scoped, found) => {
          const before = { ...readDefinition(found.version.definition), slug: found.agent.slug };
          const after = applyPatch(before, patch);
          const changes = changedFields(before, after);
          const saved =
            changes.length === 0 ? found : await addVersion(scoped, access, found, after, changes);
          if (!options.publish) return saved;
          return publishIn(scoped, access, options.actor ?? systemActor, saved, saved.agent.version);
        });
      } catch (error) {
        if (isUniqueViolation(error, 'agents_workspace_slug') && patch.slug) throw slugTaken(patch.slug);
        throw error;
      }
    },

    /** Publishes a version (the newest by default): callers that name none run it from now on. */
    async publish(
      access: WorkspaceAccess,
      actor: AuditActor,
      reference: string,
      request: { version?: number },
    ): Promise<AgentView> {
      return withLockedAgent(access, reference, (scoped, found) =>
        publishIn(scoped, access, actor, found, request.version ?? found.agent.version),
      );
    },

    /** Publishes an earlier version than the published one. */
    async rollback(
      access: WorkspaceAccess,
      actor: AuditActor,
      reference: string,
      request: { version: number },
    ): Promise<AgentView> {
      return withLockedAgent(access, reference, (scoped, found) => {
        const published = found.agent.publishedVersion;
        if (published === null || request.version >= published) {
          throw invalidError(
            'rollback_not_older',
            published === null
              ? 'This agent was never published: publish a version instead of rolling back.'
              : `version: roll back to a version older than the published one (${published}); to move forward, publish.`,
            { field: 'version', publishedVersion: published },
          );
        }
        return publishIn(scoped, access, actor, found, request.version);
      });
    },

    /** Makes an older version's configuration the newest draft again (the slug stays). */
    async restore(access: WorkspaceAccess, reference: string, number: number): Promise<AgentView> {
      return withLockedAgent(access, reference, async (scoped, found) => {
        const old = await scoped.agents.findVersionByNumber(access.workspaceId, found.agent.id, number);
        if (!old) throw versionMissing(number, found.agent.version);
        const before = { ...readDefinition(found.version.definition), slug: found.agent.slug };
        const after = { ...readDefinition(old.definition), slug: found.agent.slug };
        const changes = changedFields(before, after);
        return changes.length === 0 ? found : addVersion(scoped, access, found, after, changes);
      });
    },

    /** Points a label at a version; `production` is the published version, so setting it publishes. */
    async setLabel(
      access: WorkspaceAccess,
      actor: AuditActor,
      reference: string,
      label: string,
      number: number,
    ): Promise<AgentView> {
      checkLabel(label);
      return withLockedAgent(access, reference, async (scoped, found) => {
        if (label === publishedLabel) return publishIn(scoped, access, actor, found, number);
        if (found.agent.labels[label] === number) return found;
        if (number > found.agent.version || number < 1) throw versionMissing(number, found.agent.version);
        const agent = await scoped.agents.setLabels(
          access.workspaceId,
          found.agent.id,
          { ...found.agent.labels, [label]: number },
          clock.now(),
        );
        await createAuditLog({ repositories: scoped, clock }).record(
          access.workspaceId,
          actor,
          'agent.label_set',
          { type: 'agent', id: found.agent.id },
          {
            slug: found.agent.slug,
            label,
            version: number,
            previousVersion: found.agent.labels[label] ?? null,
          },
        );
        return { agent, version: found.version };
      });
    },

    async removeLabel(
      access: WorkspaceAccess,
      actor: AuditActor,
      reference: string,
      label: string,
    ): Promise<AgentView> {
      checkLabel(label);
      if (label === publishedLabel) {
        throw invalidError(
          'label_reserved',
          '"production" is the published version and cannot be removed; publish or roll back another version instead.',
          { field: 'label' },
        );
      }
      return withLockedAgent(access, reference, async (scoped, found) => {
        const previous = found.agent.labels[label];
        if (previous === undefined) {
          throw notFoundError('agent_label_not_found', `This agent has no label "${label}".`, { label });
        }
        const { [label]: _removed, ...rest } = found.agent.labels;
        const agent = await scoped.agents.setLabels(access.workspaceId, found.agent.id, rest, clock.now());
        await createAuditLog({ repositories: scoped, clock }).record(
          access.workspaceId,
          actor,
          'agent.label_removed',
          { type: 'agent', id: found.agent.id },
          { slug: found.agent.slug, label, previousVersion: previous },
        );
        return { agent, version: found.version };
      });
    },

    async remove(access: WorkspaceAccess, reference: string): Promise<void> {
      await changingAgent(access.workspaceId, async (scoped) => {
        const removed = await scoped.agents.softDelete(access.workspaceId, reference, clock.now());
        if (!removed) throw agentNotFound();
        return { result: undefined, agentId: removed.id };
      });
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
