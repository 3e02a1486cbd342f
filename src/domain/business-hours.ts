/**
 * Business-hours calendars: when a team is open, in its own time zone, and how much open time lies between two
 * instants. The SLA clock (sla.ts) counts only this time. Pure code: the time zone rules come from Intl (ICU's tz
 * database), never from the server's own zone.
 *
 * Definitions (the tests pin each one down):
 * - A calendar lists weekly intervals in local wall time ('HH:MM', end '24:00' allowed; several per day) and whole
 *   local days closed as holidays. An interval belongs to its local date; working past midnight is written as
 *   '…–24:00' on one day and '00:00–…' on the next, and the two join without a gap.
 * - An interval runs from the first instant the local clock shows its start to the first instant it shows its end.
 *   So 09:00–17:00 is 8 hours on every day, 00:00–24:00 is 23 hours on a spring-forward day and 25 on a fall-back
 *   day, a start inside a skipped hour (02:30 when 02:00 jumps to 03:00) opens at the jump, and a time repeated when
 *   clocks fall back means its first occurrence.
 * - Intervals are half-open: open at the start instant, closed at the end instant.
 * - businessMsBetween counts open milliseconds in [from, to); addBusinessMs gives the earliest instant at which that
 *   count reaches ms (so a due time falls at 17:00 on Friday, not at 09:00 on Monday).
 *
 * Speed: the offsets of a zone are read from Intl once per zone and UTC year (the transitions of the year are found by
 * weekly samples and bisection, then kept), so later conversions are a table lookup; the scans go a local day at a
 * time and skip closed days in constant time, never a minute at a time; addBusinessMsOrNull also counts runs of whole
 * weeks without holidays or offset changes arithmetically, and gives up (null) beyond businessHorizonMs, so a calendar
 * open a minute a week costs no more than an office week. Two offset changes less than a week apart
 * that return to the same offset would be missed; no zone in use has one.
 */
import type { FieldProblem } from './customers.ts';

export type Weekday = 0 | 1 | 2 | 3 | 4 | 5 | 6; // 0 = Sunday
export type BusinessCalendar = {
  /** IANA name, e.g. 'Europe/Berlin'. */
  timeZone: string;
  /** 'HH:MM' local wall time; several intervals per day allowed; end '24:00' allowed. */
  weekly: Array<{ day: Weekday; start: string; end: string }>;
  /** 'YYYY-MM-DD' local dates, closed the whole day. */
  holidays: Array<{ date: string; name?: string }>;
};

const minuteMs = 60_000;
const hourMs = 3_600_000;
const dayMs = 86_400_000;

/** Open around the clock, every day, no holidays. */
export const alwaysOpen: BusinessCalendar = {
  timeZone: 'UTC',
  weekly: ([0, 1, 2, 3, 4, 5, 6] as const).map((day) => ({ day, start: '00:00', end: '24:00' })),
  holidays: [],
};

// ---------------------------------------------------------------------------------------------------------------
// Time zone offsets

type YearTable = { start: number; end: number; startOffset: number; at: number[]; offsets: number[] };
type Zone = { dtf: Intl.DateTimeFormat; years: Map<number, YearTable>; last: YearTable | null };
const zones = new Map<string, Zone>();

function zoneNamed(timeZone: string): Zone {
  let zone = zones.get(timeZone);
  if (!zone) {
    let dtf: Intl.DateTimeFormat;
    try {
      dtf = new Intl.DateTimeFormat('en-US', {
        timeZone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      });
    } catch {
      throw new RangeError(`unknown time zone "${timeZone}"`);
    }
    zone = { dtf, years: new Map(), last: null };
    zones.set(timeZone, zone);
  }
  return zone;
}

const formatted = /^(\d+)\/(\d+)\/(\d+), (\d+):(\d+):(\d+)$/;

/**
 * Local wall time minus UTC, in ms, at instant t (whole seconds), asked of Intl. Reads the 'M/D/YYYY, HH:MM:SS' text
 * of en-US (5× quicker than formatToParts), and the parts if an ICU version writes it otherwise.
 */
function intlOffset(zone: Zone, t: number): number {
  const m = formatted.exec(zone.dtf.format(t));
  const f = m
    ? { year: m[3], month: m[1], day: m[2], hour: m[4], minute: m[5], second: m[6] }
    : Object.fromEntries(zone.dtf.formatToParts(t).map((p) => [p.type, p.value]));
  const wall = new Date(0);
  wall.setUTCFullYear(Number(f.year), Number(f.month) - 1, Number(f.day));
  wall.setUTCHours(Number(f.hour), Number(f.minute), Number(f.second), 0);
  return wall.getTime() - (t - (((t % 1000) + 1000) % 1000));
}

function yearTable(zone: Zone, year: number): YearTable {
  let table = zone.years.get(year);
  if (table) return table;
  const start = Date.UTC(year, 0, 1);
  const end = Date.UTC(year + 1, 0, 1);
  table = { start, end, startOffset: intlOffset(zone, start), at: [], offsets: [] };
  const found = table;
  // Bisect [a, b] (offset oa at a, ob at b, oa !== ob) to the second for the first change, then look on after it.
  const bisect = (a: number, oa: number, b: number, ob: number): void => {
    let lo = a;
    let hi = b;
    while (hi - lo > 1000) {
      const mid = lo + Math.floor((hi - lo) / 2000) * 1000;
      if (intlOffset(zone, mid) === oa) lo = mid;
      else hi = mid;
    }
    const o = intlOffset(zone, hi);
    found.at.push(hi);
    found.offsets.push(o);
    if (o !== ob) bisect(hi, o, b, ob);
  };
  let prevT = start;
  let prevO = table.startOffset;
  for (let t = start + 7 * dayMs; prevT < end; t = Math.min(t + 7 * dayMs, end)) {
    const o = intlOffset(zone, t);
    if (o !== prevO) bisect(prevT, prevO, t, o);
    prevT = t;
    prevO = o;
  }
  zone.years.set(year, table);
  return table;
}

function offsetAt(zone: Zone, t: number): number {
  let table = zone.last;
  if (!table || t < table.start || t >= table.end) {
    table = yearTable(zone, new Date(t).getUTCFullYear());
    zone.last = table;
  }
  let o = table.startOffset;
  for (let i = 0; i < table.at.length; i++) {
    if (t < table.at[i]!) break;
    o = table.offsets[i]!;
  }
  return o;
}

/** The first instant after t at which the zone's offset changes, looking no further than `limit`; Infinity if none. */
function nextOffsetChange(zone: Zone, t: number, limit: number): number {
  for (let year = new Date(t).getUTCFullYear(); Date.UTC(year, 0, 1) <= limit; year++) {
    const table = yearTable(zone, year);
    for (const at of table.at) if (at > t) return at;
    // A change exactly at the turn of the year is seen as the next year's start offset.
    const next = yearTable(zone, year + 1);
    const last = table.offsets.length ? table.offsets[table.offsets.length - 1]! : table.startOffset;
    if (next.startOffset !== last && next.start > t) return next.start;
  }
  return Infinity;
}

/**
 * The first instant at which the local clock shows `local` (a wall time written as if it were UTC ms): the one
 * instant when it exists, the earlier of two when clocks fall back, the jump itself when it is skipped.
 */
function firstInstantShowing(zone: Zone, local: number): number {
  const before = offsetAt(zone, local - dayMs);
  const after = offsetAt(zone, local + dayMs);
  if (before === after) return local - before;
  const u1 = local - before;
  const u2 = local - after;
  const v1 = offsetAt(zone, u1) === before;
  const v2 = offsetAt(zone, u2) === after;
  if (v1 && v2) return Math.min(u1, u2);
  if (v1) return u1;
  if (v2) return u2;
  // Skipped: the clock jumps over `local` at the transition between u2 (still `before`) and u1 (already `after`).
  let lo = Math.min(u1, u2);
  let hi = Math.max(u1, u2);
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (offsetAt(zone, mid) === before) lo = mid;
    else hi = mid;
  }
  return hi;
}

/**
 * The instant a wall time in a time zone names (month 1–12): the first instant the local clock shows it, as for
 * calendars (the earlier of two when clocks fall back; the jump itself when the time is skipped). Throws a RangeError
 * for an unknown zone.
 */
export function instantOfLocalTime(
  timeZone: string,
  t: { year: number; month: number; day: number; hour?: number; minute?: number; second?: number; ms?: number },
): Date {
  const wall = new Date(0);
  wall.setUTCFullYear(t.year, t.month - 1, t.day);
  wall.setUTCHours(t.hour ?? 0, t.minute ?? 0, t.second ?? 0, t.ms ?? 0);
  return new Date(firstInstantShowing(zoneNamed(timeZone), wall.getTime()));
}

/** Days since 1970-01-01 of the local date at instant t. */
function localDayOf(zone: Zone, t: number): number {
  return Math.floor((t + offsetAt(zone, t)) / dayMs);
}

// ---------------------------------------------------------------------------------------------------------------
// Calendars

const timePattern = /^([01]\d|2[0-3]):([0-5]\d)$/;
const datePattern = /^(\d{4})-(\d{2})-(\d{2})$/;

function minutesOf(hhmm: string, allow24: boolean): number | null {
  if (allow24 && hhmm === '24:00') return 1440;
  const m = timePattern.exec(hhmm);
  return m ? Number(m[1]) * 60 + Number(m[2]) : null;
}

const monthDays = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Days since 1970-01-01 of a 'YYYY-MM-DD' date (proleptic Gregorian), or null if it is not a real date. */
function dayNumberOf(date: string): number | null {
  const m = datePattern.exec(date);
  if (!m) return null;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  const leap = y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
  if (mo < 1 || mo > 12 || d < 1 || d > (mo === 2 && leap ? 29 : monthDays[mo - 1]!)) return null;
  // Days from civil (H. Hinnant's algorithm): arithmetic only, as holidays are read on every compile.
  const yy = mo <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function weekdayOf(dayNumber: number): number {
  return (((dayNumber + 4) % 7) + 7) % 7; // 1970-01-01 was a Thursday
}

/** A calendar prepared for the scans: minutes per weekday (sorted, joined), holidays as day numbers. */
export type CompiledCalendar = {
  readonly compiled: true;
  zone: Zone;
  byWeekday: Array<Array<[number, number]>>;
  holidays: Set<number>;
  /** The holidays' day numbers, ascending (for the next holiday after a day). */
  holidayList: number[];
  /** Open ms of a whole week without holidays or offset changes. */
  weekMs: number;
  /** Whether any weekday has hours at all; a calendar without any never opens. */
  opens: boolean;
  /** Days without open time after which a scan concludes the calendar never opens again. */
  giveUpDays: number;
};

/**
 * Checks and prepares a calendar once, for callers (the SLA clock) that ask it many questions. Throws a RangeError
 * on a malformed calendar: user input goes through parseCalendar first.
 */
export function compileCalendar(cal: BusinessCalendar): CompiledCalendar {
  const zone = zoneNamed(cal.timeZone);
  const byWeekday: Array<Array<[number, number]>> = [[], [], [], [], [], [], []];
  for (const w of cal.weekly) {
    const s = minutesOf(w.start, false);
    const e = minutesOf(w.end, true);
    if (s === null || e === null || !Number.isInteger(w.day) || w.day < 0 || w.day > 6) {
      throw new RangeError(`bad weekly interval ${JSON.stringify(w)}`);
    }
    if (e > s) byWeekday[w.day]!.push([s, e]);
  }
  for (let d = 0; d < 7; d++) {
    const sorted = byWeekday[d]!.sort((a, b) => a[0] - b[0]);
    const joined: Array<[number, number]> = [];
    for (const iv of sorted) {
      const last = joined[joined.length - 1];
      if (last && iv[0] <= last[1]) last[1] = Math.max(last[1], iv[1]);
      else joined.push([iv[0], iv[1]]);
    }
    byWeekday[d] = joined;
  }
  const holidays = new Set<number>();
  for (const h of cal.holidays) {
    const n = dayNumberOf(h.date);
    if (n === null) throw new RangeError(`bad holiday date "${h.date}"`);
    holidays.add(n);
  }
  return {
    compiled: true,
    zone,
    byWeekday,
    holidays,
    holidayList: [...holidays].sort((a, b) => a - b),
    weekMs: byWeekday.reduce((sum, d) => sum + d.reduce((m, [a, b]) => m + (b - a) * minuteMs, 0), 0),
    opens: byWeekday.some((d) => d.length > 0),
    giveUpDays: 7 * (holidays.size + 2),
  };
}

function prepared(cal: BusinessCalendar | CompiledCalendar): CompiledCalendar {
  return 'compiled' in cal ? cal : compileCalendar(cal);
}

/** The open intervals of one local day as UTC ms [start, end) pairs, flattened; empty when the day is closed. */
function openIntervalsOfDay(c: CompiledCalendar, dayNumber: number): number[] {
  const out: number[] = [];
  if (c.holidays.has(dayNumber)) return out;
  const hours = c.byWeekday[weekdayOf(dayNumber)]!;
  if (hours.length === 0) return out;
  const midnight = dayNumber * dayMs;
  // Most days keep one offset from the day before to the day after: then each wall time is one subtraction away.
  const offset = offsetAt(c.zone, midnight - dayMs);
  const steady = offsetAt(c.zone, midnight + 2 * dayMs) === offset;
  for (const [s, e] of hours) {
    const a = steady ? midnight + s * minuteMs - offset : firstInstantShowing(c.zone, midnight + s * minuteMs);
    const b = steady ? midnight + e * minuteMs - offset : firstInstantShowing(c.zone, midnight + e * minuteMs);
    if (b > a) out.push(a, b);
  }
  return out;
}

/**
 * The local day from which a forward scan starts: the local date of t. No earlier day can matter, as the clock has
 * shown that date by t, so every earlier day's intervals have ended. (A later day can: where clocks fall back across
 * midnight, an instant can show yesterday's date again while lying in today's hours, hence isOpen looks at both.)
 */
function firstScanDay(c: CompiledCalendar, t: number): number {
  return localDayOf(c.zone, t);
}

/** No local day whose midnight (as UTC ms) lies this far after t can hold an instant at or before t. */
const scanMargin = dayMs + 2 * hourMs;

function instant(at: Date, what: string): number {
  const t = at.getTime();
  if (!Number.isFinite(t)) throw new RangeError(`${what} is not a valid date`);
  return t;
}

export function isOpen(cal: BusinessCalendar | CompiledCalendar, at: Date): boolean {
  const c = prepared(cal);
  const t = instant(at, 'at');
  const first = firstScanDay(c, t);
  for (let day = first; day <= first + 1; day++) {
    const ivs = openIntervalsOfDay(c, day);
    for (let i = 0; i < ivs.length; i += 2) if (ivs[i]! <= t && t < ivs[i + 1]!) return true;
  }
  return false;
}

/** Open milliseconds in [from, to); 0 if to <= from. */
export function businessMsBetween(cal: BusinessCalendar | CompiledCalendar, from: Date, to: Date): number {
  const c = prepared(cal);
  const f = instant(from, 'from');
  const t = instant(to, 'to');
  if (t <= f || !c.opens) return 0;
  let total = 0;
  for (let day = firstScanDay(c, f); day * dayMs - scanMargin <= t; day++) {
    const ivs = openIntervalsOfDay(c, day);
    for (let i = 0; i < ivs.length; i += 2) {
      const lo = Math.max(ivs[i]!, f);
      const hi = Math.min(ivs[i + 1]!, t);
      if (hi > lo) total += hi - lo;
    }
  }
  return total;
}

/**
 * How far ahead addBusinessMsOrNull looks: a due time later than this after `from` is null ("no due time"). The
 * largest SLA target (525,600 minutes) on a 40-hour week is 4.2 years away; a calendar open a minute a week would
 * otherwise send the scan 10,000 years ahead.
 */
export const businessHorizonMs = 20 * 365.25 * dayMs;

/** The first holiday on or after `day` (its day number), or Infinity. */
function nextHoliday(c: CompiledCalendar, day: number): number {
  const list = c.holidayList;
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid]! < day) lo = mid + 1;
    else hi = mid;
  }
  return lo < list.length ? list[lo]! : Infinity;
}

/**
 * The earliest instant at or after `from` by which `ms` open milliseconds have passed; null if never, or if that is
 * more than businessHorizonMs after `from`.
 *
 * Day by day, except that runs of whole weeks with no holiday and no offset change (so every day is steady) are
 * skipped arithmetically: such a week holds exactly `weekMs` open time, starting after `from`.
 */
export function addBusinessMsOrNull(cal: BusinessCalendar | CompiledCalendar, from: Date, ms: number): Date | null {
  const c = prepared(cal);
  const f = instant(from, 'from');
  if (!Number.isFinite(ms)) throw new RangeError('ms must be a finite number');
  if (ms <= 0) return new Date(f);
  if (!c.opens) return null;
  const horizon = f + businessHorizonMs;
  let left = ms;
  let closedDays = 0;
  for (let day = firstScanDay(c, f); closedDays <= c.giveUpDays; day++) {
    if (day * dayMs - scanMargin > horizon) return null;
    if (left > c.weekMs) {
      const weeks = skippableWeeks(c, day, f, left, horizon);
      if (weeks > 0) {
        left -= weeks * c.weekMs;
        day += 7 * weeks;
        // As the scan would leave it: the closed weekdays at the end of the last week skipped.
        closedDays = 0;
        while (closedDays < 7 && c.byWeekday[weekdayOf(day - 1 - closedDays)]!.length === 0) closedDays++;
        day--; // the loop's day++ comes next
        continue;
      }
    }
    const ivs = openIntervalsOfDay(c, day);
    closedDays = ivs.length === 0 ? closedDays + 1 : 0;
    for (let i = 0; i < ivs.length; i += 2) {
      const end = ivs[i + 1]!;
      if (end <= f) continue;
      const start = Math.max(ivs[i]!, f);
      if (left <= end - start) {
        const due = start + left;
        return due - f > businessHorizonMs ? null : new Date(due);
      }
      left -= end - start;
    }
  }
  return null;
}

/**
 * How many whole weeks from local day `day` on can be counted as `weekMs` each without looking at their days: none
 * holds a holiday, the offset does not change from the day before the first to two days after the last (so
 * openIntervalsOfDay takes every day as steady, at that one offset), the first opens after `from`, and the due time
 * lies beyond them (strictly more than their open time is left).
 */
function skippableWeeks(c: CompiledCalendar, day: number, f: number, left: number, horizon: number): number {
  const byMs = Math.floor((left - 1) / c.weekMs);
  const byHoliday = Math.floor((nextHoliday(c, day) - day) / 7);
  let weeks = Math.min(byMs, byHoliday);
  if (weeks <= 0) return 0;
  const probe = (day - 1) * dayMs;
  const offset = offsetAt(c.zone, probe);
  if (day * dayMs - offset < f) return 0;
  // The last day d of the run is checked at (d + 2) * dayMs: that must come before the next change.
  const change = nextOffsetChange(c.zone, probe, horizon + 7 * dayMs);
  if (Number.isFinite(change)) weeks = Math.min(weeks, Math.floor((change - 1 - (day + 1) * dayMs) / (7 * dayMs)));
  return Math.max(0, weeks);
}

/**
 * The earliest instant by which `ms` open milliseconds have passed since `from` (the inverse of businessMsBetween);
 * `from` itself when ms <= 0. Throws a RangeError when the calendar never opens.
 */
export function addBusinessMs(cal: BusinessCalendar | CompiledCalendar, from: Date, ms: number): Date {
  const due = addBusinessMsOrNull(cal, from, ms);
  if (!due) throw new RangeError('the calendar never opens');
  return due;
}

/** The earliest instant at or after `at` when the calendar is open (`at` itself when open); null if it never opens. */
export function nextOpening(cal: BusinessCalendar | CompiledCalendar, at: Date): Date | null {
  const c = prepared(cal);
  const t = instant(at, 'at');
  if (!c.opens) return null;
  let closedDays = 0;
  for (let day = firstScanDay(c, t); closedDays <= c.giveUpDays; day++) {
    const ivs = openIntervalsOfDay(c, day);
    closedDays = ivs.length === 0 ? closedDays + 1 : 0;
    for (let i = 0; i < ivs.length; i += 2) if (ivs[i + 1]! > t) return new Date(Math.max(ivs[i]!, t));
  }
  return null;
}

// ---------------------------------------------------------------------------------------------------------------
// Input

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const dayNames = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/**
 * A calendar from untrusted input (an API body, a stored JSON value): every problem with its field path
 * ('weekly[2].end'), or the calendar with weekly intervals sorted by day and start and holidays by date.
 */
export function parseCalendar(
  input: unknown,
): { ok: true; calendar: BusinessCalendar } | { ok: false; problems: FieldProblem[] } {
  const problems: FieldProblem[] = [];
  if (!isRecord(input)) return { ok: false, problems: [{ field: 'calendar', message: 'must be an object' }] };

  const timeZone = input.timeZone;
  if (typeof timeZone !== 'string' || timeZone.length === 0) {
    problems.push({ field: 'timeZone', message: 'must be an IANA time zone name such as "Europe/Berlin"' });
  } else {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone });
    } catch {
      problems.push({ field: 'timeZone', message: `"${timeZone}" is not a known time zone` });
    }
  }

  const weekly: BusinessCalendar['weekly'] = [];
  const spans: Array<{ index: number; day: number; s: number; e: number }> = [];
  if (!Array.isArray(input.weekly)) {
    problems.push({ field: 'weekly', message: 'must be a list of {day, start, end} intervals' });
  } else {
    if (input.weekly.length === 0) problems.push({ field: 'weekly', message: 'needs at least one open interval' });
    if (input.weekly.length > 100) problems.push({ field: 'weekly', message: 'must have at most 100 intervals' });
    input.weekly.slice(0, 100).forEach((w: unknown, i) => {
      const at = `weekly[${i}]`;
      if (!isRecord(w)) {
        problems.push({ field: at, message: 'must be an object {day, start, end}' });
        return;
      }
      const day = w.day;
      const okDay = typeof day === 'number' && Number.isInteger(day) && day >= 0 && day <= 6;
      if (!okDay) problems.push({ field: `${at}.day`, message: 'must be 0 (Sunday) to 6 (Saturday)' });
      const s = typeof w.start === 'string' ? minutesOf(w.start, false) : null;
      const e = typeof w.end === 'string' ? minutesOf(w.end, true) : null;
      if (s === null) problems.push({ field: `${at}.start`, message: 'must be a time HH:MM from 00:00 to 23:59' });
      if (e === null) problems.push({ field: `${at}.end`, message: 'must be a time HH:MM from 00:01 to 24:00' });
      if (s !== null && e !== null && e <= s) {
        problems.push({ field: `${at}.end`, message: `must be after the start (${String(w.start)})` });
      }
      if (okDay && s !== null && e !== null && e > s) {
        const clash = spans.find((o) => o.day === day && o.s < e && s < o.e);
        if (clash) {
          problems.push({
            field: at,
            message: `overlaps weekly[${clash.index}] on ${dayNames[day]}; join them into one interval`,
          });
        }
        spans.push({ index: i, day, s, e });
        weekly.push({ day: day as Weekday, start: w.start as string, end: w.end as string });
      }
    });
  }

  const holidays: BusinessCalendar['holidays'] = [];
  if (input.holidays !== undefined && !Array.isArray(input.holidays)) {
    problems.push({ field: 'holidays', message: 'must be a list of {date, name} entries' });
  } else if (Array.isArray(input.holidays)) {
    if (input.holidays.length > 2000) problems.push({ field: 'holidays', message: 'must have at most 2000 dates' });
    input.holidays.slice(0, 2000).forEach((h: unknown, i) => {
      const at = `holidays[${i}]`;
      if (!isRecord(h)) {
        problems.push({ field: at, message: 'must be an object {date, name}' });
        return;
      }
      const date = h.date;
      if (typeof date !== 'string' || dayNumberOf(date) === null) {
        problems.push({ field: `${at}.date`, message: 'must be a real date YYYY-MM-DD' });
        return;
      }
      if (h.name !== undefined && (typeof h.name !== 'string' || h.name.length > 200)) {
        problems.push({ field: `${at}.name`, message: 'must be text of at most 200 characters' });
        return;
      }
      holidays.push(typeof h.name === 'string' ? { date, name: h.name } : { date });
    });
  }

  if (problems.length > 0) return { ok: false, problems };
  weekly.sort((a, b) => a.day - b.day || minutesOf(a.start, false)! - minutesOf(b.start, false)!);
  holidays.sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
  return { ok: true, calendar: { timeZone: timeZone as string, weekly, holidays } };
}
