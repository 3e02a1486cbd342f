import { and, eq, sql } from 'drizzle-orm';
import { describe, expect, it, vi } from 'vitest';
import { bearer, useTestApp } from '../../../test/app.ts';
import { testEngines } from '../../../test/db.ts';
import { makeApiKey, makeWorkspace } from '../../../test/factories.ts';
import { events } from '../../db/schema/index.ts';
import { movedEventIdsShown } from './duplicates.repository.ts';

/**
 * A person can have any number of events (an integration updating them every hour for years). Merging them moves
 * every event, but the merge event names how many and only the first ids: it is one row, sent to every webhook.
 */
describe.each(testEngines())('merging a record with many events (%s)', (engine) => {
  const ctx = useTestApp(engine);

  it('counts the moved events and names only the first of them in person.merged', async () => {
    const ws = await makeWorkspace(ctx.services);
    const headers = bearer(await makeApiKey(ctx.services, ws));
    const make = async (firstName: string) => {
      const res = await ctx.app.inject({ method: 'POST', url: '/api/v1/people', headers, payload: { firstName } });
      expect(res.statusCode, res.body).toBe(201);
      return res.json<{ id: string }>().id;
    };
    const keep = await make('Ana');
    const gone = await make('Anna');
    await ctx.database.db.execute(sql`
      insert into events (workspace_id, id, type, subject_type, subject_id, person_id, actor_type, payload)
      select ${ws.workspace.id}, gen_random_uuid(), 'person.updated', 'person', ${gone}, ${gone}, 'system', '{}'::jsonb
        from generate_series(1, 1500)`);
    const before = await ctx.database.db
      .select({ id: events.id, seq: events.seq })
      .from(events)
      .where(and(eq(events.workspaceId, ws.workspace.id), eq(events.subjectId, gone)))
      .orderBy(events.seq);
    expect(before).toHaveLength(1501);

    // On PGlite, the largest number of rows one statement hands the app during the merge.
    let mostRows = 0;
    const pglite = ctx.database.pglite;
    const query = pglite?.query.bind(pglite);
    const spy =
      pglite && query
        ? vi.spyOn(pglite, 'query').mockImplementation(async (...args: Parameters<typeof query>) => {
            const result = await query(...args);
            mostRows = Math.max(mostRows, result.rows.length);
            return result;
          })
        : null;
    const merged = await ctx.app
      .inject({ method: 'POST', url: `/api/v1/people/${keep}/merge`, headers, payload: { otherId: gone } })
      .finally(() => spy?.mockRestore());
    expect(merged.statusCode, merged.body).toBe(200);
    // The events moved (subject and person_id) are counted in the database, not read one row each.
    if (pglite) expect(mostRows).toBeLessThan(100);
    const [event] = await ctx.database.db
      .select()
      .from(events)
      .where(and(eq(events.workspaceId, ws.workspace.id), eq(events.type, 'person.merged')));
    const moved = event?.payload.movedEvents as { from: string; to: string; count: number; ids: string[] };
    expect(moved).toMatchObject({ from: gone, to: keep, count: 1501 });
    expect(moved.ids).toEqual(before.slice(0, movedEventIdsShown).map((e) => e.id));
    // Every event moved all the same.
    const left = await ctx.database.db
      .select({ id: events.id })
      .from(events)
      .where(and(eq(events.workspaceId, ws.workspace.id), eq(events.subjectId, gone)));
    expect(left).toHaveLength(0);
  });
});
