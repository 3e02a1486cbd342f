import { describe, expect, it } from 'vitest';
import { canAssignRole, effectiveKeyPermissions, permissions, rolePermissions, roles } from './permissions.ts';

describe('roles', () => {
  it('give owners and admins everything, viewers only reads', () => {
    expect([...rolePermissions.owner].sort()).toEqual([...permissions].sort());
    expect([...rolePermissions.admin].sort()).toEqual([...permissions].sort());
    expect(rolePermissions.viewer.every((p) => p.endsWith(':read'))).toBe(true);
  });

  it('never give a non-admin role the power to manage users or the workspace', () => {
    for (const r of roles.filter((r) => r !== 'owner' && r !== 'admin')) {
      expect(rolePermissions[r]).not.toContain('users:manage');
      expect(rolePermissions[r]).not.toContain('workspace:manage');
    }
  });
});

describe('effectiveKeyPermissions', () => {
  it('keeps only scopes the creator still holds, and drops unknown ones', () => {
    const p = effectiveKeyPermissions(['customers:read', 'users:manage', 'made:up'], 'agent');
    expect([...p]).toEqual(['customers:read']);
  });
});

describe('canAssignRole', () => {
  it('lets only owners make or unmake owners', () => {
    expect(canAssignRole('owner', 'agent', 'owner')).toBe(true);
    expect(canAssignRole('admin', 'agent', 'owner')).toBe(false);
    expect(canAssignRole('admin', 'owner', 'agent')).toBe(false);
    expect(canAssignRole('admin', 'agent', 'admin')).toBe(true);
    expect(canAssignRole('agent', 'viewer', 'agent')).toBe(false);
  });
});
