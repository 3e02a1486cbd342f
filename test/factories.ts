import crypto from 'node:crypto';
import { createServices, type Services } from '../src/services.ts';
import { userActor } from '../src/modules/auth/auth.service.ts';
import type { Actor, Permission, Role } from '../src/domain/permissions.ts';
import { rolePermissions } from '../src/domain/permissions.ts';
import type { UserRow } from '../src/modules/users/users.repository.ts';
import type { WorkspaceRow } from '../src/modules/workspaces/workspaces.repository.ts';

export const testPassword = 'correct-horse-battery';

function unique(): string {
  return crypto.randomBytes(4).toString('hex');
}

export type TestWorkspace = { workspace: WorkspaceRow; owner: UserRow; ownerActor: Actor };

/** A workspace with its owner. Overrides are optional; everything missing is made up. */
export async function makeWorkspace(
  services: Services,
  overrides: { name?: string; ownerEmail?: string; password?: string } = {},
): Promise<TestWorkspace> {
  const id = unique();
  const { workspace, user } = await services.auth.createWorkspace(
    {
      workspaceName: overrides.name ?? `Workspace ${id}`,
      ownerName: `Owner ${id}`,
      ownerEmail: overrides.ownerEmail ?? `owner-${id}@example.com`,
      password: overrides.password ?? testPassword,
    },
    { firstRunOnly: false },
  );
  return { workspace, owner: user, ownerActor: userActor(user) };
}

/** A user of the given role in the workspace (creates the workspace when not given). */
export async function makeUser(
  services: Services,
  ws: TestWorkspace,
  overrides: { role?: Role; email?: string; name?: string; password?: string } = {},
): Promise<{ user: UserRow; actor: Actor }> {
  const id = unique();
  const { user } = await services.users.create(ws.ownerActor, {
    email: overrides.email ?? `user-${id}@example.com`,
    name: overrides.name ?? `User ${id}`,
    role: overrides.role ?? 'agent',
    password: overrides.password ?? testPassword,
  });
  return { user, actor: userActor(user) };
}

/** An API key for a user (the owner by default) with the given scopes (the user's own permissions by default). */
export async function makeApiKey(
  services: Services,
  ws: TestWorkspace,
  overrides: { actor?: Actor; scopes?: Permission[]; name?: string } = {},
): Promise<string> {
  const actor = overrides.actor ?? ws.ownerActor;
  const { token } = await services.apiKeys.create(actor, {
    name: overrides.name ?? `key ${unique()}`,
    scopes: overrides.scopes ?? [...rolePermissions[actor.role]],
  });
  return token;
}

export { createServices };
