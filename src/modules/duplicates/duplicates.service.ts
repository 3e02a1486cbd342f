import { and, eq, inArray } from 'drizzle-orm';
import type { Db, DbOrTx } from '../../db/client.ts';
import { companies, people } from '../../db/schema/index.ts';
import { buildSearchText, personDisplayName } from '../../domain/customers.ts';
import {
  currentConsent,
  orderedPair,
  resolveMerge,
  scoreCompanyPair,
  scorePersonPair,
  type DuplicateReason,
  type MergeSpec,
} from '../../domain/duplicates.ts';
import type { Actor } from '../../domain/permissions.ts';
import { AppError } from '../../errors.ts';
import { appendEvent } from '../../events/events.ts';
import { assertCan } from '../auth/access.ts';
import { findCompaniesByIds, peopleOfCompany, type CompanyRow } from '../companies/companies.repository.ts';
import { presentCompany } from '../companies/companies.schemas.ts';
import { listCustomFields } from '../fields/fields.repository.ts';
import {
  companiesOfPeople,
  findPeopleByIds,
  type PersonCompanyLink,
  type PersonRow,
} from '../people/people.repository.ts';
import { presentPerson } from '../people/people.schemas.ts';
import { actorRef } from '../people/people.service.ts';
import {
  allConsentRecords,
  companyCandidatePairs,
  insertDismissal,
  lockRows,
  moveCompanyLinks,
  moveConsentRecords,
  movePersonLinks,
  personCandidatePairs,
  referencingColumns,
  repoint,
  repointEvents,
  repointImportRows,
  repointSubject,
  subjectTables,
  type DuplicateEntity,
} from './duplicates.repository.ts';
import { decodePairCursor, encodePairCursor, type MergeInput } from './duplicates.schemas.ts';

export type DuplicatesService = ReturnType<typeof createDuplicatesService>;

type PairQuery = { limit?: number | undefined; cursor?: string | undefined; minScore?: number | undefined };

const personMergeSpec: MergeSpec = {
  firstName: 'scalar',
  lastName: 'scalar',
  emails: 'list',
  phones: 'list',
  address: 'object',
  language: 'scalar',
  timezone: 'scalar',
  ownerId: 'scalar',
  stage: 'scalar',
  source: 'scalar',
  externalId: 'scalar',
  tags: 'list',
};

const companyMergeSpec: MergeSpec = {
  name: 'scalar',
  domain: 'scalar',
  industry: 'scalar',
  size: 'scalar',
  emails: 'list',
  phones: 'list',
  address: 'object',
  language: 'scalar',
  timezone: 'scalar',
  ownerId: 'scalar',
  source: 'scalar',
  externalId: 'scalar',
  tags: 'list',
};

function cursorOf(q: PairQuery) {
  const c = decodePairCursor(q.cursor);
  if (c === 'invalid')
    throw new AppError('validation_failed', 'cursor: not a cursor of this list', {
      problems: [{ param: 'cursor', message: 'not a cursor of this list' }],
    });
  return c;
}

export function createDuplicatesService(deps: { db: Db }) {
  const { db } = deps;

  async function refreshPeopleSearch(tx: DbOrTx, workspaceId: string, ids: string[]): Promise<void> {
    if (!ids.length) return;
    const rows = await findPeopleByIds(tx, workspaceId, ids);
    const links = await companiesOfPeople(tx, workspaceId, ids);
    for (const p of rows) {
      const searchText = buildSearchText([
        p.displayName,
        p.emails,
        p.phones,
        p.tags,
        (links.get(p.id) ?? []).map((l) => l.name),
        p.externalId,
      ]);
      if (searchText !== p.searchText)
        await tx
          .update(people)
          .set({ searchText })
          .where(and(eq(people.workspaceId, workspaceId), eq(people.id, p.id)));
    }
  }

  /** Every other table that points at the record: moved to the survivor; returns counts by table.column. */
  async function moveReferences(
    tx: DbOrTx,
    workspaceId: string,
    entity: DuplicateEntity,
    from: string,
    to: string,
  ): Promise<Record<string, number>> {
    const moved: Record<string, number> = {};
    for (const { table, column } of await referencingColumns(tx, entity)) {
      const n = await repoint(tx, workspaceId, table, column, from, to);
      if (n) moved[`${table}.${column}`] = n;
    }
    for (const table of await subjectTables(tx)) {
      const n = await repointSubject(tx, workspaceId, table, entity, from, to);
      if (n) moved[table] = n;
    }
    const n = await repointImportRows(tx, workspaceId, entity, from, to);
    if (n) moved['import_rows.record_id'] = n;
    return moved;
  }

  async function dismiss(actor: Actor, entity: DuplicateEntity, ids: string[]): Promise<void> {
    assertCan(actor, 'customers:write');
    const [a, b] = orderedPair(ids[0] ?? '', ids[1] ?? '');
    if (a === b) throw new AppError('bad_request', 'A record cannot be a duplicate of itself');
    await db.transaction(async (tx) => {
      const found =
        entity === 'person'
          ? await findPeopleByIds(tx, actor.workspaceId, [a, b])
          : await findCompaniesByIds(tx, actor.workspaceId, [a, b]);
      for (const id of [a, b])
        if (!found.some((f) => f.id === id)) throw AppError.notFound(entity === 'person' ? 'Person' : 'Company', id);
      if (
        await insertDismissal(tx, {
          workspaceId: actor.workspaceId,
          entity,
          aId: a,
          bId: b,
          dismissedBy: actorRef(actor),
        })
      )
        await appendEvent(tx, actor, {
          type: `${entity}.duplicate_dismissed`,
          subjectType: entity,
          subjectId: a,
          payload: { otherId: b },
        });
    });
  }

  const service = {
    async personPairs(actor: Actor, q: PairQuery & { personId?: string | undefined }) {
      assertCan(actor, 'customers:read');
      const limit = q.limit ?? 50;
      const pairs = await personCandidatePairs(db, actor.workspaceId, {
        after: cursorOf(q),
        limit: limit + 1,
        personId: q.personId,
      });
      const looked = pairs.slice(0, limit);
      const ids = [...new Set(looked.flatMap((p) => [p.aId, p.bId]))];
      const rows = new Map((await findPeopleByIds(db, actor.workspaceId, ids)).map((r) => [r.id, r]));
      const links = await companiesOfPeople(db, actor.workspaceId, ids);
      const data: Array<{
        a: PersonRow;
        b: PersonRow;
        aLinks: PersonCompanyLink[];
        bLinks: PersonCompanyLink[];
        score: number;
        reasons: DuplicateReason[];
      }> = [];
      for (const p of looked) {
        const [aId, bId] = orderedPair(p.aId, p.bId);
        const a = rows.get(aId);
        const b = rows.get(bId);
        if (!a || !b) continue;
        const aLinks = links.get(a.id) ?? [];
        const bLinks = links.get(b.id) ?? [];
        const s = scorePersonPair(
          { ...a, companyIds: aLinks.map((l) => l.companyId) },
          { ...b, companyIds: bLinks.map((l) => l.companyId) },
        );
        if (s.score > 0 && s.score >= (q.minScore ?? 0)) data.push({ a, b, aLinks, bLinks, ...s });
      }
      if (q.personId) data.sort((x, y) => y.score - x.score);
      const last = looked[looked.length - 1];
      return {
        data,
        nextCursor: pairs.length > limit && last && !q.personId ? encodePairCursor({ a: last.aId, b: last.bId }) : null,
        limit,
      };
    },

    async companyPairs(actor: Actor, q: PairQuery & { companyId?: string | undefined }) {
      assertCan(actor, 'customers:read');
      const limit = q.limit ?? 50;
      const pairs = await companyCandidatePairs(db, actor.workspaceId, {
        after: cursorOf(q),
        limit: limit + 1,
        companyId: q.companyId,
      });
      const looked = pairs.slice(0, limit);
      const ids = [...new Set(looked.flatMap((p) => [p.aId, p.bId]))];
      const rows = new Map((await findCompaniesByIds(db, actor.workspaceId, ids)).map((r) => [r.id, r]));
      const data: Array<{ a: CompanyRow; b: CompanyRow; score: number; reasons: DuplicateReason[] }> = [];
      for (const p of looked) {
        const [aId, bId] = orderedPair(p.aId, p.bId);
        const a = rows.get(aId);
        const b = rows.get(bId);
        if (!a || !b) continue;
        const s = scoreCompanyPair(a, b);
        if (s.score > 0 && s.score >= (q.minScore ?? 0)) data.push({ a, b, ...s });
      }
      if (q.companyId) data.sort((x, y) => y.score - x.score);
      const last = looked[looked.length - 1];
      return {
        data,
        nextCursor:
          pairs.length > limit && last && !q.companyId ? encodePairCursor({ a: last.aId, b: last.bId }) : null,
        limit,
      };
    },

    dismissPeople: (actor: Actor, ids: string[]) => dismiss(actor, 'person', ids),
    dismissCompanies: (actor: Actor, ids: string[]) => dismiss(actor, 'company', ids),

    /**
     * Merges `otherId` into `id` in one transaction: field values by choice, every relation and event moved to the
     * survivor, the consent ledger combined and the current consent recomputed, the other record deleted, and a
     * `person.merged` event (with the other's snapshot and the moved event ids) on the survivor.
     */
    async mergePeople(actor: Actor, id: string, input: MergeInput) {
      assertCan(actor, 'customers:write');
      if (id === input.otherId) throw new AppError('bad_request', 'A person cannot be merged with itself');
      const ws = actor.workspaceId;
      return db.transaction(async (tx) => {
        await lockRows(tx, people, ws, [id, input.otherId]);
        const found = await findPeopleByIds(tx, ws, [id, input.otherId]);
        const self = found.find((p) => p.id === id);
        const other = found.find((p) => p.id === input.otherId);
        if (!self) throw AppError.notFound('Person', id);
        if (!other) throw AppError.notFound('Person', input.otherId);
        const defs = await listCustomFields(tx, ws, 'person');
        const r = resolveMerge(
          self,
          other,
          personMergeSpec,
          input.fields ?? {},
          defs.map((d) => d.key),
        );
        if (r.problems.length)
          throw new AppError('validation_failed', `${r.problems[0]?.field}: ${r.problems[0]?.message}`, {
            problems: r.problems,
          });
        const otherLinks = (await companiesOfPeople(tx, ws, [other.id])).get(other.id) ?? [];
        const snapshot = presentPerson(other, otherLinks);

        const moved: Record<string, number> = {};
        moved.person_companies = await movePersonLinks(tx, ws, other.id, self.id);
        moved.consent_records = await moveConsentRecords(tx, ws, other.id, self.id);
        Object.assign(moved, await moveReferences(tx, ws, 'person', other.id, self.id));
        const movedEvents = await repointEvents(tx, ws, 'person', { id: other.id, name: other.displayName }, self.id);
        const ledger = await allConsentRecords(tx, ws, self.id);

        await tx.delete(people).where(and(eq(people.workspaceId, ws), eq(people.id, other.id)));
        const v = r.values as Partial<PersonRow>;
        const emails = (v.emails ?? []) as string[];
        await tx
          .update(people)
          .set({
            ...v,
            custom: r.custom,
            displayName: personDisplayName(v.firstName, v.lastName, emails),
            consent: currentConsent(ledger),
            ...(r.applied.stage === 'other' ? { stageChangedAt: other.stageChangedAt } : {}),
            updatedBy: actorRef(actor),
            updatedAt: new Date(),
          })
          .where(and(eq(people.workspaceId, ws), eq(people.id, self.id)));
        await refreshPeopleSearch(tx, ws, [self.id]);
        await appendEvent(tx, actor, {
          type: 'person.merged',
          subjectType: 'person',
          subjectId: self.id,
          payload: {
            mergedId: other.id,
            merged: snapshot,
            choices: r.applied,
            movedEvents: { from: other.id, to: self.id, ...movedEvents },
            moved,
          },
        });
        const [row] = await findPeopleByIds(tx, ws, [self.id]);
        if (!row) throw new Error('survivor vanished');
        return { person: row, companies: (await companiesOfPeople(tx, ws, [self.id])).get(self.id) ?? [] };
      });
    },

    /** Merges two companies the same way: people links move (one per person), then `company.merged`. */
    async mergeCompanies(actor: Actor, id: string, input: MergeInput) {
      assertCan(actor, 'customers:write');
      if (id === input.otherId) throw new AppError('bad_request', 'A company cannot be merged with itself');
      const ws = actor.workspaceId;
      return db.transaction(async (tx) => {
        await lockRows(tx, companies, ws, [id, input.otherId]);
        const found = await findCompaniesByIds(tx, ws, [id, input.otherId]);
        const self = found.find((c) => c.id === id);
        const other = found.find((c) => c.id === input.otherId);
        if (!self) throw AppError.notFound('Company', id);
        if (!other) throw AppError.notFound('Company', input.otherId);
        const defs = await listCustomFields(tx, ws, 'company');
        const r = resolveMerge(
          self,
          other,
          companyMergeSpec,
          input.fields ?? {},
          defs.map((d) => d.key),
        );
        if (r.problems.length)
          throw new AppError('validation_failed', `${r.problems[0]?.field}: ${r.problems[0]?.message}`, {
            problems: r.problems,
          });
        const snapshot = presentCompany(other, await peopleOfCompany(tx, ws, other.id));
        const moved: Record<string, number> = {};
        moved.person_companies = await moveCompanyLinks(tx, ws, other.id, self.id);
        Object.assign(moved, await moveReferences(tx, ws, 'company', other.id, self.id));
        const movedEvents = await repointEvents(tx, ws, 'company', { id: other.id, name: other.name }, self.id);

        await tx.delete(companies).where(and(eq(companies.workspaceId, ws), eq(companies.id, other.id)));
        const v = r.values as Partial<CompanyRow>;
        const searchText = buildSearchText([
          v.name ?? self.name,
          v.domain,
          v.emails ?? [],
          v.phones ?? [],
          v.tags ?? [],
          v.externalId,
        ]);
        await tx
          .update(companies)
          .set({
            ...v,
            name: v.name ?? self.name,
            custom: r.custom,
            searchText,
            updatedBy: actorRef(actor),
            updatedAt: new Date(),
          })
          .where(and(eq(companies.workspaceId, ws), eq(companies.id, self.id)));
        const linked = (await peopleOfCompany(tx, ws, self.id)).map((l) => l.personId);
        await refreshPeopleSearch(tx, ws, linked);
        await appendEvent(tx, actor, {
          type: 'company.merged',
          subjectType: 'company',
          subjectId: self.id,
          payload: {
            mergedId: other.id,
            merged: snapshot,
            choices: r.applied,
            movedEvents: { from: other.id, to: self.id, ...movedEvents },
            moved,
          },
        });
        const [row] = await tx
          .select()
          .from(companies)
          .where(and(eq(companies.workspaceId, ws), inArray(companies.id, [self.id])));
        if (!row) throw new Error('survivor vanished');
        return { company: row, people: await peopleOfCompany(tx, ws, self.id) };
      });
    },
  };
  return service;
}
