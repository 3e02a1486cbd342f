import crypto from 'node:crypto';

/**
 * Webhooks: what a subscription matches, how a delivery is signed, and when a failed delivery is tried again.
 * Pure code (HMAC is computation, not I/O), shared by the delivery job, the docs and the tests.
 */

/** An exact type (`person.created`), a prefix (`person.*`, `person.consent.*`), or `*` for everything. */
export const eventTypePattern = /^(\*|[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*(\.\*)?)$/;

export function isEventTypePattern(s: string): boolean {
  return s.length <= 100 && eventTypePattern.test(s);
}

/** Whether an event type is one the subscription asks for. */
export function matchesEventTypes(subscribed: readonly string[], type: string): boolean {
  for (const s of subscribed) {
    if (s === '*' || s === type) return true;
    if (s.endsWith('.*') && type.startsWith(s.slice(0, -1))) return true;
  }
  return false;
}

/** Only http(s) URLs with a host can be webhook endpoints. Returns the reason when it cannot. */
export function webhookUrlProblem(raw: string): string | null {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return 'is not a URL';
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return `must be an http or https URL, not ${u.protocol}`;
  if (!u.hostname) return 'must name a host';
  // Secrets belong in the receiver's check of the signature, not in a URL every log and screen shows.
  if (u.username || u.password) return 'must not carry a user name or password (the signature authenticates)';
  return null;
}

/** A new signing secret: `whsec_` and 32 random bytes. */
export function newWebhookSecret(): string {
  return `whsec_${crypto.randomBytes(32).toString('base64url')}`;
}

/** `v1=` + hex HMAC-SHA256(secret, `${timestamp}.${body}`): the value of the `Rapport-Signature` header. */
export function signWebhook(secret: string, timestamp: number, body: string): string {
  const mac = crypto.createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
  return `v1=${mac}`;
}

/**
 * What a receiver does: recompute the signature over the raw body and compare in constant time; refuse a timestamp
 * further than `toleranceSeconds` from now (a replayed old request). The header may carry several `v1=` values.
 */
export function verifyWebhookSignature(input: {
  secret: string;
  signatureHeader: string;
  timestamp: string | number;
  body: string;
  nowSeconds?: number;
  toleranceSeconds?: number;
}): boolean {
  const ts = typeof input.timestamp === 'number' ? input.timestamp : Number(input.timestamp);
  if (!Number.isInteger(ts)) return false;
  const now = input.nowSeconds ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - ts) > (input.toleranceSeconds ?? 300)) return false;
  const expected = Buffer.from(signWebhook(input.secret, ts, input.body));
  return input.signatureHeader
    .split(',')
    .map((s) => Buffer.from(s.trim()))
    .some((given) => given.length === expected.length && crypto.timingSafeEqual(given, expected));
}

/** When failed deliveries are tried again: base × 2^(attempt−1), capped, for at least `minSpanMs` in all. */
export type RetrySchedule = { baseMs: number; maxMs: number; minSpanMs: number };

export const defaultRetrySchedule: RetrySchedule = {
  baseMs: 60_000,
  maxMs: 2 * 60 * 60_000,
  minSpanMs: 24 * 60 * 60_000,
};

/** The wait after failed attempt `attempt` (1-based): the same formula as the job runner's backoff. */
export function retryDelayMs(attempt: number, schedule: RetrySchedule = defaultRetrySchedule): number {
  return Math.min(schedule.maxMs, schedule.baseMs * 2 ** Math.max(0, attempt - 1));
}

/** How many attempts it takes for the waits between them to add up to at least `minSpanMs`. */
export function maxDeliveryAttempts(schedule: RetrySchedule = defaultRetrySchedule): number {
  let attempts = 1;
  let span = 0;
  while (span < schedule.minSpanMs) {
    span += retryDelayMs(attempts, schedule);
    attempts++;
  }
  return attempts;
}

/** The delivery body: the event as receivers see it. */
export type WebhookEventBody = {
  id: string;
  type: string;
  occurredAt: string;
  workspaceId: string;
  subject: { type: string; id: string };
  actor: { type: string; id: string | null };
  data: Record<string, unknown>;
};

/** Response bodies are kept only as a short excerpt in the delivery log. */
export const responseExcerptLength = 1024;

export function excerpt(text: string, max = responseExcerptLength): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}
