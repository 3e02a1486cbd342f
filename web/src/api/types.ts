/** The shapes the API answers with (see /api/openapi.json). Hand-written so no server code reaches the bundle. */

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

export type UserStatus = 'active' | 'disabled';

export type User = {
  id: string;
  email: string;
  name: string;
  role: Role;
  status: UserStatus;
  lastLoginAt: string | null;
  createdAt: string;
  updatedAt: string;
};

export type Workspace = {
  id: string;
  slug: string;
  name: string;
  timezone: string;
  /** The lifecycle stages in order (names configurable per workspace). */
  lifecycleStages?: Array<{ key: string; label: string }>;
  createdAt: string;
};

export type Me = {
  user: User | null;
  workspace: Workspace;
  via: 'session' | 'apikey' | 'system';
  role: Role;
  permissions: Permission[];
};

export type Session = {
  id: string;
  userId: string;
  current: boolean;
  userAgent: string | null;
  ip: string | null;
  createdAt: string;
  lastSeenAt: string;
  expiresAt: string;
};

export type ApiKey = {
  id: string;
  name: string;
  prefix: string;
  scopes: string[];
  createdBy: string;
  createdAt: string;
  lastUsedAt: string | null;
  expiresAt: string | null;
  revokedAt: string | null;
};

export type RoleInfo = { name: Role; description: string; permissions: Permission[] };

export type EventEntry = {
  id: string;
  seq: number;
  type: string;
  subjectType: string;
  subjectId: string;
  actorType: string;
  actorId: string | null;
  payload: Record<string, unknown>;
  occurredAt: string;
};

export type Page<T> = { data: T[]; page: { nextCursor: string | null; limit: number } };
export type EventPage = { data: EventEntry[]; page: { nextBefore: number | null; limit: number } };
