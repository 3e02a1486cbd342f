import { describe, expect, it } from 'vitest';
import { isoJsonFromUtcText } from './tickets.repository.ts';

describe('a timestamp from PostgreSQL as the summaries write it', () => {
  it('writes ISO 8601 in UTC with milliseconds, whatever the fraction PostgreSQL printed', () => {
    expect(isoJsonFromUtcText('2026-02-11 16:12:42')).toBe('"2026-02-11T16:12:42.000Z"');
    expect(isoJsonFromUtcText('2026-02-11 16:12:42.3')).toBe('"2026-02-11T16:12:42.300Z"');
    expect(isoJsonFromUtcText('2026-02-11 16:12:42.37')).toBe('"2026-02-11T16:12:42.370Z"');
    expect(isoJsonFromUtcText('2026-02-11 16:12:42.371')).toBe('"2026-02-11T16:12:42.371Z"');
    // Microseconds are cut, as to_char's MS and a JavaScript Date cut them.
    expect(isoJsonFromUtcText('2026-02-11 16:12:42.371999')).toBe('"2026-02-11T16:12:42.371Z"');
    expect(isoJsonFromUtcText(null)).toBe('null');
  });

  it('agrees with a JavaScript Date on every shape, and reads a text of another shape through one', () => {
    for (const text of ['1999-12-31 23:59:59.9', '2030-01-01 00:00:00', '2026-07-04 08:09:10.05']) {
      expect(JSON.parse(isoJsonFromUtcText(text))).toBe(new Date(`${text.replace(' ', 'T')}Z`).toISOString());
    }
    // An offset (not what utcText writes) is still read right.
    expect(isoJsonFromUtcText('2026-02-11 16:12:42+00')).toBe(
      JSON.stringify(new Date('2026-02-11T16:12:42Z').toISOString()),
    );
  });
});
