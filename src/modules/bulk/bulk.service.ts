import { and, asc, eq, gt, inArray, sql, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import type { Db, DbOrTx } from '../../db/client.ts';
import { companies, people } from '../../db/schema/index.ts';
import { listClauses, type ListColumns } from '../../db/list.ts';
import { buildSearchText, daysInStage, normaliseTags } from '../../domain/customers.ts';
import { parseListQuery } from '../../domain/list-query.ts';
import { isPermission, isRole, type Actor, type Permission } from '../../domain/permissions.ts';
import { AppError } from '../../errors.ts';
import { appendEvent } from '../../events/events.ts';
import { enqueueJob } from '../../jobs/queue.ts';
import { assertCan } from '../auth/access.ts';
import type { CompaniesService } from '../companies/companies.service.ts';
import { companyListColumns, type CompanyRow } from '../companies/companies.repository.ts';
import { listCustomFields } from '../fields/fields.repository.ts';
import { setJobProgress } from '../jobs/jobs.repository.ts';
import { companiesOfPeople, personListColumns, type PersonRow } from '../people/people.repository.ts';
import { actorRef, searchFilter, workspaceStages, type PeopleService } from '../people/people.service.ts';
import { findUser } from '../users/users.repository.ts';
import type { BulkInput, BulkProgress } from './bulk.schemas.ts';

/** Selections up to this size run in the request; larger ones become a job (GET /api/v1/jobs/{id}). */
export const bulkInlineLimit = 500;
/** Records per transaction. */
export const bulkBatchSize = 200;
export const bulkJobName = 'customers.bulk';

export type BulkEntity = 'person' | 'company';

/** The job's payload: what to do, and who asked (the events of the run are theirs). */
export const bulkJobPayload = z.object({
  entity: z.enum(['person', 'company']),
  input: z.object({
    selection: z.object({
      ids: z.array(z.string()).optional(),
      filter: z.union([z.string(), z.array(z.string())]).optional(),
      q: z.string().optional(),
      all: z.literal(true).optional(),
    }),
    action: z.enum(['tag', 'untag', 'set_owner', 'set_stage', 'delete']),
    value: z.string().nullish(),
    reason: z.string().optional(),
  }),
  total: z.number().int(),
  actor: z.object({
    workspaceId: z.string(),
    kind: z.enum(['user', 'apikey', 'system']),
    userId: z.string().nullable(),
    apiKeyId: z.string().nullable(),
    role: z.string(),
    permissions: z.array(z.string()),
  }),
});
export type BulkJobPayload = z.infer<typeof bulkJobPayload>;

export function actorToJson(a: Actor): BulkJobPayload['actor'] {
  return { ...a, permissions: [...a.permissions] };
}

export function actorFromJson(a: BulkJobPayload['actor']): Actor {
  return {
    ...a,
    role: isRole(a.role) ? a.role : 'viewer',
    permissions: new Set(a.permissions.filter((p): p is Permission => isPermission(p))),
  };
}

export type BulkService = ReturnType<typeof createBulkService>;

export function createBulkService(deps: { db: Db; people: PeopleService; companies: CompaniesService }) {
  const { db } = deps;

  /** The selection's WHERE (without paging), checked like the list checks its parameters. */
  async function selectionWhere(actor: Actor, entity: BulkEntity, input: BulkInput): Promise<SQL[]> {
    const ws = actor.workspaceId;
    const table = entity === 'person' ? people : companies;
    const conds: SQL[] = [eq(table.workspaceId, ws)];
    const sel = input.selection;
    if (sel.ids) {
      conds.push(inArray(table.id, sel.ids));
      return conds;
    }
    let cols: ListColumns;
    if (entity === 'person') {
      const [defs, stages] = await Promise.all([listCustomFields(db, ws, 'person'), workspaceStages(db, ws)]);
      cols = personListColumns(
        defs,
        stages.map((s) => s.key),
        ws,
      );
    } else cols = companyListColumns(await listCustomFields(db, ws, 'company'));
    const q = parseListQuery({ filter: sel.filter }, cols.specs, { field: 'created_at', direction: 'desc' });
    conds.push(...listClauses(cols, q).where);
    if (sel.q?.trim()) conds.push(await searchFilter(db, ws, entity, table, sel.q));
    return conds;
  }

  async function checkValue(actor: Actor, entity: BulkEntity, input: BulkInput): Promise<string | null> {
    const problem = (message: string) =>
      new AppError('validation_failed', `value: ${message}`, { problems: [{ field: 'value', message }] });
    const v = input.value ?? null;
    switch (input.action) {
      case 'tag':
      case 'untag': {
        const [tag] = normaliseTags([v ?? '']);
        if (!tag) throw problem('give the tag');
        return tag;
      }
      case 'set_owner':
        if (v !== null && !(/^[0-9a-f-]{36}$/i.test(v) && (await findUser(db, actor.workspaceId, v))))
          throw problem('no user with this id in the workspace');
        return v;
      case 'set_stage': {
        if (entity !== 'person') throw problem('companies have no stage');
        const stages = await workspaceStages(db, actor.workspaceId);
        if (!v || !stages.some((s) => s.key === v)) throw problem(`use one of ${stages.map((s) => s.key).join(', ')}`);
        return v;
      }
      case 'delete':
        return null;
    }
  }

  async function countSelection(where: SQL[], entity: BulkEntity): Promise<number> {
    const table = entity === 'person' ? people : companies;
    const [r] = await db
      .select({ n: sql<number>`count(*)::int` })
      .from(table)
      .where(and(...where));
    return r?.n ?? 0;
  }

  async function nextBatch(
    tx: DbOrTx,
    entity: BulkEntity,
    where: SQL[],
    after: string | null,
    lock: boolean,
  ): Promise<Array<PersonRow | CompanyRow>> {
    const table = entity === 'person' ? people : companies;
    const q = tx
      .select()
      .from(table)
      .where(and(...where, after ? gt(table.id, after) : undefined))
      .orderBy(asc(table.id))
      .limit(bulkBatchSize);
    return lock ? q.for('update') : q;
  }

  /** One batch of tag/untag/set_owner/set_stage, in the caller's transaction, with an event per changed record. */
  async function applyToBatch(
    tx: DbOrTx,
    actor: Actor,
    entity: BulkEntity,
    input: BulkInput,
    value: string | null,
    rows: Array<PersonRow | CompanyRow>,
  ): Promise<number> {
    const ws = actor.workspaceId;
    const ref = actorRef(actor);
    const links =
      entity === 'person'
        ? await companiesOfPeople(
            tx,
            ws,
            rows.map((r) => r.id),
          )
        : null;
    let changed = 0;
    for (const row of rows) {
      const set: Record<string, unknown> = {};
      const changes: Record<string, { from: unknown; to: unknown }> = {};
      if (input.action === 'tag' || input.action === 'untag') {
        const has = row.tags.includes(value ?? '');
        if (input.action === 'tag' ? has : !has) continue;
        const tags = input.action === 'tag' ? [...row.tags, value ?? ''] : row.tags.filter((t) => t !== value);
        set.tags = tags;
        changes.tags = { from: row.tags, to: tags };
      } else if (input.action === 'set_owner') {
        if (row.ownerId === value) continue;
        set.ownerId = value;
        changes.ownerId = { from: row.ownerId, to: value };
      } else if (input.action === 'set_stage' && 'stage' in row) {
        if (row.stage === value) continue;
        set.stage = value;
        set.stageChangedAt = new Date();
      } else continue;
      if (set.tags) {
        const tags = set.tags as string[];
        set.searchText =
          'stage' in row
            ? buildSearchText([
                row.displayName,
                row.emails,
                row.phones,
                tags,
                (links?.get(row.id) ?? []).map((l) => l.name),
                row.externalId,
              ])
            : buildSearchText([row.name, row.domain, row.emails, row.phones, tags, row.externalId]);
      }
      const table = entity === 'person' ? people : companies;
      await tx
        .update(table)
        .set({ ...set, updatedBy: ref, updatedAt: new Date() })
        .where(and(eq(table.workspaceId, ws), eq(table.id, row.id)));
      if (input.action === 'set_stage' && 'stage' in row)
        await appendEvent(tx, actor, {
          type: 'person.stage_changed',
          subjectType: 'person',
          subjectId: row.id,
          payload: {
            from: row.stage,
            to: value,
            reason: input.reason ?? null,
            daysInPreviousStage: daysInStage(row.stageChangedAt),
            bulk: true,
          },
        });
      else
        await appendEvent(tx, actor, {
          type: `${entity}.updated`,
          subjectType: entity,
          subjectId: row.id,
          payload: { changes, bulk: true },
        });
      changed++;
    }
    return changed;
  }

  const service = {
    /**
     * Applies an action to every record of a selection. Small selections run now (one transaction per batch of
     * 200, an event per changed record); larger ones are queued as a job whose progress GET /api/v1/jobs/{id} shows.
     */
    async start(actor: Actor, entity: BulkEntity, input: BulkInput) {
      assertCan(actor, 'customers:write');
      const where = await selectionWhere(actor, entity, input);
      await checkValue(actor, entity, input);
      const matched = await countSelection(where, entity);
      if (matched <= bulkInlineLimit) {
        const p = await service.execute(actor, entity, input);
        return { status: 'done' as const, jobId: null, matched, changed: p.changed, unchanged: p.unchanged };
      }
      const jobId = await db.transaction(async (tx) => {
        const id = await enqueueJob(
          tx,
          actor.workspaceId,
          bulkJobName,
          { entity, input, total: matched, actor: actorToJson(actor) } satisfies BulkJobPayload,
          { maxAttempts: 3 },
        );
        if (!id) throw new Error('bulk job was not enqueued');
        await setJobProgress(tx, actor.workspaceId, id, { total: matched, done: 0, changed: 0, unchanged: 0 });
        await appendEvent(tx, actor, {
          type: `${entity}.bulk_queued`,
          subjectType: 'job',
          subjectId: id,
          payload: { action: input.action, value: input.value ?? null, matched },
        });
        return id;
      });
      return { status: 'queued' as const, jobId, matched, changed: 0, unchanged: 0 };
    },

    /** Runs the action over the whole selection, batch by batch (keyset on id, so changed rows are not seen twice). */
    async execute(
      actor: Actor,
      entity: BulkEntity,
      input: BulkInput,
      onProgress?: (p: BulkProgress) => Promise<void>,
      total?: number,
    ): Promise<BulkProgress> {
      assertCan(actor, 'customers:write');
      const where = await selectionWhere(actor, entity, input);
      const value = await checkValue(actor, entity, input);
      const progress: BulkProgress = { total: total ?? 0, done: 0, changed: 0, unchanged: 0 };
      let after: string | null = null;
      for (;;) {
        let size: number;
        if (input.action === 'delete') {
          const rows = await nextBatch(db, entity, where, after, false);
          size = rows.length;
          if (!size) break;
          const ids = rows.map((r) => r.id);
          const deleted =
            entity === 'person' ? await deps.people.remove(actor, ids) : await deps.companies.remove(actor, ids);
          progress.changed += deleted.length;
          progress.unchanged += size - deleted.length;
          after = ids[ids.length - 1] ?? null;
        } else {
          const r: { size: number; changed: number; last: string | null } = await db.transaction(async (tx) => {
            const rows = await nextBatch(tx, entity, where, after, true);
            if (!rows.length) return { size: 0, changed: 0, last: null };
            const changed = await applyToBatch(tx, actor, entity, input, value, rows);
            return { size: rows.length, changed, last: rows[rows.length - 1]?.id ?? null };
          });
          size = r.size;
          if (!size) break;
          progress.changed += r.changed;
          progress.unchanged += size - r.changed;
          after = r.last;
        }
        progress.done += size;
        if (progress.done > progress.total) progress.total = progress.done;
        if (onProgress) await onProgress({ ...progress });
        if (size < bulkBatchSize) break;
      }
      return progress;
    },
  };
  return service;
}
