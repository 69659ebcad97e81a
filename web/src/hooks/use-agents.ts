import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { AgentDefinition } from '../api/api-types.ts';
import type { AgentInput } from '../api/flightdeck-api.ts';
import { api } from './api.ts';

export const agentKeys = {
  all: (workspaceId: string) => ['agents', workspaceId] as const,
  list: (workspaceId: string, query: { q?: string; tag?: string; limit?: number }) =>
    ['agents', workspaceId, 'list', query] as const,
  one: (workspaceId: string, agentId: string) => ['agents', workspaceId, 'one', agentId] as const,
  versions: (workspaceId: string, agentId: string) => ['agents', workspaceId, 'versions', agentId] as const,
};

export function useAgents(workspaceId: string, query: { q?: string; tag?: string; limit?: number }) {
  return useQuery({
    queryKey: agentKeys.list(workspaceId, query),
    queryFn: () => api.listAgents(workspaceId, query),
    placeholderData: keepPreviousData,
  });
}

export function useAgent(workspaceId: string, agentId: string) {
  return useQuery({
    queryKey: agentKeys.one(workspaceId, agentId),
    queryFn: () => api.getAgent(workspaceId, agentId),
  });
}

export function useAgentVersions(workspaceId: string, agentId: string) {
  return useQuery({
    queryKey: agentKeys.versions(workspaceId, agentId),
    queryFn: () => api.listAgentVersions(workspaceId, agentId),
  });
}

export function useAgentMutations(workspaceId: string) {
  const queryClient = useQueryClient();
  const onSuccess = () => queryClient.invalidateQueries({ queryKey: agentKeys.all(workspaceId) });
  return {
    create: useMutation({ mutationFn: (body: AgentInput) => api.createAgent(workspaceId, body), onSuccess }),
    update: useMutation({
      mutationFn: (change: { agentId: string; patch: Partial<AgentDefinition> }) =>
        api.updateAgent(workspaceId, change.agentId, change.patch),
      onSuccess,
    }),
    /** Publishes a version (the newest by default), or rolls back when it is older than the live one. */
    publish: useMutation({
      mutationFn: (change: { agentId: string; version?: number; rollback?: boolean }) =>
        change.rollback && change.version !== undefined
          ? api.rollbackAgent(workspaceId, change.agentId, change.version)
          : api.publishAgent(workspaceId, change.agentId, change.version),
      onSuccess,
    }),
    restore: useMutation({
      mutationFn: (change: { agentId: string; version: number }) =>
        api.restoreAgentVersion(workspaceId, change.agentId, change.version),
      onSuccess,
    }),
    remove: useMutation({
      mutationFn: (agentId: string) => api.deleteAgent(workspaceId, agentId),
      onSuccess,
    }),
  };
}
