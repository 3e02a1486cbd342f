/**
 * Roles and permissions. Pure data + pure checks: services call `assertCan(actor, permission)`;
 * routes never decide access on their own.
 */
export const permissions = [
  'workspace:read',
  'workspace:manage',
  'users:read',
  'users:manage',
  'apikeys:manage',
  'sessions:manage',
  'events:read',
  'jobs:manage',
  'customers:read',
  'customers:write',
  'tickets:read',
  'tickets:write',
  'campaigns:read',
  'campaigns:write',
  'analytics:read',
] as const;

export type Permission = (typeof permissions)[number];

export const roles = ['owner', 'admin', 'agent', 'marketer', 'analyst', 'viewer'] as const;
export type Role = (typeof roles)[number];

const read: Permission[] = ['workspace:read', 'users:read', 'customers:read', 'tickets:read', 'campaigns:read'];

export const rolePermissions: Record<Role, readonly Permission[]> = {
  owner: permissions,
  admin: permissions,
  agent: [...read, 'customers:write', 'tickets:write', 'events:read', 'apikeys:manage'],
  marketer: [...read, 'customers:write', 'campaigns:write', 'analytics:read', 'events:read', 'apikeys:manage'],
  analyst: [...read, 'analytics:read', 'events:read', 'apikeys:manage'],
  viewer: read,
};

export const roleDescriptions: Record<Role, string> = {
  owner: 'Everything, including the workspace itself. At least one owner always remains.',
  admin: 'Everything except transferring or deleting the workspace: users, keys, settings, all data.',
  agent: 'Works the inbox: reads and updates customers and tickets.',
  marketer: 'Builds segments and campaigns; reads and updates customers; reads analytics.',
  analyst: 'Reads everything and the analytics; changes nothing.',
  viewer: 'Reads customers, tickets and campaigns.',
};

export function isRole(value: string): value is Role {
  return (roles as readonly string[]).includes(value);
}

/** Whether a user of this role may work tickets (be assigned one, sit in a support team): tickets:write. */
export function mayWorkTickets(role: string): boolean {
  return isRole(role) && rolePermissions[role].includes('tickets:write');
}

export function isPermission(value: string): value is Permission {
  return (permissions as readonly string[]).includes(value);
}

/** Who is acting: a signed-in user or an API key, always inside exactly one workspace. */
export type Actor = {
  workspaceId: string;
  kind: 'user' | 'apikey' | 'system';
  userId: string | null;
  apiKeyId: string | null;
  role: Role;
  permissions: ReadonlySet<Permission>;
};

export function can(actor: Actor, permission: Permission): boolean {
  return actor.permissions.has(permission);
}

/** The permissions an API key actually holds: what its scopes ask for, limited by its creator's role now. */
export function effectiveKeyPermissions(scopes: readonly string[], creatorRole: Role): Set<Permission> {
  const allowed = new Set(rolePermissions[creatorRole]);
  return new Set(scopes.filter((s): s is Permission => isPermission(s) && allowed.has(s)));
}

/** Only owners may make or unmake owners; admins manage everyone else. */
export function canAssignRole(actorRole: Role, from: Role | null, to: Role): boolean {
  if (actorRole === 'owner') return true;
  if (actorRole !== 'admin') return false;
  return to !== 'owner' && from !== 'owner';
}

export function systemActor(workspaceId: string): Actor {
  return {
    workspaceId,
    kind: 'system',
    userId: null,
    apiKeyId: null,
    role: 'owner',
    permissions: new Set(permissions),
  };
}
