import { useQuery } from '@tanstack/react-query';
import { api } from './api.ts';

export const overviewKeys = { one: (workspaceId: string) => ['overview', workspaceId] as const };

/** The dashboard's counts; read on every visit and every 15 s while the dashboard is open. */
export function useOverview(workspaceId: string) {
  return useQuery({
    queryKey: overviewKeys.one(workspaceId),
    queryFn: () => api.getOverview(workspaceId),
    refetchInterval: 15_000,
  });
}
