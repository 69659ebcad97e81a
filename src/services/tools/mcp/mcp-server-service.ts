import type { Clock } from '../../../core/clock.ts';
import { conflictError, FlightdeckError, invalidError, notFoundError } from '../../../core/errors.ts';
import { newId } from '../../../core/ids.ts';
import { compileJsonSchema, describeProblems } from '../../../core/json-schema.ts';
import type { Keyring } from '../../../security/keyring.ts';
import { type AllowedHosts, checkProviderUrl, type HostLookup } from '../../../security/ssrf-guard.ts';
import type { Database } from '../../../store/database.ts';
import { inTransaction, type McpServerRow, type Repositories } from '../../../store/repositories/index.ts';
import type { McpListedTool } from '../../../store/schema/index.ts';
import { isUniqueViolation } from '../../../store/unique-violation.ts';
import type { AuditActor, AuditLog } from '../../audit/audit-log.ts';
import type { WorkspaceAccess } from '../../identity/principal.ts';
import { callMcpTool, listMcpTools, type McpEndpoint, type McpToolOutcome } from './mcp-client.ts';
import { checkMcpHeaders, headerHintsOf, maskedHeaders, mcpHeadersPurpose } from './mcp-server-headers.ts';
import { toolParameters } from './mcp-tool-parameters.ts';

/** A server as every answer shows it: header values masked to their last four characters at most. */
export interface McpServerView {
  id: string;
  name: string;
  url: string;
  headers: Record<string, string>;
  toolCount: number | null;
  toolsListedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface McpServerInput {
  name: string;
  url: string;
  headers?: Record<string, string> | undefined;
}

export interface McpServerUpdate {
  name?: string | undefined;
  url?: string | undefined;
  /** Replaces every header; `{}` or null removes them. */
  headers?: Record<string, string> | null | undefined;
}

export interface McpToolTestResult {
  ok: boolean;
  result: unknown;
  /** The error the tool reported (`isError`), for the model to read. */
  error: string | null;
  latencyMs: number;
}

export interface McpToolList {
  items: McpListedTool[];
  listedAt: Date;
  /** True when the list came from the cache rather than the server just now. */
  cached: boolean;
}

const maxNameLength = 100;
const defaultToolListTtlMs = 5 * 60_000;
const defaultListTimeoutMs = 15_000;

const serverNotFound = (id: string) =>
  notFoundError('mcp_server_not_found', 'No MCP server with this id in this workspace.', { id });

function toView(row: McpServerRow): McpServerView {
  return {
    id: row.id,
    name: row.name,
    url: row.url,
    headers: maskedHeaders(row.headerHints),
    toolCount: row.tools?.length ?? null,
    toolsListedAt: row.toolsListedAt,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

function checkName(name: string): string {
  const trimmed = name.trim();
  if (trimmed.length === 0 || trimmed.length > maxNameLength) {
    throw invalidError('mcp_server_name_invalid', `A server name is 1 to ${maxNameLength} characters.`, {
      field: 'name',
    });
  }
  return trimmed;
}

/**
 * MCP servers of a workspace: registered with a URL the SSRF guard allows and headers encrypted
 * like provider keys, masked in every answer and audited; their tool lists cached on the row.
 */
export function createMcpServerService(dependencies: {
  database: Database;
  repositories: Repositories;
  keyring: Keyring;
  clock: Clock;
  audit: AuditLog;
  allowedHosts: AllowedHosts;
  lookup?: HostLookup | undefined;
  /** The SSRF-guarded fetch every MCP request goes through. */
  fetch: typeof globalThis.fetch;
  toolListTtlMs?: number;
  listTimeoutMs?: number;
}) {
  const { database, repositories, keyring, clock, audit } = dependencies;
  const toolListTtlMs = dependencies.toolListTtlMs ?? defaultToolListTtlMs;
  const listTimeoutMs = dependencies.listTimeoutMs ?? defaultListTimeoutMs;
  const contextOf = (workspaceId: string, id: string) => ({
    workspaceId,
    secretId: id,
    purpose: mcpHeadersPurpose,
  });

  async function checkUrl(url: string): Promise<string> {
    const trimmed = url.trim();
    try {
      await checkProviderUrl(trimmed, {
        allowedHosts: dependencies.allowedHosts,
        lookup: dependencies.lookup,
      });
    } catch (error) {
      if (FlightdeckError.isInstance(error) && error.code === 'provider_url_refused') {
        const reason = /is refused: (.*?)\.?$/s.exec(error.message)?.[1] ?? error.message;
        throw invalidError('mcp_server_url_refused', `The MCP server URL ${trimmed} is refused: ${reason}.`, {
          field: 'url',
        });
      }
      throw error;
    }
    return trimmed;
  }

  function encryptHeaders(workspaceId: string, id: string, headers: Record<string, string>): string | null {
    if (Object.keys(headers).length === 0) return null;
    return keyring.encrypt(JSON.stringify(headers), contextOf(workspaceId, id));
  }

  /** The decrypted endpoint, held only in the caller's memory for one request. */
  function endpointOf(row: McpServerRow): McpEndpoint {
    const headers = row.headersEnvelope
      ? (JSON.parse(keyring.decrypt(row.headersEnvelope, contextOf(row.workspaceId, row.id))) as Record<
          string,
          string
        >)
      : {};
    return { name: row.name, url: row.url, headers };
  }

  function nameTaken(name: string): FlightdeckError {
    return conflictError('mcp_server_name_taken', `The workspace already has an MCP server named ${name}.`, {
      field: 'name',
    });
  }

  async function refreshTools(row: McpServerRow, abortSignal?: AbortSignal): Promise<McpToolList> {
    const tools = await listMcpTools(endpointOf(row), {
      fetch: dependencies.fetch,
      timeoutMs: listTimeoutMs,
      abortSignal,
    });
    const listedAt = clock.now();
    await repositories.mcpServers.storeTools(
      row.workspaceId,
      row.id,
      { url: row.url, headersEnvelope: row.headersEnvelope },
      { tools, at: listedAt },
    );
    return { items: tools, listedAt, cached: false };
  }

  const isFresh = (row: McpServerRow) =>
    row.tools !== null &&
    row.toolsListedAt !== null &&
    clock.now().getTime() - row.toolsListedAt.getTime() < toolListTtlMs;

  return {
    async list(access: WorkspaceAccess): Promise<McpServerView[]> {
      return (await repositories.mcpServers.list(access.workspaceId)).map(toView);
    },

    async get(access: WorkspaceAccess, id: string): Promise<McpServerView> {
      const row = await repositories.mcpServers.find(access.workspaceId, id);
      if (!row) throw serverNotFound(id);
      return toView(row);
    },

    async create(access: WorkspaceAccess, actor: AuditActor, input: McpServerInput): Promise<McpServerView> {
      const name = checkName(input.name);
      const url = await checkUrl(input.url);
      const headers = checkMcpHeaders(input.headers ?? {});
      const id = newId();
      const now = clock.now();
      const headersEnvelope = encryptHeaders(access.workspaceId, id, headers);
      try {
        // The server and its audit event commit together or not at all.
        const row = await inTransaction(database, async (scoped) => {
          const inserted = await scoped.mcpServers.insert({
            id,
            workspaceId: access.workspaceId,
            name,
            url,
            headersEnvelope,
            headerHints: headerHintsOf(headers),
            createdBy: access.userId,
            createdAt: now,
            updatedAt: now,
          });
          await audit.record(
            access.workspaceId,
            actor,
            'mcp_server.created',
            { type: 'mcp_server', id },
            { name, url, headerNames: Object.keys(headers) },
            scoped,
          );
          return inserted;
        });
        return toView(row);
      } catch (error) {
        if (isUniqueViolation(error, 'mcp_servers_workspace_name')) throw nameTaken(name);
        throw error;
      }
    },

    /** Renames, moves (only with the headers again, when it has any) or replaces the headers. */
    async update(
      access: WorkspaceAccess,
      actor: AuditActor,
      id: string,
      input: McpServerUpdate,
    ): Promise<McpServerView> {
      const current = await repositories.mcpServers.find(access.workspaceId, id);
      if (!current) throw serverNotFound(id);
      const changes: Parameters<Repositories['mcpServers']['update']>[2] = {};
      const changed: string[] = [];
      if (input.name !== undefined) {
        const name = checkName(input.name);
        if (name !== current.name) {
          changes.name = name;
          changed.push('name');
        }
      }
      if (input.url !== undefined) {
        const url = await checkUrl(input.url);
        if (url !== current.url) {
          // Stored credentials are never sent to a new host: whoever moves the server must know them.
          if (current.headersEnvelope !== null && input.headers === undefined) {
            throw invalidError(
              'headers_required_for_url_change',
              'Changing the URL of a server with headers needs the headers again (send headers with url, or headers: {} to drop them).',
              { field: 'headers' },
            );
          }
          changes.url = url;
          changed.push('url');
        }
      }
      if (input.headers !== undefined) {
        const headers = checkMcpHeaders(input.headers ?? {});
        changes.headersEnvelope = encryptHeaders(access.workspaceId, id, headers);
        changes.headerHints = headerHintsOf(headers);
        changed.push('headers');
      }
      if (changed.length === 0) return toView(current);
      if (changes.url !== undefined || changes.headersEnvelope !== undefined) {
        // What the old address or credentials listed says nothing about the new ones.
        changes.tools = null;
        changes.toolsListedAt = null;
      }
      changes.updatedAt = clock.now();
      try {
        const row = await inTransaction(database, async (scoped) => {
          const updated = await scoped.mcpServers.update(access.workspaceId, id, changes);
          if (!updated) throw serverNotFound(id);
          await audit.record(
            access.workspaceId,
            actor,
            'mcp_server.updated',
            { type: 'mcp_server', id },
            {
              changed,
              name: updated.name,
              url: updated.url,
              headerNames: updated.headerHints.map((hint) => hint.name),
            },
            scoped,
          );
          return updated;
        });
        return toView(row);
      } catch (error) {
        if (isUniqueViolation(error, 'mcp_servers_workspace_name'))
          throw nameTaken(changes.name ?? current.name);
        throw error;
      }
    },

    async delete(access: WorkspaceAccess, actor: AuditActor, id: string): Promise<void> {
      await inTransaction(database, async (scoped) => {
        const row = await scoped.mcpServers.delete(access.workspaceId, id);
        if (!row) throw serverNotFound(id);
        await audit.record(
          access.workspaceId,
          actor,
          'mcp_server.deleted',
          { type: 'mcp_server', id },
          { name: row.name, url: row.url },
          scoped,
        );
      });
    },

    /** The server's tools: from the cache while it is fresh, from the server when stale or asked to. */
    async listTools(
      access: WorkspaceAccess,
      id: string,
      options: { refresh?: boolean } = {},
    ): Promise<McpToolList> {
      const row = await repositories.mcpServers.find(access.workspaceId, id);
      if (!row) throw serverNotFound(id);
      if (!options.refresh && isFresh(row) && row.tools && row.toolsListedAt) {
        return { items: row.tools, listedAt: row.toolsListedAt, cached: true };
      }
      return refreshTools(row);
    },

    /**
     * The servers and their tools for agent tools, by id, for the resolver: a fresh cache is used
     * as is, a stale one is refreshed, and kept when the server cannot be reached just now.
     */
    async toolsForRun(
      workspaceId: string,
      serverIds: readonly string[],
      abortSignal?: AbortSignal,
    ): Promise<Map<string, { row: McpServerRow; tools: McpListedTool[] }>> {
      const rows = await repositories.mcpServers.findMany(workspaceId, [...new Set(serverIds)]);
      const found = new Map<string, { row: McpServerRow; tools: McpListedTool[] }>();
      await Promise.all(
        rows.map(async (row) => {
          if (isFresh(row) && row.tools) {
            found.set(row.id, { row, tools: row.tools });
            return;
          }
          try {
            found.set(row.id, { row, tools: (await refreshTools(row, abortSignal)).items });
          } catch (error) {
            if (!row.tools) throw error;
            found.set(row.id, { row, tools: row.tools });
          }
        }),
      );
      return found;
    },

    /** The servers and whatever tool list they last gave, without asking them (mock runs). */
    async cachedTools(
      workspaceId: string,
      serverIds: readonly string[],
    ): Promise<Map<string, { row: McpServerRow; tools: McpListedTool[] | null }>> {
      const rows = await repositories.mcpServers.findMany(workspaceId, [...new Set(serverIds)]);
      return new Map(rows.map((row) => [row.id, { row, tools: row.tools }]));
    },

    /** The ids among these that are not servers of the workspace (for checks on agent save). */
    async missingServerIds(workspaceId: string, serverIds: readonly string[]): Promise<string[]> {
      const wanted = [...new Set(serverIds)];
      const rows = await repositories.mcpServers.findMany(workspaceId, wanted);
      const existing = new Set(rows.map((row) => row.id));
      return wanted.filter((id) => !existing.has(id));
    },

    /**
     * Calls a tool of a registered server by hand (the console's "Test tool"): the arguments are
     * checked against the tool's input schema first; the server's answer or error comes back as is.
     */
    async testTool(
      access: WorkspaceAccess,
      actor: AuditActor,
      id: string,
      call: { tool: string; arguments: Record<string, unknown> },
    ): Promise<McpToolTestResult> {
      const row = await repositories.mcpServers.find(access.workspaceId, id);
      if (!row) throw serverNotFound(id);
      const tools = isFresh(row) && row.tools ? row.tools : (await refreshTools(row)).items;
      const tool = tools.find((candidate) => candidate.name === call.tool);
      if (!tool) {
        throw invalidError(
          'mcp_tool_not_found',
          `The MCP server ${row.name} has no tool named ${call.tool}.`,
          {
            field: 'tool',
            available: tools.map((candidate) => candidate.name).slice(0, 50),
          },
        );
      }
      const problems = compileJsonSchema(toolParameters(tool), 'inputSchema').validate(call.arguments);
      if (problems.length > 0) {
        throw invalidError(
          'tool_arguments_invalid',
          `The arguments do not match the tool's input schema: ${describeProblems(problems)}.`,
          { field: 'arguments', problems },
        );
      }
      const started = performance.now();
      const outcome = await callMcpTool(endpointOf(row), call, {
        fetch: dependencies.fetch,
        timeoutMs: listTimeoutMs,
      });
      const latencyMs = Math.round(performance.now() - started);
      // Like a provider key test: the stored credentials were used by hand. Arguments are not kept.
      await audit.record(
        access.workspaceId,
        actor,
        'mcp_server.tool_tested',
        { type: 'mcp_server', id },
        { name: row.name, tool: call.tool, ok: outcome.ok },
      );
      return outcome.ok
        ? { ok: true, result: outcome.value, error: null, latencyMs }
        : { ok: false, result: null, error: outcome.message, latencyMs };
    },

    /** Calls one tool on the server with its decrypted headers; failures throw `mcp_*` errors. */
    async callTool(
      row: McpServerRow,
      call: { tool: string; arguments: Record<string, unknown> },
      settings: { timeoutMs: number; abortSignal?: AbortSignal | undefined },
    ): Promise<McpToolOutcome> {
      return callMcpTool(endpointOf(row), call, { fetch: dependencies.fetch, ...settings });
    },
  };
}

export type McpServerService = ReturnType<typeof createMcpServerService>;
