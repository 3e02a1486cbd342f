import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { businessMsBetween, type BusinessCalendar, type Weekday } from './business-hours.ts';
import {
  computeSla,
  defaultPauseOn,
  matchPolicy,
  nextSlaCheck,
  type SlaCondition,
  type SlaEvent,
  type SlaMetric,
  type SlaMetricState,
  type SlaPolicyClock,
  type TicketStatus,
} from './sla.ts';

const M = 60_000;
const H = 3_600_000;
const weekdays: Weekday[] = [1, 2, 3, 4, 5];
const calendar = (timeZone: string, holidays: string[] = []): BusinessCalendar => ({
  timeZone,
  weekly: weekdays.map((day) => ({ day, start: '09:00', end: '17:00' })),
  holidays: holidays.map((date) => ({ date })),
});
const berlin = calendar('Europe/Berlin');

/** Berlin local wall time in March 2024 (UTC+1 until the 31st): '2024-03-05 10:00' → Date. */
const cet = (local: string) => new Date(`${local.replace(' ', 'T')}:00+01:00`);
const iso = (d: Date | null) => (d === null ? null : d.toISOString());

const policy = (over: Partial<SlaPolicyClock> = {}): SlaPolicyClock => ({
  targets: { first_response: 60, next_response: 120, resolution: 480 },
  calendar: berlin,
  pauseOn: defaultPauseOn,
  warnBeforeMinutes: 15,
  ...over,
});

const created = (local: string, status: TicketStatus = 'new'): SlaEvent => ({
  at: cet(local),
  kind: 'created',
  status,
});
const customer = (local: string): SlaEvent => ({ at: cet(local), kind: 'customer_message' });
const reply = (local: string): SlaEvent => ({ at: cet(local), kind: 'agent_reply' });
const status = (local: string, s: TicketStatus): SlaEvent => ({ at: cet(local), kind: 'status', status: s });

function metric(states: SlaMetricState[], m: SlaMetric): SlaMetricState {
  const s = states.find((x) => x.metric === m);
  if (!s) throw new Error(`no ${m} in ${states.map((x) => x.metric).join(', ')}`);
  return s;
}

/** The instants of a state as ISO strings, and the figures in minutes: one readable object to compare. */
function summary(s: SlaMetricState) {
  return {
    state: s.state,
    startedAt: iso(s.startedAt),
    dueAt: iso(s.dueAt),
    warnAt: iso(s.warnAt),
    breachedAt: iso(s.breachedAt),
    completedAt: iso(s.completedAt),
    elapsedMinutes: s.elapsedBusinessMs / M,
    remainingMinutes: s.remainingBusinessMs / M,
  };
}
const local = (l: string | null) => (l === null ? null : cet(l).toISOString());

describe('first response', () => {
  it('is met by a reply within the hours of the same day', () => {
    const states = computeSla(
      policy(),
      [created('2024-03-05 10:00'), reply('2024-03-05 10:45')],
      cet('2024-03-05 11:30'),
    );
    expect(states.map((s) => s.metric)).toEqual(['first_response', 'resolution']); // no next_response cycle yet
    expect(summary(metric(states, 'first_response'))).toEqual({
      state: 'met',
      startedAt: local('2024-03-05 10:00'),
      dueAt: local('2024-03-05 11:00'),
      warnAt: local('2024-03-05 10:45'),
      breachedAt: null,
      completedAt: local('2024-03-05 10:45'),
      elapsedMinutes: 45,
      remainingMinutes: 15,
    });
    expect(summary(metric(states, 'resolution'))).toMatchObject({
      state: 'running',
      dueAt: local('2024-03-06 10:00'), // 7 h on Tuesday from 10:00, 1 h on Wednesday
      warnAt: local('2024-03-06 09:45'),
      elapsedMinutes: 90,
    });
  });

  it('runs over the night and is breached the next morning when nobody replied', () => {
    const events = [created('2024-03-05 16:30')];
    expect(summary(metric(computeSla(policy(), events, cet('2024-03-06 09:00')), 'first_response'))).toEqual({
      state: 'running',
      startedAt: local('2024-03-05 16:30'),
      dueAt: local('2024-03-06 09:30'),
      warnAt: local('2024-03-06 09:15'),
      breachedAt: null,
      completedAt: null,
      elapsedMinutes: 30,
      remainingMinutes: 30,
    });
    expect(summary(metric(computeSla(policy(), events, cet('2024-03-06 09:31')), 'first_response'))).toMatchObject({
      state: 'breached',
      dueAt: local('2024-03-06 09:30'),
      breachedAt: local('2024-03-06 09:30'),
      completedAt: null,
      elapsedMinutes: 61,
      remainingMinutes: -1,
    });
    // A late reply completes it but it stays breached.
    const late = computeSla(policy(), [...events, reply('2024-03-06 10:00')], cet('2024-03-06 12:00'));
    expect(summary(metric(late, 'first_response'))).toMatchObject({
      state: 'breached',
      breachedAt: local('2024-03-06 09:30'),
      completedAt: local('2024-03-06 10:00'),
      elapsedMinutes: 90,
    });
  });

  it('is met by a reply exactly at dueAt and breached by one a millisecond later', () => {
    const events = [created('2024-03-05 10:00')];
    const due = cet('2024-03-05 11:00');
    const onTime = computeSla(policy(), [...events, { at: due, kind: 'agent_reply' }], due);
    expect(summary(metric(onTime, 'first_response'))).toMatchObject({ state: 'met', breachedAt: null });
    const late = new Date(due.getTime() + 1);
    const tooLate = computeSla(policy(), [...events, { at: late, kind: 'agent_reply' }], late);
    expect(summary(metric(tooLate, 'first_response'))).toMatchObject({
      state: 'breached',
      breachedAt: due.toISOString(),
      completedAt: late.toISOString(),
    });
    // Without a reply: running a millisecond before, breached from dueAt on.
    expect(metric(computeSla(policy(), events, new Date(due.getTime() - 1)), 'first_response').state).toBe('running');
    expect(metric(computeSla(policy(), events, due), 'first_response').state).toBe('breached');
  });

  it('is late for a reply on Saturday when the target ran out at Friday 17:00, though no business time passed', () => {
    const p = policy({ targets: { first_response: 30 } });
    const states = computeSla(p, [created('2024-03-08 16:30'), reply('2024-03-09 10:00')], cet('2024-03-09 11:00'));
    expect(summary(metric(states, 'first_response'))).toEqual({
      state: 'breached',
      startedAt: local('2024-03-08 16:30'),
      dueAt: local('2024-03-08 17:00'),
      warnAt: local('2024-03-08 16:45'),
      breachedAt: local('2024-03-08 17:00'),
      completedAt: local('2024-03-09 10:00'),
      elapsedMinutes: 30,
      remainingMinutes: 0,
    });
  });

  it('is stopped (neither met nor breached) when the ticket is solved without a reply', () => {
    const states = computeSla(
      policy(),
      [created('2024-03-05 10:00'), status('2024-03-05 10:20', 'solved')],
      cet('2024-03-05 12:00'),
    );
    expect(summary(metric(states, 'first_response'))).toMatchObject({
      state: 'stopped',
      completedAt: local('2024-03-05 10:20'),
      elapsedMinutes: 20,
      breachedAt: null,
    });
    expect(metric(states, 'resolution').state).toBe('met');
  });

  it('counts a "reply and solve" at the same instant as a reply, whatever order the events come in', () => {
    const events = [status('2024-03-05 10:30', 'solved'), reply('2024-03-05 10:30'), created('2024-03-05 10:00')];
    const states = computeSla(policy(), events, cet('2024-03-05 11:00'));
    expect(metric(states, 'first_response').state).toBe('met');
    expect(metric(states, 'resolution')).toMatchObject({ state: 'met', elapsedBusinessMs: 30 * M });
  });

  it('stays met whatever happens afterwards', () => {
    const base = [created('2024-03-05 10:00'), reply('2024-03-05 10:10')];
    const later = [
      ...base,
      customer('2024-03-05 11:00'),
      status('2024-03-05 11:05', 'pending'),
      status('2024-03-06 09:00', 'open'),
      reply('2024-03-07 15:00'),
    ];
    const a = metric(computeSla(policy(), base, cet('2024-03-05 10:30')), 'first_response');
    const b = metric(computeSla(policy(), later, cet('2024-03-08 12:00')), 'first_response');
    expect(summary(b)).toEqual(summary(a));
    expect(b.state).toBe('met');
  });
});

describe('pauses while pending on the customer', () => {
  const events = [
    created('2024-03-05 10:00'),
    status('2024-03-05 10:20', 'pending'),
    customer('2024-03-05 18:00'), // the customer writes back in the evening: still pending, still paused
    status('2024-03-06 11:00', 'open'),
  ];

  it('stops every running clock while pending, with no due time', () => {
    const states = computeSla(policy(), events.slice(0, 3), cet('2024-03-06 10:00'));
    expect(summary(metric(states, 'first_response'))).toEqual({
      state: 'paused',
      startedAt: local('2024-03-05 10:00'),
      dueAt: null,
      warnAt: null,
      breachedAt: null,
      completedAt: null,
      elapsedMinutes: 20,
      remainingMinutes: 40,
    });
    expect(summary(metric(states, 'resolution'))).toMatchObject({ state: 'paused', dueAt: null, elapsedMinutes: 20 });
    expect(nextSlaCheck(states, cet('2024-03-06 10:00'))).toBeNull();
  });

  it('resumes when the status leaves pending and counts on from where it stopped, across the night', () => {
    const states = computeSla(policy(), events, cet('2024-03-06 11:10'));
    expect(summary(metric(states, 'first_response'))).toEqual({
      state: 'running',
      startedAt: local('2024-03-05 10:00'),
      dueAt: local('2024-03-06 11:40'), // 20 min before the pause + 40 min from 11:00
      warnAt: local('2024-03-06 11:25'),
      breachedAt: null,
      completedAt: null,
      elapsedMinutes: 30,
      remainingMinutes: 30,
    });
    expect(metric(states, 'resolution').dueAt?.toISOString()).toBe(local('2024-03-07 10:40')); // 460 min from 11:00
    expect(iso(nextSlaCheck(states, cet('2024-03-06 11:10')))).toBe(local('2024-03-06 11:25'));
  });

  it('(Frappe helpdesk #2405 kind of bug) counts a pause from 16:00 to 10:00 next day as 2 business hours, not 18 clock hours', () => {
    // A wrong clock subtracts the wall-clock length of the pause (18 h) from the business time (11 h) and never
    // breaches; the right one counts Monday 09:00–16:00 and Tuesday 10:00–12:00 = 9 h, past the 8 h target at 11:00.
    const states = computeSla(
      policy(),
      [created('2024-03-04 09:00', 'open'), status('2024-03-04 16:00', 'pending'), status('2024-03-05 10:00', 'open')],
      cet('2024-03-05 12:00'),
    );
    expect(summary(metric(states, 'resolution'))).toMatchObject({
      state: 'breached',
      breachedAt: local('2024-03-05 11:00'),
      elapsedMinutes: 9 * 60,
      remainingMinutes: -60,
    });
  });

  it('counts on_hold by default and pauses on it when the policy says so', () => {
    const events = [created('2024-03-05 10:00'), status('2024-03-05 11:00', 'on_hold')];
    const now = cet('2024-03-05 14:00');
    expect(metric(computeSla(policy(), events, now), 'resolution')).toMatchObject({
      state: 'running',
      elapsedBusinessMs: 4 * H,
    });
    const held = computeSla(policy({ pauseOn: ['pending', 'on_hold'] }), events, now);
    expect(metric(held, 'resolution')).toMatchObject({ state: 'paused', elapsedBusinessMs: H, dueAt: null });
  });

  it('starts paused when the ticket is created pending', () => {
    const states = computeSla(policy(), [created('2024-03-05 10:00', 'pending')], cet('2024-03-06 10:00'));
    expect(states.map((s) => [s.state, s.elapsedBusinessMs])).toEqual([
      ['paused', 0],
      ['paused', 0],
    ]);
  });

  it('breaches when the target ran out exactly as the ticket went pending', () => {
    const states = computeSla(
      policy({ targets: { first_response: 60 } }),
      [created('2024-03-05 10:00'), status('2024-03-05 11:00', 'pending')],
      cet('2024-03-05 12:00'),
    );
    expect(summary(metric(states, 'first_response'))).toMatchObject({
      state: 'breached',
      breachedAt: local('2024-03-05 11:00'),
      elapsedMinutes: 60,
    });
  });
});

describe('resolution', () => {
  const events = [
    created('2024-03-04 09:00', 'open'),
    status('2024-03-04 13:00', 'solved'),
    customer('2024-03-05 08:30'),
    status('2024-03-05 09:00', 'open'),
    status('2024-03-05 12:00', 'solved'),
    status('2024-03-05 13:00', 'open'),
    status('2024-03-05 16:00', 'closed'),
  ];

  it('is met when solved, with the due time as it stood then', () => {
    const states = computeSla(policy(), events, cet('2024-03-04 15:00'));
    expect(summary(metric(states, 'resolution'))).toEqual({
      state: 'met',
      startedAt: local('2024-03-04 09:00'),
      dueAt: local('2024-03-04 17:00'),
      warnAt: local('2024-03-04 16:45'),
      breachedAt: null,
      completedAt: local('2024-03-04 13:00'),
      elapsedMinutes: 240,
      remainingMinutes: 240,
    });
  });

  it('resumes from the time already spent when reopened, and is met again when solved again', () => {
    const reopened = computeSla(policy(), events, cet('2024-03-05 10:00'));
    expect(summary(metric(reopened, 'resolution'))).toMatchObject({
      state: 'running',
      dueAt: local('2024-03-05 13:00'), // 4 h left from 09:00
      completedAt: null,
      elapsedMinutes: 300,
    });
    const solvedAgain = computeSla(policy(), events, cet('2024-03-05 12:30'));
    expect(summary(metric(solvedAgain, 'resolution'))).toMatchObject({
      state: 'met',
      completedAt: local('2024-03-05 12:00'),
      elapsedMinutes: 420,
      remainingMinutes: 60,
    });
  });

  it('is breached when the total over all open periods passes the target, and stays breached when closed', () => {
    const running = computeSla(policy(), events, cet('2024-03-05 15:00'));
    expect(summary(metric(running, 'resolution'))).toMatchObject({
      state: 'breached',
      dueAt: local('2024-03-05 14:00'), // 7 h before, 1 h after reopening at 13:00
      breachedAt: local('2024-03-05 14:00'),
      elapsedMinutes: 540,
    });
    const closed = computeSla(policy(), events, cet('2024-03-06 09:00'));
    expect(summary(metric(closed, 'resolution'))).toMatchObject({
      state: 'breached',
      breachedAt: local('2024-03-05 14:00'),
      completedAt: local('2024-03-05 16:00'),
      elapsedMinutes: 600,
    });
  });

  it('is met at once for a ticket logged already solved', () => {
    const states = computeSla(policy(), [created('2024-03-05 10:00', 'solved')], cet('2024-03-05 11:00'));
    expect(states.map((s) => [s.metric, s.state, s.elapsedBusinessMs])).toEqual([
      ['first_response', 'stopped', 0],
      ['resolution', 'met', 0],
    ]);
  });
});

describe('next response cycles', () => {
  const conversation = [
    created('2024-03-05 09:00'),
    reply('2024-03-05 09:30'),
    customer('2024-03-05 10:00'), // cycle 1
    customer('2024-03-05 10:30'), // same cycle
    reply('2024-03-05 11:00'),
    customer('2024-03-05 15:00'), // cycle 2
  ];

  it('has no cycle before the customer writes after the first reply', () => {
    const states = computeSla(policy(), conversation.slice(0, 2), cet('2024-03-05 09:45'));
    expect(states.map((s) => s.metric)).toEqual(['first_response', 'resolution']);
    // A message before the first reply belongs to the first response, not to a next-response cycle.
    const early = computeSla(
      policy(),
      [created('2024-03-05 09:00'), customer('2024-03-05 09:10')],
      cet('2024-03-05 09:45'),
    );
    expect(early.map((s) => s.metric)).toEqual(['first_response', 'resolution']);
  });

  it('starts a cycle at the first message after a reply and meets it at the next reply', () => {
    const states = computeSla(policy(), conversation.slice(0, 5), cet('2024-03-05 12:00'));
    expect(summary(metric(states, 'next_response'))).toEqual({
      state: 'met',
      startedAt: local('2024-03-05 10:00'),
      dueAt: local('2024-03-05 12:00'),
      warnAt: local('2024-03-05 11:45'),
      breachedAt: null,
      completedAt: local('2024-03-05 11:00'),
      elapsedMinutes: 60,
      remainingMinutes: 60,
    });
  });

  it('reports the current cycle once the customer writes again', () => {
    const states = computeSla(policy(), conversation, cet('2024-03-05 16:00'));
    expect(summary(metric(states, 'next_response'))).toEqual({
      state: 'running',
      startedAt: local('2024-03-05 15:00'),
      dueAt: local('2024-03-05 17:00'),
      warnAt: local('2024-03-05 16:45'),
      breachedAt: null,
      completedAt: null,
      elapsedMinutes: 60,
      remainingMinutes: 60,
    });
    const overnight = computeSla(policy(), conversation, cet('2024-03-06 09:01'));
    expect(summary(metric(overnight, 'next_response'))).toMatchObject({
      state: 'breached',
      breachedAt: local('2024-03-05 17:00'),
      elapsedMinutes: 121,
    });
  });

  it('starts a cycle paused when the customer writes while pending; the status change starts the count', () => {
    const events = [
      created('2024-03-05 09:00'),
      reply('2024-03-05 09:10'),
      status('2024-03-05 09:10', 'pending'),
      customer('2024-03-05 10:00'),
      status('2024-03-05 14:00', 'open'),
    ];
    const waiting = computeSla(policy(), events.slice(0, 4), cet('2024-03-05 13:00'));
    expect(summary(metric(waiting, 'next_response'))).toMatchObject({
      state: 'paused',
      startedAt: local('2024-03-05 10:00'),
      dueAt: null,
      elapsedMinutes: 0,
    });
    const reopened = computeSla(policy(), events, cet('2024-03-05 14:30'));
    expect(summary(metric(reopened, 'next_response'))).toMatchObject({
      state: 'running',
      startedAt: local('2024-03-05 10:00'),
      dueAt: local('2024-03-05 16:00'),
      elapsedMinutes: 30,
    });
  });

  it('stops a running cycle when the ticket is solved; a message on a solved ticket starts its cycle at the reopening', () => {
    const events = [
      ...conversation,
      status('2024-03-05 15:30', 'solved'),
      customer('2024-03-05 16:00'),
      status('2024-03-06 10:00', 'open'),
    ];
    const solved = computeSla(policy(), events, cet('2024-03-05 16:30'));
    expect(summary(metric(solved, 'next_response'))).toMatchObject({
      state: 'stopped',
      startedAt: local('2024-03-05 15:00'),
      completedAt: local('2024-03-05 15:30'),
      elapsedMinutes: 30,
    });
    const reopened = computeSla(policy(), events, cet('2024-03-06 10:30'));
    expect(summary(metric(reopened, 'next_response'))).toMatchObject({
      state: 'running',
      startedAt: local('2024-03-06 10:00'),
      dueAt: local('2024-03-06 12:00'),
      elapsedMinutes: 30,
    });
  });

  it('starts no cycle on a reopening without an unanswered message', () => {
    const events = [
      ...conversation.slice(0, 5),
      status('2024-03-05 12:00', 'solved'),
      status('2024-03-05 13:00', 'open'),
    ];
    const states = computeSla(policy(), events, cet('2024-03-05 14:00'));
    expect(summary(metric(states, 'next_response'))).toMatchObject({
      state: 'met',
      startedAt: local('2024-03-05 10:00'),
    });
  });

  it('follows the customer once the first response phase ended by a solve without reply', () => {
    const events = [
      created('2024-03-05 09:00'),
      status('2024-03-05 09:05', 'solved'),
      customer('2024-03-05 10:00'),
      status('2024-03-05 10:00', 'open'),
    ];
    const states = computeSla(policy(), events, cet('2024-03-05 10:30'));
    expect(metric(states, 'first_response').state).toBe('stopped');
    expect(summary(metric(states, 'next_response'))).toMatchObject({
      state: 'running',
      startedAt: local('2024-03-05 10:00'),
      elapsedMinutes: 30,
    });
  });
});

describe('events', () => {
  const events = [
    created('2024-03-05 10:00'),
    reply('2024-03-05 10:30'),
    customer('2024-03-05 11:00'),
    status('2024-03-05 12:00', 'pending'),
    status('2024-03-06 09:00', 'open'),
    reply('2024-03-06 10:00'),
  ];

  it('are sorted by time whatever order they arrive in', () => {
    const now = cet('2024-03-06 12:00');
    const shuffled = [events[4]!, events[1]!, events[5]!, events[0]!, events[3]!, events[2]!];
    expect(computeSla(policy(), shuffled, now)).toEqual(computeSla(policy(), events, now));
    expect(summary(metric(computeSla(policy(), shuffled, now), 'next_response'))).toMatchObject({
      state: 'met',
      elapsedMinutes: 120, // 11:00–12:00 before the pause, 09:00–10:00 after
    });
  });

  it('after now are ignored', () => {
    const states = computeSla(policy(), events, cet('2024-03-05 10:15'));
    expect(metric(states, 'first_response')).toMatchObject({ state: 'running', completedAt: null });
    expect(states.map((s) => s.metric)).toEqual(['first_response', 'resolution']);
  });

  it('before the creation, and without a creation, give no clock', () => {
    expect(computeSla(policy(), [reply('2024-03-05 09:00')], cet('2024-03-05 12:00'))).toEqual([]);
    const states = computeSla(policy(), [reply('2024-03-05 09:00'), ...events.slice(0, 1)], cet('2024-03-05 10:15'));
    expect(metric(states, 'first_response').state).toBe('running');
  });

  it('report only the metrics the policy has targets for', () => {
    const states = computeSla(policy({ targets: { resolution: 60 } }), events, cet('2024-03-06 12:00'));
    expect(states.map((s) => s.metric)).toEqual(['resolution']);
  });

  it('refuse negative targets and warnings', () => {
    expect(() => computeSla(policy({ targets: { first_response: -1 } }), events, cet('2024-03-06 12:00'))).toThrow(
      RangeError,
    );
    expect(() => computeSla(policy({ warnBeforeMinutes: Number.NaN }), events, cet('2024-03-06 12:00'))).toThrow(
      RangeError,
    );
  });
});

describe('warnings and the next check', () => {
  it('warns before a due time that falls the next morning, in business time', () => {
    const p = policy({ targets: { first_response: 30, resolution: 480 } });
    const events = [created('2024-03-05 16:50')];
    const states = computeSla(p, events, cet('2024-03-05 16:55'));
    expect(summary(metric(states, 'first_response'))).toMatchObject({
      dueAt: local('2024-03-06 09:20'),
      warnAt: local('2024-03-06 09:05'),
    });
    expect(summary(metric(states, 'resolution'))).toMatchObject({
      dueAt: local('2024-03-06 16:50'),
      warnAt: local('2024-03-06 16:35'),
    });
    expect(iso(nextSlaCheck(states, cet('2024-03-05 16:55')))).toBe(local('2024-03-06 09:05'));
    const warned = computeSla(p, events, cet('2024-03-06 09:06'));
    expect(iso(nextSlaCheck(warned, cet('2024-03-06 09:06')))).toBe(local('2024-03-06 09:20'));
    const answered = computeSla(p, [...events, reply('2024-03-06 09:10')], cet('2024-03-06 09:10'));
    expect(iso(nextSlaCheck(answered, cet('2024-03-06 09:10')))).toBe(local('2024-03-06 16:35'));
    const breached = computeSla(p, events, cet('2024-03-06 09:20'));
    expect(iso(nextSlaCheck(breached, cet('2024-03-06 09:20')))).toBe(local('2024-03-06 16:35'));
  });

  it('has no warning at 0 minutes, and warns from the start when the warning exceeds the target', () => {
    const events = [created('2024-03-05 10:00')];
    const none = computeSla(policy({ warnBeforeMinutes: 0 }), events, cet('2024-03-05 10:10'));
    expect(none.map((s) => s.warnAt)).toEqual([null, null]);
    expect(iso(nextSlaCheck(none, cet('2024-03-05 10:10')))).toBe(local('2024-03-05 11:00'));
    const early = computeSla(policy({ warnBeforeMinutes: 90 }), events, cet('2024-03-05 10:10'));
    expect(iso(metric(early, 'first_response').warnAt)).toBe(local('2024-03-05 10:00'));
  });

  it('keeps a warning already reached before a pause', () => {
    const events = [created('2024-03-05 10:00'), status('2024-03-05 10:50', 'pending')];
    const states = computeSla(policy(), events, cet('2024-03-05 12:00'));
    expect(summary(metric(states, 'first_response'))).toMatchObject({
      state: 'paused',
      dueAt: null,
      warnAt: local('2024-03-05 10:45'),
    });
  });

  it('schedules nothing when every clock is met, stopped or paused', () => {
    const states = computeSla(
      policy(),
      [created('2024-03-05 10:00'), reply('2024-03-05 10:10'), status('2024-03-05 10:20', 'pending')],
      cet('2024-03-05 11:00'),
    );
    expect(states.map((s) => s.state)).toEqual(['met', 'paused']);
    expect(nextSlaCheck(states, cet('2024-03-05 11:00'))).toBeNull();
  });
});

describe('calendars in the SLA clock', () => {
  it('skips holidays and the DST change over Easter (Berlin)', () => {
    const p = policy({
      calendar: calendar('Europe/Berlin', ['2024-03-29', '2024-04-01']),
      targets: { first_response: 120 },
    });
    const states = computeSla(p, [created('2024-03-28 16:00')], cet('2024-03-28 16:30'));
    expect(iso(metric(states, 'first_response').dueAt)).toBe('2024-04-02T08:00:00.000Z'); // Tuesday 10:00 CEST
  });

  it('follows New York over its spring-forward weekend', () => {
    const p = policy({ calendar: calendar('America/New_York'), targets: { resolution: 480 } });
    const states = computeSla(
      p,
      [{ at: new Date('2024-03-08T21:00Z'), kind: 'created', status: 'new' }], // Friday 16:00 EST
      new Date('2024-03-08T21:30Z'),
    );
    expect(iso(metric(states, 'resolution').dueAt)).toBe('2024-03-11T20:00:00.000Z'); // Monday 16:00 EDT
  });

  it('(Frappe helpdesk #2405 kind of bug) counts in the calendar time zone, not the server time zone', () => {
    // A New York team; a ticket at 13:30Z is 08:30 in New York (closed) but 14:30 in Berlin (open). The first hour of
    // business time ends at 10:00 New York = 15:00Z; counted on the server's Berlin clock it would end at 14:30Z.
    const p = policy({ calendar: calendar('America/New_York'), targets: { first_response: 60 } });
    const events: SlaEvent[] = [{ at: new Date('2024-03-05T13:30Z'), kind: 'created', status: 'new' }];
    const now = new Date('2024-03-05T13:45Z');
    const saved = process.env.TZ;
    const dues: Array<string | null> = [];
    const hours: number[] = [];
    try {
      for (const tz of ['Europe/Berlin', 'Asia/Kolkata', 'America/Los_Angeles', 'UTC']) {
        process.env.TZ = tz;
        hours.push(now.getHours());
        dues.push(iso(metric(computeSla(p, events, now), 'first_response').dueAt));
      }
    } finally {
      if (saved === undefined) delete process.env.TZ;
      else process.env.TZ = saved;
    }
    expect(hours).toEqual([14, 19, 5, 13]); // the server zone really changed between runs
    expect(dues).toEqual(Array(4).fill('2024-03-05T15:00:00.000Z'));
  });
});

describe('matchPolicy', () => {
  type Policy = { name: string; conditions: SlaCondition[] };
  const policies: Policy[] = [
    {
      name: 'vip urgent',
      conditions: [
        { field: 'segment', op: 'in', value: ['vip', 'enterprise'] },
        { field: 'priority', op: 'is', value: 'urgent' },
      ],
    },
    {
      name: 'email complaints',
      conditions: [
        { field: 'channel', op: 'is', value: 'email' },
        { field: 'type', op: 'is', value: 'complaint' },
      ],
    },
    {
      name: 'billing, not low',
      conditions: [
        { field: 'tag', op: 'is', value: 'billing' },
        { field: 'priority', op: 'is_not', value: 'low' },
        { field: 'tag', op: 'is_not', value: 'spam' },
      ],
    },
    { name: 'default', conditions: [] },
  ];
  const ticket = {
    priority: 'normal',
    type: 'question',
    tags: [] as string[],
    segments: [] as string[],
    channel: 'chat',
  };

  it('picks the first policy whose conditions all hold', () => {
    const pick = (over: Partial<typeof ticket>) => matchPolicy(policies, { ...ticket, ...over })?.name;
    expect(pick({ segments: ['enterprise'], priority: 'urgent', channel: 'email', type: 'complaint' })).toBe(
      'vip urgent',
    );
    expect(pick({ segments: ['enterprise'], priority: 'high', channel: 'email', type: 'complaint' })).toBe(
      'email complaints',
    );
    expect(pick({ tags: ['billing', 'refund'] })).toBe('billing, not low');
    expect(pick({ tags: ['billing'], priority: 'low' })).toBe('default');
    expect(pick({ tags: ['billing', 'spam'] })).toBe('default');
    expect(pick({ channel: 'email', type: 'question' })).toBe('default');
  });

  it('matches list values on single fields as any of them, and gives null when nothing matches', () => {
    const only: Policy[] = [{ name: 'p', conditions: [{ field: 'priority', op: 'in', value: ['high', 'urgent'] }] }];
    expect(matchPolicy(only, { ...ticket, priority: 'urgent' })?.name).toBe('p');
    expect(matchPolicy(only, { ...ticket, priority: 'normal' })).toBeNull();
    expect(matchPolicy([], ticket)).toBeNull();
    const not: Policy[] = [{ name: 'n', conditions: [{ field: 'channel', op: 'is_not', value: ['email', 'phone'] }] }];
    expect(matchPolicy(not, { ...ticket, channel: 'phone' })).toBeNull();
    expect(matchPolicy(not, ticket)?.name).toBe('n');
  });
});

describe('properties over random event sequences', () => {
  const kinds = ['customer_message', 'agent_reply', 'status'] as const;
  const statuses: TicketStatus[] = ['new', 'open', 'pending', 'on_hold', 'solved', 'closed'];
  const start = cet('2024-03-04 08:00').getTime();
  const arbitraryEvents = fc
    .array(
      fc.record({
        minutes: fc.integer({ min: 0, max: 14 * 24 * 60 }),
        kind: fc.constantFrom(...kinds),
        status: fc.constantFrom(...statuses),
      }),
      { maxLength: 25 },
    )
    .map((raw): SlaEvent[] => [
      { at: new Date(start), kind: 'created', status: 'new' },
      ...raw.map(({ minutes, kind, status }): SlaEvent => {
        const at = new Date(start + minutes * M);
        return kind === 'status' ? { at, kind, status } : { at, kind };
      }),
    ]);
  const arbitraryNow = fc.integer({ min: 0, max: 15 * 24 * 60 }).map((m) => new Date(start + m * M));
  const p = policy({ calendar: calendar('Europe/Berlin', ['2024-03-08']), pauseOn: ['pending', 'on_hold'] });

  it('keeps its figures consistent: elapsed + remaining = target, due times match the remaining business time', () => {
    fc.assert(
      fc.property(arbitraryEvents, arbitraryNow, (events, now) => {
        for (const s of computeSla(p, events, now)) {
          expect(s.elapsedBusinessMs).toBeGreaterThanOrEqual(0);
          expect(s.elapsedBusinessMs + s.remainingBusinessMs).toBe(s.target * M);
          if (s.state === 'running') {
            expect(s.dueAt!.getTime()).toBeGreaterThan(now.getTime());
            expect(businessMsBetween(p.calendar, now, s.dueAt!)).toBe(s.remainingBusinessMs);
          }
          if (s.state === 'paused') expect(s.dueAt).toBeNull();
          if (s.state === 'breached') {
            expect(s.breachedAt).toEqual(s.dueAt);
            expect(s.breachedAt!.getTime()).toBeLessThanOrEqual((s.completedAt ?? now).getTime());
          } else expect(s.breachedAt).toBeNull();
          if (s.state === 'met' || s.state === 'stopped') expect(s.completedAt).not.toBeNull();
        }
      }),
      { numRuns: 300 },
    );
  });

  it('counts resolution as the business time spent in counting statuses, summed between events', () => {
    fc.assert(
      fc.property(arbitraryEvents, arbitraryNow, (events, now) => {
        // Independently: walk the status timeline and add the business time of every stretch that counts.
        const timeline = events
          .filter((e) => e.at <= now)
          .map((e, i) => ({ e, i }))
          .sort((a, b) => a.e.at.getTime() - b.e.at.getTime() || a.i - b.i)
          .map((x) => x.e);
        let status: TicketStatus = 'new';
        let since = new Date(start);
        let spent = 0;
        for (const e of [...timeline, { at: now, kind: 'status', status: 'closed' } as SlaEvent]) {
          if (e.kind !== 'status' && e.kind !== 'created') continue;
          if (!['pending', 'on_hold', 'solved', 'closed'].includes(status)) {
            spent += businessMsBetween(p.calendar, since, e.at);
          }
          status = e.status;
          since = e.at;
        }
        expect(metric(computeSla(p, events, now), 'resolution').elapsedBusinessMs).toBe(spent);
      }),
      { numRuns: 300 },
    );
  });

  it('never decreases elapsed time as now moves on, and a met first response stays met', () => {
    fc.assert(
      fc.property(arbitraryEvents, arbitraryNow, arbitraryNow, (events, a, b) => {
        const [early, late] = a <= b ? [a, b] : [b, a];
        const before = computeSla(p, events, early);
        const after = computeSla(p, events, late);
        for (const m of ['first_response', 'resolution'] as const) {
          expect(metric(after, m).elapsedBusinessMs).toBeGreaterThanOrEqual(metric(before, m).elapsedBusinessMs);
        }
        const first = (x: SlaMetricState[]) => metric(x, 'first_response');
        if (first(before).state === 'met') expect(first(after)).toEqual(first(before));
      }),
      { numRuns: 300 },
    );
  });
});
