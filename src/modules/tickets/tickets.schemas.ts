import { z } from 'zod';
import { iso, isoDate, listQuery } from '../../http/schemas.ts';
import { channelKinds, ticketPriorities, ticketStatuses } from '../../db/schema/service.ts';
import type { PersonRow } from '../people/people.repository.ts';
import type { AttachmentRow, ConversationRow, MessageRow, TicketRow } from './tickets.repository.ts';
import type { IncomingAttachment } from './attachments.ts';

const shortText = (max: number) => z.string().trim().max(max);

export const slaMetricSchema = z.object({
  metric: z.string(),
  target: z.number().describe('Target in business minutes'),
  state: z.string().describe('running, paused, met, breached or stopped'),
  startedAt: isoDate,
  dueAt: isoDate.nullable(),
  warnAt: isoDate.nullable(),
  breachedAt: isoDate.nullable(),
  completedAt: isoDate.nullable(),
  elapsedBusinessMs: z.number(),
  remainingBusinessMs: z.number(),
});

export const ticketSchema = z
  .object({
    id: z.string(),
    number: z.number().int(),
    subject: z.string(),
    type: z.string(),
    priority: z.enum(ticketPriorities),
    status: z.enum(ticketStatuses),
    channel: z.enum(channelKinds),
    channelId: z.string().nullable(),
    personId: z.string().nullable(),
    assigneeId: z.string().nullable(),
    teamId: z.string().nullable(),
    tags: z.array(z.string()),
    custom: z.record(z.string(), z.unknown()).describe('Values of the ticket custom fields, by key'),
    slaPolicyId: z.string().nullable(),
    sla: z.array(slaMetricSchema),
    slaNextCheckAt: isoDate.nullable().describe('When the SLA is looked at again (next warning or due time)'),
    firstResponseAt: isoDate.nullable(),
    firstResponseBusinessMs: z.number().nullable(),
    resolvedAt: isoDate.nullable(),
    resolutionBusinessMs: z.number().nullable(),
    lastCustomerMessageAt: isoDate.nullable(),
    lastAgentReplyAt: isoDate.nullable(),
    statusChangedAt: isoDate,
    mergedIntoId: z.string().nullable(),
    createdAt: isoDate,
    updatedAt: isoDate,
  })
  .meta({ id: 'Ticket' });

export function presentTicket(t: TicketRow): z.infer<typeof ticketSchema> {
  return {
    id: t.id,
    number: t.number,
    subject: t.subject,
    type: t.type,
    priority: t.priority,
    status: t.status,
    channel: t.channel,
    channelId: t.channelId,
    personId: t.personId,
    assigneeId: t.assigneeId,
    teamId: t.teamId,
    tags: t.tags,
    custom: t.custom,
    slaPolicyId: t.slaPolicyId,
    sla: t.sla,
    slaNextCheckAt: iso(t.slaNextCheckAt),
    firstResponseAt: iso(t.firstResponseAt),
    firstResponseBusinessMs: t.firstResponseBusinessMs,
    resolvedAt: iso(t.resolvedAt),
    resolutionBusinessMs: t.resolutionBusinessMs,
    lastCustomerMessageAt: iso(t.lastCustomerMessageAt),
    lastAgentReplyAt: iso(t.lastAgentReplyAt),
    statusChangedAt: t.statusChangedAt.toISOString(),
    mergedIntoId: t.mergedIntoId,
    createdAt: t.createdAt.toISOString(),
    updatedAt: t.updatedAt.toISOString(),
  };
}

export const ticketSummarySchema = ticketSchema
  .pick({
    id: true,
    number: true,
    subject: true,
    type: true,
    priority: true,
    status: true,
    channel: true,
    personId: true,
    assigneeId: true,
    teamId: true,
    tags: true,
    lastCustomerMessageAt: true,
    statusChangedAt: true,
    createdAt: true,
    updatedAt: true,
  })
  .extend({
    slaDue: slaMetricSchema
      .pick({ metric: true, state: true, warnAt: true })
      .extend({ dueAt: isoDate })
      .nullable()
      .describe('The running or breached SLA metric due first (null when none)'),
  })
  .meta({ id: 'TicketSummary' });

/** A file sent as base64 JSON (agent replies, API channel messages). */
export const attachmentUpload = z.object({
  fileName: z.string().trim().min(1).max(255),
  contentType: z
    .string()
    .trim()
    .max(200)
    .regex(/^[\w.+-]+\/[\w.+-]+(\s*;.*)?$/, 'a MIME type such as application/pdf')
    .optional()
    .describe('Default application/octet-stream'),
  contentBase64: z.base64().describe('The file, base64-encoded'),
});

/** An uploaded file as the services take it. */
export function decodeUpload(a: z.infer<typeof attachmentUpload>): IncomingAttachment {
  return {
    fileName: a.fileName,
    contentType: a.contentType ?? 'application/octet-stream',
    content: Buffer.from(a.contentBase64, 'base64'),
  };
}

export const attachmentSchema = z.object({
  id: z.string(),
  fileName: z.string(),
  contentType: z.string(),
  size: z.number().int(),
  sha256: z.string(),
  contentId: z.string().nullable(),
  url: z.string().describe('Download (same authentication as the API)'),
});

export function presentAttachment(ticketId: string, a: AttachmentRow): z.infer<typeof attachmentSchema> {
  return {
    id: a.id,
    fileName: a.fileName,
    contentType: a.contentType,
    size: a.size,
    sha256: a.sha256,
    contentId: a.contentId,
    url: `/api/v1/tickets/${ticketId}/attachments/${a.id}`,
  };
}

export const messageSchema = z
  .object({
    id: z.string(),
    conversationId: z.string(),
    direction: z.enum(['inbound', 'outbound', 'note']),
    authorType: z.string(),
    authorId: z.string().nullable(),
    bodyText: z.string(),
    bodyHtml: z.string().nullable().describe('Sanitised HTML'),
    emailMessageId: z.string().nullable(),
    meta: z.record(z.string(), z.unknown()),
    delivery: z.string().describe('received, queued, sent, failed or stored'),
    deliveryError: z.string().nullable(),
    attachments: z.array(attachmentSchema),
    createdAt: isoDate,
  })
  .meta({ id: 'Message' });

export function presentMessage(m: MessageRow, files: AttachmentRow[]): z.infer<typeof messageSchema> {
  return {
    id: m.id,
    conversationId: m.conversationId,
    direction: m.direction,
    authorType: m.authorType,
    authorId: m.authorId,
    bodyText: m.bodyText,
    bodyHtml: m.bodyHtml,
    emailMessageId: m.emailMessageId,
    meta: m.meta,
    delivery: m.delivery,
    deliveryError: m.deliveryError,
    attachments: files.filter((f) => f.messageId === m.id).map((f) => presentAttachment(m.ticketId, f)),
    createdAt: m.createdAt.toISOString(),
  };
}

export const conversationSchema = z.object({
  id: z.string(),
  channel: z.enum(channelKinds),
  channelId: z.string().nullable(),
  subject: z.string().nullable(),
  externalId: z.string().nullable(),
  lastMessageAt: isoDate,
  createdAt: isoDate,
});

export function presentConversation(c: ConversationRow): z.infer<typeof conversationSchema> {
  return {
    id: c.id,
    channel: c.channel,
    channelId: c.channelId,
    subject: c.subject,
    externalId: c.externalId,
    lastMessageAt: c.lastMessageAt.toISOString(),
    createdAt: c.createdAt.toISOString(),
  };
}

export const ticketDetailSchema = ticketSchema
  .extend({
    conversations: z.array(conversationSchema),
    messages: z
      .array(messageSchema)
      .describe('The newest messages (at most 500), oldest first; older ones with `?before=` the first message id'),
    olderMessages: z.boolean().describe('Whether the ticket has messages older than those returned'),
    person: z
      .object({
        id: z.string(),
        displayName: z.string(),
        emails: z.array(z.string()),
        phones: z.array(z.string()),
        stage: z.string(),
        tags: z.array(z.string()),
      })
      .nullable(),
  })
  .meta({ id: 'TicketDetail' });

export function presentTicketDetail(x: {
  ticket: TicketRow;
  conversations: ConversationRow[];
  messages: MessageRow[];
  olderMessages: boolean;
  attachments: AttachmentRow[];
  person: PersonRow | null;
}): z.infer<typeof ticketDetailSchema> {
  return {
    ...presentTicket(x.ticket),
    conversations: x.conversations.map(presentConversation),
    messages: x.messages.map((m) => presentMessage(m, x.attachments)),
    olderMessages: x.olderMessages,
    person: x.person
      ? {
          id: x.person.id,
          displayName: x.person.displayName,
          emails: x.person.emails,
          phones: x.person.phones,
          stage: x.person.stage,
          tags: x.person.tags,
        }
      : null,
  };
}

export const ticketListQuery = listQuery.extend({
  queue: z
    .enum(['mine', 'unassigned', 'my_teams', 'breaching', 'open', 'all'])
    .optional()
    .describe('mine, unassigned, my_teams, breaching (an SLA due within 2 h or breached), open (not solved), all'),
  q: z.string().max(200).optional().describe('Ticket number (#1042), words of the subject, or the customer'),
});

const requester = z
  .object({
    personId: z.uuid().optional(),
    email: shortText(320).optional(),
    phone: shortText(40).optional(),
    name: shortText(200).optional(),
  })
  .refine((r) => r.personId || r.email || r.phone, { message: 'give personId, email or phone' });

/** Values of the ticket custom fields by key; null clears one. Checked against the definitions (GET /custom-fields). */
export const customValuesBody = z
  .record(z.string().max(50), z.unknown())
  .optional()
  .describe(
    'Ticket custom field values by key (see GET /custom-fields?entity=ticket); null clears one. Unknown keys and wrong types are refused (400, details.problems names custom.<key>)',
  );

const manualCallBody = z.object({
  startedAt: z.iso.datetime({ offset: true }).optional(),
  answeredAt: z.iso.datetime({ offset: true }).optional(),
  durationSeconds: z.number().int().min(0).max(86_400).optional(),
  outcome: z.string().trim().max(200).optional().describe('e.g. answered, resolved, voicemail, no answer'),
  recordingUrl: z
    .url({ protocol: /^https?$/ })
    .max(2000)
    .optional()
    .describe("A link to the call's recording"),
});

export const ticketCreateBody = z.object({
  subject: shortText(300).min(1, 'a ticket needs a subject'),
  requester,
  text: z.string().max(200_000).optional(),
  html: z.string().max(2_000_000).optional(),
  channel: z.enum(['email', 'phone', 'api', 'form', 'chat']).optional(),
  from: z.enum(['customer', 'agent']).optional(),
  type: shortText(50).optional(),
  priority: z.enum(ticketPriorities).optional(),
  assigneeId: z.uuid().nullish(),
  teamId: z.uuid().nullish(),
  tags: z.array(shortText(50)).max(50).optional(),
  custom: customValuesBody,
  call: manualCallBody
    .optional()
    .describe(
      'A phone call logged by hand (channel phone, from the customer); answered (an answer time, an outcome or a duration that says so) it is the first response. Times more than 5 minutes ahead are refused',
    ),
});

export const ticketCallBody = z.object({
  direction: z
    .enum(['inbound', 'outbound'])
    .describe('inbound: the customer called about this ticket; outbound: the agent called the customer'),
  call: manualCallBody.describe(
    'The call; without startedAt it is the call that just ended (now less its duration). Times more than 5 minutes ahead are refused',
  ),
  text: z.string().max(10_000).optional().describe("The agent's notes on the call"),
  status: z.enum(ticketStatuses).optional().describe('The status after the call (default: as a message would move it)'),
});

export const ticketPatchBody = z
  .object({
    subject: shortText(300).min(1).optional(),
    type: shortText(50).optional(),
    priority: z.enum(ticketPriorities).optional(),
    status: z.enum(ticketStatuses).optional(),
    assigneeId: z.uuid().nullish(),
    teamId: z.uuid().nullish(),
    personId: z.uuid().optional(),
    tags: z.array(shortText(50)).max(50).optional(),
    custom: customValuesBody,
  })
  .refine((b) => Object.keys(b).length > 0, { message: 'change at least one field' });

export const ticketBulkBody = z
  .object({
    ids: z.array(z.uuid()).min(1).max(200).describe('The tickets to change (up to 200)'),
    status: z.enum(ticketStatuses).optional(),
    priority: z.enum(ticketPriorities).optional(),
    assigneeId: z.uuid().nullish().describe('null unassigns'),
    teamId: z.uuid().nullish().describe('null clears the team'),
    addTags: z.array(shortText(50).min(1)).max(50).optional(),
    removeTags: z.array(shortText(50).min(1)).max(50).optional(),
  })
  .refine(
    (b) =>
      [b.status, b.priority, b.assigneeId, b.teamId].some((v) => v !== undefined) ||
      Boolean(b.addTags?.length || b.removeTags?.length),
    { message: 'change at least one thing: status, priority, assigneeId, teamId, addTags or removeTags' },
  );

export const ticketBulkResult = z.object({
  updated: z.array(z.object({ id: z.uuid(), number: z.number().int(), status: z.string() })),
  failed: z
    .array(z.object({ id: z.uuid(), number: z.number().int().nullable(), code: z.string(), message: z.string() }))
    .describe('Tickets that could not take the change, with the reason; the others changed'),
});

export const replyBody = z.object({
  text: z.string().max(200_000).optional(),
  html: z.string().max(2_000_000).optional(),
  internal: z.boolean().optional().describe('An internal note, never sent to the customer'),
  status: z.enum(ticketStatuses).optional().describe('Set the status in the same step (e.g. pending, solved)'),
  conversationId: z.uuid().optional(),
  seenMessageId: z
    .uuid()
    .optional()
    .describe('The newest message you saw; if others arrived since, 409 with reason "collision" unless force'),
  force: z.boolean().optional(),
  attachments: z
    .array(attachmentUpload)
    .max(20)
    .optional()
    .describe(
      'Files sent with the reply (an e-mail carries them) and kept like inbound ones; each at most the attachment limit (RAPPORT_ATTACHMENT_MAX_BYTES, 20 MB): 413 beyond',
    ),
});

export const mergeBody = z.object({ ticketIds: z.array(z.uuid()).min(1).max(50) });
export const splitBody = z.object({
  messageIds: z.array(z.uuid()).min(1).max(500),
  subject: shortText(300).optional(),
});
