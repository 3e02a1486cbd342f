import fs from 'node:fs';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { useTestApp } from '../../test/app.ts';
import { testEngines } from '../../test/db.ts';
import { makeWorkspace } from '../../test/factories.ts';
import { canonicalTimeZone } from '../domain/customers.ts';
import { rowsOf } from './client.ts';
import { migrationsFolder } from './migrate.ts';

/**
 * Migration 0028 brings rows stored before later rules under them. The test database is migrated already, so the
 * old rows are written past the rules by hand and the migration's statements run again (each touches only rows that
 * break a rule, so running it twice is running it once).
 */
const file = fs.readdirSync(migrationsFolder).find((f) => f.startsWith('0028_'));
const statements = fs
  .readFileSync(path.join(migrationsFolder, file ?? 'missing'), 'utf8')
  .split('--> statement-breakpoint');

describe.each(testEngines())('old rows under later rules (migration 0028, %s)', (engine) => {
  const ctx = useTestApp(engine);
  const run = async () => {
    for (const s of statements) await ctx.database.db.execute(sql.raw(s));
  };

  it('moves articles off the help centre’s own addresses and spells time zones as the rules do', async () => {
    const ws = await makeWorkspace(ctx.services);
    const other = await makeWorkspace(ctx.services);
    const actor = ws.ownerActor;
    const article = async (title: string, slug: string, w = ws) => {
      const a = await ctx.services.kb.create(w.ownerActor, { title, slug: `${slug}-tmp` });
      await ctx.database.db.execute(
        sql`update kb_articles set slug = ${slug} where workspace_id = ${w.workspace.id} and id = ${a.id}`,
      );
      return a.id;
    };
    const search = await article('How to search', 'search');
    await article('Search tips', 'search-2');
    const vote = await article('Vote', 'vote');
    const elsewhere = await article('How to search', 'search', other);
    const zones = ['europe/paris ', 'AMERICA/NEW_YORK', 'Europe/Lisbon', 'Asia/Calcutta', 'mars/olympus'];
    const people: string[] = [];
    for (const tz of zones) {
      const p = await ctx.services.people.create(actor, { firstName: 'Zoe' });
      await ctx.database.db.execute(
        sql`update people set timezone = ${tz} where workspace_id = ${ws.workspace.id} and id = ${p.person.id}`,
      );
      people.push(p.person.id);
    }
    const company = await ctx.services.companies.create(actor, { name: 'Acme' });
    await ctx.database.db.execute(
      sql`update companies set timezone = 'asia/tokyo' where workspace_id = ${ws.workspace.id} and id = ${company.id}`,
    );

    await run();

    const slugOf = async (id: string, w = ws) =>
      rowsOf<{ slug: string }>(
        await ctx.database.db.execute(
          sql`select slug from kb_articles where workspace_id = ${w.workspace.id} and id = ${id}`,
        ),
      )[0]?.slug;
    expect(await slugOf(search)).toBe('search-3');
    expect(await slugOf(vote)).toBe('vote-2');
    expect(await slugOf(elsewhere, other)).toBe('search-2');
    const tz = rowsOf<{ id: string; timezone: string }>(
      await ctx.database.db.execute(sql`select id, timezone from people where workspace_id = ${ws.workspace.id}`),
    );
    const stored = people.map((id) => tz.find((r) => r.id === id)?.timezone);
    expect(stored).toEqual(['Europe/Paris', 'America/New_York', 'Europe/Lisbon', 'Asia/Calcutta', 'mars/olympus']);
    // What the API stores for the same input today.
    expect(zones.slice(0, 4).map((z) => canonicalTimeZone(z))).toEqual(stored.slice(0, 4));
    const [c] = rowsOf<{ timezone: string }>(
      await ctx.database.db.execute(sql`select timezone from companies where workspace_id = ${ws.workspace.id}`),
    );
    expect(c?.timezone).toBe('Asia/Tokyo');

    // Again: nothing left to change.
    await run();
    expect(await slugOf(search)).toBe('search-3');
  });
});
