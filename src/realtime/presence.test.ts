import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, testEngines } from '../../test/db.ts';
import { makeWorkspace } from '../../test/factories.ts';
import type { Database } from '../db/client.ts';
import { createServices } from '../services.ts';
import { realtimePresence } from '../db/schema/index.ts';
import { AgentsOnline, isOnline, PresenceTracker } from './presence.ts';

describe.each(testEngines())('agent presence shared by visitor sockets (%s)', (engine) => {
  let database: Database;
  let workspaceId: string;
  let otherWorkspaceId: string;
  let tracker: PresenceTracker;

  beforeAll(async () => {
    database = await createTestDatabase(engine);
    const services = createServices(database.db);
    workspaceId = (await makeWorkspace(services)).workspace.id;
    otherWorkspaceId = (await makeWorkspace(services)).workspace.id;
    tracker = new PresenceTracker(database.db);
  });

  afterAll(async () => {
    await tracker?.close();
    await database?.close();
  });

  it('answers every socket asking within the age limit with one query, and re-reads after a presence event', async () => {
    const shared = new AgentsOnline(database.db, 60_000);
    const first = shared.get(workspaceId);
    expect(shared.get(workspaceId)).toBe(first);
    expect(await first.online).toBe(false);

    // An agent comes online: the cached answer is still the old one for plain askers…
    await tracker.join(workspaceId, 'agent', 'agent-1');
    const mark = shared.mark();
    expect(await shared.get(workspaceId).online).toBe(false);
    // …but sockets told of the event get a fresh answer, one query for all of them.
    const fresh = shared.get(workspaceId, mark);
    expect(fresh).not.toBe(first);
    expect(shared.get(workspaceId, mark)).toBe(fresh);
    expect(await fresh.online).toBe(true);
    expect(fresh.seq).toBeGreaterThan(first.seq);
    // Workspaces do not share answers.
    expect(await shared.get(otherWorkspaceId).online).toBe(false);

    await tracker.leave(workspaceId, 'agent', 'agent-1');
    const left = shared.mark();
    expect(await shared.get(workspaceId, left).online).toBe(false);
  });

  it('re-reads once the answer is older than the age limit', async () => {
    const shared = new AgentsOnline(database.db, 30);
    expect(await shared.get(workspaceId).online).toBe(false);
    await tracker.join(workspaceId, 'agent', 'agent-2');
    await new Promise((r) => setTimeout(r, 60));
    expect(await shared.get(workspaceId).online).toBe(true);
    await tracker.leave(workspaceId, 'agent', 'agent-2');
  });

  it('keeps a row while a socket is open when sockets of one key come and go at once', async () => {
    // A socket closing while the next for the same key opens (a console reconnecting): its delete must not land after
    // the newcomer's insert. On PostgreSQL the statements would otherwise race on separate pool connections.
    for (let i = 0; i < 25; i++) {
      const results = await Promise.all([
        tracker.join(workspaceId, 'agent', 'flapping'),
        tracker.leave(workspaceId, 'agent', 'flapping'),
        tracker.join(workspaceId, 'agent', 'flapping'),
      ]);
      expect(results).toEqual([true, true, true]);
      expect(await isOnline(database.db, workspaceId, 'agent', 'flapping')).toBe(true);
      expect(await tracker.leave(workspaceId, 'agent', 'flapping')).toBe(true);
      expect(await isOnline(database.db, workspaceId, 'agent', 'flapping')).toBe(false);
    }
    // A second socket of the key neither writes a new state nor removes the row when one of the two closes.
    expect(await tracker.join(workspaceId, 'visitor', 'conv-1')).toBe(true);
    expect(await tracker.join(workspaceId, 'visitor', 'conv-1')).toBe(false);
    expect(await tracker.leave(workspaceId, 'visitor', 'conv-1')).toBe(false);
    expect(await isOnline(database.db, workspaceId, 'visitor', 'conv-1')).toBe(true);
    expect(await tracker.leave(workspaceId, 'visitor', 'conv-1')).toBe(true);
    expect(await tracker.leave(workspaceId, 'visitor', 'conv-1')).toBe(false);
  });

  it('the heartbeat restores a missing row of an open socket, drops a stray one and sweeps lapsed rows', async () => {
    const rowsOf = async (instanceId: string) =>
      (await database.db.select().from(realtimePresence).where(eq(realtimePresence.instanceId, instanceId)))
        .map((r) => `${r.kind}:${r.key}`)
        .sort();
    const own = new PresenceTracker(database.db);
    try {
      await own.join(workspaceId, 'agent', 'hb-agent');
      await own.join(otherWorkspaceId, 'visitor', 'hb-visitor');
      // Lost behind the tracker's back (another instance's sweep while this one was paused), and a stray row.
      await database.db
        .delete(realtimePresence)
        .where(and(eq(realtimePresence.instanceId, own.instanceId), eq(realtimePresence.key, 'hb-agent')));
      await database.db.insert(realtimePresence).values({
        workspaceId,
        kind: 'visitor',
        key: 'stray',
        instanceId: own.instanceId,
        expiresAt: new Date(Date.now() + 60_000),
      });
      // Another instance's row that lapsed.
      await database.db.insert(realtimePresence).values({
        workspaceId,
        kind: 'agent',
        key: 'lapsed',
        instanceId: 'crashed-instance',
        expiresAt: new Date(Date.now() - 1000),
      });
      expect(await rowsOf(own.instanceId)).toEqual(['visitor:hb-visitor', 'visitor:stray']);
      await own.heartbeat();
      expect(await rowsOf(own.instanceId)).toEqual(['agent:hb-agent', 'visitor:hb-visitor']);
      expect(await rowsOf('crashed-instance')).toEqual([]);
    } finally {
      await own.close();
    }
    expect(await rowsOf(own.instanceId)).toEqual([]);
  });
});
