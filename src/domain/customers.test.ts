import { describe, expect, it } from 'vitest';
import {
  canonicalLanguageTag,
  canonicalTimeZone,
  checkCustomAssignments,
  diffCustomValues,
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
    for (const raw of ['0x10', '0b101', '0o7', '1,5', 'Infinity', '12 items'])
      expect(checkCustomAssignments(defs, { items: raw }).problems, raw).toHaveLength(1);
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
