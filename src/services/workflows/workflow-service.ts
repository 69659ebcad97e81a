import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../../core/clock.ts';
import { decodeCursor, decodeVersionCursor, encodeCursor } from '../../core/cursor.ts';
import { conflictError, FlightdeckError, invalidError, notFoundError } from '../../core/errors.ts';
import { newId } from '../../core/ids.ts';
import { type CheckedAgent, checkWorkflowDefinition } from '../../core/workflow/check-workflow-definition.ts';
import {
  type WorkflowDefinition,
  type WorkflowProblem,
  workflowProblem,
} from '../../core/workflow/workflow-definition.ts';
import type { Database } from '../../store/database.ts';
import {
  inTransaction,
  type Repositories,
  type WorkflowVersionRow,
  type WorkflowWithVersion,
} from '../../store/repositories/index.ts';
import { isUniqueViolation } from '../../store/unique-violation.ts';
import type { WorkspaceAccess } from '../identity/principal.ts';
import {
  applyWorkflowPatch,
  checkTriggers,
  definitionFromInput,
  nextScheduleTick,
  type WorkflowInput,
  type WorkflowPatch,
} from './workflow-input.ts';

export interface WorkflowView extends WorkflowDefinition {
  id: string;
  version: number;
  versionId: string;
  /** Whether a webhook secret exists (the URL holds it, so it is shown only when made). */
  webhookSecretSet: boolean;
  nextScheduledAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface WorkflowVersionView {
  id: string;
  workflowId: string;
  number: number;
  createdBy: string | null;
  createdAt: Date;
  definition: WorkflowDefinition;
}

export const workflowNotFound = () =>
  notFoundError('workflow_not_found', 'No workflow with this id or slug in this workspace.');

const slugTaken = (slug: string) =>
  conflictError(
    'workflow_slug_taken',
    `Another workflow in this workspace already uses the slug "${slug}". Choose another slug.`,
    { slug },
  );

export function toWorkflowView({ workflow, version }: WorkflowWithVersion): WorkflowView {
  return {
    id: workflow.id,
    ...(version.definition as unknown as WorkflowDefinition),
    slug: workflow.slug,
    version: workflow.version,
    versionId: workflow.currentVersionId,
    webhookSecretSet: workflow.webhookSecretHash !== null,
    nextScheduledAt: workflow.scheduleNextAt,
    createdAt: workflow.createdAt,
    updatedAt: workflow.updatedAt,
  };
}

function toVersionView(row: WorkflowVersionRow): WorkflowVersionView {
  return {
    id: row.id,
    workflowId: row.workflowId,
    number: row.number,
    createdBy: row.createdBy,
    createdAt: row.createdAt,
    definition: row.definition as unknown as WorkflowDefinition,
  };
}

const hashSecret = (secret: string) => createHash('sha256').update(secret).digest('hex');

/** Workflow definitions: checked on save, every change an immutable version, webhook secrets. */
export function createWorkflowService(dependencies: {
  database: Database;
  repositories: Repositories;
  clock: Clock;
  publicUrl: string;
  /** The SSRF guard for http steps' URLs, applied at save where the host is written out. */
  checkStepUrl?: (url: string) => Promise<void>;
}) {
  const { database, repositories, clock } = dependencies;
  const checkStepUrl = dependencies.checkStepUrl ?? (async () => {});

  /**
   * http steps whose host is literal (placeholders only after it) are checked by the SSRF guard now,
   * so a refused URL is a save-time problem rather than a failed run; a placeholder in the host is
   * judged when the step runs, by the guarded fetch.
   */
  async function refusedStepUrls(definition: WorkflowDefinition): Promise<WorkflowProblem[]> {
    const problems = await Promise.all(
      definition.steps.map(async (step, index) => {
        if (step.kind !== 'http' || typeof step.url !== 'string') return [];
        const literal = step.url.split('{{')[0] ?? '';
        const hasWholeHost = literal === step.url || /^https?:\/\/[^/?#]+[/?#]/i.test(literal);
        if (!hasWholeHost || !URL.canParse(literal)) return [];
        try {
          await checkStepUrl(literal);
          return [];
        } catch (error) {
          if (!FlightdeckError.isInstance(error)) throw error;
          return [workflowProblem(`/steps/${index}/url`, 'http_url_refused', error.message)];
        }
      }),
    );
    return problems.flat();
  }

  /**
   * Every problem of a definition, with the agents it names looked up in the workspace. Inside a
   * transaction pass its repositories: PGlite has one connection, so a query outside would wait forever.
   */
  async function problemsOf(
    workspaceId: string,
    definition: WorkflowDefinition,
    scoped: Repositories = repositories,
  ): Promise<WorkflowProblem[]> {
    const references = new Set<string>();
    for (const step of definition.steps) if (step.kind === 'agent') references.add(step.agent);
    const agents = new Map<string, CheckedAgent>();
    await Promise.all(
      [...references].map(async (reference) => {
        const found = await scoped.agents.find(workspaceId, reference);
        if (!found) return;
        const agentDefinition = found.version.definition as {
          inputSchema?: Record<string, unknown> | null;
          outputSchema?: Record<string, unknown> | null;
        };
        agents.set(reference, {
          id: found.agent.id,
          slug: found.agent.slug,
          inputSchema: agentDefinition.inputSchema ?? null,
          outputSchema: agentDefinition.outputSchema ?? null,
        });
      }),
    );
    return [
      ...checkWorkflowDefinition(definition, { agentOf: (reference) => agents.get(reference) }),
      ...checkTriggers(definition),
      ...(await refusedStepUrls(definition)),
    ];
  }

  async function checked(
    workspaceId: string,
    definition: WorkflowDefinition,
    scoped: Repositories = repositories,
  ): Promise<void> {
    const problems = await problemsOf(workspaceId, definition, scoped);
    if (problems.length > 0) {
      const shown = problems
        .slice(0, 3)
        .map((problem) => `${problem.pointer || '/'}: ${problem.message}`)
        .join(' ');
      throw invalidError(
        'workflow_invalid',
        `The workflow has ${problems.length} problem${problems.length === 1 ? '' : 's'}. ${shown}`,
        problems,
      );
    }
  }

  return {
    /** The save-time check alone, for the builder as the user types. */
    async validate(access: WorkspaceAccess, input: WorkflowInput) {
      const problems = await problemsOf(access.workspaceId, definitionFromInput(input));
      return { valid: problems.length === 0, problems };
    },

    async create(access: WorkspaceAccess, input: WorkflowInput): Promise<WorkflowView> {
      const definition = definitionFromInput(input);
      await checked(access.workspaceId, definition);
      const now = clock.now();
      const workflowId = newId(now.getTime());
      const versionId = newId(now.getTime());
      try {
        const created = await inTransaction(database, (scoped) =>
          scoped.workflows.insert(
            {
              id: workflowId,
              workspaceId: access.workspaceId,
              slug: definition.slug,
              currentVersionId: versionId,
              version: 1,
              scheduleNextAt: nextScheduleTick(definition, now),
              createdBy: access.userId,
              createdAt: now,
              updatedAt: now,
            },
            {
              id: versionId,
              workspaceId: access.workspaceId,
              workflowId,
              number: 1,
              definition: definition as unknown as Record<string, unknown>,
              createdBy: access.userId,
              createdAt: now,
            },
          ),
        );
        return toWorkflowView(created);
      } catch (error) {
        if (isUniqueViolation(error)) throw slugTaken(definition.slug);
        throw error;
      }
    },

    async get(access: WorkspaceAccess, reference: string): Promise<WorkflowView> {
      const found = await repositories.workflows.find(access.workspaceId, reference);
      if (!found) throw workflowNotFound();
      return toWorkflowView(found);
    },

    async list(
      access: WorkspaceAccess,
      options: { limit: number; cursor?: string; search?: string },
    ): Promise<{ items: WorkflowView[]; nextCursor: string | null }> {
      const rows = await repositories.workflows.list(access.workspaceId, {
        limit: options.limit + 1,
        after: options.cursor ? decodeCursor(options.cursor) : undefined,
        search: options.search,
      });
      const page = rows.slice(0, options.limit);
      const last = page.at(-1);
      return {
        items: page.map(toWorkflowView),
        nextCursor:
          rows.length > options.limit && last
            ? encodeCursor(last.workflow.createdAt, last.workflow.id)
            : null,
      };
    },

    /** Applies a change as a new version; a request that changes nothing makes no version. */
    async update(access: WorkspaceAccess, reference: string, patch: WorkflowPatch): Promise<WorkflowView> {
      try {
        return await inTransaction(database, async (scoped) => {
          const workflow = await scoped.workflows.findForUpdate(access.workspaceId, reference);
          if (!workflow) throw workflowNotFound();
          const version = await scoped.workflows.findVersion(access.workspaceId, workflow.currentVersionId);
          if (!version) throw workflowNotFound();
          const before = { ...(version.definition as unknown as WorkflowDefinition), slug: workflow.slug };
          const after = applyWorkflowPatch(before, patch);
          if (JSON.stringify(before) === JSON.stringify(after)) return toWorkflowView({ workflow, version });
          await checked(access.workspaceId, after, scoped);
          const now = clock.now();
          const scheduleChanged =
            before.triggers.schedule !== after.triggers.schedule ||
            before.triggers.timezone !== after.triggers.timezone;
          const updated = await scoped.workflows.addVersion(
            access.workspaceId,
            workflow.id,
            {
              id: newId(now.getTime()),
              workspaceId: access.workspaceId,
              workflowId: workflow.id,
              number: workflow.version + 1,
              definition: after as unknown as Record<string, unknown>,
              createdBy: access.userId,
              createdAt: now,
            },
            {
              slug: after.slug,
              updatedAt: now,
              scheduleNextAt: scheduleChanged ? nextScheduleTick(after, now) : workflow.scheduleNextAt,
            },
          );
          return toWorkflowView(updated);
        });
      } catch (error) {
        if (isUniqueViolation(error, 'workflows_workspace_slug') && patch.slug) throw slugTaken(patch.slug);
        throw error;
      }
    },

    async remove(access: WorkspaceAccess, reference: string): Promise<void> {
      const removed = await repositories.workflows.softDelete(access.workspaceId, reference, clock.now());
      if (!removed) throw workflowNotFound();
    },

    async listVersions(
      access: WorkspaceAccess,
      reference: string,
      options: { limit: number; cursor?: string },
    ): Promise<{ items: WorkflowVersionView[]; nextCursor: string | null }> {
      const found = await repositories.workflows.find(access.workspaceId, reference);
      if (!found) throw workflowNotFound();
      const beforeNumber = decodeVersionCursor(options.cursor);
      const rows = await repositories.workflows.listVersions(access.workspaceId, found.workflow.id, {
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

    /**
     * Makes a new webhook secret (the old URL stops working at once) and answers the URL that holds
     * it; only its hash is stored, so this is the one time it is shown.
     */
    async rotateWebhookSecret(access: WorkspaceAccess, reference: string) {
      const found = await repositories.workflows.find(access.workspaceId, reference);
      if (!found) throw workflowNotFound();
      const secret = `whs_${randomBytes(24).toString('base64url')}`;
      await repositories.workflows.setWebhookSecretHash(
        access.workspaceId,
        found.workflow.id,
        hashSecret(secret),
      );
      const url = `${dependencies.publicUrl.replace(/\/+$/, '')}/hooks/workflows/${found.workflow.id}/${secret}`;
      const definition = found.version.definition as unknown as WorkflowDefinition;
      return { workflowId: found.workflow.id, secret, url, webhookEnabled: definition.triggers.webhook };
    },

    /** The workflow a webhook URL names, when its secret matches; 404 otherwise (never says which part was wrong). */
    async findForWebhook(workflowId: string, secret: string): Promise<WorkflowWithVersion> {
      const found = await repositories.workflows.findById(workflowId);
      const stored = found?.workflow.webhookSecretHash;
      const presented = Buffer.from(hashSecret(secret), 'hex');
      const matches = stored ? timingSafeEqual(Buffer.from(stored, 'hex'), presented) : false;
      const definition = found?.version.definition as unknown as WorkflowDefinition | undefined;
      if (!found || !matches || !definition?.triggers.webhook) {
        throw notFoundError(
          'webhook_not_found',
          'No workflow webhook at this URL. Check the URL, or make a new one with POST …/workflows/{id}/webhook-secret.',
        );
      }
      return found;
    },
  };
}

export type WorkflowService = ReturnType<typeof createWorkflowService>;
