import type { Permission, Role } from '../api/types.ts';

/** Plain words for each permission, grouped by the area of the product they open. */
export const permissionInfo: Record<Permission, { area: string; label: string; description: string }> = {
  'workspace:read': { area: 'Workspace', label: 'See workspace', description: 'Read the workspace name and settings' },
  'workspace:manage': {
    area: 'Workspace',
    label: 'Manage workspace',
    description: 'Rename the workspace, change its time zone, see every API key',
  },
  'users:read': { area: 'Team', label: 'See people', description: 'List the people in the workspace' },
  'users:manage': {
    area: 'Team',
    label: 'Manage people',
    description: 'Add, disable and delete people, change roles, reset passwords',
  },
  'apikeys:manage': { area: 'Team', label: 'API keys', description: 'Create and revoke API keys' },
  'sessions:manage': {
    area: 'Team',
    label: 'Manage sessions',
    description: "See and sign out anyone's devices",
  },
  'events:read': { area: 'Workspace', label: 'Activity log', description: 'Read the activity log' },
  'jobs:manage': { area: 'Workspace', label: 'Background jobs', description: 'Run and cancel background jobs' },
  'customers:read': { area: 'Customers', label: 'See customers', description: 'Read customer records' },
  'customers:write': { area: 'Customers', label: 'Edit customers', description: 'Create and update customers' },
  'tickets:read': { area: 'Inbox', label: 'See tickets', description: 'Read conversations and tickets' },
  'tickets:write': { area: 'Inbox', label: 'Work tickets', description: 'Reply to, assign and solve tickets' },
  'campaigns:read': { area: 'Campaigns', label: 'See campaigns', description: 'Read segments and campaigns' },
  'campaigns:write': {
    area: 'Campaigns',
    label: 'Run campaigns',
    description: 'Build segments, create and send campaigns',
  },
  'analytics:read': { area: 'Analytics', label: 'Analytics', description: 'Read dashboards and reports' },
};

export const roleLabels: Record<Role, string> = {
  owner: 'Owner',
  admin: 'Admin',
  agent: 'Agent',
  marketer: 'Marketer',
  analyst: 'Analyst',
  viewer: 'Viewer',
};

export const roleColors: Record<Role, string> = {
  owner: 'grape',
  admin: 'indigo',
  agent: 'teal',
  marketer: 'orange',
  analyst: 'cyan',
  viewer: 'gray',
};

/** Mirrors the server rule, only to hide choices it would refuse: only owners make or unmake owners. */
export function canAssignRole(actorRole: Role, from: Role | null, to: Role): boolean {
  if (actorRole === 'owner') return true;
  if (actorRole !== 'admin') return false;
  return to !== 'owner' && from !== 'owner';
}
