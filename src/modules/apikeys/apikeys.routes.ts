import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { permissions } from '../../domain/permissions.ts';
import { requireActor } from '../../http/auth.ts';
import { errorResponses, idParam, iso, isoDate } from '../../http/schemas.ts';
import type { ApiKeyRow } from './apikeys.repository.ts';
import type { ApiKeysService } from './apikeys.service.ts';

export const apiKeySchema = z
  .object({
    id: z.string(),
    name: z.string(),
    prefix: z.string().describe('The last characters of the key, to tell keys apart'),
    scopes: z.array(z.string()),
    createdBy: z.string(),
    createdAt: isoDate,
    lastUsedAt: isoDate.nullable(),
    expiresAt: isoDate.nullable(),
    revokedAt: isoDate.nullable(),
  })
  .meta({ id: 'ApiKey' });

export function presentApiKey(k: ApiKeyRow): z.infer<typeof apiKeySchema> {
  return {
    id: k.id,
    name: k.name,
    prefix: k.prefix,
    scopes: k.scopes,
    createdBy: k.createdBy,
    createdAt: k.createdAt.toISOString(),
    lastUsedAt: iso(k.lastUsedAt),
    expiresAt: iso(k.expiresAt),
    revokedAt: iso(k.revokedAt),
  };
}

export const createApiKeyBody = z.object({
  name: z.string().trim().min(1, 'must not be empty').max(100),
  scopes: z.array(z.enum(permissions)).min(1, 'choose at least one scope').max(permissions.length),
  expiresAt: z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time' }).nullable().optional(),
});

export const apiKeysRoutes =
  (keys: ApiKeysService): FastifyPluginAsync =>
  async (app) => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    const tags = ['API keys'];

    r.get(
      '/api-keys',
      {
        schema: {
          tags,
          summary: 'List API keys (admins: all; others: their own)',
          querystring: z.object({ include_revoked: z.enum(['true', 'false']).optional() }),
          response: { 200: z.object({ data: z.array(apiKeySchema) }), ...errorResponses },
        },
      },
      async (req) => ({
        data: (await keys.list(requireActor(req), req.query.include_revoked === 'true')).map(presentApiKey),
      }),
    );

    r.post(
      '/api-keys',
      {
        schema: {
          tags,
          summary: 'Create an API key (the key is shown once, in this response)',
          body: createApiKeyBody,
          response: { 201: z.object({ apiKey: apiKeySchema, key: z.string() }), ...errorResponses },
        },
      },
      async (req, reply) => {
        const { key, token } = await keys.create(requireActor(req), {
          name: req.body.name,
          scopes: req.body.scopes,
          expiresAt: req.body.expiresAt ? new Date(req.body.expiresAt) : null,
        });
        return reply.status(201).send({ apiKey: presentApiKey(key), key: token });
      },
    );

    r.delete(
      '/api-keys/:id',
      {
        schema: {
          tags,
          summary: 'Revoke an API key',
          params: idParam,
          response: { 200: apiKeySchema, ...errorResponses },
        },
      },
      async (req) => presentApiKey(await keys.revoke(requireActor(req), req.params.id)),
    );
  };
