import { keepPreviousData, useQuery } from '@tanstack/react-query';
import type { ExecutionFilters } from '../api/api-types.ts';
import { api } from './api.ts';

export const executionKeys = {
  all: (workspaceId: string) => ['executions', workspaceId] as const,
  list: (workspaceId: string, filters: ExecutionFilters) =>
    ['executions', workspaceId, 'list', filters] as const,
  one: (workspaceId: string, executionId: string) => ['executions', workspaceId, 'one', executionId] as const,
  stats: (workspaceId: string, query: object) => ['executions', workspaceId, 'stats', query] as const,
  compare: (workspaceId: string, a: string, b: string) =>
    ['executions', workspaceId, 'compare', a, b] as const,
};

export function useExecutions(
  workspaceId: string,
  filters: ExecutionFilters,
  options: { enabled?: boolean } = {},
) {
  return useQuery({
    queryKey: executionKeys.list(workspaceId, filters),
    queryFn: () => api.listExecutions(workspaceId, filters),
    placeholderData: keepPreviousData,
    enabled: options.enabled ?? true,
  });
}

export function useExecution(workspaceId: string, executionId: string | null) {
  return useQuery({
    queryKey: executionKeys.one(workspaceId, executionId ?? ''),
    queryFn: () => api.getExecution(workspaceId, executionId ?? ''),
    enabled: executionId !== null,
  });
}

export function useExecutionStats(
  workspaceId: string,
  query: { from?: string; to?: string; agentId?: string },
) {
  return useQuery({
    queryKey: executionKeys.stats(workspaceId, query),
    queryFn: () => api.executionStats(workspaceId, query),
  });
}

export function useExecutionComparison(workspaceId: string, pair: [string, string] | null) {
  return useQuery({
    queryKey: executionKeys.compare(workspaceId, pair?.[0] ?? '', pair?.[1] ?? ''),
    queryFn: () => api.compareExecutions(workspaceId, pair?.[0] ?? '', pair?.[1] ?? ''),
    enabled: pair !== null,
  });
}
