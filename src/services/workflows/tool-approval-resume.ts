import type { Repositories, WorkflowRunRow } from '../../store/repositories/index.ts';
import type { ToolLoopResume } from '../executions/execution-tools.ts';
import { type ExecutionView, toExecutionView } from '../executions/execution-view.ts';

/** What a tool_call approval holds: the proposed call and the execution that stopped for it. */
export interface ToolCallApprovalOutput {
  toolCall: { id: string; tool: string; arguments: unknown };
  executionId: string;
}

/**
 * Where a step whose agent stopped for a tool call stands when the step runs again: the decision
 * to continue with (`resume`), or — when the worker died between the execution stopping and the
 * approval being written — the stopped execution to park again (`repark`). Null: nothing waits,
 * the step runs a fresh execution. The step's newest execution decides: one that continued a
 * loop is newer than the one that stopped, so a decision is never applied twice.
 */
export async function findToolLoopResume(
  repositories: Repositories,
  run: WorkflowRunRow,
  stepId: string,
): Promise<{ kind: 'resume'; resume: ToolLoopResume } | { kind: 'repark'; execution: ExecutionView } | null> {
  const latest = await repositories.workflowRuns.latestStepExecution(run, stepId);
  if (latest?.status !== 'waiting_approval') return null;
  const approvals = await repositories.workflowApprovals.list(
    run.workspaceId,
    { runId: run.id },
    { limit: 50 },
  );
  const approval = approvals.find(
    (candidate) =>
      candidate.stepId === stepId &&
      candidate.reason === 'tool_call' &&
      (candidate.output as ToolCallApprovalOutput | null)?.executionId === latest.id,
  );
  if (!approval) return { kind: 'repark', execution: toExecutionView(latest) };
  if (approval.status === 'approved') {
    const edited = approval.editedOutput !== null && approval.editedOutput !== undefined;
    return {
      kind: 'resume',
      resume: {
        executionId: latest.id,
        decision: {
          kind: 'approve',
          approvalId: approval.id,
          edited,
          ...(edited ? { arguments: approval.editedOutput } : {}),
        },
      },
    };
  }
  if (approval.status === 'rejected') {
    return {
      kind: 'resume',
      resume: {
        executionId: latest.id,
        decision: {
          kind: 'reject',
          approvalId: approval.id,
          feedback: approval.feedback ?? 'Rejected without feedback.',
        },
      },
    };
  }
  // Still pending (or cancelled): the step should not be running; park it again rather than guess.
  return { kind: 'repark', execution: toExecutionView(latest) };
}

/** The approval's output for a stopped execution: its waiting call. */
export function toolCallApprovalOutput(execution: ExecutionView): ToolCallApprovalOutput | null {
  const waiting = [...execution.toolCalls].reverse().find((call) => call.status === 'waiting_approval');
  if (!waiting) return null;
  return {
    toolCall: { id: waiting.id, tool: waiting.tool, arguments: waiting.arguments },
    executionId: execution.id,
  };
}

/** The parameters schema of the tool a tool_call approval is about, from the version that asked. */
export async function toolParametersOf(
  repositories: Repositories,
  approval: { workspaceId: string; output: unknown },
): Promise<Record<string, unknown> | null> {
  const output = approval.output as ToolCallApprovalOutput | null;
  if (!output) return null;
  const execution = await repositories.executions.findById(approval.workspaceId, output.executionId);
  if (!execution) return null;
  const version = await repositories.agents.findVersion(approval.workspaceId, execution.agentVersionId);
  const tools = (
    version?.definition as { tools?: Array<{ name?: string; parameters?: unknown }> } | undefined
  )?.tools;
  const parameters = tools?.find((tool) => tool.name === output.toolCall.tool)?.parameters;
  return parameters && typeof parameters === 'object' ? (parameters as Record<string, unknown>) : null;
}
