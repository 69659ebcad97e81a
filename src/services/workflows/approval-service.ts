import type { Clock } from '../../core/clock.ts';
import { decodeCursor, encodeCursor } from '../../core/cursor.ts';
import { FlightdeckError, invalidError, notFoundError } from '../../core/errors.ts';
import { compileJsonSchema, describeProblems } from '../../core/json-schema.ts';
import type { WorkflowDefinition } from '../../core/workflow/workflow-definition.ts';
import type {
  ApprovalDecision,
  Repositories,
  WorkflowApprovalRow,
  WorkflowArtifactRow,
} from '../../store/repositories/index.ts';
import type { ApprovalStatus } from '../../store/schema/index.ts';
import type { WorkspaceAccess } from '../identity/principal.ts';
import { completeSettings } from '../identity/workspace-settings.ts';
import type { RunService } from './run-service.ts';
import type { ApprovalNotifier } from './step-gate.ts';
import { toolParametersOf } from './tool-approval-resume.ts';

/** Revisions a step may be sent back for before only approve or reject remain. */
export const maxRevisions = 3;

export interface ApprovalView {
  id: string;
  runId: string;
  workflowId: string;
  stepId: string;
  attempt: number;
  revision: number;
  status: ApprovalStatus;
  reason: string;
  output: unknown;
  editedOutput: unknown;
  estimateUsd: number | null;
  decidedBy: string | null;
  decidedAt: Date | null;
  comment: string | null;
  feedback: string | null;
  expiresAt: Date | null;
  createdAt: Date;
}

export interface ArtifactView {
  id: string;
  runId: string;
  stepId: string;
  type: string;
  version: number;
  source: string;
  approvalId: string | null;
  executionId: string | null;
  content: unknown;
  createdBy: string | null;
  createdAt: Date;
}

export function toApprovalView(row: WorkflowApprovalRow): ApprovalView {
  return {
    id: row.id,
    runId: row.runId,
    workflowId: row.workflowId,
    stepId: row.stepId,
    attempt: row.attempt,
    revision: row.revision,
    status: row.status,
    reason: row.reason,
    output: row.output ?? null,
    editedOutput: row.editedOutput ?? null,
    estimateUsd: row.estimateUsd,
    decidedBy: row.decidedBy,
    decidedAt: row.decidedAt,
    comment: row.comment,
    feedback: row.feedback,
    expiresAt: row.expiresAt,
    createdAt: row.createdAt,
  };
}

export function toArtifactView(row: WorkflowArtifactRow): ArtifactView {
  return {
    id: row.id,
    runId: row.runId,
    stepId: row.stepId,
    type: row.type,
    version: row.version,
    source: row.source,
    approvalId: row.approvalId,
    executionId: row.executionId,
    content: row.content ?? null,
    createdBy: row.createdBy,
    createdAt: row.createdAt,
  };
}

const approvalNotFound = () =>
  notFoundError('approval_not_found', 'No approval with this id in this workspace.');

/** The inbox and the decisions: approve (optionally edited), reject, request a revision. */
export function createApprovalService(dependencies: {
  repositories: Repositories;
  clock: Clock;
  runs: RunService;
  notify?: ApprovalNotifier;
}) {
  const { repositories, clock, runs } = dependencies;
  const notify = dependencies.notify ?? (async () => undefined);

  async function find(access: WorkspaceAccess, approvalId: string) {
    const row = await repositories.workflowApprovals.find(access.workspaceId, approvalId);
    if (!row) throw approvalNotFound();
    return row;
  }

  /** The output schema an edited output must match: the step's agent's, when it has one. */
  async function outputSchemaOf(approval: WorkflowApprovalRow): Promise<Record<string, unknown> | null> {
    const run = await repositories.workflowRuns.find(approval.workspaceId, approval.runId);
    if (!run) return null;
    const version = await repositories.workflows.findVersion(approval.workspaceId, run.workflowVersionId);
    const step = (version?.definition as unknown as WorkflowDefinition | undefined)?.steps.find(
      (candidate) => candidate.id === approval.stepId,
    );
    if (step?.kind !== 'agent') return null;
    // Steps run the published version of their agent.
    const agent = await repositories.agents.findPublished(approval.workspaceId, step.agent);
    return (
      (agent?.version?.definition as { outputSchema?: Record<string, unknown> | null } | undefined)
        ?.outputSchema ?? null
    );
  }

  async function decide(
    access: WorkspaceAccess,
    approvalId: string,
    decision: ApprovalDecision,
  ): Promise<ApprovalView> {
    const approval = await find(access, approvalId);
    if (access.role !== 'owner') {
      const workspace = await repositories.workspaces.findById(access.workspaceId);
      const allowed = completeSettings(workspace?.settings).approverRoles as readonly string[];
      if (!allowed.includes(access.role)) {
        throw new FlightdeckError({
          code: 'approval_role_not_allowed',
          kind: 'forbidden',
          message: `This workspace lets only owners${allowed.length > 0 ? ` and ${allowed.join(', ')}s` : ''} decide approvals.`,
          details: { role: access.role, approverRoles: allowed },
        });
      }
    }
    if (approval.status === 'pending' && decision.kind === 'revise') {
      if (approval.reason === 'cost_cap') {
        throw invalidError(
          'revision_not_possible',
          'This approval is for a cost cap: the step has not run yet, so there is nothing to revise. Approve to raise the cap, or reject.',
        );
      }
      if (approval.reason === 'tool_call') {
        throw invalidError(
          'revision_not_possible',
          'This approval is for a tool call: approve it (with edited arguments in `output` if needed), or reject it with feedback the agent reads.',
        );
      }
      if (approval.revision >= maxRevisions) {
        throw new FlightdeckError({
          code: 'revisions_exhausted',
          kind: 'conflict',
          message: `This step was already revised ${maxRevisions} times. Approve it (editing the output if needed) or reject it.`,
          details: { revisions: approval.revision, maxRevisions },
        });
      }
    }
    if (
      approval.status === 'pending' &&
      decision.kind === 'approve' &&
      decision.hasEdit &&
      approval.reason === 'tool_call'
    ) {
      // The edit is the call's arguments: they must fit the tool's parameters schema.
      const schema = await toolParametersOf(repositories, approval);
      const problems = schema ? compileJsonSchema(schema, 'parameters').validate(decision.editedOutput) : [];
      if (problems.length > 0) {
        throw invalidError(
          'arguments_invalid',
          `output: the edited arguments do not match the tool's parameters schema: ${describeProblems(problems)}.`,
          { field: 'output', problems },
        );
      }
    } else if (approval.status === 'pending' && decision.kind === 'approve' && decision.hasEdit) {
      const schema = await outputSchemaOf(approval);
      const problems = schema
        ? compileJsonSchema(schema, 'outputSchema').validate(decision.editedOutput)
        : [];
      if (problems.length > 0) {
        throw invalidError(
          'output_invalid',
          `The edited output does not match the agent's output schema: ${describeProblems(problems)}.`,
          { problems },
        );
      }
    }
    const decided = await repositories.workflowApprovals.decide(
      access.workspaceId,
      approvalId,
      decision,
      { userId: access.userId, tokenId: access.tokenId },
      clock.now(),
    );
    if (!decided) {
      const current = await find(access, approvalId);
      if (current.status === 'pending') {
        throw new FlightdeckError({
          code: 'run_not_waiting',
          kind: 'conflict',
          message: 'The run of this approval is no longer running (it was cancelled or has ended).',
        });
      }
      throw new FlightdeckError({
        code: 'approval_decided',
        kind: 'conflict',
        message: `This approval was already decided (${current.status}) by ${current.decidedBy ?? 'its timeout'} at ${current.decidedAt?.toISOString() ?? 'an earlier moment'}.`,
        details: { status: current.status, decidedBy: current.decidedBy, decidedAt: current.decidedAt },
      });
    }
    await runs.resume(decided.runId);
    return toApprovalView(decided);
  }

  return {
    /**
     * Decides every pending approval whose deadline passed, as its `onTimeout` says (reject by
     * default), with no person as the decider. Every node sweeps; the pending guard lets one win.
     */
    async expireDue(): Promise<number> {
      const now = clock.now();
      let expired = 0;
      for (const approval of await repositories.workflowApprovals.listExpired(now, 100)) {
        const text = `No decision before the deadline (${approval.expiresAt?.toISOString()}).`;
        const decision: ApprovalDecision =
          approval.onTimeout === 'approve'
            ? { kind: 'approve', comment: text, editedOutput: undefined, hasEdit: false }
            : { kind: 'reject', feedback: text };
        const decided = await repositories.workflowApprovals.decide(
          approval.workspaceId,
          approval.id,
          decision,
          { userId: null, tokenId: null },
          now,
        );
        if (!decided) continue;
        expired++;
        await notify(approval.workspaceId, {
          kind: 'approval.timed_out',
          dedupeKey: `approval:${approval.id}:timed_out`,
          title: `Approval timed out: ${approval.stepId}`,
          body: `The approval of step "${approval.stepId}" timed out and was ${decided.status}.`,
          data: {
            approvalId: approval.id,
            runId: approval.runId,
            stepId: approval.stepId,
            decision: decided.status,
          },
        });
        await runs.resume(approval.runId);
      }
      return expired;
    },

    async list(
      access: WorkspaceAccess,
      query: {
        limit: number;
        cursor?: string;
        status?: ApprovalStatus;
        workflowId?: string;
        runId?: string;
        olderThanMinutes?: number;
      },
    ): Promise<{ items: ApprovalView[]; nextCursor: string | null }> {
      let workflowId = query.workflowId;
      if (workflowId !== undefined) {
        const found = await repositories.workflows.find(access.workspaceId, workflowId);
        workflowId = found?.workflow.id ?? workflowId;
      }
      const rows = await repositories.workflowApprovals.list(
        access.workspaceId,
        {
          status: query.status,
          workflowId,
          runId: query.runId,
          createdBefore:
            query.olderThanMinutes === undefined
              ? undefined
              : new Date(clock.now().getTime() - query.olderThanMinutes * 60_000),
        },
        { limit: query.limit + 1, after: query.cursor ? decodeCursor(query.cursor) : undefined },
      );
      const page = rows.slice(0, query.limit);
      const last = page.at(-1);
      return {
        items: page.map(toApprovalView),
        nextCursor: rows.length > query.limit && last ? encodeCursor(last.createdAt, last.id) : null,
      };
    },

    /** One approval with what a reviewer needs: the step's input, its artifact, earlier outputs, cost so far. */
    async get(access: WorkspaceAccess, approvalId: string) {
      const approval = await find(access, approvalId);
      const [run, steps, artifacts] = await Promise.all([
        repositories.workflowRuns.find(access.workspaceId, approval.runId),
        repositories.workflowRuns.listSteps(approval.runId),
        repositories.workflowApprovals.listArtifactVersions(approval.runId, approval.stepId),
      ]);
      const step = steps.find((candidate) => candidate.stepId === approval.stepId);
      const earlierOutputs: Record<string, unknown> = {};
      for (const other of steps) {
        if (other.status === 'completed') {
          Object.defineProperty(earlierOutputs, other.stepId, {
            value: other.output ?? null,
            enumerable: true,
          });
        }
      }
      const artifact = artifacts.find((candidate) => candidate.approvalId === approval.id) ?? null;
      return {
        ...toApprovalView(approval),
        stepInput: step?.input ?? null,
        artifact: artifact ? toArtifactView(artifact) : null,
        earlierOutputs,
        runStatus: run?.status ?? null,
        runCostUsd: run?.costUsd ?? 0,
      };
    },

    approve: (access: WorkspaceAccess, approvalId: string, body: { comment?: string; output?: unknown }) =>
      decide(access, approvalId, {
        kind: 'approve',
        comment: body.comment ?? null,
        editedOutput: body.output,
        hasEdit: body.output !== undefined,
      }),
    reject: (access: WorkspaceAccess, approvalId: string, body: { feedback: string }) =>
      decide(access, approvalId, { kind: 'reject', feedback: body.feedback }),
    requestRevision: (access: WorkspaceAccess, approvalId: string, body: { feedback: string }) =>
      decide(access, approvalId, { kind: 'revise', feedback: body.feedback }),

    async listArtifacts(access: WorkspaceAccess, runId: string): Promise<ArtifactView[]> {
      await runs.get(access, runId);
      return (await repositories.workflowApprovals.listArtifacts(access.workspaceId, runId)).map(
        toArtifactView,
      );
    },

    async getArtifact(access: WorkspaceAccess, artifactId: string) {
      const row = await repositories.workflowApprovals.findArtifact(access.workspaceId, artifactId);
      if (!row) throw notFoundError('artifact_not_found', 'No artifact with this id in this workspace.');
      const versions = await repositories.workflowApprovals.listArtifactVersions(row.runId, row.stepId);
      return { ...toArtifactView(row), versions: versions.map(toArtifactView) };
    },
  };
}

export type ApprovalService = ReturnType<typeof createApprovalService>;
