import { z } from 'zod';
import {
  defaultImapPort,
  defaultPollIntervalSeconds,
  imapAfterImportActions,
  imapSecurities,
  minPollIntervalSeconds,
  type ImapSettings,
} from '../../domain/imap.ts';
import { AppError } from '../../errors.ts';
import { iso } from '../../http/schemas.ts';
import type { ChannelImapStateRow } from './channels.repository.ts';

const hostName = z
  .string()
  .trim()
  .min(1)
  .max(253)
  .regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9]([A-Za-z0-9_.:-]*[A-Za-z0-9])?)$/, 'must be a host name or an IP address');
const mailboxName = z
  .string()
  .trim()
  .min(1)
  .max(200)
  // eslint-disable-next-line no-control-regex
  .regex(/^[^\u0000-\u001f\u007f]+$/, 'must not contain control characters');
const port = z.number().int().min(1).max(65535);
const pollInterval = z
  .number()
  .int()
  .min(minPollIntervalSeconds)
  .max(24 * 3600)
  .describe(`Seconds between polls, at least ${minPollIntervalSeconds} (default ${defaultPollIntervalSeconds})`);

/**
 * `settings.imap` as the API takes it. Every field is optional: given fields change, the others keep their stored
 * values (a password left out is kept); null removes the whole block.
 */
export const imapSettingsInput = z.object({
  enabled: z.boolean().optional().describe('Poll on a schedule (default true)'),
  host: hostName.optional(),
  port: port.nullish().describe('Default 993 with tls, 143 otherwise'),
  security: z
    .enum(imapSecurities)
    .optional()
    .describe('tls: TLS from the start (default); starttls: upgrade, required; none: plain text (local servers)'),
  user: z.string().min(1).max(320).optional(),
  password: z.string().min(1).max(1000).optional().describe('Stored; never returned (see passwordSet)'),
  mailbox: mailboxName.optional().describe('The folder to fetch from (default INBOX)'),
  afterImport: z
    .enum(imapAfterImportActions)
    .optional()
    .describe('seen: flag imported mail \\Seen (default); move: move it to moveTo'),
  moveTo: mailboxName.nullish().describe('With afterImport = move: the folder (created when missing)'),
  pollIntervalSeconds: pollInterval.optional(),
});
export type ImapSettingsInput = z.infer<typeof imapSettingsInput>;

/** The complete stored settings, checked after the input is laid over what was stored. */
const imapSettingsSchema = z
  .object({
    enabled: z.boolean(),
    host: hostName,
    port,
    security: z.enum(imapSecurities),
    user: z.string().min(1, 'is needed').max(320),
    password: z.string().min(1, 'is needed').max(1000),
    mailbox: mailboxName,
    afterImport: z.enum(imapAfterImportActions),
    moveTo: mailboxName.nullable(),
    pollIntervalSeconds: pollInterval,
  })
  .superRefine((s, ctx) => {
    if (s.afterImport === 'move' && !s.moveTo)
      ctx.addIssue({ code: 'custom', path: ['moveTo'], message: 'is needed to move imported mail' });
    if (s.afterImport === 'move' && s.moveTo === s.mailbox)
      ctx.addIssue({ code: 'custom', path: ['moveTo'], message: 'must be another folder than the one polled' });
  });

/** The stored `settings.imap` of a channel, or null when it has none (or it no longer passes the checks). */
export function storedImapSettings(settings: Record<string, unknown>): ImapSettings | null {
  if (!settings.imap) return null;
  const parsed = imapSettingsSchema.safeParse(settings.imap);
  return parsed.success ? parsed.data : null;
}

/**
 * Lays the input over the stored settings and checks the result (400 with every problem). A port left out follows
 * the security when it was the old security's default.
 */
export function resolveImapSettings(input: ImapSettingsInput, stored: unknown): ImapSettings {
  const old = (stored && typeof stored === 'object' ? stored : {}) as Partial<ImapSettings>;
  const given = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) as Partial<
    Record<keyof ImapSettingsInput, unknown>
  >;
  const security = (given.security ?? old.security ?? 'tls') as ImapSettings['security'];
  let portValue = given.port === undefined ? old.port : given.port;
  if (
    portValue === null ||
    portValue === undefined ||
    (given.port === undefined && old.security && portValue === defaultImapPort(old.security))
  )
    portValue = defaultImapPort(security);
  const merged = {
    enabled: true,
    mailbox: 'INBOX',
    afterImport: 'seen',
    moveTo: null,
    pollIntervalSeconds: defaultPollIntervalSeconds,
    ...old,
    ...given,
    security,
    port: portValue,
  };
  const parsed = imapSettingsSchema.safeParse(merged);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => ({
      in: 'body',
      path: ['settings', 'imap', ...i.path.map(String)].join('.'),
      message: i.message,
    }));
    const first = problems[0];
    throw new AppError(
      'validation_failed',
      `The IMAP settings are not valid${first ? `: ${first.path} ${first.message}` : ''}`,
      { field: 'settings.imap', problems },
    );
  }
  return parsed.data;
}

export const imapSettingsOutput = z
  .object({
    enabled: z.boolean(),
    host: z.string(),
    port: z.number().int(),
    security: z.enum(imapSecurities),
    user: z.string(),
    passwordSet: z.boolean().describe('A password is stored (it is never returned)'),
    mailbox: z.string(),
    afterImport: z.enum(imapAfterImportActions),
    moveTo: z.string().nullable(),
    pollIntervalSeconds: z.number().int(),
  })
  .meta({ id: 'ImapSettings' });

export function presentImapSettings(settings: Record<string, unknown>): z.infer<typeof imapSettingsOutput> | null {
  const s = storedImapSettings(settings);
  if (!s) return null;
  const { password, ...rest } = s;
  return { ...rest, passwordSet: Boolean(password) };
}

export const imapStatusOutput = z
  .object({
    lastPollAt: z.string().nullable().describe('When the last poll began'),
    lastSuccessAt: z.string().nullable(),
    lastImported: z.number().int().describe('Messages the last successful poll took from the mailbox'),
    lastError: z
      .object({
        code: z.string().describe('imap_auth_failed, imap_unreachable, imap_tls_failed, imap_mailbox_missing…'),
        message: z.string(),
        at: z.string().nullable(),
      })
      .nullable()
      .describe('Why the last poll failed; null once a poll succeeds'),
    polling: z.boolean().describe('A poll is running now'),
  })
  .meta({ id: 'ImapStatus' });

export function presentImapStatus(
  state: ChannelImapStateRow | null | undefined,
  now = new Date(),
): z.infer<typeof imapStatusOutput> | null {
  if (!state) return null;
  return {
    lastPollAt: iso(state.lastPollAt),
    lastSuccessAt: iso(state.lastSuccessAt),
    lastImported: state.lastImported,
    lastError:
      state.lastErrorCode || state.lastError
        ? { code: state.lastErrorCode ?? 'imap_failed', message: state.lastError ?? '', at: iso(state.lastErrorAt) }
        : null,
    polling: Boolean(state.pollingUntil && state.pollingUntil > now),
  };
}

export const imapTestResult = z
  .object({
    ok: z.literal(true),
    mailbox: z.string(),
    messages: z.number().int().describe('Messages in the mailbox'),
    unseen: z.number().int().nullable(),
    moveToExists: z
      .boolean()
      .nullable()
      .describe('With afterImport = move: whether the folder exists (the first poll creates it otherwise)'),
  })
  .meta({ id: 'ImapTestResult' });
export type ImapTestResult = z.infer<typeof imapTestResult>;

export const imapPollResult = z
  .object({
    fetched: z.number().int().describe('Messages taken from the mailbox (then flagged \\Seen or moved)'),
    created: z.number().int().describe('New tickets'),
    appended: z.number().int().describe('Messages added to existing tickets'),
    ignored: z.number().int().describe('Automatic mail (auto-replies, bounces) and mail already received'),
    unreadable: z.number().int().describe('Messages kept as well as possible (unparseable or too big)'),
    more: z.boolean().describe('The poll stopped at its limit; the next one continues'),
  })
  .meta({ id: 'ImapPollResult' });
export type ImapPollResult = z.infer<typeof imapPollResult>;
