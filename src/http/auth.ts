import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../errors.ts';
import type { Actor } from '../domain/permissions.ts';
import { sessionCookieName, type AuthService } from '../modules/auth/auth.service.ts';

declare module 'fastify' {
  interface FastifyRequest {
    actor: Actor | null;
    sessionId: string | null;
  }
  interface FastifyContextConfig {
    /** Reachable without signing in (login, first-run setup, health). */
    public?: boolean;
  }
}

/**
 * Resolves who is calling: `Authorization: Bearer rpk_...` (API key) or the session cookie (console).
 * Every /api/v1 route needs one unless its config says `public: true`. Permissions are checked in services.
 */
export function registerAuth(app: FastifyInstance, auth: AuthService): void {
  app.decorateRequest('actor', null);
  app.decorateRequest('sessionId', null);
  app.addHook('onRequest', async (req) => {
    if (!req.url.startsWith('/api/v1/')) return;
    const header = req.headers.authorization;
    if (header) {
      const m = /^Bearer\s+(\S+)$/i.exec(header);
      if (!m?.[1]) throw new AppError('unauthenticated', 'The Authorization header must be "Bearer <api key>"');
      const actor = await auth.authenticateApiKey(m[1]);
      if (!actor) throw new AppError('unauthenticated', 'This API key is not valid, expired or revoked');
      req.actor = actor;
    } else {
      const token = req.cookies[sessionCookieName];
      if (token) {
        const s = await auth.authenticateSession(token);
        if (s) {
          req.actor = s.actor;
          req.sessionId = s.sessionId;
        }
      }
    }
    if (!req.actor && !req.routeOptions.config.public && req.routeOptions.url)
      throw new AppError('unauthenticated', 'Sign in or send an API key (Authorization: Bearer <key>)');
  });
}

export function requireActor(req: FastifyRequest): Actor {
  if (!req.actor) throw new AppError('unauthenticated', 'Sign in or send an API key (Authorization: Bearer <key>)');
  return req.actor;
}
