import { FlightdeckError, invalidError } from '../../core/errors.ts';
import type { ModelCallRequest, ModelTarget, PriceOverride } from '../../llm/index.ts';
import type { Repositories } from '../../store/repositories/index.ts';
import type { AgentDefinition } from '../agents/agent-definition.ts';
import type { WorkspaceAccess } from '../identity/principal.ts';
import { mockTool } from '../tools/mock-tool.ts';
import { resolveTools } from '../tools/resolve-tools.ts';
import type { Tool, ToolResolvers } from '../tools/tool.ts';
import { defaultMaxToolCalls } from '../tools/tool-definition.ts';
import { type ExecutionBudget, estimateExecutionCost, type Reservation } from './execution-budget.ts';
import type { ExecutionMode, ExecutionTrigger } from './execution-view.ts';
import type { ToolApprovalDecision, ToolLoopState } from './run-tool-loop.ts';

/** Continue an execution that stopped for a tool call's approval, with the decision. */
export interface ToolLoopResume {
  executionId: string;
  decision: ToolApprovalDecision;
}

export interface PlannedToolLoop {
  tools: Tool[];
  maxToolCalls: number;
  resume: { state: ToolLoopState; decision: ToolApprovalDecision } | undefined;
}

/**
 * The tools an execution runs with (mock ones in mock mode: no network), and the stored state of
 * the execution it continues. Null for an agent without tools that continues nothing: it runs
 * the plain one-answer path.
 */
export async function planToolLoop(input: {
  repositories: Repositories;
  resolvers: ToolResolvers;
  access: WorkspaceAccess;
  agentId: string;
  definition: AgentDefinition;
  mode: ExecutionMode;
  trigger: ExecutionTrigger;
  depth: number;
  resume: ToolLoopResume | undefined;
}): Promise<PlannedToolLoop | null> {
  const entries = input.definition.tools ?? [];
  if (entries.length === 0 && !input.resume) return null;
  const live = input.mode === 'live';
  const resolved = await resolveTools(
    entries,
    {
      workspaceId: input.access.workspaceId,
      mode: live ? 'live' : 'mock',
      agentId: input.agentId,
      access: input.access,
      trigger: input.trigger,
      depth: input.depth,
    },
    input.resolvers,
  );
  const tools = live ? resolved : resolved.map(mockTool);
  let resume: PlannedToolLoop['resume'];
  if (input.resume) {
    const parked = await input.repositories.executions.findById(
      input.access.workspaceId,
      input.resume.executionId,
    );
    if (!parked || parked.status !== 'waiting_approval' || !parked.loopState) {
      throw invalidError(
        'resume_not_possible',
        'The execution to continue is not waiting for a tool call approval.',
        { field: 'resume.executionId', executionId: input.resume.executionId },
      );
    }
    resume = { state: parked.loopState as unknown as ToolLoopState, decision: input.resume.decision };
  }
  return { tools, maxToolCalls: input.definition.maxToolCalls ?? defaultMaxToolCalls, resume };
}

/**
 * The budget side of the loop: the first model call is held by the execution's own reservation;
 * every later call (and a repair) holds its own estimate before it is made, so a loop that would
 * pass the limit stops before the call that would pass it. At the end the holds are settled with
 * the cost, each up to its own amount: what was spent never exceeds what was held.
 */
export function createLoopBudget(input: {
  budget: ExecutionBudget;
  first: Reservation | null;
  workspaceId: string;
  agentId: string;
  executionId: string;
  providerKeyId: string | null;
  targets: Array<ModelTarget & { baseUrl: string | undefined }>;
  overrides: readonly PriceOverride[];
  holdMs: number;
  live: boolean;
}) {
  const extra: Reservation[] = [];
  return {
    async reserveNextCall(request: ModelCallRequest): Promise<void> {
      if (!input.live) return;
      const estimate = estimateExecutionCost(input.targets, withToolText(request), false, input.overrides);
      try {
        extra.push(
          await input.budget.reserve({
            workspaceId: input.workspaceId,
            agentId: input.agentId,
            providerKeyId: input.providerKeyId,
            executionId: input.executionId,
            estimateUsd: estimate.maxCostUsd,
            holdMs: input.holdMs,
          }),
        );
      } catch (error) {
        if (FlightdeckError.isInstance(error) && error.code === 'budget_exceeded') {
          throw new FlightdeckError({
            code: 'budget_exceeded',
            kind: 'payment_required',
            message: `The tool loop stopped before its next model call: ${error.message}`,
            details: error.details,
          });
        }
        throw error;
      }
    },
    /** Settles the first hold with the whole cost and releases the rest. */
    async settle(costUsd: number): Promise<void> {
      // Each hold is settled with a share of the cost up to its own amount (the calls in order),
      // what is left on the last one: no hold records more than it held unless the calls did.
      const holds = [...(input.first ? [input.first] : []), ...extra];
      let left = Math.max(0, costUsd);
      for (const [index, hold] of holds.entries()) {
        const share = index === holds.length - 1 ? left : Math.min(left, hold.amountUsd);
        left -= share;
        await input.budget.settle(hold, share);
      }
    },
    async release(): Promise<void> {
      await Promise.all([
        input.first ? input.budget.release(input.first) : undefined,
        ...extra.map((reservation) => input.budget.release(reservation)),
      ]);
    },
  };
}

/**
 * The request as the estimate should count it: the prompt counter reads message text, but the
 * provider is also sent the tool definitions and the arguments of earlier calls. Both are added as
 * text here, for counting only (the request sent is unchanged).
 */
export function withToolText(request: ModelCallRequest, tools: readonly Tool[] = []): ModelCallRequest {
  const definitions =
    request.tools ??
    tools.map((tool) => ({ name: tool.name, description: tool.description, parameters: tool.parameters }));
  if (definitions.length === 0) return request;
  return {
    ...request,
    messages: [
      ...request.messages.map((message) =>
        message.role === 'assistant' && message.toolCalls
          ? { ...message, content: `${message.content}${JSON.stringify(message.toolCalls)}` }
          : message,
      ),
      { role: 'user', content: JSON.stringify(definitions) },
    ],
  };
}
