import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { channelKinds } from '../../db/schema/service.ts';
import { can } from '../../domain/permissions.ts';
import { requireActor } from '../../http/auth.ts';
import { errorResponses, idParam, isoDate, noContentResponses } from '../../http/schemas.ts';
import type { ChannelImapStateRow, ChannelRow } from './channels.repository.ts';
import {
  imapPollResult,
  imapSettingsInput,
  imapSettingsOutput,
  imapStatusOutput,
  imapTestResult,
  presentImapSettings,
  presentImapStatus,
} from './channels.schemas.ts';
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
      imap: imapSettingsOutput.nullable().describe('E-mail channels: the IMAP mailbox polled for mail (optional)'),
    }),
    imapStatus: imapStatusOutput.nullable().describe('Where polling the IMAP mailbox stands; null before a first poll'),
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

function present(
  c: ChannelRow,
  showSecret: boolean,
  imapState: ChannelImapStateRow | null | undefined,
): z.infer<typeof channelSchema> {
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
      imap: presentImapSettings(c.settings),
    },
    imapStatus: c.settings.imap ? presentImapStatus(imapState) : null,
    secret: showSecret ? c.secret : null,
    createdAt: c.createdAt.toISOString(),
    updatedAt: c.updatedAt.toISOString(),
  };
}

const settingsInput = z.object({
  smtpUrl: z.string().trim().max(1000).nullish(),
  fromName: z.string().trim().max(200).nullish(),
  imap: imapSettingsInput
    .nullish()
    .describe('E-mail channels: fetch mail from this IMAP mailbox too (null removes it; a password left out is kept)'),
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
        const [rows, states] = await Promise.all([channels.list(actor), channels.imapStates(actor)]);
        return { data: rows.map((c) => present(c, can(actor, 'workspace:manage'), states.get(c.id))) };
      },
    );

    const withState = async (actor: Parameters<ChannelsService['get']>[0], c: ChannelRow, showSecret: boolean) =>
      present(c, showSecret, (await channels.imapStates(actor, [c.id])).get(c.id));

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
      async (req, reply) => {
        const actor = requireActor(req);
        // A new channel has not polled yet: no state to look up.
        return reply.status(201).send(present(await channels.create(actor, req.body), true, null));
      },
    );

    r.get(
      '/channels/:id',
      { schema: { tags, summary: 'A channel', params: idParam, response: { 200: channelSchema, ...errorResponses } } },
      async (req) => {
        const actor = requireActor(req);
        return withState(actor, await channels.get(actor, req.params.id), can(actor, 'workspace:manage'));
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
      async (req) => {
        const actor = requireActor(req);
        return withState(actor, await channels.update(actor, req.params.id, req.body), true);
      },
    );

    r.delete(
      '/channels/:id',
      { schema: { tags, summary: 'Remove a channel', params: idParam, response: noContentResponses } },
      async (req, reply) => {
        await channels.remove(requireActor(req), req.params.id);
        return reply.status(204).send(null);
      },
    );

    r.post(
      '/channels/:id/imap/test',
      {
        schema: {
          tags,
          summary: "Try an e-mail channel's IMAP mailbox: connect, log in, open the folder",
          description:
            'With no body, tries the stored settings; with a body, those settings laid over the stored ones (a ' +
            'password left out is the stored one), so a form can be tried before it is saved. Nothing is changed. ' +
            'Failures are 422 with the code imap_auth_failed, imap_unreachable, imap_tls_failed, ' +
            'imap_mailbox_missing or imap_failed.',
          params: idParam,
          body: imapSettingsInput.nullish(),
          response: { 200: imapTestResult, ...errorResponses },
        },
      },
      async (req) => channels.testImap(requireActor(req), req.params.id, req.body ?? undefined),
    );

    r.post(
      '/channels/:id/imap/poll',
      {
        schema: {
          tags,
          summary: "Poll an e-mail channel's IMAP mailbox now",
          description:
            'Imports new mail as a scheduled poll does and records the outcome on the channel (imapStatus). 409 ' +
            'while another poll of the mailbox runs; 422 with an imap_* code when the mailbox cannot be reached.',
          params: idParam,
          response: { 200: imapPollResult, ...errorResponses },
        },
      },
      async (req) => channels.pollImap(requireActor(req), req.params.id),
    );
  };
