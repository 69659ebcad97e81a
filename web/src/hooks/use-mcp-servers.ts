import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from './api.ts';
import { settingsKeys } from './use-settings-resources.ts';

export const mcpKeys = {
  servers: (workspaceId: string) => ['mcp-servers', workspaceId] as const,
  tools: (workspaceId: string, serverId: string) => ['mcp-servers', workspaceId, 'tools', serverId] as const,
};

export function useMcpServers(workspaceId: string) {
  return useQuery({ queryKey: mcpKeys.servers(workspaceId), queryFn: () => api.listMcpServers(workspaceId) });
}

/** A server's tools (the server's cache, a few minutes old at most); off until a server is chosen. */
export function useMcpTools(workspaceId: string, serverId: string | null) {
  return useQuery({
    queryKey: mcpKeys.tools(workspaceId, serverId ?? ''),
    queryFn: () => api.listMcpTools(workspaceId, serverId ?? ''),
    enabled: serverId !== null && serverId !== '',
    retry: false,
  });
}

/** Every server change refreshes the list, its tools and the audit log that records it. */
export function useMcpServerMutations(workspaceId: string) {
  const queryClient = useQueryClient();
  const onSuccess = async () => {
    await queryClient.invalidateQueries({ queryKey: mcpKeys.servers(workspaceId) });
    await queryClient.invalidateQueries({ queryKey: settingsKeys.audit(workspaceId) });
  };
  return {
    create: useMutation({
      mutationFn: (body: { name: string; url: string; headers?: Record<string, string> }) =>
        api.createMcpServer(workspaceId, body),
      onSuccess,
    }),
    update: useMutation({
      mutationFn: (change: {
        serverId: string;
        name?: string;
        url?: string;
        headers?: Record<string, string> | null;
      }) => {
        const { serverId, ...body } = change;
        return api.updateMcpServer(workspaceId, serverId, body);
      },
      onSuccess,
    }),
    remove: useMutation({
      mutationFn: (serverId: string) => api.deleteMcpServer(workspaceId, serverId),
      onSuccess,
    }),
    refreshTools: useMutation({
      mutationFn: (serverId: string) => api.listMcpTools(workspaceId, serverId, true),
      onSuccess: async (list, serverId) => {
        queryClient.setQueryData(mcpKeys.tools(workspaceId, serverId), list);
        await queryClient.invalidateQueries({ queryKey: mcpKeys.servers(workspaceId) });
      },
    }),
  };
}

/** Calls one tool of a server with sample arguments ("Test tool"). */
export function useMcpToolTest(workspaceId: string) {
  return useMutation({
    mutationFn: (call: { serverId: string; tool: string; arguments: unknown }) =>
      api.callMcpTool(workspaceId, call.serverId, { tool: call.tool, arguments: call.arguments }),
  });
}
