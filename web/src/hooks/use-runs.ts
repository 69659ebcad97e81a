import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { isRunActive } from '../api/apply-run-event.ts';
import type { RunFilters, RunMode } from '../api/workflow-types.ts';
import { api } from './api.ts';

export const runKeys = {
  all: (workspaceId: string) => ['runs', workspaceId] as const,
  list: (workspaceId: string, filters: RunFilters) => ['runs', workspaceId, 'list', filters] as const,
};

/** A page of runs; while any of them can still change, it is read again every two seconds. */
export function useRuns(workspaceId: string, filters: RunFilters) {
  return useQuery({
    queryKey: runKeys.list(workspaceId, filters),
    queryFn: () => api.listRuns(workspaceId, filters),
    placeholderData: keepPreviousData,
    refetchInterval: (query) =>
      query.state.data?.items.some((run) => isRunActive(run.status)) ? 2_000 : false,
  });
}

export function useRunMutations(workspaceId: string) {
  const queryClient = useQueryClient();
  const onSuccess = () => queryClient.invalidateQueries({ queryKey: runKeys.all(workspaceId) });
  return {
    start: useMutation({
      mutationFn: (request: { workflowId: string; input: unknown; mode: RunMode }) =>
        api.startRun(workspaceId, request.workflowId, { input: request.input, mode: request.mode }),
      onSuccess,
    }),
    /** A new run answered from a recorded run's exchanges: no provider call, no cost. */
    replay: useMutation({
      mutationFn: (run: { id: string; workflowId: string }) =>
        api.startRun(workspaceId, run.workflowId, { mode: 'replay', replayOf: run.id }),
      onSuccess,
    }),
    cancel: useMutation({ mutationFn: (runId: string) => api.cancelRun(workspaceId, runId), onSuccess }),
    retry: useMutation({ mutationFn: (runId: string) => api.retryRun(workspaceId, runId), onSuccess }),
  };
}
