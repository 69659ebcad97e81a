import type { Clock } from '../../core/clock.ts';
import { newId } from '../../core/ids.ts';
import { type ApprovalReason, approvalReasonFor } from '../../core/workflow/approval-policy.ts';
import type { WorkflowDefinition, WorkflowStepDefinition } from '../../core/workflow/workflow-definition.ts';
import type { Repositories, StepOutcome, WorkflowRunRow } from '../../store/repositories/index.ts';
import type { ExecutionService } from '../executions/execution-service.ts';
import type { WorkspaceAccess } from '../identity/principal.ts';

/** Sends a workspace notification (see AlertService.notify); a no-op where none is wired. */
export type ApprovalNotifier = (
  workspaceId: string,
  notice: { kind: string; dedupeKey: string; title: string; body: string; data: Record<string, unknown> },
) => Promise<unknown>;

/** What an agent declares that decides approvals and artifacts. */
interface AgentGateFacts {
  approval: 'required' | 'optional';
  artifactType: string;
}

/**
 * The approval gates around a step, for one driver of one run: the cost cap before a step runs,
 * and the approval policy after it produced an output. Agent facts are read once per driver.
 */
export function createStepGate(dependencies: {
  repositories: Repositories;
  clock: Clock;
  run: WorkflowRunRow;
  definition: WorkflowDefinition;
  finalStepIds: ReadonlySet<string>;
  access: WorkspaceAccess;
  /** Tells people an approval waits (in the app and by the alert webhook). */
  notify: ApprovalNotifier;
}) {
  const { repositories, clock, run, definition } = dependencies;
  const agentFacts = new Map<string, Promise<AgentGateFacts>>();
  let spentUsd = run.costUsd;

  const factsOf = (reference: string) => {
    let facts = agentFacts.get(reference);
    if (!facts) {
      facts = repositories.agents.findPublished(run.workspaceId, reference).then((found) => {
        const stored = found?.version?.definition as
          | { approval?: string; artifactType?: string | null }
          | undefined;
        return {
          approval: stored?.approval === 'required' ? 'required' : 'optional',
          artifactType: stored?.artifactType ?? 'generic_output',
        };
      });
      agentFacts.set(reference, facts);
    }
    return facts;
  };

  return {
    /**
     * The estimate of a live agent step when running it would pass the run's cost cap (the run then
     * pauses for approval); null when there is no cap, the step is not a live agent step, or it fits.
     */
    async capExceededBy(
      step: WorkflowStepDefinition,
      input: unknown,
      executions: ExecutionService,
      context: Readonly<Record<string, string>> = {},
    ): Promise<number | null> {
      if (run.costCapUsd === null || run.mode !== 'live' || step.kind !== 'agent') return null;
      const { estimate } = await executions.estimateFor(dependencies.access, step.agent, {
        input,
        mode: 'live',
        context,
      });
      return spentUsd + estimate > run.costCapUsd ? estimate : null;
    },

    /** Why this fresh output must wait for a person, or null. */
    async reasonFor(step: WorkflowStepDefinition, output: unknown): Promise<ApprovalReason | null> {
      const agentApproval = step.kind === 'agent' ? (await factsOf(step.agent)).approval : null;
      return approvalReasonFor({
        definition,
        step,
        agentApproval,
        output,
        isFinal: dependencies.finalStepIds.has(step.id),
      });
    },

    /** Parks the attempt for approval (with its output and artifact); false when the attempt is stale. */
    async park(
      step: WorkflowStepDefinition,
      attempt: number,
      reason: ApprovalReason | 'cost_cap' | 'tool_call',
      outcome: StepOutcome | null,
      estimateUsd: number | null,
    ): Promise<boolean> {
      const now = clock.now();
      const artifactType =
        step.kind === 'agent' ? (await factsOf(step.agent)).artifactType : 'generic_output';
      const approvalId = newId(now.getTime());
      const parked = await repositories.workflowApprovals.request({
        approvalId,
        // A proposed tool call is not an output of the step: no artifact for it.
        artifactId: outcome && reason !== 'tool_call' ? newId(now.getTime()) : null,
        runId: run.id,
        stepId: step.id,
        attempt,
        reason,
        output: outcome?.output ?? null,
        executionId: outcome?.executionId ?? null,
        costUsd: outcome?.costUsd ?? 0,
        estimateUsd,
        artifactType,
        expiresAt:
          step.approvalTimeoutMinutes === undefined
            ? null
            : new Date(now.getTime() + step.approvalTimeoutMinutes * 60_000),
        onTimeout: step.approvalTimeoutMinutes === undefined ? null : (step.onApprovalTimeout ?? 'reject'),
        now,
      });
      if (!parked) return false;
      spentUsd += outcome?.costUsd ?? 0;
      await dependencies.notify(run.workspaceId, {
        kind: 'approval.requested',
        dedupeKey: `approval:${approvalId}:requested`,
        title: `Approval needed: ${definition.name} / ${step.id}`,
        body:
          reason === 'cost_cap'
            ? `Step "${step.id}" would pass the run's cost cap (estimate $${estimateUsd ?? 0}). Approve to raise the cap for this run.`
            : reason === 'tool_call'
              ? `Step "${step.id}" of "${definition.name}" wants to call the tool "${(outcome?.output as { toolCall?: { tool?: string } } | null)?.toolCall?.tool ?? '?'}"; approve, edit the arguments, or reject with feedback.`
              : `Step "${step.id}" of "${definition.name}" waits for a decision (${reason}).`,
        data: { approvalId, runId: run.id, stepId: step.id, reason },
      });
      return true;
    },

    /** Records a committed agent output as the step's next artifact version. */
    async recordArtifact(step: WorkflowStepDefinition, outcome: StepOutcome): Promise<void> {
      spentUsd += outcome.costUsd;
      if (step.kind !== 'agent' || outcome.status !== 'completed') return;
      const now = clock.now();
      await repositories.workflowApprovals.addArtifact({
        id: newId(now.getTime()),
        workspaceId: run.workspaceId,
        runId: run.id,
        stepId: step.id,
        type: (await factsOf(step.agent)).artifactType,
        version: 0,
        source: 'step',
        executionId: outcome.executionId,
        content: outcome.output,
        createdAt: now,
      });
    },

    /** Adds what a failed attempt cost to the run's running total. */
    spent(costUsd: number): void {
      spentUsd += costUsd;
    },
  };
}

export type StepGate = ReturnType<typeof createStepGate>;

/** The text a revision adds to the step's prompt: the reviewer's words and the answer they were about. */
export function revisionPrompt(feedback: string, previousOutput: unknown): string {
  const previous =
    previousOutput === null || previousOutput === undefined
      ? ''
      : `\n\nYour previous answer was:\n${typeof previousOutput === 'string' ? previousOutput : JSON.stringify(previousOutput)}`;
  return `A reviewer asked for a revision of your previous answer.${previous}\n\nReviewer feedback:\n${feedback}\n\nAnswer again, taking the feedback into account.`;
}
