import type { CustomField } from '../api/customers.ts';
import { statusLabels } from '../api/tickets.ts';
import type { EventEntry } from '../api/types.ts';
import { actorName, type Names } from './events.ts';
import { formatMoney } from './commerce.ts';
import { formatDate, formatDuration } from './format.ts';

export type Stage = { key: string; label: string; color: string };

const knownColors: Record<string, string> = {
  lead: 'gray',
  prospect: 'cyan',
  customer: 'teal',
  loyal: 'grape',
  at_risk: 'orange',
  churned: 'red',
};
const spareColors = ['blue', 'lime', 'pink', 'yellow', 'violet', 'indigo', 'green'];

export const defaultStages: Stage[] = [
  { key: 'lead', label: 'Lead', color: 'gray' },
  { key: 'prospect', label: 'Prospect', color: 'cyan' },
  { key: 'customer', label: 'Customer', color: 'teal' },
  { key: 'loyal', label: 'Loyal', color: 'grape' },
  { key: 'at_risk', label: 'At risk', color: 'orange' },
  { key: 'churned', label: 'Churned', color: 'red' },
];

/** The workspace's stages (names are configurable), kept here so sentences and badges use its names. */
let current: Stage[] = defaultStages;

export function setStages(defs: ReadonlyArray<{ key: string; label: string }> | undefined): Stage[] {
  if (!defs?.length) return (current = defaultStages);
  if (
    defs.length === current.length &&
    defs.every((d, i) => d.key === current[i]?.key && d.label === current[i]?.label)
  )
    return current;
  current = defs.map((d, i) => ({
    key: d.key,
    label: d.label,
    color: knownColors[d.key] ?? spareColors[i % spareColors.length] ?? 'gray',
  }));
  return current;
}

export function stageList(): Stage[] {
  return current;
}

export function stageLabel(key: string): string {
  return (
    current.find((s) => s.key === key)?.label ??
    defaultStages.find((s) => s.key === key)?.label ??
    key.replace(/_/g, ' ')
  );
}

export function stageColor(key: string): string {
  return current.find((s) => s.key === key)?.color ?? knownColors[key] ?? 'gray';
}

export const consentChannels = [
  { key: 'email', label: 'Email' },
  { key: 'sms', label: 'SMS' },
  { key: 'phone', label: 'Phone' },
  { key: 'chat', label: 'Chat' },
] as const;
export const consentPurposes = [
  { key: 'service', label: 'Service' },
  { key: 'marketing', label: 'Marketing' },
  { key: 'research', label: 'Research' },
] as const;
export const consentSources = [
  { value: 'console', label: 'Told us directly (console)' },
  { value: 'form', label: 'Signed up on a form' },
  { value: 'email', label: 'By email' },
  { value: 'phone', label: 'On the phone' },
  { value: 'chat', label: 'In a chat' },
  { value: 'import', label: 'Imported' },
  { value: 'api', label: 'Through the API' },
  { value: 'unsubscribe_link', label: 'Unsubscribe link' },
];

export function consentSourceLabel(s: string): string {
  return consentSources.find((x) => x.value === s)?.label ?? s.replace(/_/g, ' ');
}

function label(list: ReadonlyArray<{ key: string; label: string }>, key: string | undefined): string {
  return list.find((x) => x.key === key)?.label ?? key ?? '';
}

/** "email:marketing" → "Email marketing". */
export function consentLabel(key: string): string {
  const [c, p] = key.split(/[:.]/);
  return `${label(consentChannels, c)} ${label(consentPurposes, p).toLowerCase()}`;
}

// ——— List filters: the API's `field:op:value`, kept in the URL, shown as chips ———

export type FilterOp = 'eq' | 'ne' | 'lt' | 'lte' | 'gt' | 'gte' | 'in' | 'contains' | 'exists';
export type ListFilter = { field: string; op: FilterOp; value: string };

export function parseFilter(raw: string): ListFilter | null {
  const a = raw.indexOf(':');
  const b = a < 0 ? -1 : raw.indexOf(':', a + 1);
  if (a < 0 || b < 0) return null;
  return { field: raw.slice(0, a), op: raw.slice(a + 1, b) as FilterOp, value: raw.slice(b + 1) };
}

export function formatFilter(f: ListFilter): string {
  return `${f.field}:${f.op}:${f.value}`;
}

export type FieldKind = 'text' | 'enum' | 'date' | 'number' | 'boolean' | 'user' | 'tag';

/** A field one can filter on: its label, the kind of value, and the choices of an enum. */
export type FilterField = {
  field: string;
  label: string;
  group: string;
  kind: FieldKind;
  options?: Array<{ value: string; label: string }>;
  sortable?: boolean;
};

export function personFilterFields(custom: CustomField[]): FilterField[] {
  const base: FilterField[] = [
    {
      field: 'stage',
      label: 'Stage',
      group: 'Record',
      kind: 'enum',
      options: stageList().map((s) => ({ value: s.key, label: s.label })),
      sortable: true,
    },
    { field: 'owner_id', label: 'Owner', group: 'Record', kind: 'user', sortable: true },
    { field: 'tag', label: 'Tag', group: 'Record', kind: 'tag' },
    { field: 'name', label: 'Name', group: 'Record', kind: 'text', sortable: true },
    { field: 'email', label: 'Email', group: 'Record', kind: 'text' },
    { field: 'phone', label: 'Phone', group: 'Record', kind: 'text' },
    { field: 'source', label: 'Source', group: 'Record', kind: 'text', sortable: true },
    { field: 'city', label: 'City', group: 'Record', kind: 'text', sortable: true },
    { field: 'country', label: 'Country', group: 'Record', kind: 'text', sortable: true },
    { field: 'language', label: 'Language', group: 'Record', kind: 'text', sortable: true },
    { field: 'external_id', label: 'External id', group: 'Record', kind: 'text', sortable: true },
    { field: 'created_at', label: 'Created', group: 'Dates', kind: 'date', sortable: true },
    { field: 'updated_at', label: 'Updated', group: 'Dates', kind: 'date', sortable: true },
    { field: 'stage_changed_at', label: 'Stage changed', group: 'Dates', kind: 'date', sortable: true },
  ];
  const consent: FilterField[] = consentChannels.flatMap((c) =>
    consentPurposes.map((p) => ({
      field: `consent.${c.key}.${p.key}`,
      label: `${c.label} ${p.label.toLowerCase()}`,
      group: 'Consent',
      kind: 'enum' as const,
      options: [
        { value: 'granted', label: 'Granted' },
        { value: 'withdrawn', label: 'Withdrawn' },
      ],
    })),
  );
  return [...base, ...customFilterFields(custom), ...consent];
}

export function companyFilterFields(custom: CustomField[]): FilterField[] {
  return [
    { field: 'name', label: 'Name', group: 'Record', kind: 'text', sortable: true },
    { field: 'domain', label: 'Domain', group: 'Record', kind: 'text', sortable: true },
    { field: 'industry', label: 'Industry', group: 'Record', kind: 'text', sortable: true },
    { field: 'size', label: 'Size', group: 'Record', kind: 'text', sortable: true },
    { field: 'owner_id', label: 'Owner', group: 'Record', kind: 'user', sortable: true },
    { field: 'tag', label: 'Tag', group: 'Record', kind: 'tag' },
    { field: 'email', label: 'Email', group: 'Record', kind: 'text' },
    { field: 'source', label: 'Source', group: 'Record', kind: 'text', sortable: true },
    { field: 'city', label: 'City', group: 'Record', kind: 'text', sortable: true },
    { field: 'country', label: 'Country', group: 'Record', kind: 'text', sortable: true },
    { field: 'created_at', label: 'Created', group: 'Dates', kind: 'date', sortable: true },
    { field: 'updated_at', label: 'Updated', group: 'Dates', kind: 'date', sortable: true },
    ...customFilterFields(custom),
  ];
}

function customFilterFields(custom: CustomField[]): FilterField[] {
  return custom
    .filter((d) => !d.archived)
    .map((d) => ({
      field: `custom.${d.key}`,
      label: d.label,
      group: 'Custom fields',
      kind:
        d.type === 'select' || d.type === 'multiselect'
          ? 'enum'
          : d.type === 'number'
            ? 'number'
            : d.type === 'boolean'
              ? 'boolean'
              : d.type === 'date'
                ? 'date'
                : 'text',
      options: d.options.map((o) => ({ value: o, label: o })),
      sortable: d.type !== 'multiselect',
    }));
}

export const opsByKind: Record<FieldKind, Array<{ value: FilterOp; label: string }>> = {
  text: [
    { value: 'contains', label: 'contains' },
    { value: 'eq', label: 'is' },
    { value: 'ne', label: 'is not' },
    { value: 'exists', label: 'is set' },
  ],
  tag: [
    { value: 'eq', label: 'is' },
    { value: 'ne', label: 'is not' },
    { value: 'exists', label: 'is set' },
  ],
  enum: [
    { value: 'eq', label: 'is' },
    { value: 'ne', label: 'is not' },
    { value: 'exists', label: 'is set' },
  ],
  user: [
    { value: 'eq', label: 'is' },
    { value: 'ne', label: 'is not' },
    { value: 'exists', label: 'is set' },
  ],
  date: [
    { value: 'gte', label: 'on or after' },
    { value: 'lt', label: 'before' },
  ],
  number: [
    { value: 'eq', label: '=' },
    { value: 'gte', label: '≥' },
    { value: 'lte', label: '≤' },
    { value: 'exists', label: 'is set' },
  ],
  boolean: [{ value: 'eq', label: 'is' }],
};

/** The words of a chip: "Stage is Customer", "Created on or after 1 Mar 2026", "Owner is not set". */
export function describeFilter(f: ListFilter, fields: FilterField[], userName: (id: string) => string | null): string {
  const def = fields.find((x) => x.field === f.field);
  const name = def?.label ?? f.field;
  if (f.op === 'exists') return `${name} ${f.value === 'false' ? 'is not set' : 'is set'}`;
  const op = (def ? opsByKind[def.kind] : []).find((o) => o.value === f.op)?.label ?? f.op;
  let value = f.value;
  if (def?.kind === 'user') value = userName(f.value) ?? 'a former user';
  else if (def?.options?.length) value = def.options.find((o) => o.value === f.value)?.label ?? f.value;
  else if (def?.kind === 'boolean') value = f.value === 'true' ? 'yes' : 'no';
  return `${name} ${op} ${value}`;
}

// ——— The timeline in words ———

function str(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}

const fieldNames: Record<string, string> = {
  firstName: 'first name',
  lastName: 'last name',
  emails: 'emails',
  phones: 'phones',
  address: 'address',
  language: 'language',
  timezone: 'time zone',
  ownerId: 'owner',
  source: 'source',
  externalId: 'external id',
  tags: 'tags',
  custom: 'custom fields',
  name: 'name',
  domain: 'domain',
  industry: 'industry',
  size: 'size',
};

function show(v: unknown): string {
  if (v === null || v === undefined || v === '') return 'nothing';
  if (Array.isArray(v)) return v.length ? v.map(String).join(', ') : 'nothing';
  if (typeof v === 'object') {
    // An address (or another record of plain values) reads as its parts in order: "62 FC Road, Pune, Maharashtra".
    // Stored as jsonb, whose keys come back in its own order: address parts are put back in the order one writes them.
    const order = ['line1', 'line2', 'postalCode', 'city', 'region', 'country'];
    const rank = (k: string) => (order.includes(k) ? order.indexOf(k) : order.length);
    const parts = Object.entries(v as Record<string, unknown>)
      .sort(([a], [b]) => rank(a) - rank(b))
      .map(([, p]) => p);
    if (parts.every((p) => p === null || ['string', 'number', 'boolean'].includes(typeof p))) {
      const words = parts.filter((p) => p !== null && p !== '').map(String);
      return words.length ? words.join(', ') : 'nothing';
    }
    return JSON.stringify(v);
  }
  return String(v);
}

export type Change = { field: string; from: string; to: string };

/**
 * What turns the ids and keys in a change into words: team names, and custom field labels by entity (a ticket's
 * `custom.order_number` is its "Order number" field, a person's `custom.seats` their "Seats").
 */
export type ChangeNames = {
  team?: (id: string) => string | null;
  field?: (entity: 'person' | 'company' | 'ticket', key: string) => string | null;
};

const ticketFieldNames: Record<string, string> = {
  assigneeId: 'assignee',
  teamId: 'team',
  status: 'status',
  priority: 'priority',
  type: 'type',
  subject: 'subject',
  personId: 'customer',
  tags: 'tags',
};

/** Ticket statuses as the inbox writes them. */
const ticketStatusWords: Readonly<Record<string, string>> = statusLabels;

function eventEntity(e: EventEntry): 'person' | 'company' | 'ticket' {
  return e.type.startsWith('ticket.') ? 'ticket' : e.type.startsWith('company.') ? 'company' : 'person';
}

/** The before/after of a "changed" event, field by field, in words: names for people and teams, never their ids. */
export function eventChanges(e: EventEntry, userName: (id: string) => string | null, more: ChangeNames = {}): Change[] {
  const changes = e.payload.changes;
  if (typeof changes !== 'object' || changes === null) return [];
  const entity = eventEntity(e);
  const fieldLabel = (key: string) => more.field?.(entity, key) ?? key.replace(/_/g, ' ');
  const person = (x: unknown) => (typeof x === 'string' ? (userName(x) ?? 'a former user') : 'nobody');
  const team = (x: unknown) => (typeof x === 'string' ? (more.team?.(x) ?? 'a removed team') : 'no team');
  const out: Change[] = [];
  for (const [k, v] of Object.entries(changes as Record<string, { from: unknown; to: unknown }>)) {
    if (k === 'custom' && typeof v?.to === 'object' && v.to !== null) {
      const from = (v.from ?? {}) as Record<string, unknown>;
      const to = v.to as Record<string, unknown>;
      for (const key of new Set([...Object.keys(from), ...Object.keys(to)]))
        if (JSON.stringify(from[key]) !== JSON.stringify(to[key]))
          out.push({ field: fieldLabel(key), from: show(from[key]), to: show(to[key]) });
      continue;
    }
    // Tickets record their custom fields one by one, as `custom.<key>`.
    if (k.startsWith('custom.')) {
      out.push({ field: fieldLabel(k.slice('custom.'.length)), from: show(v?.from), to: show(v?.to) });
      continue;
    }
    if (k === 'ownerId' || k === 'assigneeId') {
      out.push({ field: k === 'ownerId' ? 'owner' : 'assignee', from: person(v?.from), to: person(v?.to) });
      continue;
    }
    if (k === 'teamId') {
      out.push({ field: 'team', from: team(v?.from), to: team(v?.to) });
      continue;
    }
    if (k === 'personId') {
      out.push({ field: 'customer', from: 'another customer', to: 'this customer' });
      continue;
    }
    if (k === 'status' && entity === 'ticket') {
      const word = (x: unknown) => (typeof x === 'string' ? (ticketStatusWords[x] ?? x) : 'nothing');
      out.push({ field: 'status', from: word(v?.from), to: word(v?.to) });
      continue;
    }
    const name = entity === 'ticket' ? (ticketFieldNames[k] ?? fieldNames[k]) : fieldNames[k];
    out.push({ field: name ?? k, from: show(v?.from), to: show(v?.to) });
  }
  return out;
}

/**
 * The record an event first belonged to, when a merge moved it onto this one (`payload.mergedFrom`, written by the
 * merge): the survivor's timeline holds the duplicate's history too, and says so.
 */
export function mergedFrom(e: EventEntry): { id: string; name: string | null } | null {
  const m = e.payload.mergedFrom;
  if (!m || typeof m !== 'object') return null;
  const { id, name } = m as Record<string, unknown>;
  return typeof id === 'string' ? { id, name: str(name) } : null;
}

/** One customer event as a sentence: "Ines moved them from Lead to Customer". */
export function describeCustomerEvent(e: EventEntry, names: Names, more: ChangeNames = {}): string {
  const who = actorName(e, names);
  const p = e.payload;
  switch (e.type) {
    case 'person.created':
    case 'company.created': {
      const kind = e.type === 'person.created' ? 'person' : 'company';
      const source = str(p.source) ? `source: ${str(p.source)}` : null;
      // The creation of a duplicate merged in since: its own, named, not a second "added this person".
      const merged = mergedFrom(e);
      if (merged) {
        const name = merged.name ?? str(p.name) ?? `a ${kind}`;
        return `${who} added ${name} (merged into this ${kind}${source ? `; ${source}` : ''})`;
      }
      return `${who} added this ${kind}${source ? ` (${source})` : ''}`;
    }
    case 'person.updated':
    case 'company.updated': {
      const ch = eventChanges(e, names.user, more);
      if (ch.length === 1 && ch[0]) return `${who} changed ${ch[0].field}`;
      return `${who} changed ${ch.map((c) => c.field).join(', ') || 'the record'}`;
    }
    case 'person.stage_changed':
      return `${who} moved them from ${stageLabel(str(p.from) ?? '')} to ${stageLabel(str(p.to) ?? '')}`;
    case 'person.consent_granted':
    case 'person.consent_withdrawn': {
      const what = consentLabel(`${str(p.channel) ?? ''}:${str(p.purpose) ?? ''}`);
      const state = e.type.endsWith('granted') ? 'granted' : 'withdrawn';
      const via = str(p.source) ? `: ${consentSourceLabel(str(p.source) ?? '').toLowerCase()}` : '';
      return `${who} recorded ${what.toLowerCase()} consent as ${state}${via}`;
    }
    case 'person.note_added':
    case 'company.note_added':
      return `${who} added a note`;
    case 'person.note_edited':
    case 'company.note_edited':
      return `${who} edited a note`;
    case 'person.note_deleted':
    case 'company.note_deleted':
      return `${who} deleted a note`;
    case 'person.company_linked':
      return `${who} linked them to ${str(p.company) ?? 'a company'}${str(p.title) ? ` as ${str(p.title)}` : ''}`;
    case 'person.company_unlinked':
      return `${who} unlinked them from ${str(p.company) ?? 'a company'}${str(p.reason) ? ` (${str(p.reason)})` : ''}`;
    case 'person.merged':
    case 'company.merged': {
      // The merged record is gone: its name and first address (or domain) say which duplicate it was.
      const m = (p.merged ?? {}) as Record<string, unknown>;
      const contact = str(m.email) ?? str(m.domain) ?? str(m.phone);
      const which = str(m.name) ? ` ${str(m.name)}${contact && contact !== str(m.name) ? ` (${contact})` : ''}` : '';
      return `${who} merged the duplicate${which} into this record`;
    }
    case 'person.deleted':
    case 'company.deleted':
      return `${who} deleted the record`;
    case 'ticket.created':
      return `Ticket #${String(p.number)} opened: ${str(p.subject) ?? ''}${str(p.channel) ? ` (${str(p.channel)})` : ''}`;
    case 'ticket.message_received':
      return `Wrote on ticket #${String(p.number)}: “${str(p.preview) ?? ''}”`;
    case 'ticket.replied':
      return `${who} replied on ticket #${String(p.number)}: “${str(p.preview) ?? ''}”`;
    case 'ticket.note_added':
      return `${who} added an internal note on ticket #${String(p.number)}`;
    case 'ticket.call_logged': {
      // Logged by an agent on the ticket (either way) or by a phone system (an outbound call).
      const call = (typeof p.call === 'object' && p.call !== null ? p.call : {}) as Record<string, unknown>;
      const seconds = typeof call.durationSeconds === 'number' ? call.durationSeconds : null;
      const facts = [seconds !== null ? formatDuration(seconds) : null, str(call.outcome)].filter(Boolean);
      const how = facts.length ? ` (${facts.join(', ')})` : '';
      const what = `ticket #${String(p.number)}${how}`;
      return (p.direction ?? call.direction) === 'inbound'
        ? `Called about ${what}; ${who} logged the call`
        : `${who} called them about ${what}`;
    }
    case 'ticket.reply_undelivered':
      return `A reply on ticket #${String(p.number)} was not delivered${str(p.reason) ? `: ${str(p.reason)}` : ''}`;
    case 'ticket.status_changed': {
      // Who moved it says so; a move Rapport made (an undelivered reply, a rule) gives its reason.
      const word = (x: unknown) => ticketStatusWords[str(x) ?? ''] ?? str(x) ?? '';
      const move = `ticket #${String(p.number)} from ${word(p.from)} to ${word(p.to)}`;
      const why = str(p.reason) ? ` (${str(p.reason)})` : '';
      return e.actorType === 'user' || e.actorType === 'apikey'
        ? `${who} moved ${move}${why}`
        : `Rapport moved ${move}${why}`;
    }
    case 'ticket.updated': {
      const ch = eventChanges(e, names.user, more);
      return `${who} changed ${ch.map((c) => c.field).join(', ') || 'the fields'} of ticket #${String(p.number)}`;
    }
    case 'ticket.merged':
      return `${who} merged ticket #${String(p.number)} into #${String(p.intoNumber)}`;
    case 'ticket.split':
      return `${who} split ticket #${String(p.number)} into #${String(p.toNumber)}`;
    case 'order.placed': {
      // An order recorded later than it was placed (a shop's history sent at once) says when it was placed.
      const placed = str(p.placedAt);
      const late = placed && Math.abs(new Date(e.occurredAt).getTime() - new Date(placed).getTime()) > 86_400_000;
      return `Placed order${orderRef(p)} of ${money(p.total, p.currency)}${str(p.channel) ? ` (${str(p.channel)})` : ''}${late ? ` on ${formatDate(placed)}` : ''}`;
    }
    case 'order.paid':
      return `Paid order${orderRef(p)} (${money(p.total, p.currency)})`;
    case 'order.refunded':
      return `${who} refunded ${money(p.amount, p.currency)} of order${orderRef(p)}${str(p.reason) ? `: ${str(p.reason)}` : ''}`;
    case 'order.canceled':
      return `Order${orderRef(p)} was canceled`;
    case 'order.updated':
      return `${who} changed order${orderRef(p)}`;
    case 'subscription.started':
      return `Subscribed to ${str(p.plan) ?? 'a plan'} (${money(p.mrr, p.currency)}/month)`;
    case 'subscription.canceled':
      return `Canceled the ${str(p.plan) ?? ''} subscription${str(p.reason) ? `: ${str(p.reason)}` : ''}`;
    case 'subscription.updated':
      return `${who} changed the ${str(p.plan) ?? ''} subscription`;
    default:
      return `${who}: ${e.type.replace(/[._]/g, ' ')}`;
  }
}

function orderRef(p: Record<string, unknown>): string {
  return str(p.externalId) ? ` #${str(p.externalId)}` : '';
}

function money(amount: unknown, currency: unknown): string {
  return typeof amount === 'string' && typeof currency === 'string' ? formatMoney(amount, currency) : '';
}

export const timelineTypes: Array<{ value: string; label: string }> = [
  { value: '', label: 'Everything' },
  { value: 'ticket.*', label: 'Tickets and messages' },
  { value: 'order.*', label: 'Orders and refunds' },
  { value: 'subscription.*', label: 'Subscriptions' },
  { value: 'person.stage_changed', label: 'Stage changes' },
  { value: 'person.consent_*', label: 'Consent' },
  { value: 'person.note_*', label: 'Notes' },
  { value: 'person.updated', label: 'Field changes' },
  { value: 'person.company_*', label: 'Companies' },
  { value: 'person.created', label: 'Created' },
];
