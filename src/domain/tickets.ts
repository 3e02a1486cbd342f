/**
 * Pure rules of the service desk: ticket vocabularies, status transitions, and what an e-mail's headers say about
 * threading and automatic mail.
 */

export const defaultTicketTypes = [
  { key: 'question', label: 'Question' },
  { key: 'complaint', label: 'Complaint' },
  { key: 'return_refund', label: 'Return / refund' },
  { key: 'technical', label: 'Technical problem' },
  { key: 'billing', label: 'Billing' },
  { key: 'other', label: 'Other' },
] as const;

export type TicketTypeDef = { key: string; label: string };

/** The ticket types of a workspace: its own (settings.ticketTypes) when configured, else the defaults. */
export function ticketTypesOf(settings: Record<string, unknown>): TicketTypeDef[] {
  const configured = settings.ticketTypes;
  if (Array.isArray(configured) && configured.length)
    return configured.filter(
      (t): t is TicketTypeDef =>
        typeof t === 'object' && t !== null && typeof t.key === 'string' && typeof t.label === 'string',
    );
  return defaultTicketTypes.map((t) => ({ ...t }));
}

/** Statuses in which the ticket is done; a new customer message reopens it. */
export const doneStatuses = ['solved', 'closed'] as const;

export function isDone(status: string): boolean {
  return (doneStatuses as readonly string[]).includes(status);
}

/**
 * The status a ticket takes when the customer writes: anything waiting on them (pending) or finished (solved) goes
 * back to open; a closed ticket is not reopened (the message starts a follow-up ticket instead).
 */
export function statusAfterCustomerMessage(status: string): { status: string; followUp: boolean } {
  if (status === 'closed') return { status, followUp: true };
  if (status === 'new') return { status: 'new', followUp: false };
  if (status === 'on_hold') return { status: 'on_hold', followUp: false };
  return { status: 'open', followUp: false };
}

/** Status after an agent's public reply, unless the agent chose one: a new ticket becomes open. */
export function statusAfterAgentReply(status: string): string {
  return status === 'new' ? 'open' : status;
}

/** `<abc@host>` → `abc@host`; empty or missing → null. */
export function normaliseMessageId(raw: string | null | undefined): string | null {
  if (!raw) return null;
  const s = withoutTrailing(raw.trim().replace(/^<+/, ''), '>').trim();
  return s ? s.slice(0, 995) : null;
}

/**
 * `s` without the run of `char` it ends with. Not /c+$/: that regular expression reads each run of `char` anywhere in
 * the text to its end before failing, so time grows with the square of a run's length (a Message-ID of 160,000 `>`
 * and one letter took 8 s).
 */
function withoutTrailing(s: string, char: string): string {
  let end = s.length;
  while (end > 0 && s[end - 1] === char) end--;
  return s.slice(0, end);
}

/** Every message id in a References / In-Reply-To header (or a parsed list), in order, without brackets. */
export function parseMessageIds(raw: string | string[] | null | undefined): string[] {
  if (!raw) return [];
  const text = Array.isArray(raw) ? raw.join(' ') : raw;
  const bracketed = [...text.matchAll(/<([^<>\s]+)>/g)].map((m) => m[1] ?? '');
  const ids = bracketed.length ? bracketed : text.split(/[\s,]+/);
  // A set, not a search of the list for each id: a References header of 1 MB holds some 100,000 ids.
  const out = new Set<string>();
  for (const id of ids) {
    const n = normaliseMessageId(id);
    if (n) out.add(n);
  }
  return [...out];
}

/** "Re: Fwd: AW: Order late" → "Order late": how subjects are compared. */
export function baseSubject(subject: string | null | undefined): string {
  let s = (subject ?? '').trim();
  for (;;) {
    // The spaces after the prefix are matched once (`\s*(\[\d+\]\s*)?`, not `\s*(\[\d+\])?\s*`): two neighbouring
    // `\s*` split a run of spaces every possible way before failing ("Re" and 640,000 spaces took 140 s).
    const next = s.replace(/^(re|fw|fwd|aw|wg|sv|vs|antw|réf|tr)\s*(\[\d+\]\s*)?:\s*/i, '').trim();
    if (next === s) return s;
    s = next;
  }
}

/** The ticket reference we put in outgoing subjects ("[#1042]"), found again when a mail client drops headers. */
export function ticketRefInSubject(subject: string | null | undefined): number | null {
  const m = /\[#(\d{1,9})\]/.exec(subject ?? '');
  return m?.[1] ? Number(m[1]) : null;
}

export function subjectWithRef(subject: string, number: number): string {
  const base = baseSubject(subject) || 'Your request';
  return ticketRefInSubject(base) === number ? `Re: ${base}` : `Re: ${base} [#${number}]`;
}

export type MailHeaders = Record<string, string | string[] | undefined>;

function header(h: MailHeaders, name: string): string {
  const v = h[name.toLowerCase()];
  return (Array.isArray(v) ? v.join(', ') : (v ?? '')).trim().toLowerCase();
}

/**
 * Why a message must not be answered automatically (RFC 3834 Auto-Submitted, Precedence, the auto-responder headers
 * of Exchange and others, delivery reports and mailer daemons), or null when it is a person writing.
 */
export function automaticMailReason(
  h: MailHeaders,
  from: string | null | undefined,
  contentType?: string,
): string | null {
  const autoSubmitted = header(h, 'auto-submitted');
  if (autoSubmitted && autoSubmitted !== 'no') return `Auto-Submitted: ${autoSubmitted}`;
  const precedence = header(h, 'precedence');
  if (['bulk', 'junk', 'list', 'auto_reply'].includes(precedence)) return `Precedence: ${precedence}`;
  if (header(h, 'x-autoreply') || header(h, 'x-autorespond')) return 'X-Autoreply';
  const suppress = header(h, 'x-auto-response-suppress');
  if (suppress && /\b(all|oof|autoreply)\b/.test(suppress)) return `X-Auto-Response-Suppress: ${suppress}`;
  if (header(h, 'list-id') || header(h, 'list-unsubscribe')) return 'mailing list';
  const ct = (contentType ?? header(h, 'content-type')).toLowerCase();
  if (ct.includes('multipart/report') || ct.includes('delivery-status')) return 'delivery report (bounce)';
  const f = (from ?? '').toLowerCase();
  if (/^(mailer-daemon|postmaster|no-?reply|do-?not-?reply)@/.test(f)) return `sender ${f}`;
  const returnPath = header(h, 'return-path');
  if (returnPath === '<>') return 'empty Return-Path (bounce)';
  return null;
}

/** What follows the `{{` of a placeholder: `key }}` or `key | fallback }}` (sticky: read where it is put). */
const placeholderBody = /\s*([a-z_]+(?:\.[a-z_]+)*)\s*(?:\|([^}]*))?\}\}/iy;

/**
 * Render `{{customer.first_name}}`-style placeholders from a flat map of values; unknown placeholders are left for the
 * agent to see, missing values use the `|fallback` if given (e.g. `{{customer.first_name|there}}`).
 */
export function renderPlaceholders(template: string, values: Record<string, string | null | undefined>): string {
  // Read `{{` by `{{` rather than with one regular expression over the template: there, the spaces of a fallback were
  // matched by three neighbouring quantifiers (`\s*([^}]*?)\s*`), so "{{a|" and 5,000 spaces took 14 s, and each
  // unclosed "{{a|" was read to the end of the template. A placeholder ends at the first `}` after its `{{` (a
  // fallback holds no `}`), so where that `}` is not followed by another there is nothing to read.
  let out = '';
  let copied = 0;
  let close = -1;
  for (let open = template.indexOf('{{'); open >= 0; open = template.indexOf('{{', open + 1)) {
    if (close < open + 2) close = template.indexOf('}', open + 2);
    if (close < 0) break;
    if (template[close + 1] !== '}') continue;
    placeholderBody.lastIndex = open + 2;
    const m = placeholderBody.exec(template);
    if (!m) continue;
    const k = (m[1] as string).toLowerCase();
    if (k in values) {
      out += template.slice(copied, open) + (values[k] || (m[2]?.trim() ?? ''));
      copied = close + 2;
    }
    open = close + 1;
  }
  return copied ? out + template.slice(copied) : template;
}

/** How far in the future a phone system's clock may put a call (clock skew) before the call is refused. */
export const callClockSkewMs = 5 * 60 * 1000;

const unansweredOutcome =
  /\b(no[\s_-]*answer|unanswered|not[\s_-]*answered|missed|voice[\s_-]*mail|busy|abandon(ed)?|fail(ed)?|rejected|declined|cancel(l)?ed|no[\s_-]*show)\b/i;
const answeredOutcome = /\b(answered|resolved|completed|connected|talked|handled)\b/i;

/**
 * Whether a call was answered, from what the phone system says: an outcome that says it was missed (no answer,
 * voicemail, busy, abandoned…) is not, one that says answered (resolved, completed, connected…) is, and otherwise a
 * call with talk time (a duration) was.
 */
export function callWasAnswered(call: {
  outcome?: string | null | undefined;
  durationSeconds?: number | null | undefined;
}): boolean {
  const outcome = call.outcome?.trim() ?? '';
  if (outcome && unansweredOutcome.test(outcome)) return false;
  if (outcome && answeredOutcome.test(outcome)) return true;
  return (call.durationSeconds ?? 0) > 0;
}
