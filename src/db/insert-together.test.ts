import { and, eq, inArray, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, testEngines } from '../../test/db.ts';
import { makeWorkspace } from '../../test/factories.ts';
import { createServices } from '../services.ts';
import type { Database } from './client.ts';
import { newId } from './ids.ts';
import { insertTogether } from './insert-together.ts';
import { companies, events, people, personCompanies } from './schema/index.ts';

describe.each(testEngines())('several tables inserted in one statement (%s)', (engine) => {
  let database: Database;
  let ws: string;
  beforeAll(async () => {
    database = await createTestDatabase(engine);
    ws = (await makeWorkspace(createServices(database.db))).workspace.id;
  });
  afterAll(() => database.close());

  it('returns the rows as a select reads them, with a row referencing another part', async () => {
    const personId = newId();
    const companyId = newId();
    const [gotPeople, gotCompanies, gotLinks, gotEvents] = await insertTogether(database.db, [
      {
        table: people,
        returning: true,
        rows: [
          {
            workspaceId: ws,
            id: personId,
            firstName: 'Zoë',
            displayName: 'Zoë "Z" O\'Neil',
            emails: ['zoe@example.com', '{odd,one}'],
            tags: ['vip', 'ünïcødé ✓'],
            custom: { tier: 'gold', n: 3, nested: { list: ['a', null, true] } },
            searchText: 'zoe',
          },
        ],
      },
      {
        table: companies,
        returning: true,
        rows: [{ workspaceId: ws, id: companyId, name: 'Acme', searchText: 'acme' }],
      },
      // Refers to both rows above: checked at the end of the statement.
      {
        table: personCompanies,
        returning: true,
        rows: [{ workspaceId: ws, personId, companyId, title: 'CEO', isPrimary: true }],
      },
      {
        table: events,
        rows: [
          {
            workspaceId: ws,
            id: newId(),
            type: 'test.one',
            subjectType: 'person',
            subjectId: personId,
            actorType: 'system',
            payload: {},
          },
          {
            workspaceId: ws,
            id: newId(),
            type: 'test.two',
            subjectType: 'person',
            subjectId: personId,
            actorType: 'system',
            payload: {},
          },
        ],
      },
    ] as const);
    expect(gotPeople).toEqual(await database.db.select().from(people).where(eq(people.id, personId)));
    expect(gotCompanies).toEqual(await database.db.select().from(companies).where(eq(companies.id, companyId)));
    expect(gotLinks).toEqual(
      await database.db.select().from(personCompanies).where(eq(personCompanies.personId, personId)),
    );
    expect(gotPeople[0]?.createdAt).toBeInstanceOf(Date);
    expect(gotEvents).toEqual([]);
    const stored = await database.db
      .select({ type: events.type })
      .from(events)
      .where(and(eq(events.subjectId, personId), inArray(events.type, ['test.one', 'test.two'])))
      .orderBy(events.seq);
    expect(stored.map((e) => e.type)).toEqual(['test.one', 'test.two']);
  });

  it('skips parts without rows, and writes nothing when a row breaks a constraint', async () => {
    expect(await insertTogether(database.db, [{ table: people, rows: [], returning: true }] as const)).toEqual([[]]);
    const personId = newId();
    await expect(
      insertTogether(database.db, [
        {
          table: people,
          rows: [{ workspaceId: ws, id: personId, displayName: 'Orphan', searchText: 'orphan' }],
        },
        // No such company: the whole statement fails.
        { table: personCompanies, rows: [{ workspaceId: ws, personId, companyId: newId() }] },
      ] as const),
    ).rejects.toThrow();
    expect(await database.db.select().from(people).where(eq(people.id, personId))).toEqual([]);
  });

  it('runs update parts in the same statement, returns their rows when asked, and none of them when an insert fails', async () => {
    const companyId = newId();
    await database.db
      .insert(companies)
      .values({ workspaceId: ws, id: companyId, name: 'Before', searchText: 'before' });
    const rename = (name: string) =>
      database.db
        .update(companies)
        .set({ name })
        .where(and(eq(companies.workspaceId, ws), eq(companies.id, companyId)));
    const nameNow = async () =>
      (await database.db.select().from(companies).where(eq(companies.id, companyId)))[0]?.name;
    const personId = newId();
    const [, renamed] = await insertTogether(database.db, [
      { table: people, rows: [{ workspaceId: ws, id: personId, displayName: 'Linked', searchText: 'linked' }] },
      { table: companies, update: rename('After').returning().getSQL(), returning: true },
    ] as const);
    expect(await nameNow()).toBe('After');
    expect(renamed.map((c) => [c.id, c.name, c.createdAt instanceof Date])).toEqual([[companyId, 'After', true]]);
    expect(await database.db.select().from(people).where(eq(people.id, personId))).toHaveLength(1);
    await expect(
      insertTogether(database.db, [
        { table: personCompanies, rows: [{ workspaceId: ws, personId, companyId: newId() }] },
        { table: companies, update: rename('Never').getSQL() },
      ] as const),
    ).rejects.toThrow();
    expect(await nameNow()).toBe('After');
  });
  it('writes SQL values in place and numbers the parameters of every part in order', async () => {
    const personId = newId();
    const eventId = newId();
    const [[person], [event]] = await insertTogether(
      database.db,
      [
        {
          table: people,
          returning: true,
          rows: [
            {
              workspaceId: ws,
              id: personId,
              displayName: 'Dated',
              searchText: 'dated',
              createdAt: sql`${new Date('2020-02-03T04:05:06.789Z')}::timestamptz - make_interval(days => ${2})`,
            },
          ],
        },
        // payload and occurred_at left out: the table's defaults.
        {
          table: events,
          returning: true,
          rows: [
            {
              workspaceId: ws,
              id: eventId,
              type: 'test.sql',
              subjectType: 'person',
              subjectId: personId,
              actorType: 'system',
            },
          ],
        },
      ] as const,
      { also: [sql`${'after'}::text || ${personId}::text`] },
    );
    expect(person?.createdAt.toISOString()).toBe('2020-02-01T04:05:06.789Z');
    expect(event?.payload).toEqual({});
    expect(event?.occurredAt).toBeInstanceOf(Date);
    expect(event).toEqual((await database.db.select().from(events).where(eq(events.id, eventId)))[0]);
  });
});
