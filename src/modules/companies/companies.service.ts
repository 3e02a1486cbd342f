import { and, eq } from 'drizzle-orm';
import type { Db, DbOrTx } from '../../db/client.ts';
import { newId } from '../../db/ids.ts';
import { companies, people } from '../../db/schema/index.ts';
import { AppError } from '../../errors.ts';
import { appendEvent, listEvents } from '../../events/events.ts';
import { buildSearchText, diffFields, normaliseDomain, type FieldProblem } from '../../domain/customers.ts';
import { parseListQuery } from '../../domain/list-query.ts';
import type { Actor } from '../../domain/permissions.ts';
import { assertCan } from '../auth/access.ts';
import { listCustomFields } from '../fields/fields.repository.ts';
import { checkedExternalId, normaliseSharedFields } from '../fields/record-fields.ts';
import { actorRef, searchFilter, withSearchPlan } from '../people/people.service.ts';
import { companiesOfPeople, findPeopleByIds } from '../people/people.repository.ts';
import { refreshPersonSearchText } from '../people/resolve-person.ts';
import {
  companyListColumns,
  deleteCompanies,
  findCompaniesByIds,
  findCompany,
  findCompanyByExternalId,
  insertCompany,
  listCompanies,
  peopleOfCompany,
  updateCompany,
  type CompanyInsert,
  type CompanyRow,
} from './companies.repository.ts';
import type { CompanyInput } from './companies.schemas.ts';

export { normaliseDomain };

export type CompaniesService = ReturnType<typeof createCompaniesService>;

export function createCompaniesService(deps: { db: Db }) {
  const { db } = deps;

  async function mustFind(tx: DbOrTx, actor: Actor, id: string, lock = false): Promise<CompanyRow> {
    const c = await findCompany(tx, actor.workspaceId, id, { lock });
    if (!c) throw AppError.notFound('Company', id);
    return c;
  }

  async function toColumns(
    tx: DbOrTx,
    actor: Actor,
    input: CompanyInput,
    existing: CompanyRow | null,
  ): Promise<Partial<CompanyInsert>> {
    const problems: FieldProblem[] = [];
    const out: Partial<CompanyInsert> = {};
    if (input.name !== undefined) out.name = input.name;
    if (!existing && !input.name) problems.push({ field: 'name', message: 'a company needs a name' });
    if (existing && input.name !== undefined && !input.name)
      problems.push({ field: 'name', message: 'must not be empty' });
    if (input.domain !== undefined) {
      const d = input.domain ? normaliseDomain(input.domain) : null;
      if (input.domain && !d)
        problems.push({ field: 'domain', message: `"${input.domain}" is not a web domain like acme.com` });
      out.domain = d;
    }
    if (input.industry !== undefined) out.industry = input.industry || null;
    if (input.size !== undefined) out.size = input.size || null;
    Object.assign(
      out,
      await normaliseSharedFields(tx, actor, 'company', input, existing, findCompanyByExternalId, problems),
    );
    if (problems.length) {
      const first = problems[0];
      throw new AppError('validation_failed', first ? `${first.field}: ${first.message}` : 'The company is not valid', {
        problems,
      });
    }
    return out;
  }

  function searchTextOf(c: CompanyRow): string {
    return buildSearchText([c.name, c.domain, c.emails, c.phones, c.tags, c.externalId]);
  }

  /** People's search text includes their companies' names: refresh it for everyone at a renamed company. */
  async function refreshPeopleSearch(tx: DbOrTx, workspaceId: string, companyId: string): Promise<void> {
    const linked = await peopleOfCompany(tx, workspaceId, companyId);
    if (!linked.length) return;
    const map = await companiesOfPeople(
      tx,
      workspaceId,
      linked.map((l) => l.personId),
    );
    for (const l of linked) {
      const [p] = await tx
        .select()
        .from(people)
        .where(and(eq(people.workspaceId, workspaceId), eq(people.id, l.personId)));
      if (!p) continue;
      const searchText = buildSearchText([
        p.displayName,
        p.emails,
        p.phones,
        p.tags,
        (map.get(p.id) ?? []).map((c) => c.name),
        p.externalId,
      ]);
      await tx
        .update(people)
        .set({ searchText })
        .where(and(eq(people.workspaceId, workspaceId), eq(people.id, p.id)));
    }
  }

  const service = {
    async list(
      actor: Actor,
      params: {
        limit?: number | undefined;
        cursor?: string | undefined;
        sort?: string | undefined;
        filter?: string | string[] | undefined;
        q?: string | undefined;
      },
    ) {
      assertCan(actor, 'customers:read');
      const cols = companyListColumns(await listCustomFields(db, actor.workspaceId, 'company'));
      const q = parseListQuery(params, cols.specs, { field: 'name', direction: 'asc' });
      const extra = params.q?.trim() ? [await searchFilter(db, actor.workspaceId, 'company', companies, params.q)] : [];
      const page = await withSearchPlan(db, params.q, (tx) => listCompanies(tx, actor.workspaceId, cols, q, extra));
      return { rows: page.rows, nextCursor: page.nextCursor, limit: q.limit };
    },

    async get(actor: Actor, id: string) {
      assertCan(actor, 'customers:read');
      const c = await mustFind(db, actor, id);
      return { company: c, people: await peopleOfCompany(db, actor.workspaceId, id) };
    },

    async create(actor: Actor, input: CompanyInput, opts: { tx?: DbOrTx } = {}): Promise<CompanyRow> {
      assertCan(actor, 'customers:write');
      const run = async (tx: DbOrTx) => {
        const cols = await toColumns(tx, actor, input, null);
        const ref = actorRef(actor);
        const id = newId();
        let row = await insertCompany(tx, {
          ...cols,
          name: cols.name ?? '',
          workspaceId: actor.workspaceId,
          id,
          createdBy: ref,
          updatedBy: ref,
        });
        row = (await updateCompany(tx, actor.workspaceId, id, { searchText: searchTextOf(row) })) ?? row;
        await appendEvent(tx, actor, {
          type: 'company.created',
          subjectType: 'company',
          subjectId: id,
          payload: { name: row.name, domain: row.domain },
        });
        return row;
      };
      return checkedExternalId('company', opts.tx ? run(opts.tx) : db.transaction(run));
    },

    async update(actor: Actor, id: string, input: CompanyInput, opts: { tx?: DbOrTx } = {}): Promise<CompanyRow> {
      assertCan(actor, 'customers:write');
      const run = async (tx: DbOrTx) => {
        // Locked: custom values merge into what is read here, so two updates at once would each write back the
        // other's old values.
        const before = await mustFind(tx, actor, id, true);
        const cols = await toColumns(tx, actor, input, before);
        const changes = diffFields({ ...before }, { ...cols });
        let row = await updateCompany(tx, actor.workspaceId, id, { ...cols, updatedBy: actorRef(actor) });
        if (!row) throw AppError.notFound('Company', id);
        row = (await updateCompany(tx, actor.workspaceId, id, { searchText: searchTextOf(row) })) ?? row;
        if (changes.name) await refreshPeopleSearch(tx, actor.workspaceId, id);
        if (Object.keys(changes).length)
          await appendEvent(tx, actor, {
            type: 'company.updated',
            subjectType: 'company',
            subjectId: id,
            payload: { changes },
          });
        return row;
      };
      return checkedExternalId('company', opts.tx ? run(opts.tx) : db.transaction(run));
    },

    async remove(actor: Actor, ids: string[]): Promise<string[]> {
      assertCan(actor, 'customers:write');
      return db.transaction(async (tx) => {
        const rows = await findCompaniesByIds(tx, actor.workspaceId, ids);
        const linked = new Map<string, string[]>();
        for (const r of rows)
          linked.set(
            r.id,
            (await peopleOfCompany(tx, actor.workspaceId, r.id)).map((l) => l.personId),
          );
        const deleted = await deleteCompanies(
          tx,
          actor.workspaceId,
          rows.map((r) => r.id),
        );
        // Their search text named the company: without it, a search for the company no longer finds them.
        const unlinked = [...new Set([...linked.values()].flat())];
        for (const p of await findPeopleByIds(tx, actor.workspaceId, unlinked))
          await refreshPersonSearchText(tx, actor.workspaceId, p);
        for (const r of rows) {
          await appendEvent(tx, actor, {
            type: 'company.deleted',
            subjectType: 'company',
            subjectId: r.id,
            payload: { name: r.name },
          });
          for (const personId of linked.get(r.id) ?? [])
            await appendEvent(tx, actor, {
              type: 'person.company_unlinked',
              subjectType: 'person',
              subjectId: personId,
              payload: { companyId: r.id, company: r.name, reason: 'company deleted' },
            });
        }
        return deleted;
      });
    },

    async timeline(
      actor: Actor,
      id: string,
      q: { limit: number; before?: number | undefined; type?: string | undefined },
    ) {
      assertCan(actor, 'customers:read');
      await mustFind(db, actor, id);
      return listEvents(db, actor.workspaceId, {
        subjectType: 'company',
        subjectId: id,
        type: q.type,
        beforeSeq: q.before,
        limit: q.limit,
      });
    },
  };
  return service;
}
