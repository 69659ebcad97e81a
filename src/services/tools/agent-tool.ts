import { FlightdeckError } from '../../core/errors.ts';
import type { ExecutionService } from '../executions/execution-service.ts';
import type { Tool, ToolResolver } from './tool.ts';
import { type AgentToolEntry, defaultToolTimeoutMs } from './tool-definition.ts';

/** Agent tools nest at most this deep (A calls B calls C): a cycle across agents stops here. */
export const maxAgentToolDepth = 3;

/**
 * The `agent` tool kind: another agent of the workspace, run with the arguments as its input as a
 * child execution (`parentExecutionId` on it, `childExecutionId` and its cost on the tool call).
 * The child holds its own budget reservation and answers its output; a failed child is an error
 * result that still names the child. A child's own approval-required tools cannot wait inside the
 * parent's call, so they answer 409 `approval_required` to it.
 */
export function createAgentToolResolver(dependencies: { executions: () => ExecutionService }): ToolResolver {
  return async (entry, context) => {
    const definition = entry as AgentToolEntry;
    const tool: Tool = {
      kind: 'agent',
      name: definition.name,
      description: definition.description,
      parameters: definition.parameters,
      resultSchema: definition.resultSchema ?? null,
      approval: definition.approval,
      timeoutMs: definition.timeoutMs ?? defaultToolTimeoutMs,
      async call(args, callContext) {
        if (context.depth + 1 > maxAgentToolDepth) {
          throw new FlightdeckError({
            code: 'tool_depth_exceeded',
            kind: 'unprocessable',
            message: `Agent tools may nest at most ${maxAgentToolDepth} deep; "${definition.name}" would go deeper (do the agents call each other in a cycle?).`,
          });
        }
        const prepared = await dependencies.executions().prepare(
          context.access,
          definition.agent,
          { input: args, mode: callContext.mode },
          {
            trigger: context.trigger,
            parentExecutionId: callContext.executionId,
            toolDepth: context.depth + 1,
          },
        );
        const child =
          prepared.kind === 'replay'
            ? prepared.execution
            : await prepared.run({ stream: false, abortSignal: callContext.abortSignal });
        const costUsd = child.totalCostUsd ?? 0;
        if (child.status !== 'completed') {
          throw new FlightdeckError({
            code: 'tool_agent_failed',
            kind: 'bad_gateway',
            message: `The agent "${definition.agent}" failed: ${child.error?.message ?? child.status}`,
            details: { childExecutionId: child.id, costUsd },
          });
        }
        return { value: child.output, childExecutionId: child.id, costUsd };
      },
    };
    return [tool];
  };
}
