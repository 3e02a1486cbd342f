import type { Db } from '../../db/client.ts';
import { newId } from '../../db/ids.ts';
import { customFieldTypes, type CustomFieldType } from '../../db/schema/index.ts';
import { AppError } from '../../errors.ts';
import { appendEvent } from '../../events/events.ts';
import { can, type Actor, type Permission } from '../../domain/permissions.ts';
import { assertCan } from '../auth/access.ts';
import {
  countCustomOptionUse,
  customEntities,
  findCustomField,
  insertCustomField,
  listCustomFields,
  updateCustomField,
  type CustomEntity,
  type CustomFieldRow,
} from './fields.repository.ts';
import { builtInFieldOfKey, reservedFieldKeys } from './reserved-keys.ts';

const keyPattern = /^[a-z][a-z0-9_]{0,49}$/;

/** What the records of an entity are called in messages. */
const recordsWord: Record<CustomEntity, string> = { person: 'People', company: 'Companies', ticket: 'Tickets' };

export function fieldKeyFromLabel(label: string): string {
  const k = label
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 50);
  return /^[a-z]/.test(k) ? k : `f_${k}`.slice(0, 50);
}

export type FieldsService = ReturnType<typeof createFieldsService>;

/** Who may read the fields of an entity: customer fields with the customer record, ticket fields with tickets. */
const readPermission: Record<CustomEntity, Permission> = {
  person: 'customers:read',
  company: 'customers:read',
  ticket: 'tickets:read',
};

/**
 * Custom fields per workspace for people, companies and tickets; values live in each record's `custom` and are checked
 * on write (src/modules/fields/record-fields.ts). A field is never deleted, only archived: hidden from forms, lists and
 * filters, writes to it refused, the values already stored kept. A key may not be a built-in field's name
 * (reserved-keys.ts), and a select option records use may not be removed (409 naming the options and their counts).
 */
export function createFieldsService(deps: { db: Db }) {
  const { db } = deps;
  return {
    /** The fields of an entity, or of every entity the actor may read. */
    async list(actor: Actor, entity?: CustomEntity): Promise<CustomFieldRow[]> {
      if (entity) {
        assertCan(actor, readPermission[entity]);
        return listCustomFields(db, actor.workspaceId, entity);
      }
      const readable = customEntities.filter((e) => can(actor, readPermission[e]));
      if (!readable.length) assertCan(actor, 'customers:read');
      return listCustomFields(db, actor.workspaceId, readable);
    },

    async create(
      actor: Actor,
      input: {
        entity: CustomEntity;
        label: string;
        key?: string | undefined;
        type: CustomFieldType;
        options?: string[] | undefined;
        required?: boolean | undefined;
      },
    ): Promise<CustomFieldRow> {
      assertCan(actor, 'workspace:manage');
      if (!customEntities.includes(input.entity))
        throw new AppError('validation_failed', `Unknown entity "${input.entity}"`, { field: 'entity' });
      if (!customFieldTypes.includes(input.type))
        throw new AppError('validation_failed', `Unknown field type "${input.type}"`);
      const key = input.key ?? fieldKeyFromLabel(input.label);
      if (!keyPattern.test(key))
        throw new AppError('validation_failed', 'The key must start with a letter and use only a-z, 0-9 and _', {
          field: 'key',
        });
      const builtIn = builtInFieldOfKey(input.entity, key);
      if (builtIn)
        throw new AppError(
          'validation_failed',
          `"${key}" is the name of a built-in ${input.entity} field (${builtIn}): choose another key${input.key === undefined ? ' (send one with the label)' : ''}`,
          { field: 'key', builtIn, reserved: reservedFieldKeys(input.entity) },
        );
      const options = [...new Set((input.options ?? []).map((o) => o.trim()).filter(Boolean))];
      if ((input.type === 'select' || input.type === 'multiselect') && options.length === 0)
        throw new AppError('validation_failed', 'A select field needs at least one option', { field: 'options' });
      const existing = await listCustomFields(db, actor.workspaceId, input.entity);
      if (existing.some((f) => f.key === key))
        throw new AppError('conflict', `A ${input.entity} field with the key "${key}" already exists`, {
          field: 'key',
        });
      return db.transaction(async (tx) => {
        const f = await insertCustomField(tx, {
          workspaceId: actor.workspaceId,
          id: newId(),
          entity: input.entity,
          key,
          label: input.label.trim(),
          type: input.type,
          options,
          required: input.required ?? false,
          position: existing.length,
        });
        await appendEvent(tx, actor, {
          type: 'custom_field.created',
          subjectType: 'custom_field',
          subjectId: f.id,
          payload: { entity: f.entity, key, type: f.type },
        });
        return f;
      });
    },

    async update(
      actor: Actor,
      id: string,
      input: {
        label?: string | undefined;
        options?: string[] | undefined;
        required?: boolean | undefined;
        position?: number | undefined;
        archived?: boolean | undefined;
      },
    ): Promise<CustomFieldRow> {
      assertCan(actor, 'workspace:manage');
      const f = await findCustomField(db, actor.workspaceId, id);
      if (!f) throw AppError.notFound('Custom field', id);
      const options =
        input.options === undefined ? undefined : [...new Set(input.options.map((o) => o.trim()).filter(Boolean))];
      const isSelect = f.type === 'select' || f.type === 'multiselect';
      if (options && isSelect && !options.length)
        throw new AppError('validation_failed', 'A select field needs at least one option', { field: 'options' });
      return db.transaction(async (tx) => {
        if (options && isSelect) {
          // An option records hold cannot disappear under them (they would keep a value no write or filter accepts),
          // as a lifecycle stage people are in cannot. Locked, so two edits of the options are checked one by one.
          const current = await findCustomField(tx, actor.workspaceId, id, { lock: true });
          const removed = (current ?? f).options.filter((o) => !options.includes(o));
          const inUse = removed.length
            ? await countCustomOptionUse(tx, actor.workspaceId, f.entity as CustomEntity, f.key, removed)
            : {};
          const used = Object.entries(inUse).filter(([, n]) => n > 0);
          if (used.length)
            throw new AppError(
              'conflict',
              `${recordsWord[f.entity as CustomEntity]} still have ${used.map(([o, n]) => `"${o}" (${n})`).join(', ')} in ${f.label}: change their value first`,
              { field: 'options', entity: f.entity, key: f.key, inUse: Object.fromEntries(used) },
            );
        }
        const u = await updateCustomField(tx, actor.workspaceId, id, {
          ...(input.label !== undefined ? { label: input.label.trim() } : {}),
          ...(options !== undefined ? { options } : {}),
          ...(input.required !== undefined ? { required: input.required } : {}),
          ...(input.position !== undefined ? { position: input.position } : {}),
          ...(input.archived !== undefined ? { archived: input.archived } : {}),
        });
        if (!u) throw AppError.notFound('Custom field', id);
        await appendEvent(tx, actor, {
          type: 'custom_field.updated',
          subjectType: 'custom_field',
          subjectId: id,
          payload: { ...input },
        });
        return u;
      });
    },
  };
}
