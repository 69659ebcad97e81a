import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { ApprovalFilters, WorkSessionRequest } from '../api/approval-types.ts';
import { api } from './api.ts';
import { runKeys } from './use-runs.ts';

export const approvalKeys = {
  all: (workspaceId: string) => ['approvals', workspaceId] as const,
  list: (workspaceId: string, filters: ApprovalFilters) =>
    ['approvals', workspaceId, 'list', filters] as const,
  one: (workspaceId: string, approvalId: string) => ['approvals', workspaceId, 'one', approvalId] as const,
  artifacts: (workspaceId: string, runId: string) => ['approvals', workspaceId, 'artifacts', runId] as const,
  artifact: (workspaceId: string, artifactId: string) =>
    ['approvals', workspaceId, 'artifact', artifactId] as const,
};

/** How often the pending count in the navigation is read again: there is no workspace-wide event stream. */
const pendingPollMs = 5_000;
/** The badge counts up to one page; beyond that it says "200+". */
export const pendingPageSize = 200;

export function useApprovals(
  workspaceId: string,
  filters: ApprovalFilters,
  options: { poll?: boolean } = {},
) {
  return useQuery({
    queryKey: approvalKeys.list(workspaceId, filters),
    queryFn: () => api.listApprovals(workspaceId, filters),
    placeholderData: keepPreviousData,
    refetchInterval: options.poll ? pendingPollMs : false,
  });
}

/** The pending approvals (one page), polled: the navigation badge and the inbox share this query. */
export function usePendingApprovals(workspaceId: string) {
  return useApprovals(workspaceId, { status: 'pending', limit: pendingPageSize }, { poll: true });
}

export function useApproval(workspaceId: string, approvalId: string) {
  return useQuery({
    queryKey: approvalKeys.one(workspaceId, approvalId),
    queryFn: () => api.getApproval(workspaceId, approvalId),
  });
}

export function useRunArtifacts(workspaceId: string, runId: string, options: { poll?: boolean } = {}) {
  return useQuery({
    queryKey: approvalKeys.artifacts(workspaceId, runId),
    queryFn: () => api.listRunArtifacts(workspaceId, runId),
    refetchInterval: options.poll ? 2_000 : false,
  });
}

export function useArtifact(workspaceId: string, artifactId: string) {
  return useQuery({
    queryKey: approvalKeys.artifact(workspaceId, artifactId),
    queryFn: () => api.getArtifact(workspaceId, artifactId),
  });
}

/** Approve, reject and request a revision; each refreshes the inbox, the badge and the runs. */
export function useApprovalMutations(workspaceId: string) {
  const queryClient = useQueryClient();
  const onSettled = async () => {
    await Promise.all([
      queryClient.invalidateQueries({ queryKey: approvalKeys.all(workspaceId) }),
      queryClient.invalidateQueries({ queryKey: runKeys.all(workspaceId) }),
    ]);
  };
  return {
    approve: useMutation({
      mutationFn: (request: { approvalId: string; comment?: string; output?: unknown }) =>
        api.approve(workspaceId, request.approvalId, { comment: request.comment, output: request.output }),
      onSettled,
    }),
    reject: useMutation({
      mutationFn: (request: { approvalId: string; feedback: string }) =>
        api.reject(workspaceId, request.approvalId, request.feedback),
      onSettled,
    }),
    requestRevision: useMutation({
      mutationFn: (request: { approvalId: string; feedback: string }) =>
        api.requestRevision(workspaceId, request.approvalId, request.feedback),
      onSettled,
    }),
  };
}

/** Starts a work session of an agent (a reviewed one-step run). */
export function useStartWorkSession(workspaceId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (request: WorkSessionRequest & { agentId: string }) => {
      const { agentId, ...body } = request;
      return api.startWorkSession(workspaceId, agentId, body);
    },
    onSuccess: () => queryClient.invalidateQueries({ queryKey: runKeys.all(workspaceId) }),
  });
}
