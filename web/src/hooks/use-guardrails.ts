import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from './api.ts';

export const guardrailKeys = {
  usage: (workspaceId: string) => ['usage', workspaceId] as const,
  notifications: (workspaceId: string) => ['notifications', workspaceId] as const,
  deliveries: (workspaceId: string) => ['webhook-deliveries', workspaceId] as const,
  agentBudget: (workspaceId: string, agentId: string) => ['agent-budget', workspaceId, agentId] as const,
};

export function useAgentBudget(workspaceId: string, agentId: string) {
  return useQuery({
    queryKey: guardrailKeys.agentBudget(workspaceId, agentId),
    queryFn: () => api.agentBudget(workspaceId, agentId),
  });
}

/** Alerts arrive while runs settle elsewhere, so the bell and the usage view refresh on their own. */
const refreshEveryMs = 30_000;

export function useUsage(workspaceId: string) {
  return useQuery({
    queryKey: guardrailKeys.usage(workspaceId),
    queryFn: () => api.usage(workspaceId),
    refetchInterval: refreshEveryMs,
  });
}

/** The newest notifications and, separately, how many are unread (the list may not hold them all). */
export function useNotifications(workspaceId: string) {
  const recent = useQuery({
    queryKey: [...guardrailKeys.notifications(workspaceId), 'recent'],
    queryFn: () => api.listNotifications(workspaceId, { limit: 20 }),
    refetchInterval: refreshEveryMs,
  });
  const unread = useQuery({
    queryKey: [...guardrailKeys.notifications(workspaceId), 'unread'],
    queryFn: () => api.listNotifications(workspaceId, { unread: true, limit: 200 }),
    refetchInterval: refreshEveryMs,
  });
  return { recent, unreadCount: unread.data?.items.length ?? 0 };
}

export function useMarkNotificationRead(workspaceId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (notificationId: string) => api.markNotificationRead(workspaceId, notificationId),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: guardrailKeys.notifications(workspaceId) }),
  });
}

export function useWebhookDeliveries(workspaceId: string) {
  return useQuery({
    queryKey: guardrailKeys.deliveries(workspaceId),
    queryFn: () => api.listWebhookDeliveries(workspaceId),
    refetchInterval: refreshEveryMs,
  });
}

export function useRotateSigningSecret(workspaceId: string) {
  return useMutation({ mutationFn: () => api.rotateSigningSecret(workspaceId) });
}

export function useSetAgentBudget(workspaceId: string, agentId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (monthlyLimitUsd: number | null) => api.setAgentBudget(workspaceId, agentId, monthlyLimitUsd),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: guardrailKeys.usage(workspaceId) });
      void queryClient.invalidateQueries({ queryKey: guardrailKeys.agentBudget(workspaceId, agentId) });
    },
  });
}
