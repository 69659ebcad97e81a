import type { McpListedTool } from '../../../store/schema/index.ts';

/**
 * The JSON Schema of a listed tool's arguments as we validate them and hand them to the model.
 * Servers built on zod declare draft-07 in `$schema`; the keywords they use mean the same in
 * 2020-12, which our validator speaks and which refuses another draft's `$schema`, so it is dropped.
 */
export function toolParameters(tool: McpListedTool): Record<string, unknown> {
  const { $schema: _declaredDraft, ...schema } = tool.inputSchema;
  return { type: 'object', ...schema };
}
