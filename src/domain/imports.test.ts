import { describe, expect, it } from 'vitest';
import type { CustomFieldDef } from './customers.ts';
import { cpuMs } from '../../test/cpu.ts';
import {
  checkMapping,
  compileMapping,
  consentTargetOf,
  describeCsvError,
  nulCellProblems,
  parseConsentValue,
  splitFullName,
  suggestMapping,
  transformRow,
  unionList,
} from './imports.ts';

const defs: CustomFieldDef[] = [
  { key: 'plan_tier', label: 'Plan tier', type: 'select', options: ['free', 'pro'], required: false, archived: false },
  { key: 'seats', label: 'Seats', type: 'number', options: [], required: false, archived: false },
  { key: 'old', label: 'Old', type: 'text', options: [], required: false, archived: true },
];
const ctx = { defs, stages: ['lead', 'customer', 'at_risk'] };

describe('suggestMapping', () => {
  it('recognises common headers, custom fields by key or label, and consent columns', () => {
    expect(
      suggestMapping(
        [
          'E-mail',
          'email address',
          'First Name',
          'Surname',
          'Company',
          'Tags',
          'Mobile',
          'seats',
          'Plan Tier',
          'Email marketing consent',
          'SMS opt-in',
          'Zip',
          'Old',
          'Favourite colour',
        ],
        'person',
        defs,
      ),
    ).toEqual({
      'E-mail': 'emails',
      'email address': 'emails',
      'First Name': 'firstName',
      Surname: 'lastName',
      Company: 'company',
      Tags: 'tags',
      Mobile: 'phones',
      seats: 'custom.seats',
      'Plan Tier': 'custom.plan_tier',
      'Email marketing consent': 'consent.email.marketing',
      'SMS opt-in': 'consent.sms.marketing',
      Zip: 'address.postalCode',
      Old: null,
      'Favourite colour': null,
    });
  });

  it('maps a full name only when there are no first/last name columns, and a field once', () => {
    expect(suggestMapping(['Name', 'Email'], 'person', [])).toEqual({ Name: 'fullName', Email: 'emails' });
    expect(suggestMapping(['name', 'firstName', 'lastName'], 'person', [])).toEqual({
      name: null,
      firstName: 'firstName',
      lastName: 'lastName',
    });
    expect(suggestMapping(['City', 'Town'], 'person', [])).toEqual({ City: 'address.city', Town: null });
  });

  it('maps company files: name, website as domain', () => {
    expect(suggestMapping(['Company', 'Website', 'Employees'], 'company', [])).toEqual({
      Company: 'name',
      Website: 'domain',
      Employees: 'size',
    });
  });

  it('reads consent headers by channel and purpose', () => {
    expect(consentTargetOf('Newsletter')).toBe('consent.email.marketing');
    expect(consentTargetOf('Phone research consent')).toBe('consent.phone.research');
    expect(consentTargetOf('Email')).toBeNull();
    expect(parseConsentValue('Yes')).toBe('granted');
    expect(parseConsentValue('opted-out')).toBe('withdrawn');
    expect(parseConsentValue('')).toBeNull();
    expect(parseConsentValue('maybe')).toBeUndefined();
  });
});

describe('checkMapping', () => {
  it('needs a name, email or phone for people and a name for companies', () => {
    expect(checkMapping({ Notes: null }, ['Notes'], 'person', 'none', []).map((p) => p.field)).toEqual(['mapping']);
    expect(checkMapping({ Site: 'domain' }, ['Site'], 'company', 'domain', []).map((p) => p.field)).toEqual([
      'mapping',
    ]);
    expect(checkMapping({ E: 'emails' }, ['E'], 'person', 'email', [])).toEqual([]);
  });

  it('refuses unknown fields and columns, a single field twice, and a match key without its column', () => {
    const problems = checkMapping(
      { A: 'firstName', B: 'firstName', C: 'shoeSize', D: 'emails' },
      ['A', 'B', 'C'],
      'person',
      'externalId',
      [],
    );
    expect(problems.map((p) => `${p.field}: ${p.message}`)).toEqual([
      'B: "firstName" is already filled from column "A"',
      'C: "shoeSize" is not a field of a person',
      'D: the file has no column "D"',
      'matchOn: matching on external id needs an external id column',
    ]);
  });

  // 80,000 columns (a header line of 80,000 commas: an 80 KB file) took 17 s before, on every read of the import:
  // each column was searched for among all the headers.
  it('stays linear on hostile input: 100,000 columns', () => {
    const headers = Array.from({ length: 100_000 }, (_, i) => `Column ${i + 1}`);
    const mapping = Object.fromEntries(headers.map((h) => [h, null]));
    let problems: unknown[] = [];
    expect(cpuMs(() => (problems = checkMapping(mapping, headers, 'person', 'none', [])))).toBeLessThan(3000);
    expect(problems).toHaveLength(1);
  });
});

describe('unionList', () => {
  it('appends what is new, in order, and keeps what was there', () => {
    expect(unionList(['a', 'b', 'a'], ['c', 'b', 'd', 'c'])).toEqual(['a', 'b', 'a', 'c', 'd']);
  });

  // A row can list 100,000 tags (an import cell has room for a million characters); each was searched for before.
  it('stays linear on hostile input: 100,000 new items', () => {
    const add = Array.from({ length: 100_000 }, (_, i) => `t${i}`);
    let out: string[] = [];
    expect(cpuMs(() => (out = unionList(['x'], add)))).toBeLessThan(3000);
    expect(out).toHaveLength(100_001);
  });
});

describe('transformRow', () => {
  const headers = ['name', 'email', 'phone', 'tags', 'stage', 'seats', 'consent', 'company', 'site', 'tz'];
  const m = compileMapping(
    {
      name: 'fullName',
      email: 'emails',
      phone: 'phones',
      tags: 'tags',
      stage: 'stage',
      seats: 'custom.seats',
      consent: 'consent.email.marketing',
      company: 'company',
      site: 'companyDomain',
      tz: 'timezone',
    },
    headers,
    'person',
  );

  it('normalises a good row like the API does', () => {
    const r = transformRow(
      [
        'Ann Marie Lee',
        ' ANN@X.example; ann@home.example',
        '+1 415 555 0100',
        'VIP, b2b',
        'At risk',
        '12',
        'yes',
        'Acme',
        'https://www.acme.com/x',
        'Europe/Lisbon',
      ],
      m,
      ctx,
    );
    expect(r).toEqual({
      ok: true,
      record: expect.objectContaining({
        firstName: 'Ann Marie',
        lastName: 'Lee',
        emails: ['ann@x.example', 'ann@home.example'],
        phones: ['+14155550100'],
        tags: ['vip', 'b2b'],
        stage: 'at_risk',
        custom: { seats: 12 },
        consent: [{ channel: 'email', purpose: 'marketing', status: 'granted' }],
        company: { name: 'Acme', domain: 'acme.com', title: null },
        timezone: 'Europe/Lisbon',
      }),
    });
  });

  it('lists every problem of a bad row', () => {
    const r = transformRow(
      ['', 'nope', '12', '', 'emperor', 'many', 'perhaps', '', 'not a domain', 'Mars/Base'],
      m,
      ctx,
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems.map((p) => p.field).sort()).toEqual(
      [
        'companyDomain',
        'consent.email.marketing',
        'custom.seats',
        'emails[0]',
        'phones[0]',
        'stage',
        'timezone',
      ].sort(),
    );
  });

  it('refuses a cell listing more values than a record holds, whole, without a stack overflow', () => {
    const row = (email: string, phone: string, tags: string) =>
      transformRow(['Ann Lee', email, phone, tags, '', '', '', '', '', ''], m, ctx);
    const fields = (r: ReturnType<typeof transformRow>) => (r.ok ? [] : r.problems.map((p) => p.field));
    // 500,000 values in one cell (1 MB): `push(...values)` overflowed the call stack.
    const same = Array.from({ length: 500_000 }, () => 'a').join(';');
    let r: ReturnType<typeof transformRow> | undefined;
    expect(cpuMs(() => (r = row('', '', same)))).toBeLessThan(3000);
    expect(r?.ok && r.record.tags).toEqual(['a']);
    const many = (prefix: string) => Array.from({ length: 200_000 }, (_, i) => `${prefix}${i}`).join(';');
    expect(cpuMs(() => (r = row(many('x@').replace(/x@(\d+)/g, 'n$1@x.example'), '', '')))).toBeLessThan(3000);
    expect(r && fields(r)).toEqual(['emails']);
    expect(fields(row('', many('+1555'), ''))).toEqual(['phones']);
    expect(fields(row('', '', many('t')))).toEqual(['tags']);
    expect(fields(row('', '', Array.from({ length: 101 }, (_, i) => `t${i}`).join(';')))).toEqual(['tags']);
    expect(fields(row('', '', Array.from({ length: 100 }, (_, i) => `t${i}`).join(';')))).toEqual([]);
  });

  it('stores language tags and time zones in the canonical spelling the API stores, and refuses what is neither', () => {
    const lm = compileMapping({ name: 'fullName', lang: 'language', tz: 'timezone' }, ['name', 'lang', 'tz'], 'person');
    const ok = (lang: string, tz: string) => {
      const r = transformRow(['Ann', lang, tz], lm, ctx);
      return r.ok ? { language: r.record.language, timezone: r.record.timezone } : r.problems;
    };
    expect(ok('PT-br', 'europe/lisbon')).toEqual({ language: 'pt-BR', timezone: 'Europe/Lisbon' });
    expect(ok(' zh-hant-tw ', 'utc')).toEqual({ language: 'zh-Hant-TW', timezone: 'UTC' });
    expect(ok('en', 'America/New_York')).toEqual({ language: 'en', timezone: 'America/New_York' });
    // The API's words (normaliseSharedFields), one problem per field.
    expect(ok('en_US', 'Mars/Base')).toEqual([
      { field: 'language', message: '"en_US" is not a language tag like en or pt-PT' },
      { field: 'timezone', message: '"Mars/Base" is not an IANA time zone like Europe/Lisbon' },
    ]);
    expect(ok('x-foo', 'Europe/Lisbon')).toEqual([
      { field: 'language', message: '"x-foo" is not a language tag like en or pt-PT' },
    ]);
    // Companies take the same rules.
    const cm = compileMapping({ name: 'name', tz: 'timezone' }, ['name', 'tz'], 'company');
    expect(transformRow(['Acme', 'asia/tokyo'], cm, ctx)).toMatchObject({
      ok: true,
      record: { timezone: 'Asia/Tokyo' },
    });
  });

  it('rejects an empty row for having nothing to identify a person', () => {
    const r = transformRow(['', '', '', '', '', '', '', '', '', ''], m, ctx);
    expect(r).toEqual({
      ok: false,
      problems: [{ field: 'firstName', message: 'a person needs at least a name, an email or a phone' }],
    });
  });

  it('takes a Rapport id (a UUID, lower-cased), which alone is enough for a row; anything else is refused', () => {
    const byId = compileMapping({ id: 'id', name: 'fullName' }, ['id', 'name'], 'person');
    const id = '01A2112D-DF2A-7492-8EBF-FCDA44794A31';
    expect(transformRow([id, ''], byId, ctx)).toMatchObject({ ok: true, record: { id: id.toLowerCase() } });
    expect(transformRow(['C-17', 'Ann'], byId, ctx)).toMatchObject({ ok: false, problems: [{ field: 'id' }] });
    const company = compileMapping({ id: 'id', name: 'name' }, ['id', 'name'], 'company');
    expect(transformRow([id, ''], company, ctx).ok).toBe(true);
    expect(transformRow(['', ''], company, ctx).ok).toBe(false);
    expect(suggestMapping(['id', 'name', 'domain'], 'company', [])).toEqual({
      id: 'id',
      name: 'name',
      domain: 'domain',
    });
  });

  it('names the mapped cells holding a NUL byte, by column, and passes over ignored columns', () => {
    const cols = compileMapping({ a: 'firstName', b: null, c: 'emails' }, ['a', 'b', 'c'], 'person').columns;
    expect(nulCellProblems(['Ann', 'x\0y', 'a@x.example'], cols, ['a', 'b', 'c'])).toEqual([]);
    expect(
      nulCellProblems(['An\0n', '', '\0'], cols, ['a', 'b', 'c']).map((p) => [
        p.field,
        p.message.replace(/, which.*/, ''),
      ]),
    ).toEqual([
      // The report puts the column's header before the message (import-report.ts, describeRowProblems).
      ['firstName', 'holds a NUL byte (\\0) at character 3'],
      ['emails', 'holds a NUL byte (\\0) at character 1'],
    ]);
    // A column without a header is named by its place.
    expect(nulCellProblems(['An\0n', '', ''], cols, ['', 'b', 'c'])[0]?.message).toMatch(/^column 1 holds a NUL byte/);
  });

  it('splits full names', () => {
    expect(splitFullName('  Cher ')).toEqual({ firstName: 'Cher' });
    expect(splitFullName('Ludwig van Beethoven')).toEqual({ firstName: 'Ludwig van', lastName: 'Beethoven' });
  });
});

describe('describeCsvError', () => {
  it('says where the quoting broke, by line and column name', () => {
    const d = describeCsvError(
      { code: 'CSV_INVALID_CLOSING_QUOTE', message: 'x', lines: 7, column: 1 },
      ['name', 'email'],
      1000,
    );
    expect(d).toMatchObject({ code: 'bad_quoting', line: 7, column: '2 ("email")' });
    expect(d.message).toMatch(/^Bad quoting at line 7, column 2 \("email"\)/);
  });
});
