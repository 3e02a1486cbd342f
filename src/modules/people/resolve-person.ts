import { and, asc, eq, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.ts';
import { newId } from '../../db/ids.ts';
import { people } from '../../db/schema/index.ts';
import { buildSearchText, normaliseEmailAddress, normalisePhone, personDisplayName } from '../../domain/customers.ts';
import type { Actor } from '../../domain/permissions.ts';
import { AppError } from '../../errors.ts';
import { appendEvent, type EventInput } from '../../events/events.ts';
import { findWorkspace } from '../workspaces/workspaces.repository.ts';
import {
  companiesOfPeople,
  findPeopleByEmails,
  findPerson,
  findPersonByExternalId,
  insertPerson,
  updatePerson,
  type PersonInsert,
  type PersonRow,
} from './people.repository.ts';

/** Who a message, an order or a subscription is from: what the sender's system knows of the customer. */
export type PartyRef = {
  personId?: string | null | undefined;
  /** The customer's id in the other system (a shop's customer id): people.external_id. */
  externalId?: string | null | undefined;
  email?: string | null | undefined;
  phone?: string | null | undefined;
  name?: string | null | undefined;
};

export function actorRef(actor: Actor): string | null {
  return actor.userId ?? actor.apiKeyId ?? null;
}

/** Splits "Amara Okafor" into first and last name (the last word is the family name). */
export function splitName(name: string | null | undefined): { firstName: string | null; lastName: string | null } {
  const clean = (name ?? '').replace(/["']/g, '').trim();
  if (!clean || clean.includes('@')) return { firstName: null, lastName: null };
  const parts = clean.split(/\s+/);
  if (parts.length === 1) return { firstName: parts[0] ?? null, lastName: null };
  return { firstName: parts.slice(0, -1).join(' ').slice(0, 100), lastName: (parts.at(-1) ?? '').slice(0, 100) };
}

/** Recomputes a person's search text (name, contact points, tags, company names, external id) when it changed. */
export async function refreshPersonSearchText(tx: DbOrTx, workspaceId: string, p: PersonRow): Promise<void> {
  const links = (await companiesOfPeople(tx, workspaceId, [p.id])).get(p.id) ?? [];
  const searchText = buildSearchText([
    p.displayName,
    p.emails,
    p.phones,
    p.tags,
    links.map((l) => l.name),
    p.externalId,
  ]);
  if (searchText !== p.searchText)
    await tx
      .update(people)
      .set({ searchText })
      .where(and(eq(people.workspaceId, workspaceId), eq(people.id, p.id)));
}

export type PersonChoice<P> = { kind: 'found' | 'adopt'; person: P } | { kind: 'create' };

/**
 * The rule `resolvePerson` follows once the candidates are looked up (batch writers look them up in bulk and apply
 * the same rule): the person with the external id; else the one with the e-mail or phone — who takes the external id
 * when they have none (`adopt`), and is someone else when they have another one; else a new person.
 */
export function choosePerson<P extends { externalId: string | null }>(
  externalId: string | null,
  byExternalId: P | null,
  byContact: P | null,
): PersonChoice<P> {
  if (byExternalId) return { kind: 'found', person: byExternalId };
  if (byContact && externalId && !byContact.externalId) return { kind: 'adopt', person: byContact };
  if (byContact && !(externalId && byContact.externalId && byContact.externalId !== externalId))
    return { kind: 'found', person: byContact };
  return { kind: 'create' };
}

/**
 * Of the people with a customer's e-mail address or phone (oldest first), the one the customer may be: given an
 * external id, the oldest who has none (people with another one are other customers of that system: the oldest of
 * them would make a new person while someone with the address could take the id); else the oldest. Null: nobody.
 */
export function contactMatch<P extends { externalId: string | null }>(
  externalId: string | null,
  candidates: readonly P[],
): P | null {
  return candidates.find((p) => !externalId || !p.externalId) ?? null;
}

/** At most this many people are named in an ambiguous match's details. */
const ambiguousListLimit = 20;

/**
 * The 409 for an e-mail address or phone that several people have, when the caller must say which one (never a
 * guess): `details.personIds` lists them, oldest first.
 */
export function ambiguousMatch(
  by: 'email' | 'phone',
  value: string,
  matches: readonly { id: string }[],
  field: string = by,
): AppError {
  const what = by === 'email' ? 'e-mail address' : 'phone number';
  return new AppError(
    'conflict',
    `${matches.length} people have the ${what} ${value}: say which one by id (or merge them first)`,
    {
      reason: 'ambiguous_match',
      field,
      value,
      personIds: matches.slice(0, ambiguousListLimit).map((p) => p.id),
    },
  );
}

/**
 * Finds the customer a channel, an order or a subscription names, or creates them: by id (which must exist), then by
 * external id, then by e-mail or phone (national numbers read with the workspace's country). A person found by
 * e-mail or phone who has no external id yet gets the one given (`person.updated`); one who has another is another
 * customer of that system, so a new person is made. An address or phone that several possible people have is refused
 * (409 `ambiguous_match`) unless `ambiguous: 'oldest'` (the default for the system actor's channel intake). Nobody is
 * made without an e-mail, a phone or an external id (null then). Made people carry `source` and a `person.created`
 * event. Problems name the field, under `fieldPrefix` ("customer." for `customer.email`).
 */
export async function resolvePerson(
  tx: DbOrTx,
  actor: Actor,
  from: PartyRef,
  source: string,
  opts: {
    /** The workspace's settings when the caller reads them anyway (once per transaction). */
    settingsOf?: (() => Promise<Record<string, unknown>>) | undefined;
    fieldPrefix?: string | undefined;
    /**
     * Where to put the person's event instead of appending it now: the caller appends it with its own, in this
     * transaction, before any other (one statement fewer on a hot path).
     */
    deferEvents?: EventInput[] | undefined;
    /** The people with this e-mail address when the caller read them already (as `findPeopleByEmails` returns). */
    byEmail?: { email: string; people: PersonRow[] } | null | undefined;
    /**
     * When the e-mail address (or phone) is several people's: `refuse` (409 listing them; the caller names the person
     * by id) or `oldest`. Default: `refuse` for users and API keys, who can say whom they mean; `oldest` for the
     * system actor, whose channel intake (mail, forms, chat) must not turn a customer's message away.
     */
    ambiguous?: 'refuse' | 'oldest' | undefined;
    /** Set on the second look, made holding the contact point's lock (see below). */
    locked?: boolean | undefined;
  } = {},
): Promise<PersonRow | null> {
  const ws = actor.workspaceId;
  const field = (name: string) => `${opts.fieldPrefix ?? ''}${name}`;
  const record = async (e: EventInput) => {
    if (opts.deferEvents) opts.deferEvents.push(e);
    else await appendEvent(tx, actor, e);
  };
  if (from.personId) {
    const p = await findPerson(tx, ws, from.personId);
    if (!p)
      throw new AppError('validation_failed', `Person ${from.personId} was not found`, { field: field('personId') });
    return p;
  }
  const externalId = from.externalId?.trim() || null;
  if (externalId) {
    const p = await findPersonByExternalId(tx, ws, externalId);
    if (p) return p;
  }
  const email = from.email ? normaliseEmailAddress(from.email) : null;
  if (from.email && !email)
    throw new AppError('validation_failed', `"${from.email}" is not an e-mail address`, { field: field('email') });
  let phone: string | null = null;
  if (from.phone) {
    // National numbers are read with the workspace's country.
    const settings = opts.settingsOf ? await opts.settingsOf() : ((await findWorkspace(tx, ws))?.settings ?? {});
    const country = typeof settings.defaultCountry === 'string' ? settings.defaultCountry : undefined;
    phone = normalisePhone(from.phone, country);
  }
  if (from.phone && !phone)
    throw new AppError('validation_failed', `"${from.phone}" is not a phone number`, { field: field('phone') });
  let found: PersonRow | null = null;
  const ambiguous = opts.ambiguous ?? (actor.kind === 'system' ? 'oldest' : 'refuse');
  const pick = (candidates: PersonRow[], by: 'email' | 'phone', value: string): PersonRow | null => {
    // Given an external id, the people with another one are other customers of that system: they make no ambiguity.
    const eligible = externalId ? candidates.filter((p) => !p.externalId) : candidates;
    if (ambiguous === 'refuse' && eligible.length > 1) throw ambiguousMatch(by, value, eligible, field(by));
    // Otherwise the oldest who may be the customer, as the orders import takes it.
    return contactMatch(externalId, candidates);
  };
  if (email)
    found = pick(
      opts.byEmail?.email === email ? opts.byEmail.people : await findPeopleByEmails(tx, ws, [email]),
      'email',
      email,
    );
  if (!found && phone) {
    const byPhone = await tx
      .select()
      .from(people)
      .where(and(eq(people.workspaceId, ws), sql`${people.phones} @> array[${phone}]::text[]`))
      .orderBy(asc(people.createdAt))
      .limit(ambiguous === 'refuse' || externalId ? ambiguousListLimit : 1);
    found = pick(byPhone, 'phone', phone);
  }
  const choice = choosePerson(externalId, null, found);
  if (choice.kind === 'adopt') {
    const row = await updatePerson(tx, ws, choice.person.id, { externalId, updatedBy: actorRef(actor) });
    if (row) {
      await refreshPersonSearchText(tx, ws, row);
      await record({
        type: 'person.updated',
        subjectType: 'person',
        subjectId: row.id,
        payload: { changes: { externalId: { from: null, to: externalId } } },
      });
      return row;
    }
  }
  if (choice.kind === 'found') return choice.person;
  if (!email && !phone && !externalId) return null;
  if (!opts.locked) {
    // Two messages (or orders) from one new address at once would each find nobody and make a person. The first
    // to get here holds the contact point's lock until its transaction ends; the other waits, then looks again
    // (without what the caller read before the lock) and finds the person the first one made.
    await lockContactPoint(tx, ws, email ?? phone ?? `external:${externalId}`);
    return resolvePerson(tx, actor, from, source, { ...opts, byEmail: undefined, locked: true });
  }
  const made = newPersonRecord(actor, from.name, source, { email, phone, externalId });
  const person = await insertPerson(tx, made.row);
  await record(made.event);
  return person;
}

/** Locks an e-mail address, phone or external id of a workspace until the transaction ends (an advisory lock). */
export async function lockContactPoint(tx: DbOrTx, workspaceId: string, contact: string): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`person:${workspaceId}:${contact}`}))`);
}

/**
 * A person made from what a channel knows of them (their name as given, a normalised e-mail and phone, an external
 * id), with their `person.created` event: the row `resolvePerson` inserts, and that a caller writing the person
 * together with what comes next inserts itself. The stage is the column's default, written out so the caller knows
 * it before the insert.
 */
export function newPersonRecord(
  actor: Actor,
  name: string | null | undefined,
  source: string,
  contact: { email: string | null; phone: string | null; externalId: string | null },
): { row: PersonInsert & { id: string; stage: string; tags: string[] }; event: EventInput } {
  const { firstName, lastName } = splitName(name);
  const emails = contact.email ? [contact.email] : [];
  const phones = contact.phone ? [contact.phone] : [];
  const displayName = personDisplayName(firstName, lastName, emails.length ? emails : phones);
  const id = newId();
  const stage = newPersonStage;
  return {
    row: {
      workspaceId: actor.workspaceId,
      id,
      firstName,
      lastName,
      displayName,
      emails,
      phones,
      stage,
      tags: [],
      source,
      externalId: contact.externalId,
      searchText: buildSearchText([displayName, emails, phones, contact.externalId]),
      createdBy: actorRef(actor),
      updatedBy: actorRef(actor),
    },
    event: {
      type: 'person.created',
      subjectType: 'person',
      subjectId: id,
      payload: { name: displayName, emails, stage, source },
    },
  };
}

/** The stage a person starts in: the column's default. */
const newPersonStage = String(people.stage.default);
