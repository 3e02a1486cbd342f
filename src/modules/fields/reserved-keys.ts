import { importTargets, normaliseHeader } from '../../domain/imports.ts';
import { baseCompanyFields } from '../companies/companies.repository.ts';
import { companySchema } from '../companies/companies.schemas.ts';
import { basePersonFields, predictionFields } from '../people/people.repository.ts';
import { personSchema } from '../people/people.schemas.ts';
import { ticketFields } from '../tickets/tickets.repository.ts';
import type { CustomEntity } from './fields.repository.ts';

/**
 * The built-in names of each entity, taken from where they are declared: the list's filter and sort fields, the
 * record's API fields and the CSV import's mapping targets. A custom field's key may be none of them: an import
 * header such as "Email" is matched to a custom field before the built-in, and an export writes both side by side.
 */
const builtInNames: Record<CustomEntity, readonly string[]> = {
  person: [
    ...Object.keys(basePersonFields),
    ...Object.keys(predictionFields),
    ...Object.keys(personSchema.shape),
    ...importTargets('person', []),
  ],
  company: [...Object.keys(baseCompanyFields), ...Object.keys(companySchema.shape), ...importTargets('company', [])],
  ticket: Object.keys(ticketFields),
};

/** The built-in names plus, for a reference to another record, the record's name (`owner_id` also reserves `owner`). */
function reservedNames(entity: CustomEntity): string[] {
  const names = builtInNames[entity].flatMap((name) => {
    const stem = /^(.+?)(_id|Id)$/.exec(name)?.[1];
    return stem ? [name, stem] : [name];
  });
  return [...new Set(names)].sort();
}

/**
 * The reserved names of an entity under the form keys are compared in (lower case, letters and digits only, as import
 * headers are: `first_name`, `firstName` and `firstname` are one name), each mapped to a name it stands for.
 */
const reserved: Record<CustomEntity, Map<string, string>> = {
  person: new Map(reservedNames('person').map((n) => [normaliseHeader(n), n])),
  company: new Map(reservedNames('company').map((n) => [normaliseHeader(n), n])),
  ticket: new Map(reservedNames('ticket').map((n) => [normaliseHeader(n), n])),
};

/** The built-in field a custom field key would stand for (`e_mail` → `email`, `firstname` → `firstName`), else null. */
export function builtInFieldOfKey(entity: CustomEntity, key: string): string | null {
  return reserved[entity].get(normaliseHeader(key)) ?? null;
}

/** Every reserved name of an entity, as declared (the keys refused are these in any case, with or without `_`). */
export function reservedFieldKeys(entity: CustomEntity): string[] {
  return reservedNames(entity);
}
