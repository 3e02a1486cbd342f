import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  combineScores,
  companyCore,
  currentConsent,
  nameSimilarity,
  orderedPair,
  resolveMerge,
  scoreCompanyPair,
  scorePersonPair,
  trigramSimilarity,
  trigrams,
  type PersonLike,
} from './duplicates.ts';

const person = (p: Partial<PersonLike>): PersonLike => ({
  firstName: null,
  lastName: null,
  displayName: [p.firstName, p.lastName].filter(Boolean).join(' ') || '(no name)',
  emails: [],
  phones: [],
  companyIds: [],
  ...p,
});

describe('trigram similarity', () => {
  it('matches pg_trgm on known values', () => {
    // select show_trgm('cat') → {"  c"," ca","at ",cat}
    expect([...trigrams('Cat')].sort()).toEqual(['  c', ' ca', 'at ', 'cat']);
    // select similarity('word', 'two words') → 0.363636
    expect(trigramSimilarity('word', 'two words')).toBeCloseTo(0.363636, 5);
    expect(trigramSimilarity('José', 'jose')).toBe(1);
    expect(trigramSimilarity('', 'x')).toBe(0);
  });

  it('is symmetric and between 0 and 1', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (a, b) => {
        const s = trigramSimilarity(a, b);
        expect(s).toBeGreaterThanOrEqual(0);
        expect(s).toBeLessThanOrEqual(1);
        expect(trigramSimilarity(b, a)).toBeCloseTo(s, 10);
      }),
    );
  });
});

describe('scoring people', () => {
  it('finds a shared email or phone, and says which', () => {
    const a = person({
      firstName: 'Ana',
      lastName: 'Silva',
      emails: ['ana@x.pt', 'a@y.pt'],
      phones: ['+351912345678'],
    });
    const b = person({ firstName: 'A.', lastName: 'S.', emails: ['a@y.pt'] });
    expect(scorePersonPair(a, b)).toEqual({ score: 0.95, reasons: [{ kind: 'email', value: 'a@y.pt' }] });
    const c = person({ firstName: 'Other', phones: ['+351912345678'] });
    expect(scorePersonPair(a, c).reasons).toEqual([{ kind: 'phone', value: '+351912345678' }]);
    // Both together are surer than either.
    const d = person({ firstName: 'Ana', lastName: 'Silva', emails: ['ana@x.pt'], phones: ['+351912345678'] });
    const both = scorePersonPair(a, d);
    expect(both.score).toBeGreaterThan(0.95);
    expect(both.reasons.map((r) => r.kind)).toEqual(['email', 'phone', 'name']);
  });

  it('counts a similar name only at a shared company', () => {
    const a = person({ firstName: 'Jonathan', lastName: 'Meyer', companyIds: ['c1'] });
    const b = person({ firstName: 'Jon', lastName: 'Meyer', companyIds: ['c2', 'c1'] });
    const r = scorePersonPair(a, b);
    expect(r.reasons).toEqual([{ kind: 'name', similarity: expect.any(Number) as number, companyId: 'c1' }]);
    expect(r.score).toBeGreaterThan(0.5);
    expect(r.score).toBeLessThan(0.95);
    expect(scorePersonPair(a, { ...b, companyIds: ['c2'] })).toEqual({ score: 0, reasons: [] });
    const stranger = person({ firstName: 'Mary', lastName: 'Okoro', companyIds: ['c1'] });
    expect(scorePersonPair(a, stranger).score).toBe(0);
  });

  it('rates names with the same last name by their first names', () => {
    const jon = person({ firstName: 'Jon', lastName: 'Meyer' });
    expect(nameSimilarity(jon, person({ firstName: 'John', lastName: 'Meyer' }))).toBeGreaterThan(0.6);
    expect(nameSimilarity(jon, person({ firstName: 'Jon', lastName: 'Miller' }))).toBeLessThan(0.5);
  });

  it('never scores without a reason, and more evidence never lowers the score', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 1, noNaN: true })),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (parts, extra) => {
          const s = combineScores(parts);
          expect(s).toBeGreaterThanOrEqual(0);
          expect(s).toBeLessThanOrEqual(1);
          expect(combineScores([...parts, extra])).toBeGreaterThanOrEqual(s);
        },
      ),
    );
  });
});

describe('scoring companies', () => {
  it('matches on the domain, and on names without their legal form', () => {
    expect(scoreCompanyPair({ name: 'Acme', domain: 'acme.com' }, { name: 'Zeta', domain: 'acme.com' })).toEqual({
      score: 0.9,
      reasons: [{ kind: 'domain', value: 'acme.com' }],
    });
    expect(companyCore('Müller Logistik GmbH')).toBe('muller logistik');
    const byName = scoreCompanyPair(
      { name: 'Müller Logistik GmbH', domain: null },
      { name: 'Muller Logistik', domain: null },
    );
    expect(byName.reasons).toEqual([{ kind: 'name', similarity: 1 }]);
    expect(scoreCompanyPair({ name: 'Acme', domain: null }, { name: 'Globex', domain: null }).score).toBe(0);
  });

  it('orders pairs smaller id first', () => {
    expect(orderedPair('b', 'a')).toEqual(['a', 'b']);
    expect(orderedPair('a', 'b')).toEqual(['a', 'b']);
  });
});

describe('resolving a merge', () => {
  const spec = { firstName: 'scalar', lastName: 'scalar', emails: 'list', tags: 'list', address: 'object' } as const;
  const self = {
    firstName: 'Ana',
    lastName: null,
    emails: ['ana@x.pt'],
    tags: ['vip'],
    address: { city: 'Lisboa', country: null },
    custom: { tier: 'pro' },
  };
  const other = {
    firstName: 'Anna',
    lastName: 'Silva',
    emails: ['anna@y.pt', 'ana@x.pt'],
    tags: ['newsletter'],
    address: { city: 'Porto', country: 'PT' },
    custom: { tier: 'free', seats: 4 },
  };

  it('keeps this record, fills blanks from the other and unions lists by default', () => {
    const r = resolveMerge(self, other, spec, {}, ['tier', 'seats']);
    expect(r.problems).toEqual([]);
    expect(r.values).toEqual({
      firstName: 'Ana',
      lastName: 'Silva',
      emails: ['ana@x.pt', 'anna@y.pt'],
      tags: ['vip', 'newsletter'],
      address: { city: 'Lisboa', country: 'PT' },
    });
    expect(r.custom).toEqual({ tier: 'pro', seats: 4 });
    expect(r.applied).toMatchObject({
      firstName: 'this',
      lastName: 'other',
      emails: 'both',
      tier: 'this',
      seats: 'other',
    });
  });

  it('follows the choices, for built-in and custom fields', () => {
    const r = resolveMerge(self, other, spec, { firstName: 'other', emails: 'this', tags: 'other', tier: 'other' }, [
      'tier',
      'seats',
    ]);
    expect(r.values).toMatchObject({ firstName: 'Anna', emails: ['ana@x.pt'], tags: ['newsletter'] });
    expect(r.custom).toEqual({ tier: 'free', seats: 4 });
  });

  it('refuses unknown fields and "both" on a single value', () => {
    const r = resolveMerge(self, other, spec, { nope: 'this', firstName: 'both' }, []);
    expect(r.problems.map((p) => p.field)).toEqual(['fields.nope', 'fields.firstName']);
  });
});

describe('current consent from a ledger', () => {
  it('takes the most recent record per channel and purpose', () => {
    const t = (s: string) => new Date(`2026-01-0${s}T00:00:00Z`);
    expect(
      currentConsent([
        { id: '1', channel: 'email', purpose: 'marketing', status: 'granted', recordedAt: t('1') },
        { id: '2', channel: 'email', purpose: 'marketing', status: 'withdrawn', recordedAt: t('3') },
        { id: '3', channel: 'email', purpose: 'marketing', status: 'granted', recordedAt: t('2') },
        { id: '4', channel: 'sms', purpose: 'service', status: 'granted', recordedAt: t('1') },
        { id: '5', channel: 'sms', purpose: 'service', status: 'withdrawn', recordedAt: t('1') },
      ]),
    ).toEqual({ 'email:marketing': 'withdrawn', 'sms:service': 'withdrawn' });
    expect(currentConsent([])).toEqual({});
  });
});
