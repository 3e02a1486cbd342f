import { and, asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, testEngines } from '../../test/db.ts';
import { makeWorkspace } from '../../test/factories.ts';
import { createServices } from '../services.ts';
import { insertRows, updateRows } from './bulk.ts';
import type { Database } from './client.ts';
import { newId } from './ids.ts';
import { events, people } from './schema/index.ts';

/** Text that COPY's text format and array literals must escape: tabs, line breaks, backslashes, quotes, braces. */
const awkward = [
  'tab\there',
  'line\nbreak\r\nend',
  'back\\slash \\N \\t',
  'quote " and \'',
  '{brace,comma}',
  'NULL',
  '',
];

describe.each(testEngines())('bulk inserts and updates on %s', (engine) => {
  let database: Database;
  let ws: string;
  beforeAll(async () => {
    database = await createTestDatabase(engine);
    ws = (await makeWorkspace(createServices(database.db))).workspace.id;
  });
  afterAll(() => database.close());

  const person = (i: number, name: string) => ({
    workspaceId: ws,
    id: newId(),
    firstName: name,
    lastName: i % 2 ? null : 'Smith',
    displayName: `${name} ${i}`,
    emails: [`p${i}@example.com`, name],
    tags: i % 3 ? [] : [name, 'ünïcødé ✓'],
    custom: { note: name, n: i, nested: { list: [name, null, true] } },
    searchText: `p${i}`,
    ...(i % 2 ? { stage: 'customer' } : {}),
  });

  it('writes awkward text, arrays, JSON, nulls and defaults exactly, in a transaction (COPY) and outside it', async () => {
    const inTx = awkward.map((name, i) => person(i, name));
    const outside = awkward.map((name, i) => person(i + 100, name));
    await database.db.transaction((tx) => insertRows(tx, people, inTx));
    await insertRows(database.db, people, outside);
    const stored = await database.db.select().from(people).where(eq(people.workspaceId, ws)).orderBy(asc(people.id));
    expect(stored).toHaveLength(inTx.length + outside.length);
    for (const want of [...inTx, ...outside]) {
      const got = stored.find((p) => p.id === want.id);
      expect(got).toMatchObject({
        firstName: want.firstName,
        lastName: want.lastName,
        emails: want.emails,
        tags: want.tags,
        custom: want.custom,
        // Left out: the column's default.
        stage: want.stage ?? 'lead',
      });
    }
  });

  it('appends events in order with their payloads', async () => {
    const rows = awkward.map((text, i) => ({
      workspaceId: ws,
      id: newId(),
      type: 'test.bulk',
      subjectType: 'test',
      subjectId: String(i),
      actorType: 'system',
      actorId: null,
      payload: { text, i },
    }));
    await database.db.transaction((tx) => insertRows(tx, events, rows));
    const stored = await database.db
      .select()
      .from(events)
      .where(and(eq(events.workspaceId, ws), eq(events.type, 'test.bulk')))
      .orderBy(asc(events.seq));
    expect(stored.map((e) => e.payload)).toEqual(rows.map((r) => r.payload));
    expect(stored.map((e) => e.actorId)).toEqual(rows.map(() => null));
  });

  it('updates by id set-based, only the given columns, the later of two updates of one row winning', async () => {
    const a = person(1000, 'Ann');
    const b = person(1001, 'Bob');
    await database.db.transaction((tx) => insertRows(tx, people, [a, b]));
    await database.db.transaction((tx) =>
      updateRows(tx, people, ws, [
        { id: a.id, set: { firstName: 'First', tags: ['x'] } },
        { id: b.id, set: { custom: { k: 'tab\t"' } } },
        { id: a.id, set: { firstName: 'Second' } },
      ]),
    );
    const [ga] = await database.db.select().from(people).where(eq(people.id, a.id));
    const [gb] = await database.db.select().from(people).where(eq(people.id, b.id));
    expect(ga).toMatchObject({ firstName: 'Second', tags: ['x'], lastName: a.lastName, emails: a.emails });
    expect(gb).toMatchObject({ firstName: 'Bob', custom: { k: 'tab\t"' }, emails: b.emails });
  });
});

describe('newId', () => {
  it('gives distinct version-7 ids in creation order', () => {
    const ids = Array.from({ length: 5000 }, () => newId());
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
    for (const id of ids.slice(0, 50))
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
