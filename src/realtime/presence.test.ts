import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, testEngines } from '../../test/db.ts';
import { makeWorkspace } from '../../test/factories.ts';
import type { Database } from '../db/client.ts';
import { createServices } from '../services.ts';
import { AgentsOnline, PresenceTracker } from './presence.ts';

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
});
