import { describe, expect, it } from 'vitest';
import { cpuMs } from '../../test/cpu.ts';
import {
  canonicalLanguageTag,
  canonicalTimeZone,
  checkCustomAssignments,
  diffCustomValues,
  normaliseEmails,
  normalisePhone,
  normaliseTags,
  validateCustomValues,
  type CustomFieldDef,
} from './customers.ts';

const def = (key: string, over: Partial<CustomFieldDef> = {}): CustomFieldDef => ({
  key,
  label: key.replace(/_/g, ' '),
  type: 'text',
  options: [],
  required: false,
  archived: false,
  ...over,
});
const defs = [
  def('order_number', { required: true }),
  def('area', { type: 'select', options: ['Shoes', 'Tents'] }),
  def('items', { type: 'number' }),
  def('old', { archived: true }),
];

describe('custom field values', () => {
  it('checks and converts each value; null stays null (clear it); unknown and archived keys are problems', () => {
    expect(checkCustomAssignments(defs, { items: '3', area: null, old: 'x', nope: 1 })).toEqual({
      values: { items: 3, area: null },
      problems: [
        { field: 'custom.old', message: 'there is no custom field "old"' },
        { field: 'custom.nope', message: 'there is no custom field "nope"' },
      ],
    });
  });

  it('reads numbers in decimal notation only', () => {
    for (const [raw, value] of [
      ['12', 12],
      [' -3.5 ', -3.5],
      ['+.5', 0.5],
      ['1e3', 1000],
      [7, 7],
    ] as const)
      expect(checkCustomAssignments(defs, { items: raw }).values, String(raw)).toEqual({ items: value });
    for (const raw of ['0x10', '0b101', '0o7', '1,5', 'Infinity', '12 items', '1.2.3', '.', '1e'])
      expect(checkCustomAssignments(defs, { items: raw }).problems, raw).toHaveLength(1);
    expect(checkCustomAssignments(defs, { items: '4.' }).values).toEqual({ items: 4 });
  });

  // Took 8 s at 80,000 characters before (the time grew with the square of the length); a request body or an import
  // cell has room for a million.
  it.each([
    ['digits and a letter', `${'1'.repeat(200_000)}x`],
    ['digits and an exponent without digits', `-${'1'.repeat(200_000)}e`],
    ['digits and spaces', `${'1'.repeat(100_000)}${' '.repeat(100_000)}x`],
  ])('reads a number in linear time on hostile input: %s', (_name, raw) => {
    let problems: unknown[] = [];
    expect(cpuMs(() => (problems = checkCustomAssignments(defs, { items: raw }).problems))).toBeLessThan(3000);
    expect(problems).toHaveLength(1);
  });

  it('merges into the existing values; required is all, only the mentioned, or none', () => {
    const existing = { area: 'Shoes', old: 'kept' };
    expect(validateCustomValues(defs, { items: 2 }, { required: 'all', existing })).toEqual({
      values: { area: 'Shoes', old: 'kept', items: 2 },
      problems: [{ field: 'custom.order_number', message: 'order number is required' }],
    });
    expect(validateCustomValues(defs, { items: 2 }, { required: 'mentioned', existing }).problems).toEqual([]);
    expect(validateCustomValues(defs, { order_number: null }, { required: 'mentioned', existing }).problems).toEqual([
      { field: 'custom.order_number', message: 'order number is required' },
    ]);
    expect(validateCustomValues(defs, { order_number: null, area: null }, { required: 'none', existing })).toEqual({
      values: { old: 'kept' },
      problems: [],
    });
  });

  it('lists the changes field by field as custom.<key>, absent as null', () => {
    expect(diffCustomValues({ a: 1, b: ['x'], c: 'same' }, { b: ['x', 'y'], c: 'same', d: true })).toEqual({
      'custom.a': { from: 1, to: null },
      'custom.b': { from: ['x'], to: ['x', 'y'] },
      'custom.d': { from: null, to: true },
    });
    expect(diffCustomValues({}, {})).toEqual({});
  });
});

describe('time zones and language tags as stored', () => {
  it('spell a time zone properly, keep a mixed-case link as written, refuse what is none', () => {
    expect(canonicalTimeZone('europe/lisbon')).toBe('Europe/Lisbon');
    expect(canonicalTimeZone(' AMERICA/NEW_YORK ')).toBe('America/New_York');
    expect(canonicalTimeZone('utc')).toBe('UTC');
    expect(canonicalTimeZone('etc/gmt+5')).toBe('Etc/GMT+5');
    // Newer names the runtime knows only as links to older ones: written properly, they are kept.
    expect(canonicalTimeZone('Asia/Kolkata')).toBe('Asia/Kolkata');
    expect(canonicalTimeZone('Europe/Kyiv')).toBe('Europe/Kyiv');
    // All in lower case, the runtime's name for the same zone.
    expect(['Asia/Kolkata', 'Asia/Calcutta']).toContain(canonicalTimeZone('asia/kolkata'));
    for (const bad of ['', '  ', 'Mars/Olympus', 'Europe/Lisbon; drop', '+05:30'])
      expect(canonicalTimeZone(bad)).toBeNull();
  });

  it('write language tags in their canonical case and refuse what is none', () => {
    expect(canonicalLanguageTag('PT-br')).toBe('pt-BR');
    expect(canonicalLanguageTag('zh-hant-tw')).toBe('zh-Hant-TW');
    expect(canonicalLanguageTag('EN')).toBe('en');
    for (const bad of ['', 'en_US', '123', 'x'.repeat(40)]) expect(canonicalLanguageTag(bad)).toBeNull();
  });
});

describe('lists of contact points and tags', () => {
  it('keep each value once, in the order first given', () => {
    expect(normaliseTags([' VIP ', 'b2b', 'vip', 'Big Spender', ''])).toEqual(['vip', 'b2b', 'big-spender']);
    expect(normaliseEmails(['B@x.example', 'a@x.example', ' b@X.example ', 'nope'])).toEqual({
      values: ['b@x.example', 'a@x.example'],
      problems: [{ field: 'emails[3]', message: '"nope" is not an email address' }],
    });
  });

  // 100,000 different tags in an import cell took 15 s before (each was searched for in the list so far).
  it('stays linear on hostile input: 100,000 different tags and e-mail addresses', () => {
    const tags = Array.from({ length: 100_000 }, (_, i) => `t${i}`);
    const emails = tags.map((t) => `${t}@x.example`);
    expect(cpuMs(() => expect(normaliseTags(tags)).toHaveLength(100_000))).toBeLessThan(3000);
    expect(cpuMs(() => expect(normaliseEmails(emails).values).toHaveLength(100_000))).toBeLessThan(3000);
  });
});

describe('normalisePhone', () => {
  it('reads national and international writings as E.164, 00 as the international prefix', () => {
    expect(normalisePhone('+49 (30) 123-4567')).toBe('+49301234567');
    expect(normalisePhone('030 1234567', 'de')).toBe('+49301234567');
    // 00 dials out from most countries: read as "+" without a country, and with one that dials out otherwise.
    expect(normalisePhone('0049 (30) 123-4567')).toBe('+49301234567');
    expect(normalisePhone('0049 30 1234567', 'US')).toBe('+49301234567');
    expect(normalisePhone('0044 20 7946 0958', 'DE')).toBe('+442079460958');
    // A national number without its country, and nonsense, stay unreadable.
    expect(normalisePhone('030 1234567')).toBeNull();
    expect(normalisePhone('00')).toBeNull();
    expect(normalisePhone('000 123')).toBeNull();
    expect(normalisePhone('call me')).toBeNull();
  });
});
