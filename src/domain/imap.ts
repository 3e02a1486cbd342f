/**
 * IMAP polling of an e-mail channel's mailbox, the parts without I/O: when a channel is due, which messages a poll
 * asks for, where the cursor moves, and what a failure means in words an admin can act on.
 */

export const imapSecurities = ['tls', 'starttls', 'none'] as const;
export type ImapSecurity = (typeof imapSecurities)[number];
export const imapAfterImportActions = ['seen', 'move'] as const;
export type ImapAfterImport = (typeof imapAfterImportActions)[number];

/** The stored `settings.imap` of an e-mail channel (the password included: it never leaves the server). */
export type ImapSettings = {
  enabled: boolean;
  host: string;
  port: number;
  /** tls: TLS from the first byte (993); starttls: upgrade on 143, required; none: plain text (local servers only). */
  security: ImapSecurity;
  user: string;
  password: string;
  mailbox: string;
  /** What happens to a message once it is in Rapport: flagged \Seen, or moved to `moveTo`. */
  afterImport: ImapAfterImport;
  moveTo: string | null;
  pollIntervalSeconds: number;
};

export const minPollIntervalSeconds = 30;
export const defaultPollIntervalSeconds = 60;

export function defaultImapPort(security: ImapSecurity): number {
  return security === 'tls' ? 993 : 143;
}

/** The polls are enqueued by a schedule that runs each minute; this much early still counts as on time. */
export const pollSlackMs = 15_000;

/**
 * Whether a channel's mailbox should be polled now: enabled, not being polled (an unexpired lease), and its interval
 * elapsed since the last poll began (less the scheduler's slack, so a 60 s interval polls each minute, not every
 * other one).
 */
export function imapPollDue(
  settings: Pick<ImapSettings, 'enabled' | 'pollIntervalSeconds'>,
  state: { lastPollAt: Date | null; pollingUntil: Date | null } | null,
  now: Date,
): boolean {
  if (!settings.enabled) return false;
  if (state?.pollingUntil && state.pollingUntil > now) return false;
  if (!state?.lastPollAt) return true;
  const interval = Math.max(minPollIntervalSeconds, settings.pollIntervalSeconds) * 1000;
  return now.getTime() - state.lastPollAt.getTime() >= interval - pollSlackMs;
}

export type ImapCursor = { uidValidity: string | null; lastUid: number | null };

/** What a poll asks the mailbox for: UIDs above the last imported one, or (new or changed mailbox) UNSEEN. */
export type ImapFetchPlan = { mode: 'uid'; after: number } | { mode: 'unseen' };

export function imapFetchPlan(cursor: ImapCursor | null, mailboxUidValidity: string): ImapFetchPlan {
  if (cursor?.uidValidity === mailboxUidValidity && cursor.lastUid !== null && cursor.lastUid >= 0)
    return { mode: 'uid', after: cursor.lastUid };
  return { mode: 'unseen' };
}

/**
 * The UIDs a poll takes, in order: the search result (a `n:*` search also returns the highest UID when nothing is
 * above n, hence the filter), ascending, at most `max`.
 */
export function uidsToFetch(found: readonly number[], plan: ImapFetchPlan, max: number): number[] {
  const after = plan.mode === 'uid' ? plan.after : 0;
  return [...new Set(found)]
    .filter((u) => Number.isInteger(u) && u > after)
    .sort((a, b) => a - b)
    .slice(0, Math.max(0, max));
}

/**
 * Where the cursor stands after a poll. In UID mode it is the highest UID handled. In UNSEEN mode (a new mailbox, or
 * UIDVALIDITY changed) the cursor is only set once every unseen message was handled: to the highest of those and
 * UIDNEXT − 1, so older read mail is never imported and later polls ask by UID. Until then (a capped poll) it stays
 * unset, and the next poll asks for UNSEEN again — the handled ones are no longer unseen.
 */
export function cursorAfterPoll(opts: {
  plan: ImapFetchPlan;
  uidValidity: string;
  handled: readonly number[];
  drained: boolean;
  uidNext: number;
}): ImapCursor {
  const top = opts.handled.length ? Math.max(...opts.handled) : 0;
  if (opts.plan.mode === 'uid') return { uidValidity: opts.uidValidity, lastUid: Math.max(opts.plan.after, top) };
  if (!opts.drained) return { uidValidity: null, lastUid: null };
  return { uidValidity: opts.uidValidity, lastUid: Math.max(top, opts.uidNext - 1, 0) };
}

/** Settings that name another mailbox: when one changes, the cursor starts over. */
export function sameMailbox(
  a: Pick<ImapSettings, 'host' | 'port' | 'user' | 'mailbox'> | null,
  b: Pick<ImapSettings, 'host' | 'port' | 'user' | 'mailbox'> | null,
): boolean {
  if (!a || !b) return a === b;
  return (
    a.host.toLowerCase() === b.host.toLowerCase() && a.port === b.port && a.user === b.user && a.mailbox === b.mailbox
  );
}

export const imapErrorCodes = [
  'imap_auth_failed',
  'imap_unreachable',
  'imap_tls_failed',
  'imap_mailbox_missing',
  'imap_failed',
] as const;
export type ImapErrorCode = (typeof imapErrorCodes)[number];

/** The fields of an imapflow or Node socket error this looks at. */
export type ImapErrorLike = {
  message?: unknown;
  code?: unknown;
  authenticationFailed?: unknown;
  tlsFailed?: unknown;
  mailboxMissing?: unknown;
  responseText?: unknown;
  serverResponseCode?: unknown;
};

const unreachableCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'ENETDOWN',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_FAIL',
  'EAI_NONAME',
  'CONNECT_TIMEOUT',
  'GREETING_TIMEOUT',
  'UPGRADE_TIMEOUT',
  'ETIMEOUT',
  'NoConnection',
  'EConnectionClosed',
  'ClosedAfterConnectText',
  'ClosedAfterConnectTLS',
]);

const oneLine = (s: string, max = 300) => {
  const t = s.replace(/\s+/g, ' ').trim();
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
};

/** A connection, login or mailbox failure as a code and a sentence that says what to fix. */
export function classifyImapError(
  err: unknown,
  where: { host: string; port: number; mailbox?: string },
): { code: ImapErrorCode; message: string } {
  const e: ImapErrorLike = err !== null && typeof err === 'object' ? (err as ImapErrorLike) : { message: String(err) };
  const code = typeof e.code === 'string' ? e.code : '';
  const said = typeof e.responseText === 'string' && e.responseText.trim() ? oneLine(e.responseText) : null;
  const message = typeof e.message === 'string' ? oneLine(e.message) : 'unknown error';
  const server = `${where.host}:${where.port}`;
  if (e.authenticationFailed === true || e.serverResponseCode === 'AUTHENTICATIONFAILED')
    return {
      code: 'imap_auth_failed',
      message: `${server} refused the user name or password${said ? ` (${said})` : ''}`,
    };
  if (e.mailboxMissing === true || code === 'NotFound')
    return {
      code: 'imap_mailbox_missing',
      message: `The mailbox "${where.mailbox ?? 'INBOX'}" does not exist on ${server}${said ? ` (${said})` : ''}`,
    };
  if (
    e.tlsFailed === true ||
    /^(ERR_TLS|ERR_SSL|CERT_|DEPTH_ZERO|SELF_SIGNED|UNABLE_TO_|ERR_OSSL)/.test(code) ||
    code === 'STARTTLS_INJECTION'
  )
    return { code: 'imap_tls_failed', message: `No secure connection to ${server}: ${message}` };
  if (code === 'ECONNREFUSED') return { code: 'imap_unreachable', message: `${server} refused the connection` };
  if (code === 'ENOTFOUND' || code === 'EAI_NONAME' || code === 'EAI_AGAIN' || code === 'EAI_FAIL')
    return { code: 'imap_unreachable', message: `The host name ${where.host} could not be resolved` };
  if (unreachableCodes.has(code))
    return { code: 'imap_unreachable', message: `Could not reach ${server}: ${message}${code ? ` (${code})` : ''}` };
  return { code: 'imap_failed', message: `IMAP error from ${server}: ${said ?? message}` };
}
