import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { ApiError } from '../api/api-error.ts';
import type { Me } from '../api/api-types.ts';
import { api } from './api.ts';

export const sessionKeys = { me: ['me'] as const, setup: ['setup-status'] as const };

/** The signed-in caller, or null when there is no session (401). */
export function useMe() {
  return useQuery<Me | null>({
    queryKey: sessionKeys.me,
    queryFn: async () => {
      try {
        return await api.me();
      } catch (error) {
        if (ApiError.isInstance(error) && error.status === 401) return null;
        throw error;
      }
    },
    staleTime: 60_000,
  });
}

export function useSetupStatus() {
  return useQuery({
    queryKey: sessionKeys.setup,
    queryFn: api.setupStatus,
    staleTime: Number.POSITIVE_INFINITY,
  });
}

export function useSignOut() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: api.logout,
    onSettled: () => {
      queryClient.clear();
    },
  });
}
