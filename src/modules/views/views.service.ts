import type { Db, DbOrTx } from '../../db/client.ts';
import { newId } from '../../db/ids.ts';
import { ListQueryError, parseListQuery, type FieldSpecs, type ListProblem } from '../../domain/list-query.ts';
import { can, type Actor } from '../../domain/permissions.ts';
import { AppError } from '../../errors.ts';
import { appendEvent } from '../../events/events.ts';
import { assertCan } from '../auth/access.ts';
import { companyListColumns } from '../companies/companies.repository.ts';
import { listCustomFields } from '../fields/fields.repository.ts';
import { personListColumns } from '../people/people.repository.ts';
import { workspaceStages } from '../people/people.service.ts';
import { deleteView, findView, insertView, listViews, updateView, type ViewRow } from './views.repository.ts';
import type { ViewInput, ViewPatch } from './views.schemas.ts';

export type ViewsService = ReturnType<typeof createViewsService>;
type Query = ViewInput['query'];

/** The list fields of an entity in this workspace (built-ins, consent, custom fields): what a view may use. */
export async function listSpecs(db: DbOrTx, workspaceId: string, entity: 'person' | 'company'): Promise<FieldSpecs> {
  if (entity === 'company') return companyListColumns(await listCustomFields(db, workspaceId, 'company')).specs;
  const [defs, stages] = await Promise.all([
    listCustomFields(db, workspaceId, 'person'),
    workspaceStages(db, workspaceId),
  ]);
  return personListColumns(
    defs,
    stages.map((s) => s.key),
    workspaceId,
  ).specs;
}

/**
 * Columns a list shows beside its fields' own names: the console's column ids (web/src/pages/customers/
 * PeopleListPage.tsx, CompaniesListPage.tsx) for what it shows in its own way — the companies a person works at, the
 * owner's name, tags, the created and updated dates, days in stage.
 */
const displayColumns: Record<'person' | 'company', readonly string[]> = {
  person: ['company', 'companies', 'owner', 'tags', 'created', 'updated', 'days_in_stage'],
  company: ['owner', 'tags', 'created', 'updated'],
};

/** A view is saved only when its filters and sort parse with the entity's list fields, as the list would read them. */
async function checkQuery(db: DbOrTx, workspaceId: string, entity: 'person' | 'company', query: Query): Promise<Query> {
  const specs = await listSpecs(db, workspaceId, entity);
  const problems: ListProblem[] = [];
  try {
    parseListQuery({ filter: query.filter, sort: query.sort }, specs, { field: 'created_at', direction: 'desc' });
  } catch (e) {
    if (!(e instanceof ListQueryError)) throw e;
    problems.push(...e.problems);
  }
  const known = new Set([...Object.keys(specs), ...displayColumns[entity]]);
  (query.columns ?? []).forEach((c, i) => {
    if (!known.has(c))
      problems.push({ param: `query.columns[${i}]`, message: `"${c}" is not a column of ${entity} lists` });
  });
  if (problems.length)
    throw new AppError('validation_failed', `The view's query is not valid: ${problems[0]?.message ?? ''}`, {
      problems: problems.map((p) => ({ ...p, param: p.param.startsWith('query.') ? p.param : `query.${p.param}` })),
    });
  return {
    filter: query.filter,
    ...(query.sort ? { sort: query.sort } : {}),
    ...(query.q?.trim() ? { q: query.q.trim() } : {}),
    ...(query.columns ? { columns: query.columns } : {}),
  };
}

export function createViewsService(deps: { db: Db }) {
  const { db } = deps;

  function visible(actor: Actor, v: ViewRow): boolean {
    return v.shared || (actor.userId !== null && v.ownerId === actor.userId);
  }

  /** Your own views are yours to change; shared views of others only with workspace:manage. */
  function assertMayChange(actor: Actor, v: ViewRow): void {
    if (actor.userId !== null && v.ownerId === actor.userId) return;
    if (can(actor, 'workspace:manage')) return;
    throw new AppError('forbidden', 'Only its owner or an administrator may change this view', {
      permission: 'workspace:manage',
    });
  }

  async function mustSee(tx: DbOrTx, actor: Actor, id: string): Promise<ViewRow> {
    const v = await findView(tx, actor.workspaceId, id);
    if (!v || !visible(actor, v)) throw AppError.notFound('View', id);
    return v;
  }

  return {
    async list(actor: Actor, entity?: 'person' | 'company'): Promise<ViewRow[]> {
      assertCan(actor, 'customers:read');
      return listViews(db, actor.workspaceId, actor.userId, entity);
    },

    async get(actor: Actor, id: string): Promise<ViewRow> {
      assertCan(actor, 'customers:read');
      return mustSee(db, actor, id);
    },

    async create(actor: Actor, input: ViewInput): Promise<ViewRow> {
      assertCan(actor, 'customers:read');
      // An API key has no user to own a private view: what it saves is shared.
      const shared = actor.userId === null ? true : (input.shared ?? false);
      if (shared) assertCan(actor, 'customers:write');
      return db.transaction(async (tx) => {
        const query = await checkQuery(tx, actor.workspaceId, input.entity, input.query);
        const v = await insertView(tx, {
          workspaceId: actor.workspaceId,
          id: newId(),
          entity: input.entity,
          name: input.name,
          query,
          ownerId: actor.userId,
          shared,
        });
        await appendEvent(tx, actor, {
          type: 'view.created',
          subjectType: 'view',
          subjectId: v.id,
          payload: { entity: v.entity, name: v.name, shared: v.shared },
        });
        return v;
      });
    },

    async update(actor: Actor, id: string, patch: ViewPatch): Promise<ViewRow> {
      assertCan(actor, 'customers:read');
      return db.transaction(async (tx) => {
        const before = await mustSee(tx, actor, id);
        assertMayChange(actor, before);
        if (patch.shared === true && !before.shared) assertCan(actor, 'customers:write');
        if (patch.shared === false && before.ownerId === null)
          throw new AppError('bad_request', 'A view saved with an API key has no owner and stays shared');
        const query =
          patch.query !== undefined
            ? await checkQuery(tx, actor.workspaceId, before.entity === 'company' ? 'company' : 'person', patch.query)
            : undefined;
        const v = await updateView(tx, actor.workspaceId, id, {
          ...(patch.name !== undefined ? { name: patch.name } : {}),
          ...(query ? { query } : {}),
          ...(patch.shared !== undefined ? { shared: patch.shared } : {}),
        });
        if (!v) throw AppError.notFound('View', id);
        await appendEvent(tx, actor, {
          type: 'view.updated',
          subjectType: 'view',
          subjectId: id,
          payload: { name: v.name, shared: v.shared },
        });
        return v;
      });
    },

    async remove(actor: Actor, id: string): Promise<void> {
      assertCan(actor, 'customers:read');
      await db.transaction(async (tx) => {
        const v = await mustSee(tx, actor, id);
        assertMayChange(actor, v);
        await deleteView(tx, actor.workspaceId, id);
        await appendEvent(tx, actor, {
          type: 'view.deleted',
          subjectType: 'view',
          subjectId: id,
          payload: { name: v.name },
        });
      });
    },
  };
}
