import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { KeyProvider, WorkspaceSettings } from '../api/api-types.ts';
import { api } from './api.ts';

export const settingsKeys = {
  providerKeys: (workspaceId: string) => ['provider-keys', workspaceId] as const,
  members: (workspaceId: string) => ['members', workspaceId] as const,
  tokens: (workspaceId: string) => ['tokens', workspaceId] as const,
  workspace: (workspaceId: string) => ['workspace', workspaceId] as const,
  audit: (workspaceId: string) => ['audit', workspaceId] as const,
};

export function useProviderKeys(workspaceId: string) {
  return useQuery({
    queryKey: settingsKeys.providerKeys(workspaceId),
    queryFn: () => api.listProviderKeys(workspaceId),
  });
}

/** Every provider-key change refreshes the list (and the audit log, which records it). */
export function useProviderKeyMutations(workspaceId: string) {
  const queryClient = useQueryClient();
  const onSuccess = async () => {
    await queryClient.invalidateQueries({ queryKey: settingsKeys.providerKeys(workspaceId) });
    await queryClient.invalidateQueries({ queryKey: settingsKeys.audit(workspaceId) });
  };
  return {
    create: useMutation({
      mutationFn: (body: { provider: KeyProvider; label: string; apiKey: string; baseUrl?: string | null }) =>
        api.createProviderKey(workspaceId, body),
      onSuccess,
    }),
    testUnsaved: useMutation({
      mutationFn: (body: { provider: KeyProvider; apiKey: string; baseUrl?: string | null }) =>
        api.testUnsavedProviderKey(workspaceId, body),
    }),
    testSaved: useMutation({
      mutationFn: (keyId: string) => api.testProviderKey(workspaceId, keyId),
      onSuccess,
    }),
    update: useMutation({
      mutationFn: (change: { keyId: string; apiKey?: string; label?: string; isDefault?: boolean }) => {
        const { keyId, ...body } = change;
        return api.updateProviderKey(workspaceId, keyId, body);
      },
      onSuccess,
    }),
    remove: useMutation({
      mutationFn: (keyId: string) => api.deleteProviderKey(workspaceId, keyId),
      onSuccess,
    }),
  };
}

export function useMembers(workspaceId: string) {
  return useQuery({
    queryKey: settingsKeys.members(workspaceId),
    queryFn: () => api.listMembers(workspaceId),
  });
}

export function useMemberMutations(workspaceId: string) {
  const queryClient = useQueryClient();
  const onSuccess = () => queryClient.invalidateQueries({ queryKey: settingsKeys.members(workspaceId) });
  return {
    add: useMutation({
      mutationFn: (body: { email: string; role: string; name?: string }) => api.addMember(workspaceId, body),
      onSuccess,
    }),
    changeRole: useMutation({
      mutationFn: (change: { userId: string; role: string }) =>
        api.changeMemberRole(workspaceId, change.userId, change.role),
      onSuccess,
    }),
    remove: useMutation({ mutationFn: (userId: string) => api.removeMember(workspaceId, userId), onSuccess }),
  };
}

export function useTokens(workspaceId: string) {
  return useQuery({ queryKey: settingsKeys.tokens(workspaceId), queryFn: () => api.listTokens(workspaceId) });
}

export function useTokenMutations(workspaceId: string) {
  const queryClient = useQueryClient();
  const onSuccess = () => queryClient.invalidateQueries({ queryKey: settingsKeys.tokens(workspaceId) });
  return {
    create: useMutation({
      mutationFn: (body: { name: string; role: string; rateLimitPerMinute?: number | null }) =>
        api.createToken(workspaceId, body),
      onSuccess,
    }),
    revoke: useMutation({
      mutationFn: (tokenId: string) => api.revokeToken(workspaceId, tokenId),
      onSuccess,
    }),
  };
}

export function useWorkspace(workspaceId: string) {
  return useQuery({
    queryKey: settingsKeys.workspace(workspaceId),
    queryFn: () => api.getWorkspace(workspaceId),
  });
}

export function useUpdateWorkspace(workspaceId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: { name?: string; settings?: Partial<WorkspaceSettings> }) =>
      api.updateWorkspace(workspaceId, body),
    onSuccess: async (workspace) => {
      queryClient.setQueryData(settingsKeys.workspace(workspaceId), workspace);
      await queryClient.invalidateQueries({ queryKey: ['me'] });
    },
  });
}

/** Agents that use a key, asked only while a delete prompt for it is open. */
export function useProviderKeyAgents(workspaceId: string, keyId: string, enabled: boolean) {
  return useQuery({
    queryKey: [...settingsKeys.providerKeys(workspaceId), keyId, 'agents'],
    queryFn: () => api.listProviderKeyAgents(workspaceId, keyId),
    enabled,
  });
}

/** A new workspace: the caller is its owner; the session's workspace list is read again. */
export function useCreateWorkspace() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: { name: string }) => api.createWorkspace(body),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['me'] }),
  });
}

/** Deletes a workspace and everything in it (owners only). */
export function useDeleteWorkspace(workspaceId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () => api.deleteWorkspace(workspaceId),
    onSuccess: async () => {
      queryClient.removeQueries({ queryKey: settingsKeys.workspace(workspaceId) });
      await queryClient.invalidateQueries({ queryKey: ['me'] });
    },
  });
}

export function useAuditEvents(workspaceId: string, cursor: string | undefined) {
  return useQuery({
    queryKey: [...settingsKeys.audit(workspaceId), cursor ?? ''],
    queryFn: () => api.listAuditEvents(workspaceId, { cursor }),
  });
}
