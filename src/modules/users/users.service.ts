import crypto from 'node:crypto';
import type { Db } from '../../db/client.ts';
import { newId } from '../../db/ids.ts';
import { AppError } from '../../errors.ts';
import { appendEvent } from '../../events/events.ts';
import { canAssignRole, isRole, type Actor, type Role } from '../../domain/permissions.ts';
import { parseListQuery } from '../../domain/list-query.ts';
import { assertCan } from '../auth/access.ts';
import { revokeUserSessions } from '../auth/auth.repository.ts';
import { checkPasswordStrength, validEmail, validName, type AuthService } from '../auth/auth.service.ts';
import { hashPassword, verifyPassword } from '../auth/passwords.ts';
import {
  countActiveOwners,
  deleteUser,
  findUser,
  findUserByEmail,
  insertUser,
  listUsers,
  updateUser,
  userFields,
  type UserRow,
} from './users.repository.ts';

export type ListParams = {
  limit?: number | undefined;
  cursor?: string | undefined;
  sort?: string | undefined;
  filter?: string | string[] | undefined;
};

export type UsersService = ReturnType<typeof createUsersService>;

export function createUsersService(deps: { db: Db; auth: AuthService }) {
  const { db, auth } = deps;

  async function mustFind(actor: Actor, id: string): Promise<UserRow> {
    const u = await findUser(db, actor.workspaceId, id);
    if (!u) throw AppError.notFound('User', id);
    return u;
  }

  /** Refuses changes that would leave the workspace without an active owner. */
  async function keepAnOwner(actor: Actor, target: UserRow, next: { role?: Role; status?: string; deleted?: boolean }) {
    const losesOwner =
      target.role === 'owner' &&
      target.status === 'active' &&
      (next.deleted || (next.role && next.role !== 'owner') || (next.status && next.status !== 'active'));
    if (losesOwner && (await countActiveOwners(db, actor.workspaceId)) <= 1)
      throw new AppError('conflict', 'A workspace needs at least one active owner; make someone else owner first');
  }

  return {
    async list(actor: Actor, params: ListParams) {
      assertCan(actor, 'users:read');
      const q = parseListQuery(params, userFields, { field: 'created_at', direction: 'asc' });
      return listUsers(db, actor.workspaceId, q);
    },

    async get(actor: Actor, id: string): Promise<UserRow> {
      if (actor.userId !== id) assertCan(actor, 'users:read');
      return mustFind(actor, id);
    },

    /** Adds a user. Without a password, a one-time temporary password is generated and returned once. */
    async create(
      actor: Actor,
      input: { email: string; name: string; role: Role; password?: string | undefined },
    ): Promise<{ user: UserRow; temporaryPassword: string | null }> {
      assertCan(actor, 'users:manage');
      if (!canAssignRole(actor.role, null, input.role))
        throw new AppError('forbidden', `Your role cannot add a user with the role "${input.role}"`);
      const email = validEmail(input.email);
      const name = validName(input.name, 'The name', 'name');
      const temporaryPassword = input.password ? null : crypto.randomBytes(12).toString('base64url');
      const password = input.password ?? (temporaryPassword as string);
      checkPasswordStrength(password);
      const passwordHash = await hashPassword(password);
      const user = await db.transaction(async (tx) => {
        if (await findUserByEmail(tx, actor.workspaceId, email))
          throw new AppError('conflict', `A user with the email ${email} already exists in this workspace`, {
            field: 'email',
          });
        const u = await insertUser(tx, {
          workspaceId: actor.workspaceId,
          id: newId(),
          email,
          name,
          role: input.role,
          passwordHash,
        });
        await appendEvent(tx, actor, {
          type: 'user.created',
          subjectType: 'user',
          subjectId: u.id,
          payload: { email, role: input.role },
        });
        return u;
      });
      return { user, temporaryPassword };
    },

    async update(
      actor: Actor,
      id: string,
      input: { name?: string | undefined; role?: Role | undefined; status?: 'active' | 'disabled' | undefined },
    ): Promise<UserRow> {
      const self = actor.userId === id;
      const changesAccess = input.role !== undefined || input.status !== undefined;
      if (!self || changesAccess) assertCan(actor, 'users:manage');
      const target = await mustFind(actor, id);
      const from = isRole(target.role) ? target.role : null;
      if (input.role !== undefined && input.role !== target.role && !canAssignRole(actor.role, from, input.role))
        throw new AppError('forbidden', 'Only an owner can give or take away the owner role');
      if (input.status !== undefined && target.role === 'owner' && actor.role !== 'owner')
        throw new AppError('forbidden', 'Only an owner can disable an owner');
      await keepAnOwner(actor, target, {
        ...(input.role ? { role: input.role } : {}),
        ...(input.status ? { status: input.status } : {}),
      });
      const changes: Record<string, { from: unknown; to: unknown }> = {};
      if (input.name !== undefined && input.name.trim() !== target.name)
        changes.name = { from: target.name, to: input.name.trim() };
      if (input.role !== undefined && input.role !== target.role) changes.role = { from: target.role, to: input.role };
      if (input.status !== undefined && input.status !== target.status)
        changes.status = { from: target.status, to: input.status };
      if (!Object.keys(changes).length) return target;
      const updated = await db.transaction(async (tx) => {
        const u = await updateUser(tx, actor.workspaceId, id, {
          ...(changes.name ? { name: input.name?.trim() } : {}),
          ...(changes.role ? { role: input.role } : {}),
          ...(changes.status ? { status: input.status } : {}),
        });
        if (!u) throw AppError.notFound('User', id);
        if (changes.status && input.status === 'disabled') await revokeUserSessions(tx, actor.workspaceId, id);
        await appendEvent(tx, actor, {
          type: 'user.updated',
          subjectType: 'user',
          subjectId: id,
          payload: { changes },
        });
        return u;
      });
      if (changes.role || changes.status)
        auth.forget(
          (v) => ('user' in v ? v.user.id === id : false) || ('apiKeyId' in v && v.workspaceId === actor.workspaceId),
        );
      return updated;
    },

    /** Own password with the current one; anyone's with users:manage. Other sessions of that user end. */
    async setPassword(
      actor: Actor,
      id: string,
      input: { currentPassword?: string | undefined; newPassword: string },
    ): Promise<void> {
      const target = await mustFind(actor, id);
      const self = actor.userId === id;
      if (self && actor.kind === 'user') {
        if (
          !input.currentPassword ||
          !target.passwordHash ||
          !(await verifyPassword(target.passwordHash, input.currentPassword))
        )
          throw new AppError('validation_failed', 'The current password is not right', { field: 'currentPassword' });
      } else {
        assertCan(actor, 'users:manage');
        if (target.role === 'owner' && actor.role !== 'owner')
          throw new AppError('forbidden', "Only an owner can reset an owner's password");
      }
      checkPasswordStrength(input.newPassword);
      const passwordHash = await hashPassword(input.newPassword);
      await db.transaction(async (tx) => {
        await updateUser(tx, actor.workspaceId, id, { passwordHash });
        if (!self) await revokeUserSessions(tx, actor.workspaceId, id);
        await appendEvent(tx, actor, { type: 'user.password_changed', subjectType: 'user', subjectId: id });
      });
      if (!self) auth.forget((v) => 'user' in v && v.user.id === id);
    },

    async remove(actor: Actor, id: string): Promise<void> {
      assertCan(actor, 'users:manage');
      if (actor.userId === id) throw new AppError('conflict', 'You cannot delete yourself; ask another admin');
      const target = await mustFind(actor, id);
      if (target.role === 'owner' && actor.role !== 'owner')
        throw new AppError('forbidden', 'Only an owner can delete an owner');
      await keepAnOwner(actor, target, { deleted: true });
      await db.transaction(async (tx) => {
        await deleteUser(tx, actor.workspaceId, id);
        await appendEvent(tx, actor, {
          type: 'user.deleted',
          subjectType: 'user',
          subjectId: id,
          payload: { email: target.email },
        });
      });
      auth.forget((v) => ('user' in v && v.user.id === id) || ('apiKeyId' in v && v.workspaceId === actor.workspaceId));
    },
  };
}
