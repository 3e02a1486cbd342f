import { and, asc, eq, inArray } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.ts';
import { customFields } from '../../db/schema/index.ts';

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

export async function findCustomField(db: DbOrTx, workspaceId: string, id: string): Promise<CustomFieldRow | null> {
  const [r] = await db
    .select()
    .from(customFields)
    .where(and(eq(customFields.workspaceId, workspaceId), eq(customFields.id, id)));
  return r ?? null;
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
