/**
 * Keeping the metric roll-ups (src/db/schema/metrics.ts) up to date.
 *
 * - Incrementally: the `metrics.rollup` job reads each workspace's events after its cursor (`event_cursors`, consumer
 *   'metrics'), up to a seq no open transaction can still fill in (SafeSeqTracker, shared with the webhooks fan-out),
 *   collects the customers whose counted orders may have changed — the person of every `order.*` event, the one an
 *   order moved away from (`order.updated` changes.personId.from), people deleted, the survivor and the merged person
 *   of a merge — and recomputes those customers' rows from their orders, advancing the cursor in the same
 *   transaction. Recomputing from the orders (never adding deltas) makes a batch idempotent: processing an event
 *   twice, or late, leaves the same rows.
 * - From scratch: `rebuildMetricRollups` (`rapport metrics rebuild`) recomputes every row from the orders. A
 *   workspace the job has not seen yet (no cursor) is rebuilt by the job once, then followed by its events.
 * - The day totals (metric_days) follow the customer days: a refreshed customer's old rows are taken off them and
 *   the new ones added in the same transaction, so they always equal the sum of the customer days.
 */
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from '../../db/client.ts';
import { nilWorkspaceId } from '../../db/ids.ts';
import { defineJob, enqueueJob } from '../../jobs/queue.ts';
import { SafeSeqTracker } from '../webhooks/webhooks.delivery.ts';
import {
  analyzeRollups,
  createCursor,
  lockCursor,
  rebuildWorkspaceRollups,
  refreshCustomers,
  rollupEventsAfter,
  setCursor,
  workspacesBehind,
  type RollupEvent,
} from './metrics.repository.ts';

export const rollupJobName = 'metrics.rollup';

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The customers whose roll-up rows a batch of events may have changed. */
export function affectedPeople(evs: readonly RollupEvent[]): string[] {
  const out = new Set<string>();
  const add = (id: string | null) => {
    if (id && uuidPattern.test(id)) out.add(id.toLowerCase());
  };
  for (const e of evs) {
    add(e.personId);
    add(e.fromPerson);
    if (e.type === 'person.deleted' || e.type === 'person.merged') add(e.subjectId);
    add(e.mergedId);
  }
  return [...out];
}

export type RollupResult = { customers: number; events: number; rebuilt: number; safe: number | null };

/**
 * One pass over every workspace: new workspaces are rebuilt, the others catch up on their events in batches (one
 * transaction each, the cursor row locked so concurrent runners take turns).
 */
export async function processMetricEvents(
  db: Db,
  tracker: SafeSeqTracker,
  opts: { batchSize?: number } = {},
): Promise<RollupResult> {
  const batchSize = opts.batchSize ?? 1000;
  const result: RollupResult = { customers: 0, events: 0, rebuilt: 0, safe: null };
  const { safe } = await tracker.safeSeq(db);
  result.safe = safe;
  if (safe === null) return result;
  for (const w of await workspacesBehind(db, safe)) {
    if (w.lastSeq === null) {
      // Everything up to `safe` is committed, so a rebuild now sees it; later events follow from the cursor.
      const rebuilt = await db.transaction(async (tx) => {
        if (!(await createCursor(tx, w.workspaceId, safe))) return false;
        await rebuildWorkspaceRollups(tx, w.workspaceId);
        return true;
      });
      if (rebuilt) result.rebuilt++;
      continue;
    }
    for (;;) {
      const more = await db.transaction(async (tx) => {
        const last = await lockCursor(tx, w.workspaceId);
        if (last === null || last >= safe) return false;
        const evs = await rollupEventsAfter(tx, w.workspaceId, last, safe, batchSize);
        const people = affectedPeople(evs);
        await refreshCustomers(tx, w.workspaceId, people);
        const full = evs.length === batchSize;
        await setCursor(tx, w.workspaceId, full ? (evs[evs.length - 1]?.seq ?? safe) : safe);
        result.customers += people.length;
        result.events += evs.length;
        return full;
      });
      if (!more) break;
    }
  }
  return result;
}

/**
 * Recomputes the roll-ups from the orders: of one workspace, or of all. Each workspace in one transaction. The
 * job's cursor is left where it is (the events after it are applied again, which changes nothing).
 */
export async function rebuildMetricRollups(db: Db, workspaceId?: string): Promise<{ workspaces: number }> {
  const ids = workspaceId
    ? [workspaceId]
    : (
        (await db.execute(sql`select id from workspaces order by id`)) as unknown as { rows: Array<{ id: string }> }
      ).rows.map((r) => r.id);
  for (const id of ids)
    await db.transaction(async (tx) => {
      // The job's batches take the cursor row too: one never adds its totals to a rebuild's half-done ones.
      await lockCursor(tx, id);
      await rebuildWorkspaceRollups(tx, id);
    });
  await analyzeRollups(db);
  return { workspaces: ids.length };
}

/** Every minute, and again a second later while a pass found more than one batch of work. */
export const rollupCron = '* * * * *';

export function rollupJob(tracker = new SafeSeqTracker()) {
  return defineJob({
    name: rollupJobName,
    payload: z.object({}).passthrough(),
    maxAttempts: 3,
    backoff: { baseMs: 1_000, maxMs: 10_000 },
    handler: async (_p, ctx) => {
      const r = await processMetricEvents(ctx.db, tracker);
      if (r.safe === null)
        await enqueueJob(
          ctx.db,
          nilWorkspaceId,
          rollupJobName,
          {},
          { runAt: new Date(Date.now() + 1_000), singletonKey: `again:${Math.floor(Date.now() / 1000)}` },
        );
    },
  });
}
