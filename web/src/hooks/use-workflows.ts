import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { WorkflowDefinition } from '../api/workflow-types.ts';
import { api } from './api.ts';

export const workflowKeys = {
  all: (workspaceId: string) => ['workflows', workspaceId] as const,
  list: (workspaceId: string, search: string) => ['workflows', workspaceId, 'list', search] as const,
  one: (workspaceId: string, workflowId: string) => ['workflows', workspaceId, 'one', workflowId] as const,
  versions: (workspaceId: string, workflowId: string) =>
    ['workflows', workspaceId, 'versions', workflowId] as const,
};

export function useWorkflows(workspaceId: string, search = '') {
  return useQuery({
    queryKey: workflowKeys.list(workspaceId, search),
    queryFn: () => api.listWorkflows(workspaceId, { search: search || undefined, limit: 200 }),
    placeholderData: keepPreviousData,
  });
}

export function useWorkflow(workspaceId: string, workflowId: string | null) {
  return useQuery({
    queryKey: workflowKeys.one(workspaceId, workflowId ?? ''),
    queryFn: () => api.getWorkflow(workspaceId, workflowId ?? ''),
    enabled: workflowId !== null,
  });
}

export function useWorkflowVersions(workspaceId: string, workflowId: string | null) {
  return useQuery({
    queryKey: workflowKeys.versions(workspaceId, workflowId ?? ''),
    queryFn: () => api.listWorkflowVersions(workspaceId, workflowId ?? '', { limit: 200 }),
    enabled: workflowId !== null,
  });
}

export function useWorkflowMutations(workspaceId: string) {
  const queryClient = useQueryClient();
  const onSuccess = () => queryClient.invalidateQueries({ queryKey: workflowKeys.all(workspaceId) });
  return {
    create: useMutation({
      mutationFn: (definition: WorkflowDefinition) => api.createWorkflow(workspaceId, definition),
      onSuccess: (workflow) => {
        // The builder moves to the new URL and reads it from here, without a loading flash.
        queryClient.setQueryData(workflowKeys.one(workspaceId, workflow.id), workflow);
        return onSuccess();
      },
    }),
    update: useMutation({
      mutationFn: (change: { workflowId: string; definition: Partial<WorkflowDefinition> }) =>
        api.updateWorkflow(workspaceId, change.workflowId, change.definition),
      onSuccess: (workflow) => {
        queryClient.setQueryData(workflowKeys.one(workspaceId, workflow.id), workflow);
        return onSuccess();
      },
    }),
    remove: useMutation({
      mutationFn: (workflowId: string) => api.deleteWorkflow(workspaceId, workflowId),
      onSuccess,
    }),
    rotateWebhookSecret: useMutation({
      mutationFn: (workflowId: string) => api.rotateWebhookSecret(workspaceId, workflowId),
      onSuccess,
    }),
  };
}
