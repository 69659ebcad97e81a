import type { List } from './api-types.ts';
import type { HttpClient } from './http-client.ts';
import type { AgentToolTestResult, McpServer, McpToolList, McpToolTestResult } from './tool-types.ts';

/** MCP servers and their tools, as plain async functions. No React here. */
export function createToolApi(http: HttpClient) {
  const serversPath = (workspaceId: string, rest = '') =>
    `/api/workspaces/${encodeURIComponent(workspaceId)}/mcp-servers${rest}`;
  const serverPath = (workspaceId: string, serverId: string, rest = '') =>
    serversPath(workspaceId, `/${encodeURIComponent(serverId)}${rest}`);

  return {
    listMcpServers: (workspaceId: string) => http.request<List<McpServer>>('GET', serversPath(workspaceId)),
    createMcpServer: (
      workspaceId: string,
      body: { name: string; url: string; headers?: Record<string, string> },
    ) => http.request<McpServer>('POST', serversPath(workspaceId), { body }),
    /** `headers` replaces every header (null drops them); moving a server with headers needs them again. */
    updateMcpServer: (
      workspaceId: string,
      serverId: string,
      body: { name?: string; url?: string; headers?: Record<string, string> | null },
    ) => http.request<McpServer>('PATCH', serverPath(workspaceId, serverId), { body }),
    deleteMcpServer: (workspaceId: string, serverId: string) =>
      http.request<null>('DELETE', serverPath(workspaceId, serverId)),
    /** The cached tool list, or the server's own when `refresh` (or the cache is stale). */
    listMcpTools: (workspaceId: string, serverId: string, refresh = false) =>
      http.request<McpToolList>('GET', serverPath(workspaceId, serverId, '/tools'), {
        query: refresh ? { refresh: 'true' } : {},
      }),
    callMcpTool: (workspaceId: string, serverId: string, body: { tool: string; arguments: unknown }) =>
      http.request<McpToolTestResult>('POST', serverPath(workspaceId, serverId, '/tools/call'), { body }),
    /** One call of a saved tool of the agent, run as the loop runs it (no model, no execution). */
    testAgentTool: (
      workspaceId: string,
      agentId: string,
      toolName: string,
      body: { arguments: unknown; mode: 'live' | 'mock' },
    ) =>
      http.request<AgentToolTestResult>(
        'POST',
        `/api/workspaces/${encodeURIComponent(workspaceId)}/agents/${encodeURIComponent(agentId)}/tools/${encodeURIComponent(toolName)}/test`,
        { body },
      ),
  };
}
