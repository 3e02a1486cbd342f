import type { Db } from '../../db/client.ts';
import { newId } from '../../db/ids.ts';
import { AppError } from '../../errors.ts';
import { appendEvent } from '../../events/events.ts';
import { can, isPermission, type Actor } from '../../domain/permissions.ts';
import { assertCan } from '../auth/access.ts';
import type { AuthService } from '../auth/auth.service.ts';
import { createToken } from '../auth/tokens.ts';
import { findUser } from '../users/users.repository.ts';
import { findApiKey, insertApiKey, listApiKeys, revokeApiKey, type ApiKeyRow } from './apikeys.repository.ts';

export type ApiKeysService = ReturnType<typeof createApiKeysService>;

export function createApiKeysService(deps: { db: Db; auth: AuthService }) {
  const { db, auth } = deps;
  return {
    /** The key is returned here once; only its hash is kept. Scopes cannot exceed the creator's own permissions. */
    async create(
      actor: Actor,
      input: { name: string; scopes: string[]; expiresAt?: Date | null | undefined },
    ): Promise<{ key: ApiKeyRow; token: string }> {
      assertCan(actor, 'apikeys:manage');
      if (actor.kind !== 'user' || !actor.userId)
        throw new AppError('forbidden', 'API keys are created by a signed-in user, not by another API key');
      const unknown = input.scopes.filter((s) => !isPermission(s));
      if (unknown.length)
        throw new AppError('validation_failed', `Unknown scopes: ${unknown.join(', ')}`, { field: 'scopes', unknown });
      const beyond = input.scopes.filter((s) => isPermission(s) && !can(actor, s));
      if (beyond.length)
        throw new AppError(
          'forbidden',
          `Your role does not have these permissions, so a key of yours cannot either: ${beyond.join(', ')}`,
          {
            field: 'scopes',
            beyond,
          },
        );
      if (input.expiresAt && input.expiresAt.getTime() <= Date.now())
        throw new AppError('validation_failed', 'The expiry date must be in the future', { field: 'expiresAt' });
      const id = newId();
      const { token, secretHash } = createToken('rpk', actor.workspaceId, id);
      const userId = actor.userId;
      const key = await db.transaction(async (tx) => {
        const k = await insertApiKey(tx, {
          workspaceId: actor.workspaceId,
          id,
          name: input.name.trim(),
          // The start of every key of a workspace is the same (it encodes the workspace id): show the end instead.
          prefix: `rpk_…${token.slice(-6)}`,
          secretHash,
          scopes: [...new Set(input.scopes)],
          createdBy: userId,
          expiresAt: input.expiresAt ?? null,
        });
        await appendEvent(tx, actor, {
          type: 'apikey.created',
          subjectType: 'apikey',
          subjectId: id,
          payload: { name: k.name, scopes: k.scopes },
        });
        return k;
      });
      return { key, token };
    },

    /** Admins see every key of the workspace; others see the keys they made. */
    async list(actor: Actor, includeRevoked: boolean): Promise<ApiKeyRow[]> {
      assertCan(actor, 'apikeys:manage');
      const all = await listApiKeys(db, actor.workspaceId, includeRevoked);
      return can(actor, 'workspace:manage') ? all : all.filter((k) => k.createdBy === actor.userId);
    },

    async revoke(actor: Actor, id: string): Promise<ApiKeyRow> {
      assertCan(actor, 'apikeys:manage');
      const key = await findApiKey(db, actor.workspaceId, id);
      if (!key || (key.createdBy !== actor.userId && !can(actor, 'workspace:manage')))
        throw AppError.notFound('API key', id);
      // As with disabling, resetting or deleting: an admin does not cut off an owner's integrations.
      if (
        key.createdBy &&
        key.createdBy !== actor.userId &&
        actor.role !== 'owner' &&
        (await findUser(db, actor.workspaceId, key.createdBy))?.role === 'owner'
      )
        throw new AppError('forbidden', "Only an owner can revoke an owner's API key");
      if (key.revokedAt) throw new AppError('conflict', 'This API key is already revoked');
      const revoked = await db.transaction(async (tx) => {
        const k = await revokeApiKey(tx, actor.workspaceId, id);
        if (!k) throw AppError.notFound('API key', id);
        await appendEvent(tx, actor, {
          type: 'apikey.revoked',
          subjectType: 'apikey',
          subjectId: id,
          payload: { name: k.name },
        });
        return k;
      });
      auth.forget((v) => 'apiKeyId' in v && v.apiKeyId === id);
      return revoked;
    },
  };
}
