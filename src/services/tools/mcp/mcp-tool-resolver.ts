import { FlightdeckError, invalidError } from '../../../core/errors.ts';
import { sampleFromSchema } from '../../../llm/schema-sample.ts';
import { hashText, seededRandom } from '../../../llm/seeded-random.ts';
import type { Tool, ToolEntryCheck, ToolResolver } from '../tool.ts';
import { defaultToolTimeoutMs, type ToolDefinitionEntry } from '../tool-definition.ts';
import type { McpServerService } from './mcp-server-service.ts';
import { toolParameters } from './mcp-tool-parameters.ts';

/** The fields of an agent's `{ kind: "mcp" }` entry this module reads: which server, which of its tools. */
interface McpEntryReference {
  server: string;
  tool: string;
}

function referenceOf(entry: ToolDefinitionEntry, field: string): McpEntryReference {
  const record = entry as unknown as Record<string, unknown>;
  for (const key of ['server', 'tool'] as const) {
    const value = record[key];
    if (typeof value !== 'string' || value.trim() === '' || value.length > 200) {
      throw invalidError(
        'tool_invalid',
        key === 'server'
          ? `${field}.server must be the id of one of the workspace's MCP servers (GET …/mcp-servers).`
          : `${field}.tool must be the name of a tool on the server (GET …/mcp-servers/{id}/tools).`,
        { field: `${field}.${key}` },
      );
    }
  }
  return { server: record.server as string, tool: record.tool as string };
}

/** The fields an mcp entry shares with the other kinds, which check-tool-entries.ts leaves to us. */
function checkEntryFields(entry: ToolDefinitionEntry, field: string): void {
  if (entry.description !== undefined && typeof entry.description !== 'string') {
    throw invalidError('tool_description_invalid', `${field}.description must be text.`, {
      field: `${field}.description`,
    });
  }
  const approval = entry.approval as unknown;
  const rule = approval as { path?: unknown; below?: unknown; above?: unknown } | null;
  const approvalValid =
    approval === undefined ||
    approval === 'required' ||
    approval === 'never' ||
    (typeof approval === 'object' &&
      rule !== null &&
      typeof rule.path === 'string' &&
      (rule.below === undefined || typeof rule.below === 'number') &&
      (rule.above === undefined || typeof rule.above === 'number'));
  if (!approvalValid) {
    throw invalidError(
      'tool_approval_invalid',
      `${field}.approval: use "required", "never", or a rule { path, below?, above?, equals? } over the arguments.`,
      { field: `${field}.approval` },
    );
  }
  const timeoutMs = entry.timeoutMs as unknown;
  if (
    timeoutMs !== undefined &&
    (typeof timeoutMs !== 'number' || !Number.isInteger(timeoutMs) || timeoutMs < 100 || timeoutMs > 300_000)
  ) {
    throw invalidError('tool_timeout_invalid', `${field}.timeoutMs: between 100 and 300000 ms.`, {
      field: `${field}.timeoutMs`,
    });
  }
}

/** `field` names the entry's field on save; at run time the tool is named instead. */
const serverMissing = (serverId: string, place: { field: string } | { tool: string }) =>
  invalidError(
    'mcp_server_not_found',
    `${'field' in place ? `${place.field}.server` : `The tool ${place.tool}`} names no MCP server of this workspace (${serverId}); register it under Settings → MCP servers or pick another.`,
    'field' in place
      ? { field: `${place.field}.server`, server: serverId }
      : { tool: place.tool, server: serverId },
  );

/**
 * The `mcp` kind: an entry `{ kind: "mcp", name, server, tool, description?, approval?, timeoutMs? }`
 * becomes one tool whose parameters and result schema are the server's own (from its cached
 * listing), and whose call is the server's `tools/call`. `check` runs on agent save.
 */
export function createMcpToolKind(dependencies: { mcpServers: McpServerService }) {
  const { mcpServers } = dependencies;

  const resolve: ToolResolver = async (entry, context) => {
    const reference = referenceOf(entry, `tools[name=${entry.name}]`);
    // Mock runs make no network calls: a server never listed yet is described by the entry alone.
    const servers =
      context.mode === 'mock'
        ? await mcpServers.cachedTools(context.workspaceId, [reference.server])
        : await mcpServers.toolsForRun(context.workspaceId, [reference.server]);
    const found = servers.get(reference.server);
    if (!found) throw serverMissing(reference.server, { tool: entry.name });
    const listed = found.tools?.find((tool) => tool.name === reference.tool);
    if (!listed && (context.mode === 'live' || found.tools !== null)) {
      throw invalidError(
        'mcp_tool_not_found',
        `The tool ${entry.name} calls ${reference.tool} on the MCP server ${found.row.name}, which no longer lists it.`,
        {
          tool: entry.name,
          server: found.row.name,
          available: (found.tools ?? []).map((tool) => tool.name).slice(0, 50),
        },
      );
    }
    const { row } = found;
    const timeoutMs = typeof entry.timeoutMs === 'number' ? entry.timeoutMs : defaultToolTimeoutMs;
    const resultSchema = listed?.outputSchema ?? null;
    const tool: Tool = {
      kind: 'mcp',
      name: entry.name,
      description:
        (typeof entry.description === 'string' && entry.description.trim() !== ''
          ? entry.description
          : null) ??
        listed?.description ??
        listed?.title ??
        `${reference.tool} on the MCP server ${row.name}`,
      parameters: listed ? toolParameters(listed) : (entry.parameters ?? { type: 'object' }),
      resultSchema,
      ...(entry.approval === undefined ? {} : { approval: entry.approval }),
      timeoutMs,
      async call(args, callContext) {
        if (callContext.mode === 'mock') {
          const random = seededRandom(hashText(`${row.id}|${reference.tool}|${JSON.stringify(args)}`));
          return { value: resultSchema ? sampleFromSchema(resultSchema, random) : { ok: true } };
        }
        const outcome = await mcpServers.callTool(
          row,
          { tool: reference.tool, arguments: (args ?? {}) as Record<string, unknown> },
          { timeoutMs: callContext.timeoutMs, abortSignal: callContext.abortSignal },
        );
        if (!outcome.ok) {
          // The loop hands this to the model as the tool's error result.
          throw new FlightdeckError({
            code: 'mcp_tool_error',
            kind: 'bad_gateway',
            message: outcome.message,
            details: { server: row.name, tool: reference.tool },
          });
        }
        return { value: outcome.value };
      },
    };
    return [tool];
  };

  /**
   * On agent save: the server must be one of the workspace's (400 naming `<field>.server`), and the
   * tool one it lists when the list is known or the server answers (400 naming `<field>.tool`); a
   * server that cannot be reached just now does not stop the save.
   */
  const check: ToolEntryCheck = async (entry, field, context) => {
    const reference = referenceOf(entry, field);
    checkEntryFields(entry, field);
    const [missing] = await mcpServers.missingServerIds(context.workspaceId, [reference.server]);
    if (missing !== undefined) throw serverMissing(reference.server, { field });
    let tools: Awaited<ReturnType<McpServerService['toolsForRun']>>;
    try {
      tools = await mcpServers.toolsForRun(context.workspaceId, [reference.server]);
    } catch {
      return;
    }
    const found = tools.get(reference.server);
    if (found && !found.tools.some((tool) => tool.name === reference.tool)) {
      throw invalidError(
        'mcp_tool_not_found',
        `${field}.tool: the MCP server ${found.row.name} has no tool named ${reference.tool}.`,
        { field: `${field}.tool`, available: found.tools.map((tool) => tool.name).slice(0, 50) },
      );
    }
  };

  return { resolve, check };
}
