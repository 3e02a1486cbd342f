/**
 * The SLA clock: from a ticket's events, where each target of its SLA policy stands (running, paused, met, breached,
 * stopped), when it falls due and when to warn. Pure code; the ticket service stores what it returns and a scheduled
 * job wakes at nextSlaCheck() to warn and escalate.
 *
 * Semantics (the ones serious help desks use; sla.test.ts pins each one down):
 * - Time counts only while the policy's calendar is open (business-hours.ts: its own time zone, holidays, DST), and
 *   only while the ticket is not paused: while its status is in `pauseOn` (default ['pending'], waiting on the
 *   customer; add 'on_hold' to stop the clock while waiting on a third party) no clock accumulates. Clocks resume when
 *   the status leaves pauseOn; a customer message alone does not resume them (the status change does).
 * - first_response starts at creation and is met by the first public agent reply (internal notes are not replies).
 *   If the ticket is solved or closed before any reply, it is 'stopped' (neither met nor breached).
 * - next_response: once the first response phase is over, a customer message starts a cycle if none is running
 *   (further messages while it runs change nothing); the next agent reply meets it. A message on a solved or closed
 *   ticket starts its cycle when the ticket is reopened, counting from the reopening. Solving stops a running cycle
 *   ('stopped'). The current cycle, or else the last one, is reported; before the first cycle the metric is absent.
 * - resolution starts at creation and is met when the status becomes solved or closed. Reopening (back to
 *   new/open/pending/on_hold) resumes it from the business time already spent: the total over all open periods
 *   counts. It is the only metric that can leave 'met'.
 * - dueAt is the earliest instant at which the counted business time reaches the target (so a target running out at
 *   Friday 17:00 is due then, not on Monday morning); warnAt is the earliest instant at which the remaining business
 *   time is warnBeforeMinutes (null when warnBeforeMinutes is 0; the start when the warning exceeds the target).
 *   While paused, dueAt is null and so is warnAt unless the warning was already reached before the pause. A completed
 *   metric keeps the due and warn instants as they stood when it completed (projected if it was counting then).
 * - The boundary: a reply (or solve) at or before dueAt meets the target; any later one, even in closed hours when
 *   no business time passed, is late. Without a reply, the metric is breached from dueAt on (now >= dueAt).
 *   breachedAt is then dueAt. A breach is final for its cycle; a met first_response or next_response cycle stays met.
 * - elapsedBusinessMs counts up to completion or `now`; remainingBusinessMs is target − elapsed and goes negative
 *   once overdue.
 * - Events are sorted by time (stable; at the same instant: created, customer message, agent reply, status, so a
 *   "reply and solve" meets the reply target); events after `now`, events before the first 'created' and later
 *   'created' events are ignored. Without a 'created' event there is no clock.
 */
import {
  addBusinessMsOrNull,
  businessMsBetween,
  compileCalendar,
  type BusinessCalendar,
  type CompiledCalendar,
} from './business-hours.ts';

export type SlaMetric = 'first_response' | 'next_response' | 'resolution';
export const slaMetrics: readonly SlaMetric[] = ['first_response', 'next_response', 'resolution'];
export type TicketStatus = 'new' | 'open' | 'pending' | 'on_hold' | 'solved' | 'closed';
export const ticketStatuses: readonly TicketStatus[] = ['new', 'open', 'pending', 'on_hold', 'solved', 'closed'];
/** Business minutes per metric; a metric without a target is not tracked. */
export type SlaTargets = Partial<Record<SlaMetric, number>>;
export type SlaPolicyClock = {
  targets: SlaTargets;
  calendar: BusinessCalendar;
  pauseOn: TicketStatus[];
  warnBeforeMinutes: number;
};
/** Waiting on the customer stops the clock unless a policy says otherwise. */
export const defaultPauseOn: TicketStatus[] = ['pending'];

export type SlaEvent =
  | { at: Date; kind: 'created'; status: TicketStatus }
  | { at: Date; kind: 'customer_message' }
  | { at: Date; kind: 'agent_reply' } // public reply by an agent (internal notes are not replies)
  | { at: Date; kind: 'status'; status: TicketStatus };

export type SlaMetricState = {
  metric: SlaMetric;
  /** Minutes. */
  target: number;
  state: 'running' | 'paused' | 'met' | 'breached' | 'stopped';
  startedAt: Date;
  /** null while paused. */
  dueAt: Date | null;
  warnAt: Date | null;
  breachedAt: Date | null;
  completedAt: Date | null;
  elapsedBusinessMs: number;
  remainingBusinessMs: number;
};

const minuteMs = 60_000;
const kindOrder: Record<SlaEvent['kind'], number> = { created: 0, customer_message: 1, agent_reply: 2, status: 3 };

function isDone(s: TicketStatus): boolean {
  return s === 'solved' || s === 'closed';
}

/** One clock (a metric, or one next_response cycle): the periods in which it counted, and how it ended. */
type Clock = {
  startedAt: number;
  periods: Array<[number, number]>;
  /** Counting since this instant (null while paused or completed). */
  countingSince: number | null;
  completedAt: number | null;
  outcome: 'met' | 'stopped' | null;
  /** Whether it was counting when it completed: its due time then is a projection from that instant. */
  countingAtCompletion: boolean;
};

function startClock(at: number, counting: boolean): Clock {
  return {
    startedAt: at,
    periods: [],
    countingSince: counting ? at : null,
    completedAt: null,
    outcome: null,
    countingAtCompletion: false,
  };
}

function pauseClock(c: Clock, at: number): void {
  if (c.countingSince === null) return;
  c.periods.push([c.countingSince, at]);
  c.countingSince = null;
}

function resumeClock(c: Clock, at: number): void {
  if (c.completedAt === null && c.countingSince === null) c.countingSince = at;
}

function completeClock(c: Clock, at: number, outcome: 'met' | 'stopped'): void {
  if (c.completedAt !== null) return;
  c.countingAtCompletion = c.countingSince !== null;
  pauseClock(c, at);
  c.completedAt = at;
  c.outcome = outcome;
}

/** Reopening resolution: it counts on from its total so far. */
function reopenClock(c: Clock, at: number, counting: boolean): void {
  c.completedAt = null;
  c.outcome = null;
  c.countingAtCompletion = false;
  c.countingSince = counting ? at : null;
}

function sortedEvents(events: SlaEvent[], now: number): SlaEvent[] {
  return events
    .map((e, i) => ({ e, i, t: e.at.getTime() }))
    .filter((x) => Number.isFinite(x.t) && x.t <= now)
    .sort((a, b) => a.t - b.t || kindOrder[a.e.kind] - kindOrder[b.e.kind] || a.i - b.i)
    .map((x) => x.e);
}

/** Replays the events into one clock per metric (next_response: the current or last cycle). */
function replay(
  events: SlaEvent[],
  pauseOn: readonly TicketStatus[],
): { first: Clock; next: Clock | null; resolution: Clock } | null {
  let i = events.findIndex((e) => e.kind === 'created');
  if (i < 0) return null;
  const created = events[i] as Extract<SlaEvent, { kind: 'created' }>;
  const t0 = created.at.getTime();
  let status = created.status;
  const counts = (s: TicketStatus) => !isDone(s) && !pauseOn.includes(s);

  const first = startClock(t0, counts(status));
  const resolution = startClock(t0, counts(status));
  let next: Clock | null = null;
  /** A customer message on a solved/closed ticket, still unanswered: its cycle starts at the reopening. */
  let unansweredWhileDone = false;
  if (isDone(status)) {
    completeClock(first, t0, 'stopped');
    completeClock(resolution, t0, 'met');
  }

  for (i += 1; i < events.length; i++) {
    const e = events[i]!;
    const t = e.at.getTime();
    if (e.kind === 'created') continue;
    if (e.kind === 'customer_message') {
      if (first.completedAt === null) continue; // still the first response phase
      if (next !== null && next.completedAt === null) continue; // a cycle is running (or paused)
      if (isDone(status)) unansweredWhileDone = true;
      else next = startClock(t, counts(status));
    } else if (e.kind === 'agent_reply') {
      completeClock(first, t, 'met');
      if (next) completeClock(next, t, 'met');
      unansweredWhileDone = false;
    } else {
      const was = status;
      status = e.status;
      if (was === status) continue;
      if (isDone(status)) {
        completeClock(first, t, 'stopped');
        if (next) completeClock(next, t, 'stopped');
        unansweredWhileDone = false;
        if (!isDone(was)) completeClock(resolution, t, 'met');
        continue;
      }
      if (isDone(was)) {
        reopenClock(resolution, t, counts(status));
        if (unansweredWhileDone) next = startClock(t, counts(status));
        unansweredWhileDone = false;
        continue;
      }
      for (const c of [first, next, resolution]) {
        if (!c) continue;
        if (counts(status)) resumeClock(c, t);
        else pauseClock(c, t);
      }
    }
  }
  return { first, next, resolution };
}

/** Where one clock stands at `now`, against its target. */
function clockState(
  cal: CompiledCalendar,
  metric: SlaMetric,
  targetMinutes: number,
  warnMinutes: number,
  clock: Clock,
  now: number,
): SlaMetricState {
  const targetMs = targetMinutes * minuteMs;
  const warnMs = warnMinutes * minuteMs;
  // The periods that counted, the last one open-ended when the clock counts at `end` (its due time is a projection).
  const periods: Array<[number, number]> = [...clock.periods];
  const counting = clock.completedAt === null ? clock.countingSince !== null : clock.countingAtCompletion;
  if (clock.completedAt === null && clock.countingSince !== null) periods.push([clock.countingSince, now]);

  let elapsed = 0;
  let due: number | null = targetMs <= 0 ? clock.startedAt : null;
  let warn: number | null = warnMs <= 0 ? null : targetMs - warnMs <= 0 ? clock.startedAt : null;
  const reach = (from: number, ms: number): number | null =>
    addBusinessMsOrNull(cal, new Date(from), ms)?.getTime() ?? null;
  periods.forEach(([a, b], i) => {
    const open = counting && i === periods.length - 1;
    if (due === null) {
      const r = reach(a, targetMs - elapsed);
      if (r !== null && (open || r <= b)) due = r;
    }
    if (warn === null && warnMs > 0) {
      const r = reach(a, targetMs - warnMs - elapsed);
      if (r !== null && (open || r <= b)) warn = r;
    }
    elapsed += businessMsBetween(cal, new Date(a), new Date(b));
  });

  let state: SlaMetricState['state'];
  let breachedAt: number | null = null;
  if (clock.completedAt !== null) {
    if (due !== null && due < clock.completedAt) {
      state = 'breached';
      breachedAt = due;
    } else state = clock.outcome ?? 'met';
  } else if (due !== null && due <= now) {
    state = 'breached';
    breachedAt = due;
  } else state = counting ? 'running' : 'paused';

  const date = (t: number | null) => (t === null ? null : new Date(t));
  return {
    metric,
    target: targetMinutes,
    state,
    startedAt: new Date(clock.startedAt),
    dueAt: date(due),
    warnAt: date(warn),
    breachedAt: date(breachedAt),
    completedAt: date(clock.completedAt),
    elapsedBusinessMs: elapsed,
    remainingBusinessMs: targetMs - elapsed,
  };
}

/**
 * Where each targeted metric stands at `now`, in the order first_response, next_response, resolution. Throws a
 * RangeError for a negative or non-numeric target or warning, or a malformed calendar.
 */
export function computeSla(policy: SlaPolicyClock, events: SlaEvent[], now: Date): SlaMetricState[] {
  const nowMs = now.getTime();
  if (!Number.isFinite(nowMs)) throw new RangeError('now is not a valid date');
  for (const m of slaMetrics) {
    const v = policy.targets[m];
    if (v !== undefined && !(Number.isFinite(v) && v >= 0)) throw new RangeError(`target ${m} must be >= 0 minutes`);
  }
  if (!(Number.isFinite(policy.warnBeforeMinutes) && policy.warnBeforeMinutes >= 0)) {
    throw new RangeError('warnBeforeMinutes must be >= 0');
  }
  const clocks = replay(sortedEvents(events, nowMs), policy.pauseOn);
  if (!clocks) return [];
  const cal = compileCalendar(policy.calendar);
  const out: SlaMetricState[] = [];
  const byMetric: Record<SlaMetric, Clock | null> = {
    first_response: clocks.first,
    next_response: clocks.next,
    resolution: clocks.resolution,
  };
  for (const m of slaMetrics) {
    const target = policy.targets[m];
    const clock = byMetric[m];
    if (target === undefined || !clock) continue;
    out.push(clockState(cal, m, target, policy.warnBeforeMinutes, clock, nowMs));
  }
  return out;
}

/** The earliest warnAt or dueAt after `now` of a running metric: when the scheduled job should look again. */
export function nextSlaCheck(states: SlaMetricState[], now: Date): Date | null {
  const t = now.getTime();
  let best: number | null = null;
  for (const s of states) {
    if (s.state !== 'running') continue;
    for (const d of [s.warnAt, s.dueAt]) {
      const x = d?.getTime();
      if (x !== undefined && x > t && (best === null || x < best)) best = x;
    }
  }
  return best === null ? null : new Date(best);
}

// ---------------------------------------------------------------------------------------------------------------
// Which policy applies

export type SlaCondition = {
  field: 'priority' | 'type' | 'tag' | 'segment' | 'channel';
  op: 'is' | 'is_not' | 'in';
  value: string | string[];
};
export type SlaTicketFacts = { priority: string; type: string; tags: string[]; segments: string[]; channel: string };

/**
 * Whether a ticket meets one condition. Values compare exactly. On the list fields (tag, segment), 'is' and 'in'
 * mean the ticket has one of the values, 'is_not' that it has none; a list value on a single field means any of them.
 */
export function matchesCondition(c: SlaCondition, ticket: SlaTicketFacts): boolean {
  const values = Array.isArray(c.value) ? c.value : [c.value];
  const have =
    c.field === 'tag'
      ? ticket.tags
      : c.field === 'segment'
        ? ticket.segments
        : [c.field === 'priority' ? ticket.priority : c.field === 'type' ? ticket.type : ticket.channel];
  const any = values.some((v) => have.includes(v));
  return c.op === 'is_not' ? !any : any;
}

/** The first policy (in the given order) whose conditions all hold; a policy without conditions matches any ticket. */
export function matchPolicy<P extends { conditions: SlaCondition[] }>(policies: P[], ticket: SlaTicketFacts): P | null {
  return policies.find((p) => p.conditions.every((c) => matchesCondition(c, ticket))) ?? null;
}
