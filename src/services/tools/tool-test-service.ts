import { invalidError, notFoundError } from '../../core/errors.ts';
import type { Repositories } from '../../store/repositories/index.ts';
import { readDefinition } from '../agents/agent-definition.ts';
import { agentNotFound } from '../agents/agent-version-selector.ts';
import type { WorkspaceAccess } from '../identity/principal.ts';
import { mockTool } from './mock-tool.ts';
import { resolveTools } from './resolve-tools.ts';
import { createArgumentValidators, runToolCall } from './run-tool-call.ts';
import type { ToolResolvers } from './tool.ts';

export interface ToolTestResult {
  tool: string;
  kind: string;
  arguments: unknown;
  status: 'succeeded' | 'failed';
  result: unknown;
  error: { code: string; message: string } | null;
  latencyMs: number;
}

/**
 * "Test tool" in the agent builder: one call of one of the agent's tools (as the builder shows it,
 * the newest version) with arguments a person typed, checked against its parameters schema and run
 * exactly as the loop runs it — the same SSRF guard, secrets, timeout and error codes — without a
 * model and without an execution record. An agent tool runs another agent, which is an execution of
 * its own: it is tested by running that agent instead.
 */
export function createToolTestService(dependencies: {
  repositories: Repositories;
  resolvers: () => ToolResolvers;
}) {
  const { repositories } = dependencies;
  return {
    async test(
      access: WorkspaceAccess,
      agentReference: string,
      toolName: string,
      request: { arguments: unknown; mode: 'live' | 'mock' },
    ): Promise<ToolTestResult> {
      // The newest version: what the builder shows, draft or not.
      const found = await repositories.agents.find(access.workspaceId, agentReference);
      if (!found) throw agentNotFound();
      const { agent, version } = found;
      const definition = readDefinition(version.definition);
      const entry = definition.tools.find((candidate) => candidate.name === toolName);
      if (!entry) {
        throw notFoundError(
          'tool_not_found',
          `This agent has no tool named "${toolName}" in its newest version. Save the tool first.`,
          { toolName },
        );
      }
      if (entry.kind === 'agent') {
        throw invalidError(
          'tool_test_unsupported',
          'An agent tool runs another agent: test it by running that agent from its page.',
          { field: 'toolName', kind: entry.kind },
        );
      }
      const resolved = await resolveTools(
        [entry],
        {
          workspaceId: access.workspaceId,
          mode: request.mode,
          agentId: agent.id,
          access,
          trigger: 'test',
          depth: 0,
        },
        dependencies.resolvers(),
      );
      // Mock mode as in the loop: a sample of the result schema, no network, no secret.
      const tools = request.mode === 'live' ? resolved : resolved.map(mockTool);
      const tool = tools.find((candidate) => candidate.name === toolName) ?? tools[0];
      const validators = createArgumentValidators(tools);
      const outcome = await runToolCall({
        call: { id: 'tool-test', name: toolName, arguments: request.arguments },
        arguments: request.arguments,
        tool,
        validator: tool ? validators.get(tool.name) : undefined,
        turn: 0,
        context: {
          workspaceId: access.workspaceId,
          executionId: 'tool-test',
          mode: request.mode,
          abortSignal: undefined,
          remainingMs: tool?.timeoutMs ?? 30_000,
        },
      });
      const { record } = outcome;
      return {
        tool: record.tool,
        kind: record.kind,
        arguments: record.arguments,
        status: record.status === 'succeeded' ? 'succeeded' : 'failed',
        result: record.result,
        error: record.error,
        latencyMs: record.latencyMs,
      };
    },
  };
}

export type ToolTestService = ReturnType<typeof createToolTestService>;
