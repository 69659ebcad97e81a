import type { Role } from '../../security/permissions.ts';

/** Who is calling: a signed-in user (session cookie) or a workspace API token. */
export type Principal =
  | { kind: 'user'; userId: string; email: string; name: string; sessionIdHash: string; csrfToken: string }
  | {
      kind: 'token';
      tokenId: string;
      workspaceId: string;
      role: Role;
      userId: string;
      /** The token's own limit on execution requests a minute, if it has one. */
      rateLimitPerMinute: number | null;
    };

/** A principal's standing in one workspace, resolved per request. */
export interface WorkspaceAccess {
  workspaceId: string;
  role: Role;
  /** The user acting (for a token, its creator), for audit and ownership. */
  userId: string;
  tokenId: string | null;
}
