import { useMe } from './use-session.ts';

/** Whether the caller's role in this workspace grants a permission (GET /api/me lists them). */
export function usePermission(workspaceId: string, permission: string): boolean {
  const me = useMe();
  const workspace = me.data?.workspaces.find((candidate) => candidate.id === workspaceId);
  return workspace?.permissions.includes(permission) ?? false;
}
