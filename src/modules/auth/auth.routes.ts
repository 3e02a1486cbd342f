import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../../errors.ts';
import { permissions } from '../../domain/permissions.ts';
import { requireActor } from '../../http/auth.ts';
import { errorResponses, noContentResponses, idParam, iso, isoDate } from '../../http/schemas.ts';
import { presentUser, userSchema, email } from '../users/users.schemas.ts';
import { findUser } from '../users/users.repository.ts';
import { presentWorkspace, workspaceSchema } from '../workspaces/workspaces.routes.ts';
import { findWorkspace } from '../workspaces/workspaces.repository.ts';
import type { Db } from '../../db/client.ts';
import { sessionCookieName, type AuthService } from './auth.service.ts';

export const meSchema = z
  .object({
    user: userSchema.nullable(),
    workspace: workspaceSchema,
    via: z.enum(['session', 'apikey', 'system']),
    role: z.string(),
    permissions: z.array(z.enum(permissions)),
  })
  .meta({ id: 'Me' });

export const sessionSchema = z
  .object({
    id: z.string(),
    userId: z.string(),
    current: z.boolean(),
    userAgent: z.string().nullable(),
    ip: z.string().nullable(),
    createdAt: isoDate,
    lastSeenAt: isoDate,
    expiresAt: isoDate,
  })
  .meta({ id: 'Session' });

export const setupBody = z.object({
  workspaceName: z.string().trim().min(1, 'must not be empty').max(200),
  name: z.string().trim().min(1, 'must not be empty').max(200),
  email,
  password: z.string().max(256),
  timezone: z.string().min(1).max(64).optional(),
});

export const loginBody = z.object({
  email: z.string().trim().min(1, 'must not be empty').max(320),
  password: z.string().min(1, 'must not be empty').max(256),
  workspace: z.string().trim().max(100).optional().describe('Workspace slug, when the email is in several'),
});

const sessionMaxAge = 14 * 24 * 60 * 60;

export const authRoutes =
  (deps: { auth: AuthService; db: Db; secureCookies: boolean | 'auto' }): FastifyPluginAsync =>
  async (app) => {
    const { auth, db } = deps;
    const r = app.withTypeProvider<ZodTypeProvider>();
    const tags = ['Sign-in and sessions'];

    function setSessionCookie(req: FastifyRequest, reply: FastifyReply, token: string) {
      const secure = deps.secureCookies === 'auto' ? req.protocol === 'https' : deps.secureCookies;
      reply.setCookie(sessionCookieName, token, {
        httpOnly: true,
        sameSite: 'lax',
        secure,
        path: '/',
        maxAge: sessionMaxAge,
      });
    }

    async function me(req: FastifyRequest): Promise<z.infer<typeof meSchema>> {
      const actor = requireActor(req);
      const workspace = await findWorkspace(db, actor.workspaceId);
      if (!workspace) throw AppError.notFound('Workspace');
      const user = actor.userId ? await findUser(db, actor.workspaceId, actor.userId) : null;
      return {
        user: user ? presentUser(user) : null,
        workspace: presentWorkspace(workspace),
        via: actor.kind === 'user' ? 'session' : actor.kind,
        role: actor.role,
        permissions: permissions.filter((p) => actor.permissions.has(p)),
      };
    }

    const loginLimit = {
      max: 10,
      timeWindow: '1 minute',
      // After the body is parsed, so the key can include the email (on onRequest, the default, it never did).
      hook: 'preValidation' as const,
      keyGenerator: (req: FastifyRequest) => {
        const body = req.body as { email?: unknown } | undefined;
        return `${req.ip}|${typeof body?.email === 'string' ? body.email.toLowerCase() : ''}`;
      },
    };

    r.get(
      '/setup',
      {
        config: { public: true },
        schema: {
          tags,
          summary: 'Whether Rapport still needs its first-run setup',
          response: { 200: z.object({ needed: z.boolean() }) },
        },
      },
      async () => ({ needed: await auth.setupNeeded() }),
    );

    r.post(
      '/setup',
      {
        config: { public: true, rateLimit: loginLimit },
        schema: {
          tags,
          summary: 'First run: create the workspace and its owner, and sign in',
          body: setupBody,
          response: { 201: meSchema, ...errorResponses },
        },
      },
      async (req, reply) => {
        const b = req.body;
        await auth.createWorkspace(
          {
            workspaceName: b.workspaceName,
            ownerName: b.name,
            ownerEmail: b.email,
            password: b.password,
            timezone: b.timezone,
          },
          { firstRunOnly: true },
        );
        const { token } = await auth.login({
          email: b.email,
          password: b.password,
          userAgent: req.headers['user-agent'],
          ip: req.ip,
        });
        setSessionCookie(req, reply, token);
        const s = await auth.authenticateSession(token);
        req.actor = s?.actor ?? null;
        return reply.status(201).send(await me(req));
      },
    );

    r.post(
      '/auth/login',
      {
        config: { public: true, rateLimit: loginLimit },
        schema: {
          tags,
          summary: 'Sign in with email and password (sets the session cookie)',
          body: loginBody,
          response: { 200: meSchema, ...errorResponses },
        },
      },
      async (req, reply) => {
        const { token } = await auth.login({ ...req.body, userAgent: req.headers['user-agent'], ip: req.ip });
        setSessionCookie(req, reply, token);
        const s = await auth.authenticateSession(token);
        req.actor = s?.actor ?? null;
        return me(req);
      },
    );

    r.post(
      '/auth/logout',
      {
        config: { public: true },
        schema: { tags, summary: 'Sign out (ends this session)', response: noContentResponses },
      },
      async (req, reply) => {
        const token = req.cookies[sessionCookieName];
        if (token) await auth.logout(token);
        reply.clearCookie(sessionCookieName, { path: '/' });
        return reply.status(204).send(null);
      },
    );

    r.get(
      '/me',
      {
        schema: {
          tags,
          summary: 'Who is calling: user, workspace, role and permissions',
          response: { 200: meSchema, ...errorResponses },
        },
      },
      async (req) => me(req),
    );

    r.get(
      '/sessions',
      {
        schema: {
          tags,
          summary: 'Live sessions: your own, or with all=true everyone’s (sessions:manage)',
          querystring: z.object({ all: z.enum(['true', 'false']).optional() }),
          response: { 200: z.object({ data: z.array(sessionSchema) }), ...errorResponses },
        },
      },
      async (req) => {
        const list = await auth.listSessions(requireActor(req), req.query.all === 'true');
        return {
          data: list.map((s) => ({
            id: s.id,
            userId: s.userId,
            current: s.id === req.sessionId,
            userAgent: s.userAgent,
            ip: s.ip,
            createdAt: s.createdAt.toISOString(),
            lastSeenAt: s.lastSeenAt.toISOString(),
            expiresAt: iso(s.expiresAt) ?? '',
          })),
        };
      },
    );

    r.delete(
      '/sessions/:id',
      {
        schema: {
          tags,
          summary: 'Revoke a session (sign a device out)',
          params: idParam,
          response: noContentResponses,
        },
      },
      async (req, reply) => {
        await auth.revokeSession(requireActor(req), req.params.id);
        return reply.status(204).send(null);
      },
    );
  };
