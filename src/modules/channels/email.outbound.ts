import fs from 'node:fs/promises';
import nodemailer from 'nodemailer';
import { z } from 'zod';
import type { Db } from '../../db/client.ts';
import { subjectWithRef } from '../../domain/tickets.ts';
import { defineJob } from '../../jobs/queue.ts';
import { findPerson } from '../people/people.repository.ts';
import { attachmentPath } from '../tickets/attachments.ts';
import {
  attachmentsOfMessages,
  findConversation,
  findMessage,
  findTicket,
  replyThreadOf,
  updateMessage,
} from '../tickets/tickets.repository.ts';
import { deliverEmailJobName } from '../tickets/tickets.service.ts';
import { recordUndeliveredReply } from '../tickets/undelivered.ts';
import { findChannel, firstEmailChannel } from './channels.repository.ts';
import { findWorkspace } from '../workspaces/workspaces.repository.ts';

export const deliverEmailMaxAttempts = 8;

/** Where outgoing mail goes: the channel's own SMTP URL, else RAPPORT_SMTP_URL (smtp://user:pass@host:587). */
export function outgoingSmtpUrl(channelSettings: Record<string, unknown>, env = process.env): string | null {
  const own = channelSettings.smtpUrl;
  if (typeof own === 'string' && own.trim()) return own.trim();
  return env.RAPPORT_SMTP_URL?.trim() || null;
}

class PermanentFailure extends Error {}

/** Sends one agent reply by e-mail, threaded into the customer's conversation. */
export async function deliverEmail(
  db: Db,
  workspaceId: string,
  messageId: string,
  attempt: number,
  dataDir = process.env.RAPPORT_DATA_DIR ?? './data',
): Promise<void> {
  const message = await findMessage(db, workspaceId, messageId);
  if (!message || message.delivery === 'sent') return;
  try {
    const [ticket, conversation] = await Promise.all([
      findTicket(db, workspaceId, message.ticketId),
      findConversation(db, workspaceId, message.conversationId),
    ]);
    if (!ticket || !conversation) throw new PermanentFailure('the ticket or conversation is gone');
    const channel = conversation.channelId ? await findChannel(db, workspaceId, conversation.channelId) : null;
    const emailChannel =
      channel?.kind === 'email' ? channel : await firstEmailChannel(db, workspaceId).then((c) => c ?? channel);
    const url = outgoingSmtpUrl(emailChannel?.settings ?? {});
    if (!url)
      throw new PermanentFailure(
        'no outgoing mail server: set RAPPORT_SMTP_URL, or an SMTP URL on the e-mail channel in Settings → Channels',
      );
    const fromAddress = emailChannel?.address;
    if (!fromAddress) throw new PermanentFailure('no e-mail channel with an address to send from');
    // Only what threading needs is read, not the whole conversation: it may hold thousands of messages, and each
    // reply is one delivery.
    const { lastInbound, references } = await replyThreadOf(db, workspaceId, conversation.id, message.id);
    const person = ticket.personId ? await findPerson(db, workspaceId, ticket.personId) : null;
    const to = lastInbound?.meta.from?.address ?? person?.emails[0];
    if (!to) throw new PermanentFailure('the customer has no e-mail address');
    const inReplyTo = lastInbound?.emailMessageId ?? references.at(-1);
    const files = await attachmentsOfMessages(db, workspaceId, [message.id]);
    const fromName =
      typeof emailChannel?.settings.fromName === 'string' && emailChannel.settings.fromName
        ? emailChannel.settings.fromName
        : ((await findWorkspace(db, workspaceId))?.name ?? 'Support');
    const transport = nodemailer.createTransport(url);
    try {
      await transport.sendMail({
        from: { name: fromName, address: fromAddress },
        to,
        subject: subjectWithRef(conversation.subject ?? ticket.subject, ticket.number),
        messageId: `<${message.emailMessageId ?? `${message.id}@rapport.invalid`}>`,
        ...(inReplyTo ? { inReplyTo: `<${inReplyTo}>` } : {}),
        ...(references.length ? { references: references.map((r) => `<${r}>`) } : {}),
        text: message.bodyText,
        ...(message.bodyHtml ? { html: message.bodyHtml } : {}),
        headers: { 'X-Rapport-Ticket': String(ticket.number) },
        attachments: await Promise.all(
          files.map(async (f) => ({
            filename: f.fileName,
            contentType: f.contentType,
            content: await fs.readFile(attachmentPath(dataDir, f.storageKey)),
          })),
        ),
      });
    } finally {
      transport.close();
    }
    await updateMessage(db, workspaceId, message.id, {
      delivery: 'sent',
      deliveryError: null,
      meta: { ...message.meta, to: [{ address: to }], sentAt: new Date().toISOString() },
    });
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    const final = err instanceof PermanentFailure || attempt >= deliverEmailMaxAttempts;
    if (final) {
      await recordUndeliveredReply(db, workspaceId, message.id, reason);
      return;
    }
    await updateMessage(db, workspaceId, message.id, {
      delivery: 'queued',
      deliveryError: `attempt ${attempt} failed: ${reason}; retrying`,
    });
    throw err;
  }
}

export const deliverEmailJob = defineJob({
  name: deliverEmailJobName,
  payload: z.object({ messageId: z.uuid() }),
  maxAttempts: deliverEmailMaxAttempts,
  backoff: { baseMs: 10_000, maxMs: 30 * 60_000 },
  handler: async (p, ctx) => deliverEmail(ctx.db, ctx.workspaceId, p.messageId, ctx.attempt),
});
