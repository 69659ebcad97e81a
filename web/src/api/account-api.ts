import type { List } from './api-types.ts';
import type { HttpClient } from './http-client.ts';

/** A workspace's invitation waiting for the signed-in user's answer; its id is the workspace's. */
export interface Invitation {
  id: string;
  workspaceId: string;
  workspaceName: string;
  role: string;
  invitedBy: { email: string; name: string } | null;
  createdAt: string;
}

/** The signed-in user's own account: invitations, address confirmation, password resets. */
export function createAccountApi(http: HttpClient) {
  const invitationPath = (invitationId: string, action: 'accept' | 'decline') =>
    `/api/invitations/${encodeURIComponent(invitationId)}/${action}`;
  return {
    listInvitations: () => http.request<List<Invitation>>('GET', '/api/invitations'),
    acceptInvitation: (invitationId: string) =>
      http.request<Invitation>('POST', invitationPath(invitationId, 'accept')),
    declineInvitation: (invitationId: string) =>
      http.request<void>('POST', invitationPath(invitationId, 'decline')),
    requestEmailVerification: () =>
      http.request<{ alreadyVerified: boolean }>('POST', '/api/me/email-verification'),
    verifyEmail: (body: { token: string }) =>
      http.request<{ email: string; emailVerified: true }>('POST', '/api/auth/verify-email', { body }),
    requestPasswordReset: (body: { email: string }) =>
      http.request<{ accepted: true }>('POST', '/api/auth/password-reset', { body }),
  };
}
