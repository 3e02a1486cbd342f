import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { useTestApp } from '../../../test/app.ts';
import { testEngines } from '../../../test/db.ts';
import { importThroughPipeline } from '../../cli/imports.ts';
import { newId } from '../../db/ids.ts';
import { importTestSetup, type Json } from './import-test-setup.ts';

/** Bytes 0-255 over and over: what an image or an archive looks like to the reader. */
const binary = Buffer.from(Array.from({ length: 5120 }, (_, i) => i % 256));

describe.each(testEngines())('CSV import: NUL bytes, shared domains, Rapport ids on %s', (engine) => {
  const ctx = useTestApp(engine);

  async function setup() {
    const t = await importTestSetup(ctx);
    const list = async (entity: 'people' | 'companies', query = '') =>
      (await t.call('GET', `/${entity}?limit=200${query}`)).json<{ data: Array<Json & { id: string }> }>().data;
    return { ...t, list };
  }

  const text = 'First Name,Last Name,E-mail\nJosé,Lee,ann@x.example\nBob,Stone,bob@x.example\n';

  it('reads UTF-16LE and UTF-16BE without a byte-order mark as UTF-16, not as text full of NUL bytes', async () => {
    const t = await setup();
    const le = await t.upload(Buffer.from(text, 'utf16le'));
    expect(le).toMatchObject({ status: 'ready', encoding: 'utf-16le', headers: ['First Name', 'Last Name', 'E-mail'] });
    expect(le.warnings).toEqual(['The file is UTF-16LE; it was read as such.']);
    expect(le.mapping).toEqual({ 'First Name': 'firstName', 'Last Name': 'lastName', 'E-mail': 'emails' });
    expect((await t.start(le.id, 'run')).progress).toMatchObject({ created: 2, rejected: 0 });
    const be = Buffer.from(text, 'utf16le').swap16();
    const bei = await t.upload(be);
    expect(bei).toMatchObject({ status: 'ready', encoding: 'utf-16be' });
    expect((await t.start(bei.id, 'run')).progress).toMatchObject({ created: 0, unchanged: 2, rejected: 0 });
    expect((await t.list('people', '&sort=first_name')).map((p) => [p.firstName, p.emails])).toEqual([
      ['Bob', ['bob@x.example']],
      ['José', ['ann@x.example']],
    ]);
  });

  it('refuses a binary file at upload with a 400 (not a 500), keeping neither a copy nor an import', async () => {
    const t = await setup();
    for (const [body, what] of [
      [binary, /it is binary/],
      [Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), binary]), /Excel workbook \(\.xlsx\)/],
    ] as const) {
      const res = await t.post(body, 'entity=person');
      expect(res.statusCode, res.body).toBe(400);
      const err = res.json<{ error: { code: string; message: string; details: { problems: Json[] } } }>().error;
      expect(err.code).toBe('validation_failed');
      expect(err.message).toMatch(/^The file is not a CSV: /);
      expect(err.message).toMatch(what);
      expect(err.details.problems).toEqual([{ field: 'file', message: err.message }]);
    }
    expect(t.storedFiles()).toEqual([]);
    expect((await t.call('GET', '/imports')).json<{ data: Json[] }>().data).toEqual([]);
    // The command line says so in a sentence.
    await expect(
      importThroughPipeline(
        ctx.database,
        ctx.services,
        t.ws.workspace,
        { entity: 'person', open: () => Readable.from([binary]), fileName: 'photo.csv', log: () => undefined },
        (m) => new Error(m),
      ),
    ).rejects.toThrow(/^The file cannot be imported: The file is not a CSV: it is binary/);
    expect(t.storedFiles()).toEqual([]);
  });

  it('refuses the row with a NUL byte in a cell, naming its line and column, and imports the others', async () => {
    const t = await setup();
    const csv =
      'First Name,Last Name,E-mail,Notes\nAnn,L\0ee,ann@x.example,\nBob,Stone,bob@x.example,a\0b\nCy,Moss,cy@x.example,\n';
    const imp = await t.upload(csv);
    expect(imp.status).toBe('ready');
    await t.call('PATCH', `/imports/${imp.id}`, { mapping: { Notes: null } });
    const dry = await t.start(imp.id, 'dry-run');
    expect(dry).toMatchObject({ status: 'dry_run_done', progress: { processedRows: 3, created: 2, rejected: 1 } });
    const report = await t.rows(imp.id);
    expect(report.map((r) => [r.row, r.line, r.action])).toEqual([
      [1, 2, 'reject'],
      [2, 3, 'create'],
      [3, 4, 'create'],
    ]);
    expect(report[0]?.summary).toBe(
      'column "Last Name": holds a NUL byte (\\0) at character 2, which text cannot hold: the file is damaged there; fix the cell and import the row again',
    );
    // The report quotes the cell with U+FFFD where the NUL was.
    expect(report[0]?.details.values).toMatchObject({ 'Last Name': 'L\uFFFDee' });
    const done = await t.start(imp.id, 'run');
    expect(done).toMatchObject({ status: 'done', progress: { created: 2, rejected: 1 } });
    expect((await t.list('people', '&sort=first_name')).map((p) => p.firstName)).toEqual(['Bob', 'Cy']);

    // A NUL in the header row: left out of the column name.
    const head = await t.upload('First\0 Name,E-mail\nDi,di@x.example\n');
    expect(head.headers).toEqual(['First Name', 'E-mail']);
    expect(head.warnings).toEqual(['The header row has NUL bytes (\\0); they were left out of the column names.']);
  });

  it('refuses a company row matched on a domain that two companies have (merge them first), as for people', async () => {
    const t = await setup();
    const first = (await t.call('POST', '/companies', { name: 'Acme', domain: 'acme.com' })).json<{ id: string }>();
    const second = (await t.call('POST', '/companies', { name: 'Acme EU', domain: 'acme.com' })).json<{
      id: string;
    }>();
    const imp = await t.upload('name,domain\nAcme Renamed,acme.com\nGlobex,globex.com\n', 'entity=company');
    expect(imp.matchOn).toBe('domain');
    const message =
      'column "domain": 2 companies have the domain acme.com, so the row cannot say which one it means: merge them first';
    expect((await t.start(imp.id, 'dry-run')).progress).toMatchObject({ created: 1, updated: 0, rejected: 1 });
    const report = await t.rows(imp.id);
    expect(report[0]).toMatchObject({ row: 1, action: 'reject', summary: message });
    expect(report[0]?.details).toMatchObject({
      reason: 'ambiguous_match',
      field: 'domain',
      value: 'acme.com',
      companyIds: [first.id, second.id],
    });
    expect((await t.start(imp.id, 'run')).progress).toMatchObject({ created: 1, updated: 0, rejected: 1 });
    expect((await t.list('companies', '&sort=name')).map((c) => c.name)).toEqual(['Acme', 'Acme EU', 'Globex']);
  });

  it('gives the companies a people import made by name their domains, instead of making them twice', async () => {
    const t = await setup();
    const people = await t.upload(
      'First Name,E-mail,Company\nAnn,ann@x.example,Acme\nBob,bob@x.example,Globex\nCy,cy@x.example,Initech\n',
    );
    expect((await t.start(people.id, 'run')).progress).toMatchObject({ created: 3, rejected: 0 });
    const acme = (await t.list('companies', '&filter=name:eq:Acme'))[0];
    expect(acme).toMatchObject({ name: 'Acme', domain: null });
    // Two companies without a domain share a name: a row naming it cannot say which one it means.
    const umbrellas = [
      (await t.call('POST', '/companies', { name: 'Umbrella' })).json<{ id: string }>().id,
      (await t.call('POST', '/companies', { name: 'umbrella' })).json<{ id: string }>().id,
    ];
    const imp = await t.upload(
      'Name,Domain\n ACME ,acme.com\nGlobex,\nUmbrella,umbrella.com\nHooli,hooli.com\nInitech,not a domain\nAcme,acme.de\n',
      'entity=company',
    );
    expect(imp.mapping).toEqual({ Name: 'name', Domain: 'domain' });
    expect(imp.matchOn).toBe('domain');
    const expected = async (mode: 'dry_run' | 'run') => {
      const report = await t.rows(imp.id, `&mode=${mode}`);
      expect(report.map((r) => [r.row, r.action, r.recordId === acme?.id])).toEqual([
        [1, 'update', true],
        [2, 'unchanged', false],
        [3, 'reject', false],
        [4, 'create', false],
        [5, 'reject', false],
        // Row 1 gave Acme its domain: another domain is another company (the dry run remembers row 1's).
        [6, 'create', false],
      ]);
      expect(report[0]?.details).toMatchObject({
        matchedByName: true,
        changes: { name: { from: 'Acme', to: 'ACME' }, domain: { from: null, to: 'acme.com' } },
      });
      expect(report[2]?.summary).toBe(
        'column "Name": no company has the domain umbrella.com, and 2 companies without a domain are named "Umbrella", so the row cannot say which one it means: merge them first, or give them their domains',
      );
      expect(report[2]?.details).toMatchObject({ reason: 'ambiguous_match', field: 'name', companyIds: umbrellas });
      expect(report[4]?.summary).toBe('column "Domain": "not a domain" is not a web domain like acme.com');
    };
    const counts = { created: 2, updated: 1, unchanged: 1, rejected: 2 };
    expect((await t.start(imp.id, 'dry-run')).progress).toMatchObject(counts);
    await expected('dry_run');
    expect((await t.start(imp.id, 'run')).progress).toMatchObject(counts);
    await expected('run');
    const companies = (await t.list('companies')).map((c) => `${String(c.name)} ${String(c.domain)}`);
    expect(companies.sort()).toEqual([
      'ACME acme.com',
      'Acme acme.de',
      'Globex null',
      'Hooli hooli.com',
      'Initech null',
      'Umbrella null',
      'umbrella null',
    ]);
    // Ann is still at her company, now with its domain.
    const ann = (await t.list('people', '&filter=email:eq:ann@x.example'))[0];
    expect(ann?.companies).toMatchObject([{ name: 'ACME' }]);
  });

  it('matches rows by the Rapport id of an export, falling back to the match key for rows without one', async () => {
    const t = await setup();
    const ann = (await t.call('POST', '/people', { firstName: 'Ann', tags: ['vip'] })).json<{ id: string }>();
    await t.call('POST', '/people', { firstName: 'Bob', emails: ['bob@x.example'] });
    await t.call('POST', '/companies', { name: 'No Domain Ltd' });
    // An export imports back as it is: nothing new, even the person and the company with no key to match on.
    const peopleCsv = (await t.call('GET', '/people/export?format=csv')).body;
    const people = await t.upload(peopleCsv);
    expect(people.mapping.id).toBe('id');
    expect((await t.start(people.id, 'dry-run')).progress).toMatchObject({ created: 0, unchanged: 2, rejected: 0 });
    expect((await t.start(people.id, 'run')).progress).toMatchObject({ created: 0, unchanged: 2, rejected: 0 });
    const companiesCsv = (await t.call('GET', '/companies/export?format=csv')).body;
    const companies = await t.upload(companiesCsv, 'entity=company');
    expect(companies.mapping.id).toBe('id');
    expect((await t.start(companies.id, 'run')).progress).toMatchObject({ created: 0, unchanged: 1, rejected: 0 });

    const stranger = newId();
    const edited = [
      'id,firstName,emails',
      `${ann.id.toUpperCase()},Annie,`, // by id (any case): Ann renamed, no e-mail needed
      ',Bobby,bob@x.example', // no id: matched by e-mail
      ',Cy,cy@x.example', // no id, new e-mail: created
      `${stranger},Ghost,`, // an id of no record here
      'not-a-uuid,Typo,',
    ].join('\n');
    const imp = await t.upload(edited);
    expect(imp.matchOn).toBe('email');
    expect((await t.start(imp.id, 'run')).progress).toMatchObject({ created: 1, updated: 2, rejected: 2 });
    const report = await t.rows(imp.id, '&mode=run');
    expect(report.map((r) => [r.row, r.action, r.recordId === ann.id])).toEqual([
      [1, 'update', true],
      [2, 'update', false],
      [3, 'create', false],
      [4, 'reject', false],
      [5, 'reject', false],
    ]);
    expect(report[3]?.summary).toBe(
      `column "id": ${stranger} is not the id of a person of this workspace (deleted, merged or from another workspace); to import the row as a new person, map the id column to nothing`,
    );
    expect(report[4]?.summary).toMatch(/^column "id": "not-a-uuid" is not a Rapport id \(a UUID/);
    expect((await t.list('people', '&sort=first_name')).map((p) => [p.firstName, p.tags])).toEqual([
      ['Annie', ['vip']],
      ['Bobby', []],
      ['Cy', []],
    ]);
  });
});
