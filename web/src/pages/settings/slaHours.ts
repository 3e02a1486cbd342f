/**
 * Business hours as the calendar form edits them, and as the server stores them (src/domain/business-hours.ts).
 *
 * The server keeps each interval on its local day, ending by 24:00: working past midnight is stored as '…–24:00' on
 * one day and '00:00–…' on the next, which join without a gap. The form lets a row end at or before its start
 * ("overnight", ending the next day) and splits it into those two intervals on saving; Saturday night runs into
 * Sunday (day 6 → day 0). An end of 00:00 (or 24:00) means "until midnight": one interval to 24:00.
 *
 * Reading a calendar back, a '…–24:00' interval followed by a next-day '00:00–…' interval that ends no later than the
 * first one starts is shown as one overnight row again, so what the form saves is exactly what it read. Rows group
 * the days that share the same hours (Mon–Fri 09:00–17:00 is one row).
 */

export type WeeklyInterval = { day: number; start: string; end: string };
export type Holiday = { date: string; name?: string };
/** One row of the form: the same hours on each of its days. */
export type HoursRow = { days: number[]; start: string; end: string };

export const dayNames = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
export const dayFullNames = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/** Minutes since midnight of 'H:MM' / 'HH:MM' (24:00 allowed), or null. */
export function minutesOf(t: string): number | null {
  const m = /^(\d{1,2}):(\d{2})$/.exec(t.trim());
  if (!m) return null;
  const h = Number(m[1]);
  const min = Number(m[2]);
  if (min > 59 || h > 24 || (h === 24 && min > 0)) return null;
  return h * 60 + min;
}

/** 'HH:MM' of minutes since midnight. */
export function timeOf(minutes: number): string {
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}

/** Whether a row's end is at or before its start, so that it ends on the next day (an end of 24:00 never does). */
export function isOvernight(start: string, end: string): boolean {
  const s = minutesOf(start);
  const e = minutesOf(end);
  return s !== null && e !== null && e !== 1440 && e <= s;
}

/** The problems with a row, in words (empty when it can be saved). */
export function rowProblems(row: HoursRow): string[] {
  const problems: string[] = [];
  const s = minutesOf(row.start);
  const e = minutesOf(row.end);
  if (!row.days.length) problems.push('Choose at least one day');
  if (s === null || s === 1440) problems.push('“From” must be a time from 00:00 to 23:59');
  if (e === null) problems.push('“To” must be a time from 00:00 to 24:00');
  return problems;
}

/** The stored intervals of the rows: overnight rows split at midnight, sorted by day and start. */
export function weeklyOfRows(rows: HoursRow[]): WeeklyInterval[] {
  const out: WeeklyInterval[] = [];
  for (const row of rows) {
    const s = minutesOf(row.start);
    const e = minutesOf(row.end);
    if (s === null || e === null) continue;
    for (const day of row.days) {
      if (e === 1440 || e > s) {
        out.push({ day, start: timeOf(s), end: timeOf(e) });
      } else {
        // Overnight: to midnight on this day, then from midnight to the end on the next (Saturday → Sunday).
        out.push({ day, start: timeOf(s), end: '24:00' });
        if (e > 0) out.push({ day: (day + 1) % 7, start: '00:00', end: timeOf(e) });
      }
    }
  }
  return out.sort((a, b) => a.day - b.day || minutesOf(a.start)! - minutesOf(b.start)!);
}

/**
 * Intervals that overlap on the same day once the rows are split, in words ("Sat 00:00–09:00 (from Fri's overnight
 * hours) overlaps Sat 08:00–12:00"): the server refuses them, and the form says which rows to fix.
 */
export function overlapProblems(rows: HoursRow[]): string[] {
  type Piece = { day: number; s: number; e: number; label: string };
  const pieces: Piece[] = [];
  for (const row of rows) {
    const s = minutesOf(row.start);
    const e = minutesOf(row.end);
    if (s === null || e === null || s === 1440) continue;
    for (const day of row.days) {
      if (e === 1440 || e > s) {
        pieces.push({ day, s, e, label: `${dayNames[day]} ${timeOf(s)}–${timeOf(e)}` });
      } else {
        pieces.push({ day, s, e: 1440, label: `${dayNames[day]} ${timeOf(s)}–24:00` });
        const next = (day + 1) % 7;
        if (e > 0)
          pieces.push({
            day: next,
            s: 0,
            e,
            label: `${dayNames[next]} 00:00–${timeOf(e)} (${dayNames[day]}’s overnight hours)`,
          });
      }
    }
  }
  const problems: string[] = [];
  for (let i = 0; i < pieces.length; i++)
    for (let j = i + 1; j < pieces.length; j++) {
      const a = pieces[i]!;
      const b = pieces[j]!;
      if (a.day === b.day && a.s < b.e && b.s < a.e) problems.push(`${a.label} overlaps ${b.label}`);
    }
  return [...new Set(problems)];
}

/**
 * The rows that show stored intervals: each '…–24:00' interval (not starting at midnight) joined with the next day's
 * '00:00–…' interval that ends no later than it starts into one overnight row, then the days with the same hours
 * grouped. Anything else is shown as stored.
 */
export function rowsOfWeekly(weekly: WeeklyInterval[]): HoursRow[] {
  const items = weekly.map((w) => ({ ...w, used: false }));
  const joined: WeeklyInterval[] = [];
  for (const a of items) {
    if (a.used) continue;
    const as = minutesOf(a.start);
    if (a.end === '24:00' && as !== null && as > 0) {
      const next = (a.day + 1) % 7;
      const b = items.find((x) => {
        const be = minutesOf(x.end);
        return !x.used && x !== a && x.day === next && x.start === '00:00' && be !== null && be < 1440 && be <= as;
      });
      if (b) {
        a.used = true;
        b.used = true;
        joined.push({ day: a.day, start: a.start, end: b.end });
        continue;
      }
    }
  }
  for (const w of items) if (!w.used) joined.push({ day: w.day, start: w.start, end: w.end });
  const groups = new Map<string, HoursRow>();
  for (const w of joined) {
    const key = `${w.start}|${w.end}`;
    const g = groups.get(key);
    if (g) {
      if (!g.days.includes(w.day)) g.days.push(w.day);
    } else groups.set(key, { days: [w.day], start: w.start, end: w.end });
  }
  const rows = [...groups.values()];
  for (const r of rows) r.days.sort((x, y) => x - y);
  // Rows in the order of the week: by their first day, then their start.
  return rows.sort((x, y) => x.days[0]! - y.days[0]! || minutesOf(x.start)! - minutesOf(y.start)!);
}

/** "Mon–Fri", "Sat, Sun"… for a set of days (runs of three or more days as ranges). */
export function daysLabel(days: number[]): string {
  const sorted = [...new Set(days)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    if (j - i >= 2) parts.push(`${dayNames[sorted[i]!]}–${dayNames[sorted[j]!]}`);
    else for (let k = i; k <= j; k++) parts.push(dayNames[sorted[k]!]!);
    i = j + 1;
  }
  return parts.join(', ');
}

/** A row in words: "Mon–Fri 09:00–17:00", "Fri 18:00–09:00 (ends the next day)". */
export function rowLabel(row: HoursRow): string {
  const until = minutesOf(row.end) === 0 ? '24:00' : row.end;
  return `${daysLabel(row.days)} ${row.start}–${until}${isOvernight(row.start, row.end) && until !== '24:00' ? ' (ends the next day)' : ''}`;
}

/** Whether a 'YYYY-MM-DD' names a real date. */
function realDate(d: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(d)) return false;
  const t = new Date(`${d}T00:00:00Z`);
  return !Number.isNaN(t.getTime()) && t.toISOString().slice(0, 10) === d;
}

/** Holidays as the form writes them: one per line, a date then an optional name. */
export function holidaysText(holidays: Holiday[]): string {
  return holidays.map((h) => (h.name ? `${h.date} ${h.name}` : h.date)).join('\n');
}

/**
 * The holidays of the form's text: one per line ("2026-12-25 Christmas Day"); a line of bare dates separated by commas
 * or spaces gives each of them. Lines that are not dates are returned as problems.
 */
export function parseHolidays(text: string): { holidays: Holiday[]; problems: string[] } {
  const holidays: Holiday[] = [];
  const problems: string[] = [];
  const seen = new Set<string>();
  const add = (date: string, name?: string) => {
    if (seen.has(date)) return;
    seen.add(date);
    holidays.push(name ? { date, name } : { date });
  };
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    const bare = line.split(/[\s,]+/).filter(Boolean);
    if (bare.length > 1 && bare.every((d) => /^\d{4}-\d{2}-\d{2}$/.test(d))) {
      for (const d of bare) {
        if (realDate(d)) add(d);
        else problems.push(`${d} is not a date`);
      }
      continue;
    }
    const m = /^(\d{4}-\d{2}-\d{2})(?:\s*[,:–-]?\s*(.*))?$/.exec(line);
    if (!m || !realDate(m[1]!)) {
      problems.push(`“${line}” does not start with a date YYYY-MM-DD`);
      continue;
    }
    const name = m[2]?.trim();
    if (name && name.length > 200) problems.push(`The name on ${m[1]} is longer than 200 characters`);
    else add(m[1]!, name || undefined);
  }
  holidays.sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
  return { holidays, problems };
}
