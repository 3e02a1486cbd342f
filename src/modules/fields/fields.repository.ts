import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.ts';
import { companies, customFields, people, tickets } from '../../db/schema/index.ts';

export type CustomFieldRow = typeof customFields.$inferSelect;
/** The record types that have custom fields: their values live in each record's `custom` jsonb. */
export const customEntities = ['person', 'company', 'ticket'] as const;
export type CustomEntity = (typeof customEntities)[number];

export async function listCustomFields(
  db: DbOrTx,
  workspaceId: string,
  entity?: CustomEntity | readonly CustomEntity[],
): Promise<CustomFieldRow[]> {
  const conds = [eq(customFields.workspaceId, workspaceId)];
  if (typeof entity === 'string') conds.push(eq(customFields.entity, entity));
  else if (entity) conds.push(inArray(customFields.entity, [...entity]));
  return db
    .select()
    .from(customFields)
    .where(and(...conds))
    .orderBy(asc(customFields.entity), asc(customFields.position), asc(customFields.createdAt));
}

export async function findCustomField(
  db: DbOrTx,
  workspaceId: string,
  id: string,
  opts: { lock?: boolean } = {},
): Promise<CustomFieldRow | null> {
  const q = db
    .select()
    .from(customFields)
    .where(and(eq(customFields.workspaceId, workspaceId), eq(customFields.id, id)));
  const [r] = opts.lock ? await q.for('update') : await q;
  return r ?? null;
}

const recordTables = { person: people, company: companies, ticket: tickets } as const;

/**
 * How many records of the entity hold each of these options of a select or multiselect field: a select's value is
 * the option (a jsonb string), a multiselect's an array of them; `@>` matches both. One scan of the workspace's
 * records that have the key.
 */
export async function countCustomOptionUse(
  db: DbOrTx,
  workspaceId: string,
  entity: CustomEntity,
  key: string,
  options: readonly string[],
): Promise<Record<string, number>> {
  if (!options.length) return {};
  const t = recordTables[entity];
  const counts = Object.fromEntries(
    options.map((o, i) => [
      `o${i}`,
      sql<number>`count(*) filter (where ${t.custom} -> ${key}::text @> to_jsonb(${o}::text))::int`,
    ]),
  );
  const [r] = await db
    .select(counts)
    .from(t)
    .where(and(eq(t.workspaceId, workspaceId), sql`${t.custom} ? ${key}::text`));
  return Object.fromEntries(options.map((o, i) => [o, Number(r?.[`o${i}`] ?? 0)]));
}

export async function insertCustomField(db: DbOrTx, row: typeof customFields.$inferInsert): Promise<CustomFieldRow> {
  const [r] = await db.insert(customFields).values(row).returning();
  if (!r) throw new Error('custom field insert returned nothing');
  return r;
}

export async function updateCustomField(
  db: DbOrTx,
  workspaceId: string,
  id: string,
  set: Partial<Pick<CustomFieldRow, 'label' | 'options' | 'required' | 'position' | 'archived'>>,
): Promise<CustomFieldRow | null> {
  const [r] = await db
    .update(customFields)
    .set(set)
    .where(and(eq(customFields.workspaceId, workspaceId), eq(customFields.id, id)))
    .returning();
  return r ?? null;
}
