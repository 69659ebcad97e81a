import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from './api.ts';
import { sessionKeys } from './use-session.ts';

const invitationKeys = { all: ['invitations'] as const };

/** Invitations waiting for the signed-in user's answer. */
export function useInvitations() {
  return useQuery({ queryKey: invitationKeys.all, queryFn: api.listInvitations });
}

/** Accept or decline; either changes the list, and accepting changes the caller's workspaces. */
export function useInvitationAnswers() {
  const queryClient = useQueryClient();
  const refresh = async () => {
    await queryClient.invalidateQueries({ queryKey: invitationKeys.all });
    await queryClient.invalidateQueries({ queryKey: sessionKeys.me });
  };
  return {
    accept: useMutation({ mutationFn: api.acceptInvitation, onSuccess: refresh }),
    decline: useMutation({ mutationFn: api.declineInvitation, onSuccess: refresh }),
    requestVerification: useMutation({ mutationFn: api.requestEmailVerification }),
  };
}
