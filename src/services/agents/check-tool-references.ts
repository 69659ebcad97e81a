import { invalidError } from '../../core/errors.ts';
import type { Repositories } from '../../store/repositories/index.ts';
import type { ToolEntryChecks } from '../tools/tool.ts';
import type { AgentDefinition } from './agent-definition.ts';

/**
 * The records an agent's tools name must exist when it is saved: an agent tool's agent (by id or
 * slug, in this workspace, and not the agent itself), and whatever a kind's own check reads (an
 * mcp entry's server). 400 naming the field, e.g. `tools[1].agent`.
 */
export async function checkToolReferences(
  repositories: Repositories,
  workspaceId: string,
  agent: { id: string | null; slug: string },
  definition: AgentDefinition,
  checks: ToolEntryChecks = {},
): Promise<void> {
  for (const [index, entry] of definition.tools.entries()) {
    const field = `tools[${index}]`;
    if (entry.kind === 'agent') {
      if (entry.agent === agent.id || entry.agent === agent.slug) {
        throw invalidError('tool_agent_self', `${field}.agent: an agent cannot call itself as a tool.`, {
          field: `${field}.agent`,
        });
      }
      const found = await repositories.agents.find(workspaceId, entry.agent);
      if (!found) {
        throw invalidError(
          'tool_agent_not_found',
          `${field}.agent: no agent with id or slug "${entry.agent}" in this workspace.`,
          { field: `${field}.agent`, agent: entry.agent },
        );
      }
    }
    await checks[entry.kind]?.(entry, field, { workspaceId, agentId: agent.id });
  }
}
