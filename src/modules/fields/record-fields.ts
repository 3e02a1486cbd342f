import type { DbOrTx } from '../../db/client.ts';
import type { Address } from '../../db/schema/index.ts';
import {
  canonicalLanguageTag,
  canonicalTimeZone,
  normaliseEmails,
  normalisePhones,
  normaliseTags,
  validateCustomValues,
  type FieldProblem,
} from '../../domain/customers.ts';
import type { Actor } from '../../domain/permissions.ts';
import { AppError } from '../../errors.ts';
import { findUser } from '../users/users.repository.ts';
import { findWorkspace } from '../workspaces/workspaces.repository.ts';
import { listCustomFields, type CustomEntity } from './fields.repository.ts';

/** The fields people and companies share, as the API sends them (undefined = not sent; null or '' = clear). */
export type SharedFieldsInput = {
  emails?: string[] | undefined;
  phones?: string[] | undefined;
  address?: Address | undefined;
  language?: string | null | undefined;
  timezone?: string | null | undefined;
  ownerId?: string | null | undefined;
  source?: string | null | undefined;
  externalId?: string | null | undefined;
  tags?: string[] | undefined;
  custom?: Record<string, unknown> | undefined;
};

export type SharedFields = {
  emails?: string[];
  phones?: string[];
  address?: Address;
  language?: string | null;
  timezone?: string | null;
  ownerId?: string | null;
  source?: string | null;
  externalId?: string | null;
  tags?: string[];
  custom?: Record<string, unknown>;
};

/**
 * Normalises and checks the fields people and companies have in common, adding every problem to `problems`:
 * emails lower-cased, phones to E.164 (national numbers read with the workspace's default country, else the
 * record's), country codes upper-cased, language tag and time zone in their canonical spelling ("PT-br" → pt-BR,
 * "europe/lisbon" → Europe/Lisbon), owner in the workspace, external id not used by another record, tags, custom
 * values against the entity's definitions (merged into the existing ones on update).
 */
export async function normaliseSharedFields(
  tx: DbOrTx,
  actor: Actor,
  entity: CustomEntity,
  input: SharedFieldsInput,
  existing: { id: string; address: Address; custom: Record<string, unknown> } | null,
  findByExternalId: (tx: DbOrTx, workspaceId: string, externalId: string) => Promise<{ id: string } | null>,
  problems: FieldProblem[],
): Promise<SharedFields> {
  const out: SharedFields = {};
  if (input.emails !== undefined) {
    const r = normaliseEmails(input.emails);
    problems.push(...r.problems);
    out.emails = r.values;
  }
  if (input.phones !== undefined) {
    const ws = await findWorkspace(tx, actor.workspaceId);
    const defaultCountry = typeof ws?.settings.defaultCountry === 'string' ? ws.settings.defaultCountry : undefined;
    const r = normalisePhones(
      input.phones,
      defaultCountry ?? input.address?.country ?? existing?.address.country ?? undefined,
    );
    problems.push(...r.problems);
    out.phones = r.values;
  }
  if (input.address !== undefined) out.address = mergeAddress(existing?.address ?? {}, input.address);
  // Stored in their canonical spelling, so filters and comparisons do not depend on how a client wrote them.
  if (input.language !== undefined) {
    const tag = input.language ? canonicalLanguageTag(input.language) : null;
    if (input.language && !tag)
      problems.push({ field: 'language', message: `"${input.language}" is not a language tag like en or pt-PT` });
    out.language = tag;
  }
  if (input.timezone !== undefined) {
    const zone = input.timezone ? canonicalTimeZone(input.timezone) : null;
    if (input.timezone && !zone)
      problems.push({ field: 'timezone', message: `"${input.timezone}" is not an IANA time zone like Europe/Lisbon` });
    out.timezone = zone;
  }
  if (input.ownerId !== undefined) {
    if (input.ownerId && !(await findUser(tx, actor.workspaceId, input.ownerId)))
      problems.push({ field: 'ownerId', message: 'no user with this id in the workspace' });
    out.ownerId = input.ownerId ?? null;
  }
  if (input.source !== undefined) out.source = input.source || null;
  if (input.externalId !== undefined) {
    out.externalId = input.externalId || null;
    if (out.externalId) {
      const other = await findByExternalId(tx, actor.workspaceId, out.externalId);
      if (other && other.id !== existing?.id)
        problems.push({ field: 'externalId', message: `already used by ${entity} ${other.id}` });
    }
  }
  if (input.tags !== undefined) out.tags = normaliseTags(input.tags);
  if (input.custom !== undefined || !existing) {
    const r = await checkCustomValues(tx, actor.workspaceId, entity, input.custom ?? {}, {
      required: existing ? 'mentioned' : 'all',
      existing: existing?.custom ?? {},
    });
    problems.push(...r.problems);
    out.custom = r.values;
  }
  return out;
}

/**
 * An address as a PATCH sends it, merged into the stored one (JSON merge patch, RFC 7396): a key sent replaces the
 * stored value, a key sent as null or blank clears it, a key left out is kept — `{"city":"Lyon"}` moves the record
 * to Lyon without wiping its street. A country code is upper-cased.
 */
export function mergeAddress(stored: Address, patch: Address): Address {
  // Keys stored as null (written before merging) are dropped too: absent and null mean the same.
  const out: Address = Object.fromEntries(Object.entries(stored).filter(([, v]) => v != null));
  for (const [key, value] of Object.entries(patch) as Array<[keyof Address, string | null | undefined]>) {
    if (value === undefined) continue;
    const text = value?.trim();
    if (!text) delete out[key];
    else out[key] = key === 'country' && text.length === 2 ? text.toUpperCase() : text;
  }
  return out;
}

/**
 * Custom values of a person, company or ticket checked against the workspace's definitions of that entity (see
 * validateCustomValues): converted, merged into `existing`, every problem named `custom.<key>`.
 */
export async function checkCustomValues(
  tx: DbOrTx,
  workspaceId: string,
  entity: CustomEntity,
  input: Record<string, unknown>,
  opts: { required: 'all' | 'mentioned' | 'none'; existing?: Record<string, unknown> },
): Promise<{ values: Record<string, unknown>; problems: FieldProblem[] }> {
  return validateCustomValues(await listCustomFields(tx, workspaceId, entity), input, opts);
}

/**
 * A person's or company's write whose external id `normaliseSharedFields` found free: when another write took it
 * between that check and this insert or update (the unique index refused this one), the check's own 400, not a 500.
 */
export async function checkedExternalId<T>(entity: 'person' | 'company', write: Promise<T>): Promise<T> {
  const constraint = entity === 'person' ? 'people_external_id_key' : 'companies_external_id_key';
  try {
    return await write;
  } catch (e) {
    for (let x: unknown = e; x && typeof x === 'object'; x = (x as { cause?: unknown }).cause) {
      const r = x as { code?: unknown; constraint?: unknown };
      if (r.code === '23505' && r.constraint === constraint)
        throw invalidFields([{ field: 'externalId', message: `already used by another ${entity}` }]);
    }
    throw e;
  }
}

/** The 400 for invalid fields: the first problem in the message, all of them in `details.problems`. */
export function invalidFields(problems: FieldProblem[], message?: string): AppError {
  const first = problems[0];
  return new AppError(
    'validation_failed',
    message ?? (first ? `${first.field}: ${first.message}` : 'The record is not valid'),
    { problems },
  );
}
