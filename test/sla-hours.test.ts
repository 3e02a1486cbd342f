import { describe, expect, it } from 'vitest';
import {
  overlapProblems,
  rowsOfWeekly,
  weeklyOfRows,
  type WeeklyInterval,
} from '../web/src/pages/settings/slaHours.ts';

/** The console's calendar form (web/src/pages/settings/slaHours.ts): what it reads, it saves back unchanged. */
describe('business hours in the calendar form', () => {
  const sorted = (w: WeeklyInterval[]) =>
    [...w].sort((a, b) => a.day - b.day || a.start.localeCompare(b.start) || a.end.localeCompare(b.end));

  it('splits a night shift at midnight, Saturday into Sunday', () => {
    expect(weeklyOfRows([{ days: [5, 6], start: '18:00', end: '09:00' }])).toEqual([
      { day: 0, start: '00:00', end: '09:00' },
      { day: 5, start: '18:00', end: '24:00' },
      { day: 6, start: '00:00', end: '09:00' },
      { day: 6, start: '18:00', end: '24:00' },
    ]);
    // An end of 00:00 is "until midnight": one interval.
    expect(weeklyOfRows([{ days: [1], start: '20:00', end: '00:00' }])).toEqual([
      { day: 1, start: '20:00', end: '24:00' },
    ]);
  });

  it('shows a stored night shift as one row and an office week as one row', () => {
    expect(
      rowsOfWeekly([
        ...[1, 2, 3, 4, 5].map((day) => ({ day, start: '09:00', end: '17:00' })),
        { day: 5, start: '18:00', end: '24:00' },
        { day: 6, start: '00:00', end: '09:00' },
      ]),
    ).toEqual([
      { days: [1, 2, 3, 4, 5], start: '09:00', end: '17:00' },
      { days: [5], start: '18:00', end: '09:00' },
    ]);
  });

  it('names overlaps that only appear once a night shift is split', () => {
    expect(
      overlapProblems([
        { days: [5], start: '18:00', end: '09:00' },
        { days: [6], start: '08:00', end: '12:00' },
      ]),
    ).toEqual(['Sat 00:00–09:00 (Fri’s overnight hours) overlaps Sat 08:00–12:00']);
  });

  it('saves back exactly what it read, for many calendars without overlaps', () => {
    let seed = 42;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const time = (q: number) =>
      q === 96 ? '24:00' : `${String(Math.floor(q / 4)).padStart(2, '0')}:${String((q % 4) * 15).padStart(2, '0')}`;
    for (let i = 0; i < 2000; i++) {
      // Per day, up to three disjoint intervals on a quarter-hour grid (what the server accepts).
      const weekly: WeeklyInterval[] = [];
      for (let day = 0; day < 7; day++) {
        const cuts = [...new Set(Array.from({ length: 2 * rnd(4) }, () => rnd(97)))].sort((a, b) => a - b);
        for (let k = 0; k + 1 < cuts.length; k += 2)
          weekly.push({ day, start: time(cuts[k]!), end: time(cuts[k + 1]!) });
      }
      const rows = rowsOfWeekly(weekly);
      expect(overlapProblems(rows)).toEqual([]);
      expect(sorted(weeklyOfRows(rows))).toEqual(sorted(weekly));
    }
  });
});
