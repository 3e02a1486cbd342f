import type { AddressInfo } from 'node:net';
import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import type { Db } from '../../db/client.ts';
import { recentReads } from '../../db/shared-reads.ts';
import { automaticMailReason, normaliseMessageId, parseMessageIds, type MailHeaders } from '../../domain/tickets.ts';
import type { InboundMessage, InboundResult, TicketsService } from '../tickets/tickets.service.ts';
import { findEmailChannelsByAddress, type ChannelRow } from './channels.repository.ts';

/** Largest message the SMTP endpoint takes (RAPPORT_MAIL_MAX_BYTES, default 30 MB); bigger ones are refused with 552. */
export function mailLimitBytes(env: NodeJS.ProcessEnv = process.env): number {
  const n = Number(env.RAPPORT_MAIL_MAX_BYTES);
  return Number.isFinite(n) && n > 0 ? n : 30 * 1024 * 1024;
}

type Logger = { info(obj: object, msg?: string): void; warn(obj: object, msg?: string): void };

function smtpError(code: number, message: string): Error {
  return Object.assign(new Error(message), { responseCode: code });
}

function firstAddress(a: AddressObject | AddressObject[] | undefined): { address: string; name: string | null } | null {
  const list = Array.isArray(a) ? a : a ? [a] : [];
  for (const obj of list)
    for (const v of obj.value) if (v.address) return { address: v.address.toLowerCase(), name: v.name || null };
  return null;
}

function allAddresses(a: AddressObject | AddressObject[] | undefined): Array<{ address: string; name: string | null }> {
  const list = Array.isArray(a) ? a : a ? [a] : [];
  return list.flatMap((o) =>
    o.value.filter((v) => v.address).map((v) => ({ address: (v.address ?? '').toLowerCase(), name: v.name || null })),
  );
}

/** Header lines as a lower-cased name → value record (the raw text, as automatic-mail checks need it). */
export function headerRecord(parsed: ParsedMail): MailHeaders {
  const out: MailHeaders = {};
  for (const h of parsed.headerLines) {
    const value = h.line.slice(h.line.indexOf(':') + 1).trim();
    const prev = out[h.key];
    out[h.key] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
  }
  return out;
}

/**
 * Mail the desk sent itself: from the channel's own address, or one of Rapport's replies (its X-Rapport-Ticket header)
 * come back. Treated as automatic mail — it opens no ticket and triggers nothing — or the desk would answer itself
 * (a mail loop) and file its own address as a customer.
 */
function ownMailReason(headers: MailHeaders, from: { address: string } | null, channel: ChannelRow): string | null {
  if (from && channel.address && from.address === channel.address.toLowerCase())
    return `sent from this channel's own address (${channel.address})`;
  if (headers['x-rapport-ticket'] !== undefined) return 'a reply Rapport sent (X-Rapport-Ticket)';
  return null;
}

/** What a parsed e-mail says, for one of the channels it was sent to. */
export function inboundFromMail(parsed: ParsedMail, channel: ChannelRow, envelopeFrom: string | null): InboundMessage {
  const headers = headerRecord(parsed);
  const from = firstAddress(parsed.from) ?? (envelopeFrom ? { address: envelopeFrom.toLowerCase(), name: null } : null);
  // Duplicates dropped with a set (the first stays): a search of the list for each id took seconds on the 100,000
  // ids a References header of 1 MB can hold.
  const replyTo = [
    ...new Set([...parseMessageIds(parsed.inReplyTo ?? null), ...parseMessageIds(parsed.references ?? null).reverse()]),
  ];
  return {
    channel,
    from: { email: from?.address ?? null, name: from?.name ?? null },
    subject: parsed.subject ?? null,
    text: parsed.text ?? null,
    html: typeof parsed.html === 'string' ? parsed.html : null,
    emailMessageId: normaliseMessageId(parsed.messageId ?? null),
    replyTo,
    automatic: automaticMailReason(headers, from?.address ?? envelopeFrom) ?? ownMailReason(headers, from, channel),
    meta: {
      from,
      to: allAddresses(parsed.to),
      cc: allAddresses(parsed.cc),
      inReplyTo: normaliseMessageId(parsed.inReplyTo ?? null),
      references: parseMessageIds(parsed.references ?? null),
      date: parsed.date?.toISOString() ?? null,
    },
    attachments: parsed.attachments.map((a) => ({
      fileName: a.filename ?? 'attachment',
      contentType: a.contentType,
      content: a.content,
      contentId: a.contentId ?? null,
    })),
  };
}

/** MIME parsing of a raw RFC 822 message, the same for every way mail comes in. */
export function parseMail(raw: Buffer): Promise<ParsedMail> {
  return simpleParser(raw, { skipImageLinks: true, maxHtmlLengthToParse: 10 * 1024 * 1024 });
}

/**
 * The one inbound path for e-mail (the SMTP endpoint and IMAP polling): each channel the mail is for receives it
 * through the tickets service, which threads it, stores a Message-ID once, keeps automatic mail from opening tickets,
 * sanitises the HTML and stores the attachments.
 */
export async function receiveMail(
  tickets: TicketsService,
  parsed: ParsedMail,
  channels: readonly ChannelRow[],
  envelopeFrom: string | null,
): Promise<InboundResult[]> {
  const results: InboundResult[] = [];
  for (const channel of channels) results.push(await tickets.receive(inboundFromMail(parsed, channel, envelopeFrom)));
  return results;
}

/** What is known of a message without parsing it: a mail server's envelope (IMAP ENVELOPE). */
export type MailEnvelope = {
  from: { address: string; name: string | null } | null;
  subject: string | null;
  messageId: string | null;
  inReplyTo: string | null;
  date: Date | null;
};

/**
 * A message that could not be read (MIME parsing failed) or taken whole (over the size limit), kept as well as
 * possible: sender, subject and threading from the envelope, a sentence saying why, and the original attached as
 * message.eml when there is one.
 */
export function unreadableMail(
  channel: ChannelRow,
  envelope: MailEnvelope,
  raw: Buffer | null,
  reason: string,
): InboundMessage {
  const from = envelope.from?.address
    ? { address: envelope.from.address.toLowerCase(), name: envelope.from.name }
    : null;
  return {
    channel,
    from: { email: from?.address ?? null, name: from?.name ?? null },
    subject: envelope.subject,
    text: `Rapport could not read this message: ${reason}.${raw ? ' The original is attached as message.eml.' : ''}`,
    emailMessageId: normaliseMessageId(envelope.messageId),
    replyTo: parseMessageIds(envelope.inReplyTo),
    automatic: automaticMailReason({}, from?.address ?? null),
    meta: {
      from,
      inReplyTo: normaliseMessageId(envelope.inReplyTo),
      date: envelope.date?.toISOString() ?? null,
      unreadable: reason,
    },
    attachments: raw ? [{ fileName: 'message.eml', contentType: 'message/rfc822', content: raw }] : [],
  };
}

export type InboundSmtp = { port: number; close(): Promise<void> };

/**
 * Rapport's own SMTP endpoint for inbound support mail: it accepts mail for the addresses of active e-mail channels
 * (and refuses the rest with 550), limits message size, parses MIME with mailparser and hands each message to the
 * service desk. Put it behind your MX (forward support@ to it) or point a mail provider's inbound route at it.
 */
export async function startInboundSmtp(opts: {
  db: Db;
  tickets: TicketsService;
  port: number;
  host: string;
  maxBytes?: number;
  logger?: Logger;
  onMessage?: (results: InboundResult[]) => void;
}): Promise<InboundSmtp> {
  const maxBytes = opts.maxBytes ?? mailLimitBytes();
  const log = opts.logger;
  const channelsOf = new WeakMap<SMTPServerSession, ChannelRow[]>();
  // Many senders writing to one support address at once share a lookup, and an address found is not looked up again
  // for two seconds: a channel disabled, re-addressed or moved to another team is seen up to that much later (an
  // unknown address is looked up every time, so a new channel takes mail at once).
  const channelsFor = recentReads((address) => findEmailChannelsByAddress(opts.db, address), {
    ttlMs: 2_000,
    keep: (found) => found.length > 0,
  });

  const server = new SMTPServer({
    name: 'rapport',
    banner: 'Rapport inbound mail',
    size: maxBytes,
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    logger: false,
    onRcptTo(address, session, callback) {
      channelsFor(address.address).then(
        (found) => {
          if (!found.length) return callback(smtpError(550, `5.1.1 No mailbox here for ${address.address}`));
          const list = channelsOf.get(session) ?? [];
          for (const c of found) if (!list.some((x) => x.id === c.id)) list.push(c);
          channelsOf.set(session, list);
          callback();
        },
        (err: unknown) => {
          log?.warn({ err }, 'inbound mail: channel lookup failed');
          callback(smtpError(451, '4.3.0 Temporary failure, try again later'));
        },
      );
    },
    onData(stream: SMTPServerDataStream, session, callback) {
      const channels = channelsOf.get(session) ?? [];
      channelsOf.delete(session);
      const envelopeFrom = session.envelope.mailFrom ? session.envelope.mailFrom.address || null : null;
      // Collected up to the limit, the rest discarded: a huge message costs no more memory than the limit.
      const chunks: Buffer[] = [];
      let size = 0;
      stream.on('data', (c: Buffer) => {
        size += c.length;
        if (size <= maxBytes) chunks.push(c);
      });
      stream.on('end', () => {
        if (stream.sizeExceeded || size > maxBytes)
          return callback(
            smtpError(552, `5.3.4 Message too big: the limit is ${Math.round(maxBytes / 1024 / 1024)} MB`),
          );
        parseMail(Buffer.concat(chunks))
          .then(async (parsed) => {
            const results = await receiveMail(opts.tickets, parsed, channels, envelopeFrom);
            log?.info(
              {
                results: results.map((r) => (r.outcome === 'ignored' ? r.reason : `${r.outcome} #${r.ticket.number}`)),
              },
              'inbound mail',
            );
            opts.onMessage?.(results);
            callback();
          })
          .catch((err: unknown) => {
            log?.warn({ err }, 'inbound mail: could not store the message');
            callback(smtpError(451, '4.3.0 The message could not be stored, try again later'));
          });
      });
    },
  });
  server.on('error', (err) => log?.warn({ err }, 'inbound mail server error'));
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.server.once('error', onError);
    server.listen(opts.port, opts.host, () => {
      server.server.off('error', onError);
      resolve();
    });
  });
  const port = (server.server.address() as AddressInfo).port;
  return {
    port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
