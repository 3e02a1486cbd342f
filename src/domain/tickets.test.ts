import { describe, expect, it } from 'vitest';
import { baseSubject, normaliseMessageId, parseMessageIds } from './tickets.ts';
import { cpuMs } from '../../test/cpu.ts';

describe('baseSubject', () => {
  it('drops reply and forward prefixes, with a counter and spaces before the colon', () => {
    expect(baseSubject('Re: Fwd: AW: Order late')).toBe('Order late');
    expect(baseSubject('RE [2]: SV : Order late')).toBe('Order late');
    expect(baseSubject('Re[3]:Order late')).toBe('Order late');
    expect(baseSubject('  re:  ')).toBe('');
    expect(baseSubject('Return policy')).toBe('Return policy');
    expect(baseSubject('Re [2] Order late')).toBe('Re [2] Order late');
    expect(baseSubject(null)).toBe('');
  });

  // Each of these took seconds (the time grew with the square of the length) before; a mail header may hold 1 MB.
  it.each([
    ['a prefix and a long run of spaces', `Re${' '.repeat(200_000)}x`],
    ['a prefix, spaces and tabs, and an unclosed counter', `Fwd${' \t'.repeat(100_000)}[1x`],
    ['many prefixes', `${'Re: '.repeat(100_000)}x`],
  ])('stays linear on hostile input: %s', (_name, subject) => {
    let base = '';
    expect(cpuMs(() => (base = baseSubject(subject)))).toBeLessThan(3000);
    expect(base.endsWith('x')).toBe(true);
  });
});

describe('message ids', () => {
  it('drops the brackets, keeps the order and each id once', () => {
    expect(normaliseMessageId(' <<abc@host>> ')).toBe('abc@host');
    expect(normaliseMessageId('<>')).toBeNull();
    expect(normaliseMessageId('a>b@host>')).toBe('a>b@host');
    expect(parseMessageIds('<b@x> <a@x>\r\n <b@x>')).toEqual(['b@x', 'a@x']);
    expect(parseMessageIds(['c@x', 'a@x, c@x'])).toEqual(['c@x', 'a@x']);
  });

  it('stays linear on hostile input: a long run of ">" that does not end the id', () => {
    let id: string | null = null;
    expect(cpuMs(() => (id = normaliseMessageId(`<a${'>'.repeat(200_000)}x>`)))).toBeLessThan(3000);
    expect(id).toMatch(/^a>{994}$/);
  });

  it('stays linear on hostile input: 100,000 different ids', () => {
    const header = Array.from({ length: 100_000 }, (_, i) => `<${i}@x.example>`).join(' ');
    let ids: string[] = [];
    expect(cpuMs(() => (ids = parseMessageIds(header)))).toBeLessThan(3000);
    expect(ids).toHaveLength(100_000);
  });
});
