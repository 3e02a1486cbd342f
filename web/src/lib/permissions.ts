import type { Permission, Role } from '../api/types.ts';

/**
 * Plain words for each permission (role and API-key scope), grouped by the area of the product they open, each named
 * for what it grants. The users permissions are about the workspace's team (who signs in to Rapport), not customers,
 * who are "people" elsewhere in the product.
 */
export const permissionInfo: Record<Permission, { area: string; label: string; description: string }> = {
  'workspace:read': {
    area: 'Workspace',
    label: 'See workspace settings',
    description: 'Read the workspace name, time zone and settings, and background job status',
  },
  'workspace:manage': {
    area: 'Workspace',
    label: 'Manage workspace settings',
    description:
      'Change the workspace and the desk setup: channels, teams, SLA policies, rules, macros, webhooks, custom fields; see every API key',
  },
  'users:read': {
    area: 'Team',
    label: 'See team members',
    description: "List the workspace's users (who signs in to Rapport): names, e-mail addresses, roles",
  },
  'users:manage': {
    area: 'Team',
    label: 'Manage team members',
    description: "Add, disable and delete the workspace's users, change their roles, reset their passwords",
  },
  'apikeys:manage': { area: 'Team', label: 'Manage API keys', description: 'Create, list and revoke API keys' },
  'sessions:manage': {
    area: 'Team',
    label: 'Manage sign-in sessions',
    description: "See and sign out any user's devices",
  },
  'events:read': {
    area: 'Workspace',
    label: 'Read the activity log',
    description: 'Read the activity log of the workspace',
  },
  'jobs:manage': {
    area: 'Workspace',
    label: 'Background jobs',
    description: 'Reserved for running and canceling background jobs (no API uses it yet)',
  },
  'customers:read': {
    area: 'Customers',
    label: 'See customers',
    description: 'Read customers and companies, their orders and products; export them',
  },
  'customers:write': {
    area: 'Customers',
    label: 'Edit customers',
    description: 'Create, update, import and merge customers, companies, orders and products',
  },
  'tickets:read': {
    area: 'Inbox',
    label: 'See tickets',
    description: 'Read tickets and conversations, help-centre articles, macros and the desk setup',
  },
  'tickets:write': {
    area: 'Inbox',
    label: 'Work tickets',
    description: 'Reply to, assign and solve tickets, apply macros; write help-centre articles',
  },
  'campaigns:read': {
    area: 'Campaigns',
    label: 'See campaigns',
    description: 'Reserved for outreach: segments and campaigns (not built yet)',
  },
  'campaigns:write': {
    area: 'Campaigns',
    label: 'Run campaigns',
    description: 'Reserved for outreach: build segments, create and send campaigns (not built yet)',
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
