import type { Db } from '../../db/client.ts';
import { newId } from '../../db/ids.ts';
import type { ChannelKind } from '../../db/schema/service.ts';
import { normaliseEmailAddress } from '../../domain/customers.ts';
import { sameMailbox } from '../../domain/imap.ts';
import { can, type Actor } from '../../domain/permissions.ts';
import { AppError } from '../../errors.ts';
import { appendEvent } from '../../events/events.ts';
import { assertCan } from '../auth/access.ts';
import { findTeam } from '../teams/teams.repository.ts';
import { wellFormed } from '../tickets/sanitize.ts';
import type { TicketsService } from '../tickets/tickets.service.ts';
import {
  deleteChannel,
  findChannel,
  findEmailChannelsByAddress,
  imapStatesOf,
  insertChannel,
  listChannels,
  resetImapCursor,
  updateChannel,
  type ChannelImapStateRow,
  type ChannelInsert,
  type ChannelRow,
} from './channels.repository.ts';
import {
  resolveImapSettings,
  storedImapSettings,
  type ImapPollResult,
  type ImapSettingsInput,
  type ImapTestResult,
} from './channels.schemas.ts';
import { ImapError, pollImapChannel, probeImap } from './email.imap.ts';

export type ChannelInput = {
  kind?: ChannelKind | undefined;
  name?: string | undefined;
  address?: string | null | undefined;
  teamId?: string | null | undefined;
  active?: boolean | undefined;
  settings?:
    | {
        smtpUrl?: string | null | undefined;
        fromName?: string | null | undefined;
        /** An e-mail channel's IMAP mailbox to poll; null removes it. */
        imap?: ImapSettingsInput | null | undefined;
      }
    | undefined;
};

function imapAppError(e: ImapError): AppError {
  return new AppError(e.code, e.message, { code: e.code });
}

export type ChannelsService = ReturnType<typeof createChannelsService>;

export function createChannelsService(deps: { db: Db; tickets?: TicketsService }) {
  const { db } = deps;

  async function emailChannel(actor: Actor, id: string): Promise<ChannelRow> {
    const c = await findChannel(db, actor.workspaceId, id);
    if (!c) throw AppError.notFound('Channel', id);
    if (c.kind !== 'email')
      throw new AppError('validation_failed', 'Only e-mail channels fetch from an IMAP mailbox', {
        field: 'settings.imap',
      });
    return c;
  }

  async function check(
    actor: Actor,
    input: ChannelInput,
    existing: ChannelRow | null,
  ): Promise<Partial<ChannelInsert>> {
    const kind = existing?.kind ?? input.kind;
    const out: Partial<ChannelInsert> = {};
    if (input.name !== undefined) out.name = input.name.trim();
    if (input.active !== undefined) out.active = input.active;
    if (input.teamId !== undefined) {
      if (input.teamId && !(await findTeam(db, actor.workspaceId, input.teamId)))
        throw new AppError('validation_failed', `Team ${input.teamId} was not found`, { field: 'teamId' });
      out.teamId = input.teamId;
    }
    if (input.address !== undefined) {
      if (kind !== 'email')
        throw new AppError('validation_failed', 'Only e-mail channels have an address', { field: 'address' });
      const address = input.address ? normaliseEmailAddress(input.address) : null;
      if (!address)
        throw new AppError('validation_failed', `"${input.address ?? ''}" is not an e-mail address`, {
          field: 'address',
        });
      const taken = (await findEmailChannelsByAddress(db, address)).filter((c) => c.id !== existing?.id);
      if (taken.length)
        throw new AppError('conflict', `${address} already receives mail for another channel`, { field: 'address' });
      out.address = address;
    }
    if (kind === 'email' && !existing && !out.address)
      throw new AppError('validation_failed', 'An e-mail channel needs the address customers write to', {
        field: 'address',
      });
    if (input.settings !== undefined) {
      const s = { ...(existing?.settings ?? {}) };
      if (input.settings.smtpUrl !== undefined) {
        const url = input.settings.smtpUrl?.trim();
        if (url && !/^smtps?:\/\//.test(url))
          throw new AppError('validation_failed', 'The SMTP URL starts with smtp:// or smtps://', {
            field: 'settings.smtpUrl',
          });
        s.smtpUrl = url || null;
      }
      if (input.settings.fromName !== undefined) s.fromName = input.settings.fromName?.trim() || null;
      if (input.settings.imap !== undefined) {
        if (kind !== 'email')
          throw new AppError('validation_failed', 'Only e-mail channels fetch from an IMAP mailbox', {
            field: 'settings.imap',
          });
        if (input.settings.imap === null) delete s.imap;
        else s.imap = resolveImapSettings(input.settings.imap, s.imap);
      }
      out.settings = s;
    }
    return out;
  }

  return {
    async list(actor: Actor): Promise<ChannelRow[]> {
      assertCan(actor, 'tickets:read');
      return listChannels(db, actor.workspaceId);
    },

    async get(actor: Actor, id: string): Promise<ChannelRow> {
      assertCan(actor, 'tickets:read');
      const c = await findChannel(db, actor.workspaceId, id);
      if (!c) throw AppError.notFound('Channel', id);
      return c;
    },

    async create(actor: Actor, input: ChannelInput & { kind: ChannelKind; name: string }): Promise<ChannelRow> {
      assertCan(actor, 'workspace:manage');
      input = wellFormed(input);
      const cols = await check(actor, input, null);
      return db.transaction(async (tx) => {
        const row = await insertChannel(tx, {
          ...cols,
          workspaceId: actor.workspaceId,
          id: newId(),
          kind: input.kind,
          name: cols.name ?? input.name,
        });
        await appendEvent(tx, actor, {
          type: 'channel.created',
          subjectType: 'channel',
          subjectId: row.id,
          payload: { kind: row.kind, name: row.name, address: row.address },
        });
        return row;
      });
    },

    async update(actor: Actor, id: string, input: ChannelInput): Promise<ChannelRow> {
      assertCan(actor, 'workspace:manage');
      input = wellFormed(input);
      const existing = await findChannel(db, actor.workspaceId, id);
      if (!existing) throw AppError.notFound('Channel', id);
      const cols = await check(actor, input, existing);
      return db.transaction(async (tx) => {
        const row = await updateChannel(tx, actor.workspaceId, id, cols);
        if (!row) throw AppError.notFound('Channel', id);
        // Another mailbox (or none): where the old one's poll stood no longer applies.
        if (!sameMailbox(storedImapSettings(existing.settings), storedImapSettings(row.settings)))
          await resetImapCursor(tx, actor.workspaceId, id);
        await appendEvent(tx, actor, {
          type: 'channel.updated',
          subjectType: 'channel',
          subjectId: id,
          payload: { fields: Object.keys(cols) },
        });
        return row;
      });
    },

    /** Where each channel's IMAP poll stands (channels that never polled have none). */
    async imapStates(actor: Actor, ids?: string[]): Promise<Map<string, ChannelImapStateRow>> {
      // Whoever may read channels, or change them (the answer to a change shows the state too).
      if (!can(actor, 'workspace:manage')) assertCan(actor, 'tickets:read');
      const rows = await imapStatesOf(db, actor.workspaceId, ids);
      return new Map(rows.map((r) => [r.channelId, r]));
    },

    /**
     * Connects to the channel's IMAP mailbox — with the stored settings, or the given ones laid over them (a form
     * not saved yet; a password left out is the stored one) — and reports what it found. Changes nothing.
     */
    async testImap(actor: Actor, id: string, input?: ImapSettingsInput): Promise<ImapTestResult> {
      assertCan(actor, 'workspace:manage');
      const c = await emailChannel(actor, id);
      if (!input && !c.settings.imap)
        throw new AppError('validation_failed', 'This channel has no IMAP mailbox set up', { field: 'settings.imap' });
      const settings = resolveImapSettings(wellFormed(input ?? {}), c.settings.imap);
      try {
        return await probeImap(settings);
      } catch (err) {
        if (err instanceof ImapError) throw imapAppError(err);
        throw err;
      }
    },

    /** Polls the channel's mailbox now (whatever its schedule); the outcome is recorded as a scheduled poll's is. */
    async pollImap(actor: Actor, id: string): Promise<ImapPollResult> {
      assertCan(actor, 'workspace:manage');
      const c = await emailChannel(actor, id);
      if (!storedImapSettings(c.settings))
        throw new AppError('validation_failed', 'This channel has no IMAP mailbox set up', { field: 'settings.imap' });
      if (!c.active) throw new AppError('conflict', 'The channel is not active: turn it on to poll its mailbox');
      if (!deps.tickets) throw new Error('the channels service was made without the tickets service');
      const outcome = await pollImapChannel({ db, tickets: deps.tickets }, c);
      if (outcome.status === 'busy') throw new AppError('conflict', 'A poll of this mailbox is running already');
      if (outcome.status === 'failed') throw imapAppError(outcome.error);
      return outcome.result;
    },

    async remove(actor: Actor, id: string): Promise<void> {
      assertCan(actor, 'workspace:manage');
      await db.transaction(async (tx) => {
        // Conversations keep their channel id for the record; the channel just stops receiving.
        if (!(await deleteChannel(tx, actor.workspaceId, id))) throw AppError.notFound('Channel', id);
        await appendEvent(tx, actor, { type: 'channel.deleted', subjectType: 'channel', subjectId: id });
      });
    },
  };
}
