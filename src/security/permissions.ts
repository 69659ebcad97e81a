/**
 * Roles and what each may do: the one table every authorization check reads.
 * Viewers read and never run or change anything.
 */

export const roles = ['owner', 'admin', 'member', 'viewer'] as const;
export type Role = (typeof roles)[number];

export const permissions = [
  'read',
  'run_agents',
  'edit_agents',
  'approve',
  'manage_tokens',
  'manage_keys',
  'manage_members',
  'manage_settings',
  'delete_workspace',
] as const;
export type Permission = (typeof permissions)[number];

const permissionsByRole: Record<Role, ReadonlySet<Permission>> = {
  owner: new Set(permissions),
  admin: new Set([
    'read',
    'run_agents',
    'edit_agents',
    'approve',
    'manage_tokens',
    'manage_keys',
    'manage_members',
    'manage_settings',
  ]),
  member: new Set(['read', 'run_agents', 'edit_agents', 'approve', 'manage_tokens']),
  viewer: new Set(['read']),
};

const rank: Record<Role, number> = { owner: 4, admin: 3, member: 2, viewer: 1 };

/** True when the role grants the permission. */
export function roleAllows(role: Role, permission: Permission): boolean {
  return permissionsByRole[role].has(permission);
}

/** True when `role` is the same as or below `ceiling` (owner > admin > member > viewer). */
export function roleAtMost(role: Role, ceiling: Role): boolean {
  return rank[role] <= rank[ceiling];
}

/** The lower of two roles: a token never acts above the user who made it. */
export function lowerRole(first: Role, second: Role): Role {
  return rank[first] <= rank[second] ? first : second;
}

export function isRole(value: string): value is Role {
  return (roles as readonly string[]).includes(value);
}

/** Every permission a role grants, for `GET /api/me` and the console. */
export function permissionsOf(role: Role): Permission[] {
  return permissions.filter((permission) => permissionsByRole[role].has(permission));
}
