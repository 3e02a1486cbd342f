import path from 'node:path';
import { ImapFlow, type FetchMessageObject, type MessageEnvelopeObject } from 'imapflow';
import { z } from 'zod';
import type { Db } from '../../db/client.ts';
import {
  classifyImapError,
  cursorAfterPoll,
  imapFetchPlan,
  imapPollDue,
  uidsToFetch,
  type ImapErrorCode,
  type ImapSettings,
} from '../../domain/imap.ts';
import { defineJob, enqueueJob, type AnyJobDefinition } from '../../jobs/queue.ts';
import { createTicketsService, type InboundResult, type TicketsService } from '../tickets/tickets.service.ts';
import {
  claimImapPoll,
  findChannel,
  imapChannelsToPoll,
  updateImapState,
  type ChannelRow,
} from './channels.repository.ts';
import { storedImapSettings, type ImapPollResult, type ImapTestResult } from './channels.schemas.ts';
import { mailLimitBytes, parseMail, receiveMail, unreadableMail, type MailEnvelope } from './email.inbound.ts';

type Logger = { warn(obj: object, msg?: string): void };

/** A failure to reach, log in to or use the mailbox, in words for the admin (see classifyImapError). */
export class ImapError extends Error {
  constructor(
    readonly code: ImapErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ImapError';
  }
}

export function toImapError(err: unknown, s: Pick<ImapSettings, 'host' | 'port' | 'mailbox'>): ImapError {
  if (err instanceof ImapError) return err;
  const { code, message } = classifyImapError(err, s);
  return new ImapError(code, message);
}

/** How long a connection may take to open, greet and go quiet. A poll runs inside the job runner: keep it short. */
export const imapTimeouts = { connectionTimeout: 15_000, greetingTimeout: 15_000, socketTimeout: 60_000 };

/** Connects and logs in; errors come back as ImapError. The client's own error events never reach the process. */
export async function connectImap(s: ImapSettings, logger?: Logger): Promise<ImapFlow> {
  const client = new ImapFlow({
    host: s.host.replace(/^\[(.*)\]$/, '$1'), // an IPv6 literal without its brackets
    port: s.port,
    secure: s.security === 'tls',
    doSTARTTLS: s.security === 'starttls' ? true : s.security === 'none' ? false : undefined,
    auth: { user: s.user, pass: s.password },
    logger: false,
    disableAutoIdle: true,
    clientInfo: { name: 'Rapport' },
    ...imapTimeouts,
  });
  client.on('error', (err: unknown) => logger?.warn({ err, host: s.host }, 'imap connection error'));
  try {
    await client.connect();
    return client;
  } catch (err) {
    client.close();
    throw toImapError(err, s);
  }
}

async function closeQuietly(client: ImapFlow): Promise<void> {
  try {
    await client.logout();
  } catch {
    client.close();
  }
}

async function folderExists(client: ImapFlow, folder: string): Promise<boolean> {
  const list = await client.list();
  return list.some((m) => m.path === folder || m.pathAsListed === folder);
}

/** Connects, logs in and opens the mailbox read-only: what `POST /channels/{id}/imap/test` reports. Writes nothing. */
export async function probeImap(s: ImapSettings, logger?: Logger): Promise<ImapTestResult> {
  const client = await connectImap(s, logger);
  try {
    const status = await client.status(s.mailbox, { messages: true, unseen: true });
    if (!status) throw new ImapError('imap_mailbox_missing', `The mailbox "${s.mailbox}" does not exist`);
    return {
      ok: true,
      mailbox: status.path,
      messages: status.messages ?? 0,
      unseen: status.unseen ?? null,
      moveToExists: s.afterImport === 'move' && s.moveTo ? await folderExists(client, s.moveTo) : null,
    };
  } catch (err) {
    throw toImapError(err, s);
  } finally {
    await closeQuietly(client);
  }
}

function envelopeOf(e: MessageEnvelopeObject | undefined): MailEnvelope {
  const from = e?.from?.find((a) => a.address);
  const date = e?.date ? new Date(e.date) : null;
  return {
    from: from?.address ? { address: from.address, name: from.name || null } : null,
    subject: e?.subject ?? null,
    messageId: e?.messageId ?? null,
    inReplyTo: e?.inReplyTo ?? null,
    date: date && !Number.isNaN(date.getTime()) ? date : null,
  };
}

function sizeText(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1).replace(/\.0$/, '')} MB`;
  if (bytes >= 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${bytes} bytes`;
}

/** Storing a message failed twice (as parsed, then from its envelope): not the mailbox's fault. */
class StoreFailure extends Error {}

const errText = (err: unknown) => (err instanceof Error ? err.message : String(err)).slice(0, 300);

export type ImapPollOptions = {
  /** At most this many messages per poll; the next poll continues. */
  maxMessages?: number;
  /** No new message is started after this long. */
  budgetMs?: number;
  /** A bigger message is not downloaded: a note with its envelope is kept instead. */
  maxBytes?: number;
  /** The lease: another poll of the channel waits this long at most if this one dies. */
  leaseMs?: number;
  logger?: Logger;
};

export type ImapPollOutcome =
  | { status: 'done'; result: ImapPollResult }
  | { status: 'busy' }
  | { status: 'failed'; error: ImapError; result: ImapPollResult };

/**
 * One poll of an e-mail channel's mailbox. Takes the channel's lease (another poll running: 'busy'), asks for the
 * UIDs above the last imported one — or UNSEEN when the mailbox is new to Rapport or its UIDVALIDITY changed —
 * downloads each message and hands it to the same inbound path as the SMTP endpoint, then flags it \Seen or moves
 * it. A message that cannot be parsed (or is over the size limit) is kept as well as possible and marked all the
 * same, so no message is fetched again and again. Connection, login and mailbox errors are recorded on the channel
 * (and returned); they never throw.
 */
export async function pollImapChannel(
  deps: { db: Db; tickets: TicketsService },
  channel: ChannelRow,
  opts: ImapPollOptions = {},
): Promise<ImapPollOutcome> {
  const { db, tickets } = deps;
  const ws = channel.workspaceId;
  const result: ImapPollResult = { fetched: 0, created: 0, appended: 0, ignored: 0, unreadable: 0, more: false };
  const settings = storedImapSettings(channel.settings);
  if (!settings) return { status: 'failed', error: new ImapError('imap_failed', 'IMAP is not set up'), result };
  const lease = await claimImapPoll(db, ws, channel.id, opts.leaseMs ?? 5 * 60_000);
  if (!lease) return { status: 'busy' };

  const started = Date.now();
  const maxMessages = opts.maxMessages ?? 200;
  const budgetMs = opts.budgetMs ?? 60_000;
  const maxBytes = opts.maxBytes ?? mailLimitBytes();
  const count = (results: InboundResult[]) => {
    for (const r of results) {
      if (r.outcome === 'created') result.created++;
      else if (r.outcome === 'appended') result.appended++;
      else result.ignored++;
    }
  };

  let client: ImapFlow | null = null;
  let failure: ImapError | null = null;
  const handled: number[] = [];
  let plan: ReturnType<typeof imapFetchPlan> | null = null;
  let uidValidity = '';
  let uidNext = 0;
  let drained = false;
  try {
    client = await connectImap(settings, opts.logger);
    if (settings.afterImport === 'move' && settings.moveTo && !(await folderExists(client, settings.moveTo)))
      await client.mailboxCreate(settings.moveTo);
    const mailbox = await client.mailboxOpen(settings.mailbox);
    uidValidity = String(mailbox.uidValidity);
    uidNext = mailbox.uidNext;
    plan = imapFetchPlan(lease, uidValidity);
    const found =
      mailbox.exists === 0 || (plan.mode === 'uid' && uidNext > 0 && uidNext <= plan.after + 1)
        ? []
        : plan.mode === 'uid'
          ? await client.search({ uid: `${plan.after + 1}:*` }, { uid: true })
          : await client.search({ seen: false }, { uid: true });
    const all = uidsToFetch(found || [], plan, Number.MAX_SAFE_INTEGER);
    const uids = all.slice(0, maxMessages);
    let stopped = false;
    for (const uid of uids) {
      if (Date.now() - started > budgetMs) {
        stopped = true;
        break;
      }
      const range = String(uid);
      const head: FetchMessageObject | false = await client.fetchOne(
        range,
        { uid: true, size: true, envelope: true },
        { uid: true },
      );
      if (!head) {
        handled.push(uid); // expunged meanwhile
        continue;
      }
      const envelope = envelopeOf(head.envelope);
      let raw: Buffer | null = null;
      let reason: string | null = null;
      if ((head.size ?? 0) > maxBytes) {
        reason = `it is ${sizeText(head.size ?? 0)}, over the ${sizeText(maxBytes)} limit; the original stays in the mailbox`;
      } else {
        const full = await client.fetchOne(range, { uid: true, source: true }, { uid: true });
        if (!full || !full.source) {
          handled.push(uid);
          continue;
        }
        raw = full.source;
      }
      if (raw) {
        let parsed: Awaited<ReturnType<typeof parseMail>> | null = null;
        try {
          parsed = await parseMail(raw);
        } catch (err) {
          reason = `its MIME structure could not be parsed (${errText(err)})`;
        }
        if (parsed) {
          try {
            count(await receiveMail(tickets, parsed, [channel], null));
          } catch (err) {
            // Kept below from the envelope, so one message that cannot be stored never blocks the mailbox.
            opts.logger?.warn({ err, channelId: channel.id, uid }, 'imap: message could not be stored as parsed');
            reason = `it could not be stored as parsed (${errText(err)})`;
          }
        }
      }
      if (reason) {
        try {
          count([await tickets.receive(unreadableMail(channel, envelope, raw, reason))]);
        } catch (err) {
          // The database is in trouble: the poll stops, and the message is fetched again next time.
          throw new StoreFailure(`a message could not be stored (${errText(err)})`, { cause: err });
        }
        result.unreadable++;
      }
      result.fetched++;
      handled.push(uid);
      if (settings.afterImport === 'move' && settings.moveTo)
        await client.messageMove(range, settings.moveTo, { uid: true });
      else await client.messageFlagsAdd(range, ['\\Seen'], { uid: true });
    }
    result.more = stopped || all.length > uids.length;
    drained = !result.more;
  } catch (err) {
    if (err instanceof StoreFailure) {
      opts.logger?.warn({ err: err.cause, channelId: channel.id }, 'imap poll: a message could not be stored');
      failure = new ImapError('imap_failed', `The poll stopped: ${err.message}`);
    } else failure = toImapError(err, settings);
  } finally {
    if (client) await closeQuietly(client);
  }

  const cursor = plan ? cursorAfterPoll({ plan, uidValidity, handled, drained, uidNext }) : null;
  await updateImapState(db, ws, channel.id, {
    release: true,
    ...(cursor ?? {}),
    ...(failure
      ? { lastErrorCode: failure.code, lastError: failure.message, lastErrorAt: new Date() }
      : {
          lastErrorCode: null,
          lastError: null,
          lastErrorAt: null,
          lastSuccessAt: new Date(),
          lastImported: result.fetched,
        }),
  });
  return failure ? { status: 'failed', error: failure, result } : { status: 'done', result };
}

export const imapScheduleJobName = 'channels.imap_schedule';
export const imapPollJobName = 'channels.imap_poll';

/**
 * Enqueues a poll for each enabled IMAP channel whose interval has elapsed. One poll job per channel at a time:
 * the singleton key holds while one is queued or running. Returns how many were enqueued.
 */
export async function enqueueDueImapPolls(db: Db, now = new Date()): Promise<number> {
  let n = 0;
  for (const { channel, state } of await imapChannelsToPoll(db)) {
    const settings = storedImapSettings(channel.settings);
    if (!settings || !imapPollDue(settings, state, now)) continue;
    const id = await enqueueJob(
      db,
      channel.workspaceId,
      imapPollJobName,
      { channelId: channel.id },
      { singletonKey: `imap:${channel.id}`, maxAttempts: 2 },
    );
    if (id) n++;
  }
  return n;
}

/**
 * The IMAP jobs: each minute the schedule enqueues the due polls; a poll job polls one channel. Give the server's
 * tickets service (its realtime bus tells open inboxes at once); without it a poll makes its own.
 */
export function imapJobs(deps: { tickets?: TicketsService } = {}): AnyJobDefinition[] {
  const ticketsFor = (db: Db) =>
    deps.tickets ?? createTicketsService({ db, dataDir: path.resolve(process.env.RAPPORT_DATA_DIR ?? './data') });
  return [
    defineJob({
      name: imapScheduleJobName,
      payload: z.object({}).passthrough(),
      maxAttempts: 1,
      handler: async (_p, { db }) => {
        await enqueueDueImapPolls(db);
      },
    }),
    defineJob({
      name: imapPollJobName,
      payload: z.object({ channelId: z.uuid() }),
      maxAttempts: 2,
      // Mailbox errors are recorded on the channel and retried at the next interval, not by the job queue.
      handler: async (p, { db, workspaceId }) => {
        const channel = await findChannel(db, workspaceId, p.channelId);
        if (!channel || channel.kind !== 'email' || !channel.active) return;
        if (!storedImapSettings(channel.settings)?.enabled) return;
        await pollImapChannel({ db, tickets: ticketsFor(db) }, channel);
      },
    }),
  ] as AnyJobDefinition[];
}
