import type { DbOrTx } from '../../db/client.ts';
import type { FieldProblem } from '../../domain/customers.ts';
import type { Actor } from '../../domain/permissions.ts';
import { invalidFields } from '../fields/record-fields.ts';
import type { PersonRow } from '../people/people.repository.ts';
import { resolvePerson } from '../people/resolve-person.ts';

/** How an order or subscription names its customer: a person's id, or what the shop knows of them. */
export type CustomerInput = {
  personId?: string | undefined;
  customer?:
    | {
        externalId?: string | undefined;
        email?: string | undefined;
        phone?: string | undefined;
        name?: string | undefined;
      }
    | undefined;
};

/** Problems with how the customer is named, before anything is looked up. */
export function customerProblems(input: CustomerInput): FieldProblem[] {
  const c = input.customer;
  const named = Boolean(c && (c.externalId || c.email || c.phone));
  if (input.personId && c) return [{ field: 'customer', message: 'give personId or customer, not both' }];
  if (!input.personId && !named)
    return [
      {
        field: 'personId',
        message: 'say who the customer is: personId, or customer with an externalId, email or phone',
      },
    ];
  return [];
}

/**
 * The person an order or subscription belongs to, found or created like the service desk does for an unknown
 * sender (src/modules/people/resolve-person.ts); `source` is what a created person's source says.
 */
export async function resolveCustomer(
  tx: DbOrTx,
  actor: Actor,
  input: CustomerInput,
  source: string,
): Promise<PersonRow> {
  const problems = customerProblems(input);
  if (problems.length) throw invalidFields(problems);
  const person = input.personId
    ? await resolvePerson(tx, actor, { personId: input.personId }, source)
    : await resolvePerson(tx, actor, input.customer ?? {}, source, { fieldPrefix: 'customer.' });
  if (!person) throw invalidFields(customerProblems({}));
  return person;
}
