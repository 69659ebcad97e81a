import type { Clock } from '../../core/clock.ts';
import { decodeCursor, encodeCursor } from '../../core/cursor.ts';
import { FlightdeckError, invalidError, notFoundError } from '../../core/errors.ts';
import { newId } from '../../core/ids.ts';
import { compileJsonSchema, describeProblems } from '../../core/json-schema.ts';
import type { WorkflowDefinition } from '../../core/workflow/workflow-definition.ts';
import type { Database } from '../../store/database.ts';
import type { RunQueue } from '../../store/queue/run-queue.ts';
import {
  inTransaction,
  type Repositories,
  type WorkflowWithVersion,
} from '../../store/repositories/index.ts';
import { agentNotFound } from '../agents/agent-service.ts';
import { recordingDisabled } from '../executions/execution-recording.ts';
import type { WorkspaceAccess } from '../identity/principal.ts';
import type { KeyedProviderKind, ProviderCredentialResolver } from '../provider-keys/provider-credentials.ts';
import type { ContextPin } from './context-document-service.ts';
import { replayedRun } from './replayed-run.ts';
import type { RunSignals } from './run-signals.ts';
import {
  type RunEventView,
  type RunMode,
  type RunStatus,
  type RunTrigger,
  type RunView,
  toRunEventView,
  toRunView,
} from './run-view.ts';
import { workflowNotFound } from './workflow-service.ts';

export interface RunListQuery {
  limit: number;
  cursor?: string;
  workflowId?: string;
  /** One of `runStatuses` (the route checks it; its zod schema widens the type to string). */
  status?: string;
  trigger?: string;
  mode?: string;
  from?: Date;
  to?: Date;
}

/** The documents a run asks for: by id or name, at a version or the latest. */
export type ContextRequest = ReadonlyArray<{ documentId: string; version?: number | undefined }>;

export interface RunStartRequest {
  /** Absent: `{}`, or for a replay the recorded run's input. */
  input?: unknown;
  mode: RunMode;
  context?: ContextRequest;
  /** Live: record every agent step's provider exchanges. */
  record?: boolean;
  /** Mode `replay`: the recorded run of this workflow whose exchanges answer the agent steps. */
  replayOf?: string;
}

export const runNotFound = () =>
  notFoundError('run_not_found', 'No workflow run with this id in this workspace.');

const queueMissing = () =>
  new FlightdeckError({
    code: 'workflow_queue_unavailable',
    kind: 'unavailable',
    message: 'The workflow queue is not running on this node yet. Retry in a moment.',
    retryAfterSeconds: 1,
  });

/**
 * Workflow runs: checked and recorded before anything runs, then handed to the queue; list, read,
 * cancel, retry and the stored events. The engine (workflow-engine.ts) does the running.
 */
export function createRunService(dependencies: {
  database: Database;
  repositories: Repositories;
  clock: Clock;
  credentials: ProviderCredentialResolver;
  signals: RunSignals;
  /** Resolves a run's context list to pinned document versions. */
  pinContext: (
    workspaceId: string,
    requested: ReadonlyArray<{ documentId: string; version?: number | undefined }>,
  ) => Promise<ContextPin[]>;
  /** The workspace's `recordExecutions` setting: a live run records then as with `record: true`. */
  recordsExecutionsOf?: (workspaceId: string) => Promise<boolean>;
  /** The workspace's `storeExecutionContent` setting: without it nothing is recorded (409 when asked). */
  storesContentOf?: (workspaceId: string) => Promise<boolean>;
}) {
  const { database, repositories, clock, signals } = dependencies;
  let queue: RunQueue | null = null;

  /** Whether a live run records its steps (asked, or the workspace records everything), where allowed. */
  async function recordsRun(workspaceId: string, asked: boolean | undefined): Promise<boolean> {
    const always = (await dependencies.recordsExecutionsOf?.(workspaceId)) ?? false;
    if (asked !== true && !always) return false;
    if ((await dependencies.storesContentOf?.(workspaceId)) ?? true) return true;
    if (asked === true) throw recordingDisabled();
    return false;
  }

  /** Refuses, before anything runs, a run that could not succeed: bad input, agents gone, keys missing. */
  async function checkStartable(
    workspaceId: string,
    definition: WorkflowDefinition,
    input: unknown,
    mode: RunMode,
  ) {
    if (definition.inputSchema) {
      const problems = compileJsonSchema(definition.inputSchema, 'inputSchema').validate(input);
      if (problems.length > 0) {
        throw invalidError(
          'input_invalid',
          `The run input does not match the workflow's input schema: ${describeProblems(problems)}.`,
          { problems },
        );
      }
    }
    // Each distinct agent is read (and its key checked) once, side by side: a 100-wide fan-out of one
    // agent took 100 sequential reads to start.
    const references = [
      ...new Set(definition.steps.flatMap((step) => (step.kind === 'agent' ? [step.agent] : []))),
    ];
    const agents = new Map(
      await Promise.all(
        references.map(
          // Steps run the published version of their agent, so that is the one checked here.
          async (reference) =>
            [reference, await repositories.agents.findPublished(workspaceId, reference)] as const,
        ),
      ),
    );
    const checkedKeys = new Set<string>();
    for (const step of definition.steps) {
      if (step.kind !== 'agent') continue;
      const published = agents.get(step.agent);
      if (!published?.agent) {
        throw new FlightdeckError({
          code: 'workflow_agent_missing',
          kind: 'unprocessable',
          message: `Step "${step.id}" runs agent "${step.agent}", which no longer exists. Point the step at another agent and save the workflow.`,
          details: { stepId: step.id, agent: step.agent },
        });
      }
      if (!published.version) {
        throw new FlightdeckError({
          code: 'workflow_agent_not_published',
          kind: 'unprocessable',
          message: `Step "${step.id}" runs agent "${step.agent}", which has no published version yet. Publish it (POST …/agents/{id}/publish) and run again.`,
          details: { stepId: step.id, agent: step.agent },
        });
      }
      const found = { agent: published.agent, version: published.version };
      // Mock and replay runs call no provider: no key is needed.
      if (mode !== 'live') continue;
      const agent = found.version.definition as {
        provider: string;
        providerKeyId: string | null;
      };
      if (agent.provider === 'mock' || checkedKeys.has(found.agent.id)) continue;
      checkedKeys.add(found.agent.id);
      try {
        await dependencies.credentials.resolve(workspaceId, {
          provider: agent.provider as KeyedProviderKind,
          providerKeyId: agent.providerKeyId,
        });
      } catch (error) {
        if (!FlightdeckError.isInstance(error)) throw error;
        throw new FlightdeckError({
          code: error.code,
          kind: error.kind,
          message: `Step "${step.id}" (agent "${found.agent.slug}"): ${error.message}`,
          details: { stepId: step.id, agent: found.agent.slug },
        });
      }
    }
  }

  /** The agent's session workflow with the asked strategy, made or moved to a new version when needed. */
  async function sessionWorkflowOf(
    access: WorkspaceAccess,
    agentId: string,
    agentSlug: string,
    approvalStrategy: WorkflowDefinition['approvalStrategy'],
  ): Promise<WorkflowWithVersion> {
    const slug = `session-${agentId.toLowerCase()}`;
    const definition = {
      slug,
      name: `Work session: ${agentSlug}`,
      description: 'One agent task with a review; made by POST …/agents/{agentId}/runs.',
      inputSchema: null,
      approvalStrategy,
      riskRule: null,
      costCapUsd: null,
      triggers: { webhook: false, schedule: null, timezone: null },
      // The run input is the agent's whole input (see prepareStep).
      session: true,
      steps: [{ id: 'task', kind: 'agent', agent: agentId, input: {} }],
    };
    return inTransaction(database, async (scoped) => {
      await scoped.locks.lockUntilCommit(`session-workflow:${access.workspaceId}:${agentId}`);
      const existing = await scoped.workflows.find(access.workspaceId, slug);
      const now = clock.now();
      if (existing && JSON.stringify(existing.version.definition) === JSON.stringify(definition))
        return existing;
      const versionId = newId(now.getTime());
      const version = {
        id: versionId,
        workspaceId: access.workspaceId,
        workflowId: existing?.workflow.id ?? newId(now.getTime()),
        number: (existing?.workflow.version ?? 0) + 1,
        definition,
        createdBy: access.userId,
        createdAt: now,
      };
      if (existing) {
        return scoped.workflows.addVersion(access.workspaceId, existing.workflow.id, version, {
          slug,
          updatedAt: now,
          scheduleNextAt: null,
        });
      }
      return scoped.workflows.insert(
        {
          id: version.workflowId,
          workspaceId: access.workspaceId,
          slug,
          kind: 'session',
          currentVersionId: versionId,
          version: 1,
          createdBy: access.userId,
          createdAt: now,
          updatedAt: now,
        },
        version,
      );
    });
  }

  async function startOf(
    found: WorkflowWithVersion,
    access: { workspaceId: string; role: string; userId: string | null; tokenId: string | null },
    request: RunStartRequest,
    trigger: RunTrigger,
  ): Promise<RunView> {
    if (!queue) throw queueMissing();
    const replayed = await replayedRun(repositories, access.workspaceId, found.workflow.id, request);
    // A replay hands the agents what the recorded run did, unless the request says otherwise.
    const context = request.context
      ? await dependencies.pinContext(access.workspaceId, request.context)
      : (replayed?.context ?? null);
    const definition = found.version.definition as unknown as WorkflowDefinition;
    const input = request.input === undefined ? (replayed?.input ?? {}) : request.input;
    await checkStartable(access.workspaceId, definition, input, request.mode);
    const now = clock.now();
    const runId = newId(now.getTime());
    const record = request.mode === 'live' && (await recordsRun(access.workspaceId, request.record));
    const steps = definition.steps.map((step, position) => ({
      runId,
      stepId: step.id,
      workspaceId: access.workspaceId,
      position,
      kind: step.kind,
      status: 'pending' as const,
    }));
    const run = await inTransaction(database, (scoped) =>
      scoped.workflowRuns.insert(
        {
          id: runId,
          workspaceId: access.workspaceId,
          workflowId: found.workflow.id,
          workflowVersionId: found.version.id,
          workflowVersion: found.version.number,
          status: 'queued',
          mode: request.mode,
          trigger,
          input,
          createdBy: access.userId,
          tokenId: access.tokenId,
          actingRole: access.role,
          costCapUsd: definition.costCapUsd,
          context,
          record,
          replayOf: replayed?.id ?? null,
          createdAt: now,
        },
        steps,
      ),
    );
    await queue.enqueue(runId);
    return toRunView(run, await repositories.workflowRuns.listSteps(runId));
  }

  return {
    /** Called once the queue is up; until then starting a run answers 503. */
    attachQueue(runQueue: RunQueue) {
      queue = runQueue;
    },

    /** Hands a run back to the queue after a decision moved it on (live views are woken too). */
    async resume(runId: string): Promise<void> {
      signals.notify(runId);
      if (!queue) throw queueMissing();
      await queue.enqueue(runId);
    },

    /**
     * A work session: one agent task as a one-step run on the agent's own hidden workflow, reviewed
     * by `approvalStrategy` (default `checkpoint_required`). The run input is the agent's input.
     */
    async startSession(
      access: WorkspaceAccess,
      agentReference: string,
      request: RunStartRequest & { approvalStrategy: WorkflowDefinition['approvalStrategy'] },
    ): Promise<RunView> {
      const agent = await repositories.agents.find(access.workspaceId, agentReference);
      if (!agent) throw agentNotFound();
      const found = await sessionWorkflowOf(
        access,
        agent.agent.id,
        agent.agent.slug,
        request.approvalStrategy,
      );
      return startOf(found, access, request, 'manual');
    },

    async start(
      access: WorkspaceAccess,
      workflowReference: string,
      request: RunStartRequest,
    ): Promise<RunView> {
      const found = await repositories.workflows.find(access.workspaceId, workflowReference);
      if (!found) throw workflowNotFound();
      return startOf(found, access, request, 'manual');
    },

    /** A run started by a webhook or a schedule: it acts as a member on behalf of the workflow's author. */
    async startTriggered(found: WorkflowWithVersion, input: unknown, trigger: 'webhook' | 'schedule') {
      return startOf(
        found,
        {
          workspaceId: found.workflow.workspaceId,
          role: 'member',
          userId: found.workflow.createdBy,
          tokenId: null,
        },
        { input, mode: 'live' },
        trigger,
      );
    },

    async get(access: WorkspaceAccess, runId: string): Promise<RunView> {
      const run = await repositories.workflowRuns.find(access.workspaceId, runId);
      if (!run) throw runNotFound();
      return toRunView(run, await repositories.workflowRuns.listSteps(run.id));
    },

    async list(
      access: WorkspaceAccess,
      query: RunListQuery,
    ): Promise<{ items: RunView[]; nextCursor: string | null }> {
      let workflowId = query.workflowId;
      if (workflowId !== undefined) {
        const found = await repositories.workflows.find(access.workspaceId, workflowId);
        workflowId = found?.workflow.id ?? workflowId;
      }
      const rows = await repositories.workflowRuns.list(
        access.workspaceId,
        { ...query, workflowId, status: query.status as RunStatus | undefined },
        { limit: query.limit + 1, after: query.cursor ? decodeCursor(query.cursor) : undefined },
      );
      const page = rows.slice(0, query.limit);
      const steps = await repositories.workflowRuns.listStepsOfRuns(page.map((row) => row.id));
      const last = page.at(-1);
      return {
        items: page.map((row) =>
          toRunView(
            row,
            steps.filter((step) => step.runId === row.id),
          ),
        ),
        nextCursor: rows.length > query.limit && last ? encodeCursor(last.createdAt, last.id) : null,
      };
    },

    /** Cancels an unfinished run; in-flight provider calls on this node stop at once, elsewhere within a second. */
    async cancel(access: WorkspaceAccess, runId: string): Promise<RunView> {
      const run = await repositories.workflowRuns.find(access.workspaceId, runId);
      if (!run) throw runNotFound();
      const cancelled = await repositories.workflowRuns.cancel(access.workspaceId, runId, clock.now());
      if (!cancelled) {
        throw new FlightdeckError({
          code: 'run_not_cancellable',
          kind: 'conflict',
          message: `The run is ${run.status}; only queued, running or waiting runs can be cancelled.`,
          details: { status: run.status },
        });
      }
      await repositories.workflowApprovals.cancelPendingOfRun(runId, clock.now());
      signals.abortRun(runId, 'run cancelled');
      signals.notify(runId);
      return this.get(access, runId);
    },

    /** Runs the failed, cancelled and skipped steps of a failed or cancelled run again; completed ones are kept. */
    async retry(access: WorkspaceAccess, runId: string): Promise<RunView> {
      const run = await repositories.workflowRuns.find(access.workspaceId, runId);
      if (!run) throw runNotFound();
      if (!queue) throw queueMissing();
      const requeued = await repositories.workflowRuns.requeueForRetry(
        access.workspaceId,
        runId,
        clock.now(),
      );
      if (!requeued) {
        throw new FlightdeckError({
          code: 'run_not_retryable',
          kind: 'conflict',
          message: `The run is ${run.status}; only failed or cancelled runs can be retried.`,
          details: { status: run.status },
        });
      }
      await queue.enqueue(runId);
      signals.notify(runId);
      return this.get(access, runId);
    },

    /** Stored events after a sequence number (for SSE and its Last-Event-ID resume). */
    async eventsAfter(
      access: WorkspaceAccess,
      runId: string,
      afterSequence: number,
    ): Promise<RunEventView[]> {
      const rows = await repositories.workflowRuns.listEvents(runId, afterSequence, 500);
      return rows.filter((row) => row.workspaceId === access.workspaceId).map(toRunEventView);
    },
  };
}

export type RunService = ReturnType<typeof createRunService>;
