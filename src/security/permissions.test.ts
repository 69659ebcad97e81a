import { describe, expect, it } from 'vitest';
import { lowerRole, permissions, permissionsOf, roleAllows, roleAtMost, roles } from './permissions.ts';

describe('permissions', () => {
  it('lets viewers read and nothing else', () => {
    expect(permissionsOf('viewer')).toEqual(['read']);
  });

  it('gives owners everything, and only owners may delete a workspace', () => {
    expect(permissionsOf('owner')).toEqual([...permissions]);
    expect(roles.filter((role) => roleAllows(role, 'delete_workspace'))).toEqual(['owner']);
  });

  it('keeps key, member and settings management to owners and admins', () => {
    for (const permission of ['manage_keys', 'manage_members', 'manage_settings'] as const) {
      expect(roles.filter((role) => roleAllows(role, permission))).toEqual(['owner', 'admin']);
    }
  });

  it('orders roles', () => {
    expect(roleAtMost('member', 'admin')).toBe(true);
    expect(roleAtMost('owner', 'admin')).toBe(false);
    expect(lowerRole('owner', 'viewer')).toBe('viewer');
    expect(lowerRole('member', 'admin')).toBe('member');
  });

  it('grants each higher role a superset of the one below', () => {
    for (let index = 1; index < roles.length; index++) {
      const higher = new Set(permissionsOf(roles[index - 1] ?? 'viewer'));
      for (const permission of permissionsOf(roles[index] ?? 'viewer'))
        expect(higher.has(permission)).toBe(true);
    }
  });
});
