import { sql } from 'drizzle-orm';
import type { Db, DbOrTx } from '../../db/client.ts';
import { newId } from '../../db/ids.ts';
import { AppError } from '../../errors.ts';
import { appendEvent } from '../../events/events.ts';
import {
  effectiveKeyPermissions,
  isRole,
  rolePermissions,
  systemActor,
  type Actor,
  type Role,
} from '../../domain/permissions.ts';
import { isTimeZone } from '../../domain/customers.ts';
import { email as emailSchema } from '../users/users.schemas.ts';
import { findApiKey, touchApiKey } from '../apikeys/apikeys.repository.ts';
import { findActiveUsersByEmail, findUser, insertUser, updateUser, type UserRow } from '../users/users.repository.ts';
import {
  countWorkspaces,
  findWorkspace,
  findWorkspaceBySlug,
  insertWorkspace,
  type WorkspaceRow,
} from '../workspaces/workspaces.repository.ts';
import {
  findSession,
  insertSession,
  listLiveSessions,
  revokeSession,
  touchSession,
  type SessionRow,
} from './auth.repository.ts';
import { hashPassword, minPasswordLength, verifyAgainstDummy, verifyPassword } from './passwords.ts';
import { createToken, parseToken, secretMatches } from './tokens.ts';
import { assertCan } from './access.ts';

export const sessionCookieName = 'rapport_session';
const sessionTtlMs = 14 * 24 * 60 * 60 * 1000;
/** How long a verified token is trusted without asking the database again (also how late a revocation may bite on another instance). */
const authCacheMs = 10_000;
/** last_seen_at / last_used_at are written at most this often per session or key. */
const touchEveryMs = 60_000;

export type NewWorkspaceInput = {
  workspaceName: string;
  slug?: string | undefined;
  ownerName: string;
  ownerEmail: string;
  password: string;
  timezone?: string | undefined;
};

export type SignedIn = { actor: Actor; user: UserRow };

export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

/**
 * An email address as stored (trimmed, lower case), or a validation error: the same rule as the API's schema
 * (users.schemas.ts), so the CLI and the services refuse what the API refuses.
 */
export function validEmail(raw: string): string {
  const email = normaliseEmail(raw);
  if (!email) throw new AppError('validation_failed', 'The email must not be empty', { field: 'email' });
  if (!emailSchema.safeParse(email).success)
    throw new AppError('validation_failed', `"${raw.trim()}" is not an email address`, { field: 'email' });
  return email;
}

/** A person's or a workspace's name, trimmed: 1 to 200 characters. */
export function validName(raw: string, what: string, field: string): string {
  const name = raw.trim();
  if (!name) throw new AppError('validation_failed', `${what} must not be empty`, { field });
  if (name.length > 200) throw new AppError('validation_failed', `${what} must have at most 200 characters`, { field });
  return name;
}

/** A workspace slug as given: already lowercase letters, digits and single dashes (slugify's output), else refused. */
export function checkSlug(slug: string): string {
  if (slug !== slugify(slug) || !slug)
    throw new AppError(
      'validation_failed',
      `"${slug}" is not a slug: use lowercase letters, digits and dashes, at most 40 (e.g. "${slugify(slug)}")`,
      { field: 'slug' },
    );
  return slug;
}

/** An IANA time zone (e.g. Europe/Paris), else a validation error naming it. */
export function checkTimeZone(tz: string): string {
  if (!isTimeZone(tz))
    throw new AppError('validation_failed', `"${tz}" is not an IANA time zone (e.g. Europe/Paris)`, {
      field: 'timezone',
    });
  return tz;
}

export function slugify(name: string): string {
  const s = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40);
  return s || 'workspace';
}

export function checkPasswordStrength(password: string): void {
  if (password.length < minPasswordLength)
    throw new AppError('validation_failed', `The password must have at least ${minPasswordLength} characters`, {
      field: 'password',
    });
  if (password.length > 256)
    throw new AppError('validation_failed', 'The password must have at most 256 characters', { field: 'password' });
}

export function userActor(user: UserRow): Actor {
  const role: Role = isRole(user.role) ? user.role : 'viewer';
  return {
    workspaceId: user.workspaceId,
    kind: 'user',
    userId: user.id,
    apiKeyId: null,
    role,
    permissions: new Set(rolePermissions[role]),
  };
}

export type AuthService = ReturnType<typeof createAuthService>;

export function createAuthService(deps: { db: Db }) {
  const { db } = deps;
  const cache = new Map<string, { value: SignedIn | Actor; until: number }>();
  const lastTouch = new Map<string, number>();

  function cached<T extends SignedIn | Actor>(token: string): T | null {
    const hit = cache.get(token);
    if (!hit) return null;
    if (hit.until < Date.now()) {
      cache.delete(token);
      return null;
    }
    return hit.value as T;
  }

  function remember(token: string, value: SignedIn | Actor): void {
    if (cache.size > 10_000) cache.clear();
    cache.set(token, { value, until: Date.now() + authCacheMs });
  }

  /** Drops cached tokens matching a predicate (after revocation, role change, disable). */
  function forget(pred: (v: SignedIn | Actor) => boolean): void {
    for (const [k, v] of cache) if (pred(v.value)) cache.delete(k);
  }

  function shouldTouch(key: string): boolean {
    const now = Date.now();
    const last = lastTouch.get(key) ?? 0;
    if (now - last < touchEveryMs) return false;
    if (lastTouch.size > 10_000) lastTouch.clear();
    lastTouch.set(key, now);
    return true;
  }

  async function uniqueSlug(tx: DbOrTx, base: string): Promise<string> {
    let slug = base;
    for (let i = 2; await findWorkspaceBySlug(tx, slug); i++) slug = `${base}-${i}`;
    return slug;
  }

  return {
    forget,

    async setupNeeded(): Promise<boolean> {
      return (await countWorkspaces(db)) === 0;
    },

    /**
     * Creates a workspace and its first owner. The first-run page may do this only while no workspace exists;
     * the operator's CLI (`rapport init`) may add more.
     */
    async createWorkspace(
      input: NewWorkspaceInput,
      opts: { firstRunOnly: boolean },
    ): Promise<{ workspace: WorkspaceRow; user: UserRow }> {
      // Everything checked before anything is written: the CLI, the first-run page and the API refuse the same input.
      const workspaceName = validName(input.workspaceName, 'The workspace name', 'workspaceName');
      const ownerName = validName(input.ownerName, "The owner's name", 'name');
      const email = validEmail(input.ownerEmail);
      const timezone = checkTimeZone(input.timezone ?? 'UTC');
      if (input.slug !== undefined) checkSlug(input.slug);
      checkPasswordStrength(input.password);
      const passwordHash = await hashPassword(input.password);
      return db.transaction(async (tx) => {
        if (opts.firstRunOnly) {
          // Serialise concurrent first-run attempts: only one can create the first workspace.
          await tx.execute(sql`select pg_advisory_xact_lock(727275)`);
          if ((await countWorkspaces(tx)) > 0)
            throw new AppError('conflict', 'Rapport is already set up; sign in instead');
        }
        const slug = input.slug ?? (await uniqueSlug(tx, slugify(workspaceName)));
        if (input.slug && (await findWorkspaceBySlug(tx, slug)))
          throw new AppError('conflict', `A workspace with the slug "${slug}" already exists`, { field: 'slug' });
        const workspace = await insertWorkspace(tx, {
          id: newId(),
          slug,
          name: workspaceName,
          timezone,
        });
        const user = await insertUser(tx, {
          workspaceId: workspace.id,
          id: newId(),
          email,
          name: ownerName,
          passwordHash,
          role: 'owner',
        });
        const sys = systemActor(workspace.id);
        await appendEvent(tx, sys, {
          type: 'workspace.created',
          subjectType: 'workspace',
          subjectId: workspace.id,
          payload: { name: workspace.name, slug },
        });
        await appendEvent(tx, sys, {
          type: 'user.created',
          subjectType: 'user',
          subjectId: user.id,
          payload: { email, role: 'owner' },
        });
        return { workspace, user };
      });
    },

    async login(input: {
      email: string;
      password: string;
      workspace?: string | undefined;
      userAgent?: string | undefined;
      ip?: string | undefined;
    }): Promise<{ token: string; session: SessionRow; user: UserRow; workspace: WorkspaceRow }> {
      const email = normaliseEmail(input.email);
      let candidates = await findActiveUsersByEmail(db, email);
      if (input.workspace) {
        const ws = await findWorkspaceBySlug(db, input.workspace);
        candidates = candidates.filter((u) => u.workspaceId === ws?.id);
      }
      const matches: UserRow[] = [];
      for (const u of candidates)
        if (u.passwordHash && (await verifyPassword(u.passwordHash, input.password))) matches.push(u);
      if (!candidates.length) await verifyAgainstDummy(input.password);
      if (!matches.length) throw new AppError('unauthenticated', 'The email or password is not right');
      if (matches.length > 1) {
        const slugs: string[] = [];
        for (const m of matches) {
          const ws = await findWorkspace(db, m.workspaceId);
          if (ws) slugs.push(ws.slug);
        }
        throw new AppError('bad_request', 'This email belongs to several workspaces; choose one', {
          field: 'workspace',
          workspaces: slugs,
        });
      }
      const user = matches[0] as UserRow;
      const workspace = await findWorkspace(db, user.workspaceId);
      if (!workspace) throw new AppError('unauthenticated', 'The email or password is not right');
      const id = newId();
      const { token, secretHash } = createToken('rps', user.workspaceId, id);
      const session = await db.transaction(async (tx) => {
        const s = await insertSession(tx, {
          workspaceId: user.workspaceId,
          id,
          userId: user.id,
          secretHash,
          userAgent: input.userAgent?.slice(0, 500) ?? null,
          ip: input.ip ?? null,
          expiresAt: new Date(Date.now() + sessionTtlMs),
        });
        await updateUser(tx, user.workspaceId, user.id, { lastLoginAt: new Date() });
        await appendEvent(tx, userActor(user), {
          type: 'session.created',
          subjectType: 'user',
          subjectId: user.id,
          payload: { sessionId: id, ip: input.ip ?? null },
        });
        return s;
      });
      return { token, session, user, workspace };
    },

    async logout(token: string): Promise<void> {
      const parts = parseToken('rps', token);
      cache.delete(token);
      if (!parts) return;
      const s = await findSession(db, parts.workspaceId, parts.id);
      if (s && secretMatches(parts.secret, s.secretHash)) await revokeSession(db, parts.workspaceId, parts.id);
    },

    async authenticateSession(token: string): Promise<(SignedIn & { sessionId: string }) | null> {
      const hit = cached<SignedIn & { sessionId: string }>(token);
      if (hit) return hit;
      const parts = parseToken('rps', token);
      if (!parts) return null;
      const s = await findSession(db, parts.workspaceId, parts.id);
      if (!s || s.revokedAt || s.expiresAt.getTime() < Date.now() || !secretMatches(parts.secret, s.secretHash))
        return null;
      const user = await findUser(db, s.workspaceId, s.userId);
      if (!user || user.status !== 'active') return null;
      if (shouldTouch(s.id)) await touchSession(db, s.workspaceId, s.id, new Date(Date.now() + sessionTtlMs));
      const value = { actor: userActor(user), user, sessionId: s.id };
      remember(token, value);
      return value;
    },

    async authenticateApiKey(token: string): Promise<Actor | null> {
      const hit = cached<Actor>(token);
      if (hit) {
        if (hit.apiKeyId && shouldTouch(hit.apiKeyId))
          void touchApiKey(db, hit.workspaceId, hit.apiKeyId, new Date()).catch(() => undefined);
        return hit;
      }
      const parts = parseToken('rpk', token);
      if (!parts) return null;
      const key = await findApiKey(db, parts.workspaceId, parts.id);
      if (!key || key.revokedAt || (key.expiresAt && key.expiresAt.getTime() < Date.now())) return null;
      if (!secretMatches(parts.secret, key.secretHash)) return null;
      const creator = await findUser(db, key.workspaceId, key.createdBy);
      if (!creator || creator.status !== 'active' || !isRole(creator.role)) return null;
      const actor: Actor = {
        workspaceId: key.workspaceId,
        kind: 'apikey',
        userId: null,
        apiKeyId: key.id,
        role: creator.role,
        permissions: effectiveKeyPermissions(key.scopes, creator.role),
      };
      if (shouldTouch(key.id)) await touchApiKey(db, key.workspaceId, key.id, new Date());
      remember(token, actor);
      return actor;
    },

    /** A user's own live sessions; with `all`, everyone's in the workspace (needs sessions:manage). */
    async listSessions(actor: Actor, all: boolean): Promise<SessionRow[]> {
      if (all || !actor.userId) assertCan(actor, 'sessions:manage');
      return listLiveSessions(db, actor.workspaceId, all ? null : actor.userId);
    },

    async revokeSession(actor: Actor, id: string): Promise<void> {
      const s = await findSession(db, actor.workspaceId, id);
      if (!s || s.revokedAt) throw AppError.notFound('Session', id);
      if (s.userId !== actor.userId) {
        assertCan(actor, 'sessions:manage');
        // As with disabling, resetting or deleting: an admin does not sign an owner out.
        if (actor.role !== 'owner' && (await findUser(db, actor.workspaceId, s.userId))?.role === 'owner')
          throw new AppError('forbidden', "Only an owner can end an owner's session");
      }
      await db.transaction(async (tx) => {
        await revokeSession(tx, actor.workspaceId, id);
        await appendEvent(tx, actor, {
          type: 'session.revoked',
          subjectType: 'user',
          subjectId: s.userId,
          payload: { sessionId: id },
        });
      });
      forget((v) => 'sessionId' in v && v.sessionId === id);
    },
  };
}
