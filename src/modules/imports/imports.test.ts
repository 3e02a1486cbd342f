import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTestApp } from '../../../test/app.ts';
import { testEngines } from '../../../test/db.ts';
import { makeWorkspace } from '../../../test/factories.ts';
import { sql } from 'drizzle-orm';
import { rowsOf } from '../../db/client.ts';
import { importThroughPipeline, printImportResult } from '../../cli/imports.ts';
import { Readable } from 'node:stream';
import { parse as parseCsv } from 'csv-parse/sync';
import { newId } from '../../db/ids.ts';
import { runReportListedRows } from './import-report.ts';
import { importTestSetup, type ImportDto, type Json, type RowDto } from './import-test-setup.ts';

// Uploaded files go to a scratch data directory, not the repository's ./data.
process.env.RAPPORT_DATA_DIR ??= fs.mkdtempSync(path.join(os.tmpdir(), 'rapport-imports-'));

describe.each(testEngines())('CSV import and export on %s', (engine) => {
  const ctx = useTestApp(engine);

  async function setup() {
    const t = await importTestSetup(ctx);
    const people = async (query = '') =>
      (await t.call('GET', `/people?limit=200${query}`)).json<{ data: Array<Json & { id: string }> }>().data;
    return { ...t, people };
  }

  const sample = [
    'First Name,Last Name,E-mail,Phone,Company,Title,Tags,Plan tier,Email marketing consent',
    'Ann,Lee,ANN@Example.com,+351 912 345 678,Acme,CTO,vip; newsletter,pro,yes',
    'Bob,Stone,bob@example.com,,Acme,,b2b,free,no',
    'Cy,,not-an-email,,,,,gold,',
    ',,,,,,,,',
    'Di,Moss,di@example.com,,Globex,CEO,,,maybe',
  ].join('\n');

  it('suggests a mapping, dry-runs row by row, then imports with companies, tags, custom fields, consent and events', async () => {
    const t = await setup();
    expect(
      (
        await t.call('POST', '/custom-fields', {
          entity: 'person',
          label: 'Plan tier',
          type: 'select',
          options: ['free', 'pro'],
        })
      ).status,
    ).toBe(201);
    const imp = await t.upload(sample);
    expect(imp.status).toBe('ready');
    expect(imp.progress.totalRows).toBe(5);
    expect(imp.mapping).toEqual({
      'First Name': 'firstName',
      'Last Name': 'lastName',
      'E-mail': 'emails',
      Phone: 'phones',
      Company: 'company',
      Title: 'jobTitle',
      Tags: 'tags',
      'Plan tier': 'custom.plan_tier',
      'Email marketing consent': 'consent.email.marketing',
    });
    expect(imp.mappingProblems).toEqual([]);

    const dry = await t.start(imp.id, 'dry-run');
    expect(dry.status).toBe('dry_run_done');
    expect(dry.progress).toMatchObject({ processedRows: 5, created: 2, rejected: 3 });
    const report = await t.rows(imp.id);
    expect(report.map((r) => [r.row, r.action])).toEqual([
      [1, 'create'],
      [2, 'create'],
      [3, 'reject'],
      [4, 'reject'],
      [5, 'reject'],
    ]);
    expect(report[0]?.details).toMatchObject({ company: 'Acme', newCompany: true });
    const fields = (r: RowDto | undefined) =>
      ((r?.details.problems ?? []) as Array<{ field: string; message: string }>).map((p) => p.field).sort();
    expect(fields(report[2])).toEqual(['custom.plan_tier', 'emails[0]']);
    expect(fields(report[3])).toEqual(['firstName']);
    expect(fields(report[4])).toEqual(['consent.email.marketing']);
    expect(report[4]?.line).toBe(6);
    // The reasons name the file's columns as its header writes them, not the fields they are mapped to.
    expect(report[2]?.summary).toMatch(
      /^column "Plan tier": .+; column "E-mail": "not-an-email" is not an email address$/,
    );
    expect(report[4]?.summary).toBe(
      'column "Email marketing consent": "maybe" is not a consent answer; use yes/no (or granted/withdrawn)',
    );
    expect(report[2]?.details.problems).toContainEqual({
      field: 'emails[0]',
      columns: ['E-mail'],
      message: '"not-an-email" is not an email address',
    });
    const rejected = await t.rows(imp.id, '&action=rejected');
    expect(rejected.map((r) => r.row)).toEqual([3, 4, 5]);
    // A dry run changes nothing.
    expect(await t.people()).toHaveLength(0);

    const done = await t.start(imp.id, 'run');
    expect(done.status).toBe('done');
    expect(done.progress).toMatchObject({ processedRows: 5, created: 2, updated: 0, rejected: 3 });
    // The real run keeps a report row by row too: what it did, with the record it made.
    const runReport = await t.rows(imp.id, '&mode=run');
    expect(runReport.map((r) => [r.row, r.line, r.action])).toEqual(report.map((r) => [r.row, r.line, r.action]));
    expect((await t.rows(imp.id, '&mode=run&action=rejected')).map((r) => r.row)).toEqual([3, 4, 5]);
    const list = await t.people('&sort=first_name');
    expect(runReport.slice(0, 2).map((r) => r.recordId)).toEqual(list.map((p) => p.id));
    expect(runReport[0]?.details).toMatchObject({ company: 'Acme', newCompany: true });
    expect(list.map((p) => p.name)).toEqual(['Ann Lee', 'Bob Stone']);
    const ann = list[0] as Json & { id: string };
    expect(ann).toMatchObject({
      emails: ['ann@example.com'],
      phones: ['+351912345678'],
      tags: ['vip', 'newsletter'],
      custom: { plan_tier: 'pro' },
      consent: { 'email:marketing': 'granted' },
      source: 'import',
      companies: [expect.objectContaining({ name: 'Acme', title: 'CTO' })],
    });
    expect(list[1]).toMatchObject({ consent: { 'email:marketing': 'withdrawn' } });
    // One Acme for both rows.
    const acme = (await t.call('GET', '/companies?filter=name:eq:Acme')).json() as { data: Json[] };
    expect(acme.data).toHaveLength(1);
    const consent = (await t.call('GET', `/people/${ann.id}/consent`)).json() as { ledger: Array<Json> };
    expect(consent.ledger[0]).toMatchObject({ source: 'import', status: 'granted' });
    const timeline = (await t.call('GET', `/people/${ann.id}/timeline`)).json() as { data: Array<{ type: string }> };
    expect(timeline.data.map((e) => e.type).sort()).toEqual(
      ['person.company_linked', 'person.consent_granted', 'person.created'].sort(),
    );
    // Searchable, with the company name.
    expect(((await t.call('GET', '/people?q=acme')).json() as { data: Json[] }).data).toHaveLength(2);
  });

  it('upserts by email: the same file again creates nothing, a changed file updates', async () => {
    const t = await setup();
    const csv = 'email,first name,last name,stage\nann@x.example,Ann,Lee,lead\nbob@x.example,Bob,Stone,customer\n';
    const first = await t.start((await t.upload(csv)).id, 'run');
    expect(first.progress).toMatchObject({ created: 2, updated: 0, unchanged: 0 });
    const again = await t.start((await t.upload(csv)).id, 'run');
    expect(again.progress).toMatchObject({ created: 0, updated: 0, unchanged: 2, rejected: 0 });
    const changed = await t.upload(
      'Email,First Name,Last Name,Stage\nANN@x.example,Ann,Lee-Smith,customer\nbob@x.example,Bob,Stone,customer\ncy@x.example,Cy,,\n',
    );
    const dry = await t.start(changed.id, 'dry-run');
    expect(dry.progress).toMatchObject({ created: 1, updated: 1, unchanged: 1 });
    const report = await t.rows(changed.id);
    expect(report[0]?.details).toMatchObject({
      changes: { lastName: { from: 'Lee', to: 'Lee-Smith' } },
      stage: { from: 'lead', to: 'customer' },
    });
    const run = await t.start(changed.id, 'run');
    expect(run.progress).toMatchObject({ created: 1, updated: 1, unchanged: 1 });
    const all = await t.people('&sort=first_name');
    expect(all.map((p) => [p.name, p.stage])).toEqual([
      ['Ann Lee-Smith', 'customer'],
      ['Bob Stone', 'customer'],
      ['Cy', 'lead'],
    ]);
    const annEvents = (await t.call('GET', `/people/${all[0]?.id}/timeline`)).json() as {
      data: Array<{ type: string }>;
    };
    expect(annEvents.data.map((e) => e.type)).toEqual(['person.stage_changed', 'person.updated', 'person.created']);
  });

  it('refreshes the planner statistics of the tables it grows (plans made on a near-empty table are not kept)', async () => {
    const t = await setup();
    const reltuples = async () =>
      Number(
        rowsOf<{ n: number }>(
          await ctx.database.db.execute(
            sql`select reltuples::float8 as n from pg_class where oid = 'people'::regclass`,
          ),
        )[0]?.n,
      );
    const lines = ['email,first name,last name'];
    for (let i = 0; i < 2_500; i++) lines.push(`stats${i}@x.example,Stat,Person ${i}`);
    const done = await t.start((await t.upload(lines.join('\n'))).id, 'run');
    expect(done.progress).toMatchObject({ created: 2_500, rejected: 0 });
    const total = Number(
      rowsOf<{ n: number }>(await ctx.database.db.execute(sql`select count(*)::int as n from people`))[0]?.n,
    );
    // Counted after the import's batch: the statistics know the table holds its new rows.
    expect(await reltuples()).toBe(total);
  });

  it('a row repeating an email of an earlier row updates the person that row created', async () => {
    const t = await setup();
    const imp = await t.upload('email,first name,tags\nann@x.example,Ann,a\nbob@x.example,Bob,\nann@x.example,,b\n');
    const dry = await t.start(imp.id, 'dry-run');
    expect(dry.progress).toMatchObject({ created: 2, updated: 1 });
    expect((await t.rows(imp.id))[2]?.details).toMatchObject({ note: 'row 1 of this file creates this person' });
    const run = await t.start(imp.id, 'run');
    expect(run.progress).toMatchObject({ created: 2, updated: 1 });
    const ann = (await t.people('&filter=email:eq:ann@x.example'))[0];
    expect(ann?.tags).toEqual(['a', 'b']);
    expect(await t.people()).toHaveLength(2);
  });

  it('refuses a row whose e-mail two people have (merge them first) instead of updating one, in the dry run and the run', async () => {
    const t = await setup();
    const person = async (input: Json) => {
      const r = await t.call('POST', '/people', input);
      expect(r.status, r.body).toBe(201);
      return String(r.json().id);
    };
    const first = await person({ firstName: 'Ana', emails: ['shared@x.example'] });
    const second = await person({ firstName: 'Ana B', emails: ['Shared@x.example', 'ana.b@x.example'] });
    const cy = await person({ firstName: 'Cy', emails: ['cy@x.example'] });
    const updatedBefore = ((await t.call('GET', '/events?type=person.updated&limit=200')).json().data as Json[]).length;
    // Row 1 names both; row 2 has another address first, but its match is the shared one; row 3 is Cy's alone.
    const imp = await t.upload(
      'email,first name\nSHARED@x.example,Anna\n"nobody@x.example; shared@x.example",Anne\ncy@x.example,Cyrus\n',
    );
    expect(imp.matchOn).toBe('email');
    const expectRefused = (report: RowDto[]) => {
      expect(report.map((r) => [r.row, r.action])).toEqual([
        [1, 'reject'],
        [2, 'reject'],
        [3, 'update'],
      ]);
      for (const r of report.slice(0, 2)) {
        expect(r.summary).toBe(
          'column "email": 2 people have the e-mail address shared@x.example, so the row cannot say which one it means: merge them first',
        );
        expect(r.details).toMatchObject({
          reason: 'ambiguous_match',
          field: 'emails',
          value: 'shared@x.example',
          personIds: [first, second],
        });
      }
    };
    const dry = await t.start(imp.id, 'dry-run');
    expect(dry.progress).toMatchObject({ created: 0, updated: 1, unchanged: 0, rejected: 2 });
    expectRefused(await t.rows(imp.id));
    const run = await t.start(imp.id, 'run');
    expect(run.progress).toMatchObject({ created: 0, updated: 1, unchanged: 0, rejected: 2 });
    expectRefused(await t.rows(imp.id, '&mode=run'));
    // Neither Ana changed (no name, no address added); Cy did.
    const get = async (id: string) => (await t.call('GET', `/people/${id}`)).json();
    expect(await get(first)).toMatchObject({ firstName: 'Ana', emails: ['shared@x.example'] });
    expect(await get(second)).toMatchObject({ firstName: 'Ana B', emails: ['shared@x.example', 'ana.b@x.example'] });
    expect(await get(cy)).toMatchObject({ firstName: 'Cyrus' });
    expect(((await t.call('GET', '/events?type=person.updated&limit=200')).json().data as Json[]).length).toBe(
      updatedBefore + 1,
    );
    expect(await t.people()).toHaveLength(3);
  });

  it('refuses a row whose e-mail addresses belong to two different people instead of updating the first', async () => {
    const t = await setup();
    const person = async (input: Json) => {
      const r = await t.call('POST', '/people', input);
      expect(r.status, r.body).toBe(201);
      return String(r.json().id);
    };
    const ana = await person({ firstName: 'Ana', emails: ['ana@x.example'] });
    const bea = await person({ firstName: 'Bea', emails: ['bea@x.example'] });
    const imp = await t.upload(
      'email,first name\n"ana@x.example; bea@x.example",Anabela\n"ana@x.example; new@x.example",Ana\n',
    );
    const expected = (report: RowDto[]) => {
      expect(report.map((r) => [r.row, r.action])).toEqual([
        [1, 'reject'],
        [2, 'update'],
      ]);
      expect(report[0]?.summary).toBe(
        `column "email": the row's addresses belong to 2 different people (ana@x.example is ${ana}; bea@x.example is ${bea}), so it cannot say which one it means: merge them first`,
      );
      expect(report[0]?.details).toMatchObject({
        reason: 'ambiguous_match',
        field: 'emails',
        personIds: [ana, bea],
        owners: { 'ana@x.example': [ana], 'bea@x.example': [bea] },
      });
    };
    const dry = await t.start(imp.id, 'dry-run');
    expect(dry.progress).toMatchObject({ created: 0, updated: 1, rejected: 1 });
    expected(await t.rows(imp.id));
    const run = await t.start(imp.id, 'run');
    expect(run.progress).toMatchObject({ created: 0, updated: 1, rejected: 1 });
    expected(await t.rows(imp.id, '&mode=run'));
    // Bea's address went to nobody else; Ana took the second row's new address only.
    const get = async (id: string) => (await t.call('GET', `/people/${id}`)).json();
    expect(await get(ana)).toMatchObject({ firstName: 'Ana', emails: ['ana@x.example', 'new@x.example'] });
    expect(await get(bea)).toMatchObject({ firstName: 'Bea', emails: ['bea@x.example'] });
  });

  it('stores language tags and time zones in the canonical spelling the API stores, refusing what is neither', async () => {
    const t = await setup();
    const imp = await t.upload(
      'email,language,timezone\nann@x.example,PT-br,europe/lisbon\nbob@x.example,en_US,UTC\ncy@x.example,fr,Mars/Base\n',
    );
    expect(imp.mapping).toEqual({ email: 'emails', language: 'language', timezone: 'timezone' });
    const done = await t.start(imp.id, 'run');
    expect(done.progress).toMatchObject({ created: 1, rejected: 2 });
    expect((await t.rows(imp.id, '&mode=run&action=rejected')).map((r) => [r.row, r.summary])).toEqual([
      [2, 'column "language": "en_US" is not a language tag like en or pt-PT'],
      [3, 'column "timezone": "Mars/Base" is not an IANA time zone like Europe/Lisbon'],
    ]);
    expect(await t.people()).toEqual([
      expect.objectContaining({ emails: ['ann@x.example'], language: 'pt-BR', timezone: 'Europe/Lisbon' }),
    ]);
  });

  it('upserts by external id, and companies by domain', async () => {
    const t = await setup();
    const csv = 'Customer ID,Name,Email\nC-1,Ann Lee,ann@x.example\nC-2,Bob Stone,\n';
    const imp = await t.upload(csv, 'entity=person&matchOn=externalId');
    expect(imp.mapping).toMatchObject({ 'Customer ID': 'externalId', Name: 'fullName', Email: 'emails' });
    expect((await t.start(imp.id, 'run')).progress).toMatchObject({ created: 2 });
    const again = await t.upload('Customer ID,Name\nC-1,Ann Leigh\nC-3,Cy\n', 'entity=person&matchOn=externalId');
    expect((await t.start(again.id, 'run')).progress).toMatchObject({ created: 1, updated: 1 });
    expect((await t.people('&sort=external_id')).map((p) => [p.externalId, p.name])).toEqual([
      ['C-1', 'Ann Leigh'],
      ['C-2', 'Bob Stone'],
      ['C-3', 'Cy'],
    ]);

    const companies = await t.upload(
      'Company Name,Website,Industry\nAcme,https://www.acme.com,Retail\nGlobex,globex.com,\n',
      'entity=company',
    );
    expect(companies.mapping).toEqual({ 'Company Name': 'name', Website: 'domain', Industry: 'industry' });
    expect(companies.matchOn).toBe('domain');
    expect((await t.start(companies.id, 'run')).progress).toMatchObject({ created: 2 });
    const second = await t.upload('name,domain,industry\nAcme Inc,acme.com,Retail\n', 'entity=company');
    expect((await t.start(second.id, 'run')).progress).toMatchObject({ created: 0, updated: 1 });
    const list = (await t.call('GET', '/companies?sort=name')).json() as { data: Json[] };
    expect(list.data.map((c) => [c.name, c.domain])).toEqual([
      ['Acme Inc', 'acme.com'],
      ['Globex', 'globex.com'],
    ]);
  });

  it('lets the user change the mapping, and refuses a run without a required column', async () => {
    const t = await setup();
    const imp = await t.upload('Nickname,Notes\nAnnie,likes tea\n');
    expect(imp.mapping).toEqual({ Nickname: null, Notes: null });
    expect(imp.mappingProblems.map((p) => p.message)).toEqual([
      'no column gives a name, an email or a phone: a person needs at least one of them',
    ]);
    const refused = await t.call('POST', `/imports/${imp.id}/run`);
    expect(refused.status).toBe(400);
    expect(refused.body).toContain('a person needs at least one of them');
    expect((await t.call('PATCH', `/imports/${imp.id}`, { mapping: { Nickname: 'nope' } })).status).toBe(400);
    expect((await t.call('PATCH', `/imports/${imp.id}`, { mapping: { Missing: 'firstName' } })).status).toBe(400);
    const patched = (
      await t.call('PATCH', `/imports/${imp.id}`, { mapping: { Nickname: 'firstName' } })
    ).json() as ImportDto;
    expect(patched.mappingProblems).toEqual([]);
    expect((await t.start(imp.id, 'run')).progress).toMatchObject({ created: 1 });
    expect((await t.people())[0]?.firstName).toBe('Annie');
    // Done is done: no second run of the same upload.
    expect((await t.call('POST', `/imports/${imp.id}/run`)).status).toBe(409);
  });

  it('reports malformed files clearly instead of failing', async () => {
    const t = await setup();
    const badQuote = await t.upload('name,email\nAnn,ann@x.example\n"Bob" Stone,bob@x.example\nCy,cy@x.example\n');
    expect(badQuote.status).toBe('invalid');
    expect(badQuote.problems[0]).toMatchObject({ code: 'bad_quoting', line: 3, column: '1 ("name")' });
    expect(badQuote.problems[0]?.message).toMatch(/^Bad quoting at line 3, column 1 \("name"\)/);
    const refused = await t.call('POST', `/imports/${badQuote.id}/dry-run`);
    expect(refused.status).toBe(400);
    expect(refused.body).toContain('Bad quoting');

    const unclosed = await t.upload('name,email\nAnn,"ann@x.example\nBob,bob@x.example\n');
    expect(unclosed.problems[0]?.code).toBe('bad_quoting');

    const latin1 = await t.upload(
      Buffer.from('first name,email\nJosé,jose@x.example\nFrançoise,f@x.example\n', 'latin1'),
    );
    expect(latin1.status).toBe('ready');
    expect(latin1.warnings[0]).toMatch(
      /not UTF-8 \(the first non-UTF-8 byte is on line 2\); it was read as Windows-1252/,
    );
    await t.start(latin1.id, 'run');
    expect((await t.people('&sort=first_name')).map((p) => p.firstName)).toEqual(['Françoise', 'José']);

    const huge = await t.upload(`name,email\nAnn,ann@x.example\n"${'x'.repeat(10 * 1024 * 1024)}",b@x.example\n`);
    expect(huge.status).toBe('invalid');
    expect(huge.problems[0]).toMatchObject({ code: 'record_too_large', line: 3 });
    expect(huge.problems[0]?.message).toContain('longer than 1,000,000 characters');

    const empty = await t.upload('');
    expect(empty.problems).toEqual([{ code: 'empty', message: 'The file is empty.' }]);
    const headerOnly = await t.upload('name,email\n');
    expect(headerOnly.status).toBe('invalid');
    expect(headerOnly.problems[0]).toMatchObject({
      code: 'no_rows',
      message: 'The file has a header row but no data rows.',
    });

    const semicolons = await t.upload('Vorname;Nachname;E-Mail\nJürgen;Klein;j@x.example\n');
    expect(semicolons.mapping).toEqual({ Vorname: 'firstName', Nachname: 'lastName', 'E-Mail': 'emails' });

    const wide = await t.upload('name,email\nAnn,ann@x.example,extra\n');
    const wideRun = await t.start(wide.id, 'dry-run');
    expect(wideRun.progress.rejected).toBe(1);
    expect((await t.rows(wide.id))[0]?.summary).toMatch(/has 3 fields but the header has 2/);

    const json = await t.call('POST', '/imports?entity=person', { not: 'csv' });
    expect(json.status).toBe(415);
  });

  it('takes a multipart upload', async () => {
    const t = await setup();
    const boundary = '----rapport';
    const body = [
      `--${boundary}`,
      'Content-Disposition: form-data; name="file"; filename="contacts.csv"',
      'Content-Type: text/csv',
      '',
      'email,name\nann@x.example,Ann Lee',
      `--${boundary}--`,
      '',
    ].join('\r\n');
    const res = await ctx.app.inject({
      method: 'POST',
      url: '/api/v1/imports?entity=person',
      headers: { ...t.h, 'content-type': `multipart/form-data; boundary=${boundary}` },
      payload: body,
    });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({ fileName: 'contacts.csv', status: 'ready', progress: { totalRows: 1 } });
    const garbage = await ctx.app.inject({
      method: 'POST',
      url: '/api/v1/imports',
      headers: { ...t.h, 'content-type': `multipart/form-data; boundary=${boundary}` },
      payload: 'nonsense',
    });
    expect(garbage.statusCode).toBeGreaterThanOrEqual(400);
    expect(garbage.statusCode).toBeLessThan(500);
  });

  it('exports a filtered list as CSV and JSON that imports back into another workspace as the same people', async () => {
    const a = await setup();
    await a.call('POST', '/custom-fields', { entity: 'person', label: 'Seats', type: 'number' });
    const acme = (await a.call('POST', '/companies', { name: 'Acme', domain: 'acme.com' })).json();
    await a.call('POST', '/people', {
      firstName: 'Ann',
      lastName: 'Lee, "Jr"',
      emails: ['ann@x.example', 'ann@home.example'],
      phones: ['+14155550100'],
      tags: ['vip', 'b2b'],
      stage: 'customer',
      address: { city: 'Lisboa', country: 'PT' },
      custom: { seats: 12 },
      companies: [{ companyId: acme.id as string, title: 'CTO', isPrimary: true }],
    });
    const bob = (
      await a.call('POST', '/people', { firstName: 'Bob', emails: ['bob@x.example'], tags: ['vip'] })
    ).json();
    await a.call('POST', `/people/${String(bob.id)}/consent`, {
      channel: 'email',
      purpose: 'marketing',
      status: 'granted',
    });
    await a.call('POST', '/people', { firstName: 'Cy', tags: ['other'] });

    const csv = await a.call('GET', '/people/export?format=csv&filter=tag:eq:vip&sort=first_name');
    expect(csv.status).toBe(200);
    const lines = csv.body.trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toContain('firstName,lastName,name,emails,phones,company,companyDomain,jobTitle,stage,tags');
    expect(csv.body).toContain('"Lee, ""Jr"""');
    const json = await a.call('GET', '/people/export?format=json&filter=tag:eq:vip&sort=first_name');
    expect((JSON.parse(json.body) as Json[]).map((p) => p.name)).toEqual(['Ann Lee, "Jr"', 'Bob']);
    expect((await a.call('GET', '/people/export?filter=nope:eq:1')).status).toBe(400);

    const b = await setup();
    await b.call('POST', '/custom-fields', { entity: 'person', label: 'Seats', type: 'number' });
    const imp = await b.upload(csv.body);
    expect(imp.mappingProblems).toEqual([]);
    // The export's ids are workspace A's records: matched by id they are refused here, as records of nowhere.
    expect(imp.mapping.id).toBe('id');
    expect((await b.start(imp.id, 'dry-run')).progress).toMatchObject({ created: 0, rejected: 2 });
    expect((await b.rows(imp.id))[0]?.summary).toMatch(/^column "id": .* is not the id of a person of this workspace/);
    // Ignoring the id column imports them as new people.
    expect((await b.call('PATCH', `/imports/${imp.id}`, { mapping: { id: null } })).status).toBe(200);
    expect((await b.start(imp.id, 'run')).progress).toMatchObject({ created: 2, rejected: 0 });
    const pick = (p: Json) => ({
      name: p.name,
      firstName: p.firstName,
      lastName: p.lastName,
      emails: p.emails,
      phones: p.phones,
      tags: p.tags,
      stage: p.stage,
      address: p.address,
      custom: p.custom,
      consent: p.consent,
      companies: (p.companies as Json[]).map((c) => ({ name: c.name, title: c.title })),
    });
    const before = (await a.people('&filter=tag:eq:vip&sort=first_name')).map(pick);
    const after = (await b.people('&sort=first_name')).map(pick);
    expect(after).toEqual(before);
    expect(before[0]).toMatchObject({ custom: { seats: 12 }, companies: [{ name: 'Acme', title: 'CTO' }] });

    const companiesCsv = await a.call('GET', '/companies/export?format=csv');
    expect(companiesCsv.body.split('\n')[1]).toContain('Acme,acme.com');
  });
  it('numbers report rows by the line they start on, after quoted cells with CRLF and LF line breaks', async () => {
    const t = await setup();
    // Lines: 1 header; 2-4 Ann (CRLF inside the cell); 5-6 Bob (LF inside it); 7 Cy (bad e-mail); 8 empty;
    // 9-10 Di; 11 Ed (bad e-mail).
    const csv = [
      'email,first name,Notes',
      'ann@x.example,Ann,"one\r\ntwo\r\nthree"',
      'bob@x.example,Bob,"x\ny"',
      'not-an-email,Cy,z',
      '',
      'di@x.example,Di,"p\r\nq"',
      'bad-too,Ed,',
      '',
    ].join('\r\n');
    const imp = await t.upload(csv);
    expect(imp.mapping).toMatchObject({ Notes: null });
    await t.start(imp.id, 'dry-run');
    expect((await t.rows(imp.id)).map((r) => [r.row, r.line, r.action])).toEqual([
      [1, 2, 'create'],
      [2, 5, 'create'],
      [3, 7, 'reject'],
      [4, 9, 'create'],
      [5, 11, 'reject'],
    ]);
    await t.start(imp.id, 'run');
    const rejected = await t.rows(imp.id, '&mode=run&action=rejected');
    expect(rejected.map((r) => [r.row, r.line])).toEqual([
      [3, 7],
      [5, 11],
    ]);

    // The command line says the same lines, and names the line and column of a file it cannot read.
    const { workspace } = await makeWorkspace(ctx.services);
    const fail = (m: string) => new Error(m);
    const printed: string[] = [];
    const log = console.log;
    console.log = (...a: unknown[]) => void printed.push(a.join(' '));
    try {
      const final = await importThroughPipeline(
        ctx.database,
        ctx.services,
        workspace,
        { entity: 'person', open: () => Readable.from([csv]), fileName: 'p.csv', log: () => undefined },
        fail,
      );
      await printImportResult(ctx.database, workspace, final);
    } finally {
      console.log = log;
    }
    expect(printed.find((l) => l.startsWith('  row 3 (line 7): '))).toMatch(
      /^ {2}row 3 \(line 7\): column "email": "not-an-email" is not an email address/,
    );
    expect(printed.filter((l) => /^ {2}row \d/.test(l)).map((l) => l.replace(/:.*/, ''))).toEqual([
      '  row 3 (line 7)',
      '  row 5 (line 11)',
    ]);
    const bad = 'name,email\r\nAnn,"a\r\nb\r\nc"\r\nBob,"x\ny"\r\nCy "C" Lee,cy@x.example\r\n';
    await expect(
      importThroughPipeline(
        ctx.database,
        ctx.services,
        workspace,
        { entity: 'person', open: () => Readable.from([bad]), fileName: 'bad.csv', log: () => undefined },
        fail,
      ),
    ).rejects.toThrow(/Bad quoting at line 7, column 1 \("name"\)/);
  });

  it('exports the header row even when nothing matches (JSON: an empty array)', async () => {
    const t = await setup();
    const people = await t.call('GET', '/people/export?format=csv');
    expect(people.status).toBe(200);
    expect(people.body.split('\r\n')).toEqual([
      expect.stringMatching(/^id,firstName,lastName,name,emails,phones,/),
      '',
    ]);
    expect(people.body).toContain(',consent.email.marketing,');
    const companies = await t.call('GET', '/companies/export?format=csv&filter=name:eq:nobody');
    expect(companies.body.split('\r\n')).toEqual([expect.stringMatching(/^id,name,domain,industry,size,/), '']);
    expect(JSON.parse((await t.call('GET', '/people/export?format=json')).body)).toEqual([]);
    expect(JSON.parse((await t.call('GET', '/companies/export?format=json')).body)).toEqual([]);
    // An empty export imports as a file with a header and no rows (not as an unreadable file).
    expect((await t.upload(people.body)).problems[0]?.code).toBe('no_rows');
  });

  it('escapes cells against spreadsheet formulas in CSV exports, and an exported file imports back unchanged', async () => {
    const a = await setup();
    await a.call('POST', '/custom-fields', { entity: 'person', label: 'Note', type: 'text' });
    await a.call('POST', '/custom-fields', { entity: 'company', label: 'Motto', type: 'text' });
    const made = await a.call('POST', '/people', {
      firstName: '@Ann',
      lastName: "'=quoted",
      emails: ['ann@x.example'],
      phones: ['+351912345678'],
      tags: ['-vip'],
      custom: { note: '=SUM(1)' },
    });
    expect(made.status, made.body).toBe(201);
    await a.call('POST', '/companies', { name: '+Plus', domain: 'plus.example', custom: { motto: '-1+2' } });
    const csv = (await a.call('GET', '/people/export?format=csv')).body;
    const [head, row] = csv.split('\r\n');
    const cells = Object.fromEntries((head ?? '').split(',').map((h, i) => [h, (row ?? '').split(',')[i]]));
    expect(cells).toMatchObject({
      firstName: "'@Ann",
      lastName: "''=quoted",
      phones: "'+351912345678",
      tags: "'-vip",
      'custom.note': "'=SUM(1)",
    });
    const companiesCsv = (await a.call('GET', '/companies/export?format=csv')).body;
    expect(companiesCsv).toContain("'+Plus,plus.example");
    expect(companiesCsv).toContain(",'-1+2,");

    const b = await setup();
    await b.call('POST', '/custom-fields', { entity: 'person', label: 'Note', type: 'text' });
    await b.call('POST', '/custom-fields', { entity: 'company', label: 'Motto', type: 'text' });
    const imp = await b.upload(csv);
    // Another workspace: the export's ids are not its records, so the id column is ignored.
    await b.call('PATCH', `/imports/${imp.id}`, { mapping: { id: null } });
    expect((await b.start(imp.id, 'run')).progress).toMatchObject({ created: 1, rejected: 0 });
    expect((await b.people())[0]).toMatchObject({
      firstName: '@Ann',
      lastName: "'=quoted",
      phones: ['+351912345678'],
      tags: ['-vip'],
      custom: { note: '=SUM(1)' },
    });
    const companyImport = await b.upload(companiesCsv, 'entity=company');
    await b.call('PATCH', `/imports/${companyImport.id}`, { mapping: { id: null } });
    expect((await b.start(companyImport.id, 'run')).progress).toMatchObject({ created: 1, rejected: 0 });
    const list = (await b.call('GET', '/companies')).json() as { data: Json[] };
    expect(list.data[0]).toMatchObject({ name: '+Plus', custom: { motto: '-1+2' } });
  });
  // A file over the report's bound (10,000 rows) takes 10-15 s on PGlite, more on a busy machine.
  it(
    'keeps a row-by-row report of the real run (created, updated, unchanged, rejected), bounded, also as CSV',
    {
      timeout: 120_000,
    },
    async () => {
      const t = await setup();
      const first = await t.start(
        (await t.upload('email,first name\nann@x.example,Ann\nbob@x.example,Bob\n')).id,
        'run',
      );
      expect(first.progress).toMatchObject({ created: 2 });
      const [ann, bob] = await t.people('&sort=first_name');
      // Lines: 1 header, 2 Ann (updated), 3 Bob (unchanged), 4-5 Cy (created; a cell on two lines), 6 rejected.
      const imp = await t.upload(
        'email,first name,stage\r\nann@x.example,Annie,customer\r\nbob@x.example,Bob,\r\ncy@x.example,"Cy\r\nC",\r\nnope,Di,\r\n',
      );
      const done = await t.start(imp.id, 'run');
      expect(done.progress).toMatchObject({ created: 1, updated: 1, unchanged: 1, rejected: 1 });
      const res = await t.call('GET', `/imports/${imp.id}/rows?mode=run`);
      const page = res.json() as { data: RowDto[]; mode: string; listedThroughRow: number | null };
      expect(page.mode).toBe('run');
      expect(page.listedThroughRow).toBeNull();
      const cy = (await t.people('&filter=email:eq:cy@x.example'))[0];
      expect(page.data.map((r) => [r.row, r.line, r.action, r.recordId])).toEqual([
        [1, 2, 'update', ann?.id],
        [2, 3, 'unchanged', bob?.id],
        [3, 4, 'create', cy?.id],
        [4, 6, 'reject', null],
      ]);
      expect(page.data[0]?.details).toMatchObject({
        changes: { firstName: { from: 'Ann', to: 'Annie' } },
        stage: { from: 'lead', to: 'customer' },
      });
      expect(page.data[3]?.summary).toBe('column "email": "nope" is not an email address');
      // The default is the last phase: the run.
      expect((await t.rows(imp.id)).map((r) => r.action)).toEqual(['update', 'unchanged', 'create', 'reject']);

      const csv = await ctx.app.inject({ method: 'GET', url: `/api/v1/imports/${imp.id}/rows.csv`, headers: t.h });
      expect(csv.statusCode).toBe(200);
      expect(csv.headers['content-type']).toContain('text/csv');
      expect(csv.headers['content-disposition']).toContain('-import-report.csv');
      const csvRows = parseCsv(csv.body) as string[][];
      expect(csvRows[0]).toEqual(['row', 'line', 'action', 'recordId', 'summary', 'details']);
      expect(csvRows.slice(1).map((r) => r.slice(0, 4))).toEqual([
        ['1', '2', 'update', ann?.id],
        ['2', '3', 'unchanged', bob?.id],
        ['3', '4', 'create', cy?.id],
        ['4', '6', 'reject', ''],
      ]);
      expect(JSON.parse(csvRows[4]?.[5] ?? '')).toMatchObject({ values: { email: 'nope', 'first name': 'Di' } });
      const rejectedCsv = await ctx.app.inject({
        method: 'GET',
        url: `/api/v1/imports/${imp.id}/rows.csv?mode=run&action=rejected`,
        headers: t.h,
      });
      expect(rejectedCsv.body.split('\r\n').filter(Boolean)).toHaveLength(2);
      expect(
        (await ctx.app.inject({ method: 'GET', url: `/api/v1/imports/${newId()}/rows.csv`, headers: t.h })).statusCode,
      ).toBe(404);

      // A large file: every rejected row is listed, the other rows only among the first 10,000 (the rest are counted).
      const lines = ['email,first name'];
      for (let i = 1; i <= runReportListedRows + 3; i++)
        lines.push(i === 2 || i === runReportListedRows + 2 ? `bad${i},X` : `p${i}@big.example,P`);
      const big = await t.start((await t.upload(lines.join('\n'))).id, 'run');
      expect(big.progress).toMatchObject({ created: runReportListedRows + 1, rejected: 2 });
      const tail = (
        await t.call('GET', `/imports/${big.id}/rows?mode=run&cursor=${runReportListedRows - 2}`)
      ).json() as {
        data: RowDto[];
        listedThroughRow: number | null;
      };
      expect(tail.listedThroughRow).toBe(runReportListedRows);
      expect(tail.data.map((r) => [r.row, r.action])).toEqual([
        [runReportListedRows - 1, 'create'],
        [runReportListedRows, 'create'],
        [runReportListedRows + 2, 'reject'],
      ]);
      const stored = rowsOf<{ n: number }>(
        await ctx.database.db.execute(
          sql`select count(*)::int as n from import_rows where import_id = ${big.id} and mode = 'run'`,
        ),
      );
      expect(stored[0]?.n).toBe(runReportListedRows + 1);
    },
  );
});
