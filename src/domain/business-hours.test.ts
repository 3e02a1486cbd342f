import fc from 'fast-check';
import { seededRandom } from './random.ts';
import { describe, expect, it } from 'vitest';
import {
  addBusinessMs,
  addBusinessMsOrNull,
  alwaysOpen,
  businessHorizonMs,
  businessMsBetween,
  compileCalendar,
  isOpen,
  nextOpening,
  parseCalendar,
  type BusinessCalendar,
  type Weekday,
} from './business-hours.ts';

const M = 60_000;
const H = 3_600_000;
const at = (iso: string) => new Date(iso);
const iso = (d: Date | null) => (d === null ? null : d.toISOString());

function hours(timeZone: string, days: Weekday[], ...spans: Array<[string, string]>): BusinessCalendar {
  return {
    timeZone,
    weekly: days.flatMap((day) => spans.map(([start, end]) => ({ day, start, end }))),
    holidays: [],
  };
}
const weekdays: Weekday[] = [1, 2, 3, 4, 5];
const everyDay: Weekday[] = [0, 1, 2, 3, 4, 5, 6];
const berlin = hours('Europe/Berlin', weekdays, ['09:00', '17:00']);
const newYork = hours('America/New_York', weekdays, ['09:00', '17:00']);
const tokyo = hours('Asia/Tokyo', weekdays, ['09:00', '17:00']);

describe('business hours on one calendar (Berlin, Mon–Fri 09:00–17:00, March 2024 is UTC+1)', () => {
  it('counts time within the hours of one weekday', () => {
    expect(businessMsBetween(berlin, at('2024-03-05T09:00Z'), at('2024-03-05T11:30Z'))).toBe(2.5 * H);
    expect(iso(addBusinessMs(berlin, at('2024-03-05T09:00Z'), 2 * H))).toBe('2024-03-05T11:00:00.000Z');
  });

  it('carries the evening over to the next morning', () => {
    // Tuesday 16:00 local + 2 h = 1 h on Tuesday, 1 h on Wednesday from 09:00 → Wednesday 10:00 local.
    expect(iso(addBusinessMs(berlin, at('2024-03-05T15:00Z'), 2 * H))).toBe('2024-03-06T09:00:00.000Z');
    expect(businessMsBetween(berlin, at('2024-03-05T15:00Z'), at('2024-03-06T09:00Z'))).toBe(2 * H);
    // The closed night in between counts nothing.
    expect(businessMsBetween(berlin, at('2024-03-05T16:00Z'), at('2024-03-06T08:00Z'))).toBe(0);
  });

  it('goes from Friday to Monday over the weekend', () => {
    expect(iso(addBusinessMs(berlin, at('2024-03-08T15:30Z'), H))).toBe('2024-03-11T08:30:00.000Z');
    expect(businessMsBetween(berlin, at('2024-03-08T15:30Z'), at('2024-03-11T08:30Z'))).toBe(H);
  });

  it('skips holidays (Good Friday and Easter Monday) and the DST change between them', () => {
    const easter = { ...berlin, holidays: [{ date: '2024-03-29', name: 'Good Friday' }, { date: '2024-04-01' }] };
    // Thursday 16:00 CET + 2 h → 1 h on Thursday, then Tuesday 09:00–10:00 CEST (UTC+2) → 08:00Z.
    expect(iso(addBusinessMs(easter, at('2024-03-28T15:00Z'), 2 * H))).toBe('2024-04-02T08:00:00.000Z');
    expect(businessMsBetween(easter, at('2024-03-28T15:00Z'), at('2024-04-02T08:00Z'))).toBe(2 * H);
    expect(isOpen(easter, at('2024-04-01T10:00Z'))).toBe(false);
    expect(iso(nextOpening(easter, at('2024-03-28T16:00Z')))).toBe('2024-04-02T07:00:00.000Z');
  });

  it('has several intervals a day (a lunch break)', () => {
    const lunch = hours('Europe/Berlin', weekdays, ['09:00', '12:00'], ['13:00', '17:00']);
    expect(iso(addBusinessMs(lunch, at('2024-03-05T10:30Z'), H))).toBe('2024-03-05T12:30:00.000Z');
    expect(businessMsBetween(lunch, at('2024-03-05T08:00Z'), at('2024-03-05T16:00Z'))).toBe(7 * H);
    expect(isOpen(lunch, at('2024-03-05T11:30Z'))).toBe(false);
    expect(iso(nextOpening(lunch, at('2024-03-05T11:00Z')))).toBe('2024-03-05T12:00:00.000Z');
    // Ending exactly at the lunch break: due at 12:00, not at 13:00.
    expect(iso(addBusinessMs(lunch, at('2024-03-05T10:00Z'), H))).toBe('2024-03-05T11:00:00.000Z');
  });

  it('opens at the start instant and is closed at the end instant', () => {
    expect(isOpen(berlin, at('2024-03-05T08:00Z'))).toBe(true);
    expect(isOpen(berlin, at('2024-03-05T07:59:59.999Z'))).toBe(false);
    expect(isOpen(berlin, at('2024-03-05T15:59:59.999Z'))).toBe(true);
    expect(isOpen(berlin, at('2024-03-05T16:00Z'))).toBe(false);
    expect(iso(nextOpening(berlin, at('2024-03-05T16:00Z')))).toBe('2024-03-06T08:00:00.000Z');
    expect(iso(nextOpening(berlin, at('2024-03-05T10:15Z')))).toBe('2024-03-05T10:15:00.000Z');
    expect(iso(nextOpening(berlin, at('2024-03-08T16:00Z')))).toBe('2024-03-11T08:00:00.000Z');
  });

  it('falls due at the closing time, not at the next opening (the earliest instant the time is reached)', () => {
    expect(iso(addBusinessMs(berlin, at('2024-03-08T15:00Z'), H))).toBe('2024-03-08T16:00:00.000Z');
    expect(iso(addBusinessMs(berlin, at('2024-03-08T15:00Z'), H + 1))).toBe('2024-03-11T08:00:00.001Z');
  });

  it('adds nothing for zero, counts nothing backwards, and starts from closed time at the next opening', () => {
    expect(iso(addBusinessMs(berlin, at('2024-03-09T12:00Z'), 0))).toBe('2024-03-09T12:00:00.000Z');
    expect(businessMsBetween(berlin, at('2024-03-06T12:00Z'), at('2024-03-05T12:00Z'))).toBe(0);
    expect(businessMsBetween(berlin, at('2024-03-06T12:00Z'), at('2024-03-06T12:00Z'))).toBe(0);
    expect(iso(addBusinessMs(berlin, at('2024-03-09T12:00Z'), 30 * M))).toBe('2024-03-11T08:30:00.000Z');
  });

  it('runs a night shift across midnight with 24:00 and 00:00', () => {
    const night = hours('UTC', [1], ['22:00', '24:00']);
    night.weekly.push({ day: 2, start: '00:00', end: '06:00' });
    expect(iso(addBusinessMs(night, at('2024-03-04T23:00Z'), 2 * H))).toBe('2024-03-05T01:00:00.000Z');
    expect(businessMsBetween(night, at('2024-03-04T20:00Z'), at('2024-03-05T08:00Z'))).toBe(8 * H);
    expect(isOpen(night, at('2024-03-05T00:00Z'))).toBe(true);
    expect(isOpen(night, at('2024-03-05T06:00Z'))).toBe(false);
    expect(iso(nextOpening(night, at('2024-03-05T06:00Z')))).toBe('2024-03-11T22:00:00.000Z');
  });

  it('treats the 24×7 calendar as plain elapsed time', () => {
    expect(businessMsBetween(alwaysOpen, at('2024-03-30T12:00Z'), at('2024-04-02T12:00Z'))).toBe(72 * H);
    expect(iso(addBusinessMs(alwaysOpen, at('2024-12-31T23:30Z'), H))).toBe('2025-01-01T00:30:00.000Z');
    expect(isOpen(alwaysOpen, at('2024-03-31T01:30Z'))).toBe(true);
    expect(iso(nextOpening(alwaysOpen, at('2024-03-31T01:30Z')))).toBe('2024-03-31T01:30:00.000Z');
  });

  it('never opens without weekly hours: null opening, nothing counted, adding is an error', () => {
    const closed: BusinessCalendar = { timeZone: 'Europe/Berlin', weekly: [], holidays: [{ date: '2024-03-05' }] };
    expect(nextOpening(closed, at('2024-03-05T10:00Z'))).toBeNull();
    expect(businessMsBetween(closed, at('2024-03-01T00:00Z'), at('2024-04-01T00:00Z'))).toBe(0);
    expect(() => addBusinessMs(closed, at('2024-03-05T10:00Z'), M)).toThrow(RangeError);
    expect(iso(addBusinessMs(closed, at('2024-03-05T10:00Z'), 0))).toBe('2024-03-05T10:00:00.000Z');
  });

  it('finds the opening after a whole year of holidays', () => {
    const days: Array<{ date: string }> = [];
    for (let d = Date.UTC(2025, 0, 1); d < Date.UTC(2026, 0, 1); d += 24 * H) {
      days.push({ date: new Date(d).toISOString().slice(0, 10) });
    }
    const sabbatical = { ...berlin, holidays: days };
    expect(iso(nextOpening(sabbatical, at('2024-12-31T16:00Z')))).toBe('2026-01-01T08:00:00.000Z');
    expect(iso(addBusinessMs(sabbatical, at('2024-12-31T15:00Z'), 2 * H))).toBe('2026-01-01T09:00:00.000Z');
  });

  it('computes 30 business days over many holidays by whole days (checked against day counting)', () => {
    // Every other date of 2024 a holiday: 30 days of 8 h land on the 30th open weekday.
    const holidays = Array.from({ length: 183 }, (_, i) => ({
      date: new Date(Date.UTC(2024, 0, 1 + 2 * i)).toISOString().slice(0, 10),
    }));
    const cal = { ...berlin, holidays };
    const compiled = compileCalendar(cal);
    const due = addBusinessMs(compiled, at('2024-01-02T08:00Z'), 30 * 8 * H);
    // Count open days independently: dates at an even distance from 1 January are holidays, weekends are closed.
    let open = 0;
    let day = Date.UTC(2024, 0, 2);
    for (; ; day += 24 * H) {
      const index = Math.round((day - Date.UTC(2024, 0, 1)) / (24 * H));
      const weekday = new Date(day).getUTCDay();
      if (index % 2 === 1 && weekday >= 1 && weekday <= 5 && ++open === 30) break;
    }
    const date = new Date(day).toISOString().slice(0, 10);
    const offset = date >= '2024-03-31' ? '+02:00' : '+01:00'; // CEST from 31 March
    expect(iso(due)).toBe(new Date(`${date}T17:00:00${offset}`).toISOString());
    expect(businessMsBetween(compiled, at('2024-01-02T08:00Z'), due)).toBe(30 * 8 * H);
  });
});

describe('time zones: the same UTC instants on calendars in New York, Tokyo and Berlin', () => {
  const noonUtc = at('2024-03-05T12:00Z'); // 13:00 Berlin, 07:00 New York, 21:00 Tokyo

  it('is open in Berlin only', () => {
    expect([isOpen(berlin, noonUtc), isOpen(newYork, noonUtc), isOpen(tokyo, noonUtc)]).toEqual([true, false, false]);
  });

  it('opens next at local 09:00 of each zone', () => {
    expect(iso(nextOpening(berlin, noonUtc))).toBe('2024-03-05T12:00:00.000Z');
    expect(iso(nextOpening(newYork, noonUtc))).toBe('2024-03-05T14:00:00.000Z');
    expect(iso(nextOpening(tokyo, noonUtc))).toBe('2024-03-06T00:00:00.000Z');
  });

  it('falls due an hour of business later at different instants', () => {
    expect(iso(addBusinessMs(berlin, noonUtc, H))).toBe('2024-03-05T13:00:00.000Z');
    expect(iso(addBusinessMs(newYork, noonUtc, H))).toBe('2024-03-05T15:00:00.000Z');
    expect(iso(addBusinessMs(tokyo, noonUtc, H))).toBe('2024-03-06T01:00:00.000Z');
  });

  it('counts different business time over the same UTC day', () => {
    const from = at('2024-03-05T00:00Z');
    const to = at('2024-03-06T00:00Z');
    expect(businessMsBetween(berlin, from, to)).toBe(8 * H); // 08:00–16:00Z
    expect(businessMsBetween(newYork, from, to)).toBe(8 * H); // 14:00–22:00Z
    expect(businessMsBetween(tokyo, from, to)).toBe(8 * H); // 00:00–08:00Z on the 5th (the 6th starts at 00:00Z)
    expect(businessMsBetween(tokyo, at('2024-03-05T04:00Z'), at('2024-03-05T20:00Z'))).toBe(4 * H);
    expect(businessMsBetween(newYork, at('2024-03-05T04:00Z'), at('2024-03-05T20:00Z'))).toBe(6 * H);
  });

  it('handles half-hour and 45-minute offsets (Kolkata UTC+5:30, Chatham UTC+13:45 in March)', () => {
    const kolkata = hours('Asia/Kolkata', weekdays, ['09:00', '17:00']);
    expect(iso(nextOpening(kolkata, noonUtc))).toBe('2024-03-06T03:30:00.000Z');
    const chatham = hours('Pacific/Chatham', weekdays, ['09:00', '17:00']);
    // Wednesday 6 March 09:00 +13:45 = Tuesday 5 March 19:15Z.
    expect(iso(nextOpening(chatham, noonUtc))).toBe('2024-03-05T19:15:00.000Z');
  });
});

describe('daylight saving time', () => {
  const berlinAllDay = hours('Europe/Berlin', everyDay, ['00:00', '24:00']);
  const berlinDaily = hours('Europe/Berlin', everyDay, ['09:00', '17:00']);
  const nyAllDay = hours('America/New_York', everyDay, ['00:00', '24:00']);

  it('Berlin spring forward (31 March 2024): the local day has 23 hours, 09:00–17:00 still 8', () => {
    expect(businessMsBetween(berlinAllDay, at('2024-03-30T23:00Z'), at('2024-03-31T22:00Z'))).toBe(23 * H);
    expect(businessMsBetween(berlinDaily, at('2024-03-31T00:00Z'), at('2024-04-01T00:00Z'))).toBe(8 * H);
    expect(isOpen(berlinDaily, at('2024-03-31T06:59Z'))).toBe(false);
    expect(isOpen(berlinDaily, at('2024-03-31T07:00Z'))).toBe(true); // 09:00 CEST
    // Saturday 12:00 CET → Sunday 12:00 CEST is 23 hours of a 24-hour calendar.
    expect(businessMsBetween(berlinAllDay, at('2024-03-30T11:00Z'), at('2024-03-31T10:00Z'))).toBe(23 * H);
  });

  it('Berlin spring forward: a start in the skipped hour opens at the jump; a skipped interval never opens', () => {
    const early = hours('Europe/Berlin', [0], ['02:30', '05:00']);
    expect(iso(nextOpening(early, at('2024-03-30T12:00Z')))).toBe('2024-03-31T01:00:00.000Z'); // 03:00 CEST
    expect(businessMsBetween(early, at('2024-03-30T12:00Z'), at('2024-04-01T00:00Z'))).toBe(2 * H);
    const skipped = hours('Europe/Berlin', [0], ['02:00', '03:00']);
    expect(businessMsBetween(skipped, at('2024-03-30T12:00Z'), at('2024-04-01T00:00Z'))).toBe(0);
    expect(iso(nextOpening(skipped, at('2024-03-30T12:00Z')))).toBe('2024-04-07T00:00:00.000Z');
    expect(iso(nextOpening(skipped, at('2024-03-23T12:00Z')))).toBe('2024-03-24T01:00:00.000Z'); // a week before: CET
  });

  it('Berlin fall back (27 October 2024): 25 hours; a repeated time means its first occurrence', () => {
    expect(businessMsBetween(berlinAllDay, at('2024-10-26T22:00Z'), at('2024-10-27T23:00Z'))).toBe(25 * H);
    expect(businessMsBetween(berlinDaily, at('2024-10-27T00:00Z'), at('2024-10-28T00:00Z'))).toBe(8 * H);
    expect(iso(nextOpening(berlinDaily, at('2024-10-27T00:00Z')))).toBe('2024-10-27T08:00:00.000Z'); // 09:00 CET
    const night = hours('Europe/Berlin', [0], ['02:30', '04:00']);
    // 02:30 CEST (00:30Z, the first 02:30) to 04:00 CET (03:00Z).
    expect(iso(nextOpening(night, at('2024-10-26T12:00Z')))).toBe('2024-10-27T00:30:00.000Z');
    expect(businessMsBetween(night, at('2024-10-26T12:00Z'), at('2024-10-28T00:00Z'))).toBe(2.5 * H);
    expect(isOpen(night, at('2024-10-27T01:15Z'))).toBe(true); // the second 02:15, after opening at the first 02:30
  });

  it('New York spring forward (10 March 2024): Friday 16:00 EST + 2 h is Monday 10:00 EDT', () => {
    expect(iso(addBusinessMs(newYork, at('2024-03-08T21:00Z'), 2 * H))).toBe('2024-03-11T14:00:00.000Z');
    expect(businessMsBetween(nyAllDay, at('2024-03-10T05:00Z'), at('2024-03-11T04:00Z'))).toBe(23 * H);
  });

  it('New York fall back (3 November 2024): Friday 16:00 EDT + 2 h is Monday 10:00 EST', () => {
    expect(iso(addBusinessMs(newYork, at('2024-11-01T20:00Z'), 2 * H))).toBe('2024-11-04T15:00:00.000Z');
    expect(businessMsBetween(nyAllDay, at('2024-11-03T04:00Z'), at('2024-11-04T05:00Z'))).toBe(25 * H);
  });

  it('Santiago changes at midnight: the day of the missing 00:00 starts at the jump, the long day has 25 hours', () => {
    const santiago = hours('America/Santiago', everyDay, ['00:00', '24:00']);
    // 7 Sep 24:00 CLT (UTC−4) jumps to 8 Sep 01:00 CLST (UTC−3): 8 Sep runs 04:00Z → 9 Sep 03:00Z.
    const sunday = hours('America/Santiago', [0], ['00:00', '02:00']);
    expect(iso(nextOpening(sunday, at('2024-09-07T12:00Z')))).toBe('2024-09-08T04:00:00.000Z');
    expect(businessMsBetween(sunday, at('2024-09-07T12:00Z'), at('2024-09-09T00:00Z'))).toBe(H);
    expect(businessMsBetween(santiago, at('2024-09-08T04:00Z'), at('2024-09-09T03:00Z'))).toBe(23 * H);
    // 6 Apr 24:00 CLST falls back to 23:00 CLT: 6 April (03:00Z) to 7 April 00:00 CLT (04:00Z on the 7th).
    const saturday = hours('America/Santiago', [6], ['00:00', '24:00']);
    expect(businessMsBetween(saturday, at('2024-04-05T00:00Z'), at('2024-04-08T00:00Z'))).toBe(25 * H);
    expect(isOpen(saturday, at('2024-04-07T03:30Z'))).toBe(true); // the repeated 23:30 of Saturday
    expect(isOpen(saturday, at('2024-04-07T04:00Z'))).toBe(false);
  });
});

describe('parseCalendar', () => {
  it('accepts a calendar and sorts its intervals and holidays', () => {
    const r = parseCalendar({
      timeZone: 'America/New_York',
      weekly: [
        { day: 2, start: '13:00', end: '17:00' },
        { day: 1, start: '09:00', end: '24:00' },
        { day: 2, start: '09:00', end: '12:00' },
      ],
      holidays: [{ date: '2024-12-25', name: 'Christmas' }, { date: '2024-07-04' }],
      extra: 'ignored',
    });
    expect(r).toEqual({
      ok: true,
      calendar: {
        timeZone: 'America/New_York',
        weekly: [
          { day: 1, start: '09:00', end: '24:00' },
          { day: 2, start: '09:00', end: '12:00' },
          { day: 2, start: '13:00', end: '17:00' },
        ],
        holidays: [{ date: '2024-07-04' }, { date: '2024-12-25', name: 'Christmas' }],
      },
    });
  });

  it('accepts a calendar without a holidays list', () => {
    const r = parseCalendar({ timeZone: 'UTC', weekly: [{ day: 0, start: '00:00', end: '24:00' }] });
    expect(r.ok && r.calendar.holidays).toEqual([]);
  });

  it('names every problem by its field', () => {
    const r = parseCalendar({
      timeZone: 'Mars/Olympus',
      weekly: [
        { day: 7, start: '09:00', end: '17:00' },
        { day: 1, start: '9:00', end: '24:01' },
        { day: 1, start: '17:00', end: '09:00' },
        { day: 3, start: '09:00', end: '13:00' },
        { day: 3, start: '12:00', end: '18:00' },
        'x',
      ],
      holidays: [{ date: '2024-02-30' }, { date: '2024-02-29', name: 5 }, null],
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems.map((p) => p.field)).toEqual([
      'timeZone',
      'weekly[0].day',
      'weekly[1].start',
      'weekly[1].end',
      'weekly[2].end',
      'weekly[4]',
      'weekly[5]',
      'holidays[0].date',
      'holidays[1].name',
      'holidays[2]',
    ]);
    expect(r.problems[5]!.message).toContain('weekly[3]');
  });

  it('refuses what is not a calendar, or one that never opens', () => {
    expect(parseCalendar(null)).toEqual({ ok: false, problems: [{ field: 'calendar', message: 'must be an object' }] });
    const r = parseCalendar({ timeZone: 'UTC', weekly: [] });
    expect(r.ok === false && r.problems.map((p) => p.field)).toEqual(['weekly']);
    expect(parseCalendar({ timeZone: 'UTC', weekly: 'Mon-Fri' }).ok).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Properties, and a brute-force reference that steps minute by minute

const sampleCalendars: BusinessCalendar[] = [
  { ...hours('Europe/Berlin', weekdays, ['09:00', '12:00'], ['13:00', '17:30']), holidays: [{ date: '2024-04-01' }] },
  hours('America/New_York', [1, 2, 3, 4], ['08:00', '20:00']),
  hours('Asia/Tokyo', [1, 3, 5], ['10:00', '15:00']),
  {
    timeZone: 'America/Santiago',
    weekly: [
      { day: 5, start: '20:00', end: '24:00' },
      { day: 6, start: '00:00', end: '03:00' },
    ],
    holidays: [],
  },
  alwaysOpen,
];
const instant2024 = fc.integer({ min: Date.UTC(2024, 0, 1), max: Date.UTC(2025, 0, 1) }).map((t) => new Date(t));

describe('properties', () => {
  it('addBusinessMs inverts businessMsBetween: it lands on `to` when the time just before `to` is open', () => {
    fc.assert(
      fc.property(fc.constantFrom(...sampleCalendars), instant2024, instant2024, (cal, a, b) => {
        const [from, to] = a <= b ? [a, b] : [b, a];
        const elapsed = businessMsBetween(cal, from, to);
        const back = addBusinessMs(cal, from, elapsed);
        expect(back.getTime()).toBeLessThanOrEqual(to.getTime());
        expect(businessMsBetween(cal, from, back)).toBe(elapsed);
        if (to > from && isOpen(cal, new Date(to.getTime() - 1))) expect(back.getTime()).toBe(to.getTime());
      }),
      { numRuns: 300 },
    );
  });

  it('businessMsBetween is additive over a split point and monotonic', () => {
    fc.assert(
      fc.property(fc.constantFrom(...sampleCalendars), instant2024, instant2024, instant2024, (cal, x, y, z) => {
        const [a, b, c] = [x, y, z].sort((p, q) => p.getTime() - q.getTime()) as [Date, Date, Date];
        const ab = businessMsBetween(cal, a, b);
        const bc = businessMsBetween(cal, b, c);
        expect(businessMsBetween(cal, a, c)).toBe(ab + bc);
        expect(ab).toBeLessThanOrEqual(ab + bc);
        expect(ab).toBeLessThanOrEqual(c.getTime() - a.getTime());
      }),
      { numRuns: 300 },
    );
  });

  it('a calendar is open at an instant exactly when its next opening is that instant', () => {
    fc.assert(
      fc.property(fc.constantFrom(...sampleCalendars), instant2024, (cal, t) => {
        const next = nextOpening(cal, t)!;
        expect(isOpen(cal, t)).toBe(next.getTime() === t.getTime());
        expect(isOpen(cal, next)).toBe(true);
        expect(businessMsBetween(cal, t, next)).toBe(0);
      }),
      { numRuns: 300 },
    );
  });
});

/**
 * The reference: step minute by minute, read the wall clock from Intl, and keep the highest wall time seen so far (the
 * clock's "high-water mark"). An interval [start, end) of a local day is open while the high-water mark is in it: that
 * is "from the first instant the clock shows start to the first instant it shows end", with no offset arithmetic.
 */
function referenceOpenMinutes(cal: BusinessCalendar, fromMs: number, minutes: number): boolean[] {
  const dtf = new Intl.DateTimeFormat('en-US', {
    timeZone: cal.timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
  });
  const wall = (t: number) => {
    const [, mo, d, y, h, mi] = (/^(\d+)\/(\d+)\/(\d+), (\d+):(\d+)$/.exec(dtf.format(t)) ?? []).map(Number);
    return Date.UTC(y!, mo! - 1, d!, h!, mi!);
  };
  const holidays = new Set(cal.holidays.map((h) => h.date));
  const warmUp = 4 * 60; // longer than any clock change
  let high = -Infinity;
  const open: boolean[] = [];
  for (let i = -warmUp; i < minutes; i++) {
    high = Math.max(high, wall(fromMs + i * M));
    if (i < 0) continue;
    const day = new Date(Math.floor(high / (24 * H)) * 24 * H);
    const minuteOfDay = (high - day.getTime()) / M;
    open.push(
      !holidays.has(day.toISOString().slice(0, 10)) &&
        cal.weekly.some((w) => {
          const [sh, sm] = w.start.split(':').map(Number) as [number, number];
          const [eh, em] = w.end.split(':').map(Number) as [number, number];
          return w.day === day.getUTCDay() && sh * 60 + sm <= minuteOfDay && minuteOfDay < eh * 60 + em;
        }),
    );
  }
  return open;
}

// Around the 2024 clock changes of zones with odd rules: half-hour DST (Lord Howe), changes at midnight (Santiago),
// 45-minute offsets (Chatham), the southern hemisphere, and zones without DST.
const zoneMoments: Array<[string, string]> = [
  ['Europe/Berlin', '2024-03-31'],
  ['Europe/Berlin', '2024-10-27'],
  ['America/New_York', '2024-03-10'],
  ['America/New_York', '2024-11-03'],
  ['Australia/Lord_Howe', '2024-04-07'],
  ['Australia/Lord_Howe', '2024-10-06'],
  ['America/Santiago', '2024-04-07'],
  ['America/Santiago', '2024-09-08'],
  ['Pacific/Chatham', '2024-04-07'],
  ['America/St_Johns', '2024-03-10'],
  ['Asia/Kolkata', '2024-06-15'],
  ['Asia/Tokyo', '2024-12-31'],
];
const boundaries = [0, 60, 90, 120, 150, 180, 210, 240, 480, 540, 720, 780, 1020, 1200, 1380, 1410, 1440];
const hhmm = (m: number) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;

const arbitraryDayHours = fc.uniqueArray(fc.constantFrom(...boundaries), { maxLength: 4 }).map((points) => {
  const sorted = [...points].sort((a, b) => a - b);
  const spans: Array<[number, number]> = [];
  for (let i = 0; i + 1 < sorted.length; i += 2) spans.push([sorted[i]!, sorted[i + 1]!]);
  return spans;
});

const arbitraryCase = fc
  .record({
    moment: fc.constantFrom(...zoneMoments),
    week: fc.array(arbitraryDayHours, { minLength: 7, maxLength: 7 }),
    holidayOffsets: fc.uniqueArray(fc.integer({ min: -3, max: 3 }), { maxLength: 2 }),
    startMinutes: fc.integer({ min: -2 * 24 * 60, max: 24 * 60 }),
    spanMinutes: fc.integer({ min: 0, max: 3 * 24 * 60 }),
    cut: fc.double({ min: 0, max: 1, noNaN: true }),
  })
  .map(({ moment: [timeZone, date], week, holidayOffsets, startMinutes, spanMinutes, cut }) => {
    const noon = Date.parse(`${date}T12:00:00Z`);
    const cal: BusinessCalendar = {
      timeZone,
      weekly: week.flatMap((spans, day) =>
        spans.map(([s, e]) => ({ day: day as Weekday, start: hhmm(s), end: hhmm(e) })),
      ),
      holidays: holidayOffsets.map((o) => ({ date: new Date(noon + o * 24 * H).toISOString().slice(0, 10) })),
    };
    return { cal, fromMs: noon + startMinutes * M, spanMinutes, cut };
  });

describe('agreement with the minute-stepping reference on random calendars near clock changes', () => {
  it('isOpen, businessMsBetween, addBusinessMs and nextOpening agree minute for minute', () => {
    fc.assert(
      fc.property(arbitraryCase, ({ cal, fromMs, spanMinutes, cut }) => {
        const open = referenceOpenMinutes(cal, fromMs, spanMinutes + 1);
        const compiled = compileCalendar(cal);
        for (let i = 0; i <= spanMinutes; i++) expect(isOpen(compiled, new Date(fromMs + i * M))).toBe(open[i]);
        const openMinutes = open.slice(0, spanMinutes).filter(Boolean).length;
        const from = new Date(fromMs);
        expect(businessMsBetween(compiled, from, new Date(fromMs + spanMinutes * M))).toBe(openMinutes * M);
        // Adding k open minutes ends at the end of the k-th open minute.
        const k = Math.floor(cut * openMinutes);
        let seen = 0;
        let expected = fromMs;
        for (let i = 0; seen < k; i++) if (open[i] && ++seen === k) expected = fromMs + (i + 1) * M;
        expect(addBusinessMs(compiled, from, k * M).getTime()).toBe(expected);
        const firstOpen = open.indexOf(true);
        if (firstOpen >= 0) expect(nextOpening(compiled, from)!.getTime()).toBe(fromMs + firstOpen * M);
      }),
      { numRuns: 60 },
    );
  });
});

/**
 * The reference for addBusinessMsOrNull, by its definition: the earliest instant at which businessMsBetween (a plain
 * day-by-day count) from `from` reaches ms, found by bisection; null when that is beyond the horizon.
 */
function addByCounting(cal: BusinessCalendar, from: Date, ms: number): Date | null {
  const f = from.getTime();
  let hi = f + businessHorizonMs;
  if (businessMsBetween(cal, from, new Date(hi)) < ms) return null;
  let lo = f; // count(lo) < ms <= count(hi)
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (businessMsBetween(cal, from, new Date(mid)) >= ms) hi = mid;
    else lo = mid;
  }
  return new Date(hi);
}

describe('addBusinessMsOrNull skips whole weeks', () => {
  it('a calendar open one minute a week with the largest SLA target answers at once (null: beyond the horizon)', () => {
    const sparse = compileCalendar(hours('Europe/Berlin', [3], ['10:00', '10:01']));
    const started = performance.now();
    const due = addBusinessMsOrNull(sparse, at('2026-11-24T12:00:00Z'), 525_600 * M);
    const tookMs = performance.now() - started;
    expect(due).toBeNull(); // 525,600 weeks away
    expect(tookMs).toBeLessThan(200);
    // Within the horizon, the same calendar still answers: 500 minutes is 500 Wednesdays at 10:00 Berlin time.
    const t0 = performance.now();
    const d500 = addBusinessMsOrNull(sparse, at('2026-11-24T12:00:00Z'), 500 * M);
    expect(performance.now() - t0).toBeLessThan(200);
    expect(iso(d500)).toBe(
      iso(addByCounting(hours('Europe/Berlin', [3], ['10:00', '10:01']), at('2026-11-24T12:00:00Z'), 500 * M)),
    );
  });

  it('the largest target on office hours with holidays is exact and quick', () => {
    const cal: BusinessCalendar = {
      ...newYork,
      holidays: Array.from({ length: 6 }, (_, i) => [
        { date: `${2026 + i}-07-04` },
        { date: `${2026 + i}-12-25` },
        { date: `${2026 + i}-01-01` },
      ]).flat(),
    };
    const started = performance.now();
    const due = addBusinessMsOrNull(compileCalendar(cal), at('2026-11-24T15:00:00Z'), 525_600 * M);
    expect(performance.now() - started).toBeLessThan(200);
    expect(iso(due)).toBe(iso(addByCounting(cal, at('2026-11-24T15:00:00Z'), 525_600 * M)));
  });

  it('agrees with day-by-day counting on random calendars, zones, holidays and starts', () => {
    const zones = [
      'UTC',
      'Europe/Berlin',
      'America/New_York',
      'America/Santiago',
      'Australia/Lord_Howe',
      'Pacific/Chatham',
      'Asia/Kolkata',
      'America/Sao_Paulo',
      'Africa/Casablanca',
      'Asia/Tehran',
    ];
    const rand = seededRandom(20261124);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
    const hhmm = (m: number) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
    let compared = 0;
    for (let n = 0; n < 120; n++) {
      const weekly: BusinessCalendar['weekly'] = [];
      for (const day of everyDay) {
        if (rand() < 0.4) continue;
        let m = Math.floor(rand() * 600);
        for (let k = 0; k < 1 + Math.floor(rand() * 3) && m < 1440; k++) {
          const end = Math.min(1440, m + 1 + Math.floor(rand() * 600));
          weekly.push({ day, start: hhmm(m), end: end === 1440 ? '24:00' : hhmm(end) });
          m = end + Math.floor(rand() * 120);
        }
      }
      if (!weekly.length) weekly.push({ day: 2, start: '09:00', end: '09:01' });
      const from = new Date(Date.UTC(2025, 0, 1) + Math.floor(rand() * 3 * 365 * 24) * H + Math.floor(rand() * H));
      const holidays = Array.from({ length: Math.floor(rand() * 12) }, () => {
        const d = new Date(from.getTime() + Math.floor(rand() * 400) * 24 * H);
        return { date: d.toISOString().slice(0, 10) };
      });
      const cal: BusinessCalendar = { timeZone: pick(zones), weekly, holidays };
      const compiled = compileCalendar(cal);
      const weekMs = compiled.weekMs;
      // From a few minutes to some 40 weeks of open time: whole-week skips across DST changes and holidays.
      const ms = pick([M, 7 * M, weekMs, weekMs + 1, 3 * weekMs - 1, Math.floor(rand() * 40 * weekMs) + 1]);
      const expected = addByCounting(cal, from, ms);
      const got = addBusinessMsOrNull(compiled, from, ms);
      expect(iso(got), `${JSON.stringify(cal)} from ${from.toISOString()} + ${ms} ms`).toBe(iso(expected));
      compared++;
    }
    expect(compared).toBe(120);
  });
});
