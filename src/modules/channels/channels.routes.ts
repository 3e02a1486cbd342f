import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { channelKinds } from '../../db/schema/service.ts';
import { can } from '../../domain/permissions.ts';
import { requireActor } from '../../http/auth.ts';
import { errorResponses, idParam, isoDate, noContentResponses } from '../../http/schemas.ts';
import type { ChannelRow } from './channels.repository.ts';
import type { ChannelsService } from './channels.service.ts';

const channelSchema = z
  .object({
    id: z.string(),
    kind: z.enum(channelKinds),
    name: z.string(),
    address: z.string().nullable().describe('E-mail channels: the address customers write to'),
    teamId: z.string().nullable().describe('New tickets of this channel go to this team'),
    active: z.boolean(),
    settings: z.object({
      smtpUrl: z.string().nullable().describe('Outgoing mail server for replies (password hidden)'),
      fromName: z.string().nullable(),
    }),
    secret: z
      .string()
      .nullable()
      .describe('Signs chat identities and channel API calls; shown to owners and admins only'),
    createdAt: isoDate,
    updatedAt: isoDate,
  })
  .meta({ id: 'Channel' });

function hidePassword(url: unknown): string | null {
  if (typeof url !== 'string' || !url) return null;
  try {
    const u = new URL(url);
    if (u.password) u.password = '****';
    return u.toString();
  } catch {
    return null;
  }
}

function present(c: ChannelRow, showSecret: boolean): z.infer<typeof channelSchema> {
  return {
    id: c.id,
    kind: c.kind,
    name: c.name,
    address: c.address,
    teamId: c.teamId,
    active: c.active,
    settings: {
      smtpUrl: hidePassword(c.settings.smtpUrl),
      fromName: typeof c.settings.fromName === 'string' ? c.settings.fromName : null,
    },
    secret: showSecret ? c.secret : null,
    createdAt: c.createdAt.toISOString(),
    updatedAt: c.updatedAt.toISOString(),
  };
}

const settingsInput = z.object({
  smtpUrl: z.string().trim().max(1000).nullish(),
  fromName: z.string().trim().max(200).nullish(),
});

const createBody = z.object({
  kind: z.enum(channelKinds),
  name: z.string().trim().min(1).max(200),
  address: z.string().trim().max(320).nullish(),
  teamId: z.uuid().nullish(),
  active: z.boolean().optional(),
  settings: settingsInput.optional(),
});

const patchBody = createBody.omit({ kind: true }).partial();

export const channelsRoutes =
  (channels: ChannelsService): FastifyPluginAsync =>
  async (app) => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    const tags = ['Channels'];

    r.get(
      '/channels',
      {
        schema: {
          tags,
          summary: 'The channels conversations come from (e-mail, chat, forms, phone, API)',
          response: { 200: z.object({ data: z.array(channelSchema) }), ...errorResponses },
        },
      },
      async (req) => {
        const actor = requireActor(req);
        const rows = await channels.list(actor);
        return { data: rows.map((c) => present(c, can(actor, 'workspace:manage'))) };
      },
    );

    r.post(
      '/channels',
      {
        schema: {
          tags,
          summary: 'Add a channel',
          body: createBody,
          response: { 201: channelSchema, ...errorResponses },
        },
      },
      async (req, reply) => reply.status(201).send(present(await channels.create(requireActor(req), req.body), true)),
    );

    r.get(
      '/channels/:id',
      { schema: { tags, summary: 'A channel', params: idParam, response: { 200: channelSchema, ...errorResponses } } },
      async (req) => {
        const actor = requireActor(req);
        return present(await channels.get(actor, req.params.id), can(actor, 'workspace:manage'));
      },
    );

    r.patch(
      '/channels/:id',
      {
        schema: {
          tags,
          summary: 'Change a channel',
          params: idParam,
          body: patchBody,
          response: { 200: channelSchema, ...errorResponses },
        },
      },
      async (req) => present(await channels.update(requireActor(req), req.params.id, req.body), true),
    );

    r.delete(
      '/channels/:id',
      { schema: { tags, summary: 'Remove a channel', params: idParam, response: noContentResponses } },
      async (req, reply) => {
        await channels.remove(requireActor(req), req.params.id);
        return reply.status(204).send(null);
      },
    );
  };
