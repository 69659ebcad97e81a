import { invalidError } from '../../core/errors.ts';
import type { Tool, ToolResolveContext, ToolResolvers } from './tool.ts';
import type { ToolDefinitionEntry } from './tool-definition.ts';

/**
 * An agent's `tools` entries as callable tools, each by its kind's resolver. A kind without a
 * resolver in this process (say `mcp` before its module is wired) is a 400, not a silent skip:
 * the model would otherwise never see a tool the agent was built around.
 */
export async function resolveTools(
  entries: readonly ToolDefinitionEntry[],
  context: ToolResolveContext,
  resolvers: ToolResolvers,
): Promise<Tool[]> {
  const resolved = await Promise.all(
    entries.map(async (entry, index) => {
      const resolver = resolvers[entry.kind];
      if (!resolver) {
        throw invalidError(
          'tool_kind_unavailable',
          `tools[${index}] is a "${entry.kind}" tool, which this server cannot run.`,
          { field: `tools[${index}].kind`, kind: entry.kind },
        );
      }
      return resolver(entry, context);
    }),
  );
  const tools = resolved.flat();
  const seen = new Set<string>();
  for (const tool of tools) {
    if (seen.has(tool.name)) {
      throw invalidError(
        'tool_name_duplicate',
        `Two of the agent's tools are named "${tool.name}"; the model could not tell them apart. Rename one.`,
        { name: tool.name },
      );
    }
    seen.add(tool.name);
  }
  return tools;
}
