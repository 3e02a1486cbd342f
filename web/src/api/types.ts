/** The shapes the API answers with (see /api/openapi.json). Hand-written so no server code reaches the bundle. */

// Roles and permissions come from the server's own pure module (no server code: it imports nothing).
import type { Permission, Role } from '../../../src/domain/permissions.ts';
export { permissions, roles, type Permission, type Role } from '../../../src/domain/permissions.ts';

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
