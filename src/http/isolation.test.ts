import crypto from 'node:crypto';
import fs from 'node:fs';
import { sql } from 'drizzle-orm';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { bearer, useTestApp } from '../../test/app.ts';
import { testEngines } from '../../test/db.ts';
import { workspaceRowHashes, workspaceTables } from '../../test/workspace-rows.ts';
import { makeUser, makeWorkspace, testPassword, type TestWorkspace } from '../../test/factories.ts';
import { fillPath, isErrorBody, openApiDocument, pathParams, type OpenApiDocument } from '../../test/routes.ts';
import { rowsOf } from '../db/client.ts';
import { permissions, rolePermissions, type Permission, type Role } from '../domain/permissions.ts';
import { enqueueJob } from '../jobs/queue.ts';
import { sessionCookieName } from '../modules/auth/auth.service.ts';
import { fromRoot } from '../paths.ts';

/**
 * Workspace isolation and role authorization, swept from the app's own OpenAPI document (so a route added later is
 * swept too, or fails the suite until this file knows how to call it). Workspace A holds one record of every kind;
 * workspace B is the same, and is where the cross-workspace requests come from.
 *
 * Isolation (B's owner, who holds every permission, so a refusal here is isolation and not a missing permission):
 * - every route with an id in its path, given A's record (and B's own parent with A's child): 404, never 2xx or 5xx;
 * - every id-like field of every request body set to A's record: 400 or 404, while the same body with B's own
 *   record is accepted; external ids and markers equal to A's: accepted as B's own, A untouched;
 * - id-like query parameters and `…_id` list filters naming A's records: nothing of A in the answer;
 * - after each of these, A's rows are byte for byte what they were, and no answer carries A's ids or text.
 *
 * Roles (principals of A):
 * - every write route (and every read handing out a write capability) refused with 403 and the standard error body
 *   to read-only principals (viewer, analyst, an owner's key with every read scope);
 * - the writes of the service desk refused to a key writing customers only, and the other way round;
 * - every admin-only route (users, webhooks, fields, channels, teams, SLA, rules, macros, SOPs, workspace…) refused
 *   to an agent and a marketer;
 * - every read answered to exactly the permission it needs, and to each role as the role table says;
 * - stored secrets never in any read; channel and webhook secrets to owners and admins only;
 * - what is by design: a user's own name, password, sessions and private views.
 */

type Headers = Record<string, string>;
type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** The kinds of records a route can name. */
const kinds = [
  'owner',
  'user',
  'session',
  'apiKey',
  'person',
  'company',
  'note',
  'customField',
  'webhook',
  'delivery',
  'import',
  'view',
  'job',
  'ticket',
  'message',
  'conversation',
  'attachment',
  'channel',
  'team',
  'calendar',
  'policy',
  'rule',
  'category',
  'article',
  'macro',
  'step',
  'product',
  'order',
  'subscription',
] as const;
type Kind = (typeof kinds)[number];
type Ids = Record<Kind, string>;

/** Keys a client chooses for its own records (not references to stored rows). */
type External = { person: string; company: string; product: string; order: string; subscription: string; call: string };

type World = {
  ws: TestWorkspace;
  ids: Ids;
  external: External;
  ownerKey: string;
  ownerCookie: string;
  fresh: {
    person(): Promise<string>;
    company(): Promise<string>;
    ticket(): Promise<{ id: string; messages: string[] }>;
    /** The newest message of the world's ticket (what an agent replying now has seen). */
    newestMessage(): Promise<string>;
    /** Every SLA policy of the world, in the reverse of their order (a reorder that changes something). */
    policyOrder(): Promise<string[]>;
  };
};

/** What a sample request sends besides its path: a JSON body, a raw body, a query string, path overrides. */
type Sample = {
  body?: unknown;
  raw?: { payload: string; contentType: string };
  query?: string;
  /** Path params for the caller's own records where the sample needs fresh ones (a merge, a split). */
  params?: Record<string, string>;
  /** Another body for the named fields, where they exclude fields of `body` (an order's customer or person). */
  bodiesFor?: Record<string, unknown>;
};
type SampleFn = (w: World) => Sample | Promise<Sample>;

/** The record kind of a path segment that precedes an `{id}` param. */
const segmentKinds: Record<string, Kind> = {
  users: 'user',
  sessions: 'session',
  'api-keys': 'apiKey',
  people: 'person',
  companies: 'company',
  notes: 'note',
  'custom-fields': 'customField',
  webhooks: 'webhook',
  deliveries: 'delivery',
  imports: 'import',
  views: 'view',
  jobs: 'job',
  tickets: 'ticket',
  attachments: 'attachment',
  channels: 'channel',
  teams: 'team',
  'sla-policies': 'policy',
  'business-calendars': 'calendar',
  rules: 'rule',
  categories: 'category',
  articles: 'article',
  macros: 'macro',
  checklist: 'step',
  products: 'product',
  orders: 'order',
  subscriptions: 'subscription',
};

/** Path params that are not ids of stored rows: a fixed value each (`externalId`: the caller's own key). */
const literalParams: Record<string, string> = { ticketType: 'complaint', list: 'likely_to_buy' };

/** An external id in a path: the entity of the segment before `by-external-id`. */
function externalEntity(path: string): keyof External {
  const entity = /\/([a-z-]+)\/by-external-id\//.exec(path)?.[1];
  const map: Record<string, keyof External> = { products: 'product', orders: 'order', subscriptions: 'subscription' };
  const e = entity ? map[entity] : undefined;
  if (!e) throw new Error(`no external id entity for ${path}`);
  return e;
}

/** The kind of record an `{param}` of a path names, or null when it is not a stored row's id. */
function paramKind(path: string, param: string): Kind | null {
  if (param in literalParams || param === 'externalId') return null;
  const segments = path.split('/');
  const at = segments.indexOf(`{${param}}`);
  const kind = segmentKinds[segments[at - 1] ?? ''];
  if (!kind) throw new Error(`${path}: no record kind known for {${param}} — add its segment to segmentKinds`);
  return kind;
}

/**
 * What an id-like field of a request body names. `own`: the record's own key chosen by the client (an external id,
 * a call id, an SOP step id) — a value equal to one of A's is B's own key, and must leave A alone. `marker`: a
 * message the agent saw, compared with the ticket's own messages only. `selection`: the ids of a bulk selection.
 */
type FieldKind = Kind | 'own' | 'marker' | 'selection';
function bodyFieldKind(routePath: string, field: string): FieldKind {
  const name = field.replace(/\[\]/g, '').split('.').at(-1) ?? '';
  const entity = routePath.startsWith('/api/v1/companies') ? 'company' : 'person';
  // A bulk selection is a condition on the caller's own records (like a filter): an id of another workspace's
  // record matches nothing, as an id that exists nowhere does.
  if (field === 'selection.ids') return 'selection';
  const map: Record<string, FieldKind> = {
    personId: 'person',
    companyId: 'company',
    ownerId: 'user',
    assigneeId: 'user',
    userId: 'user',
    memberIds: 'user',
    teamId: 'team',
    calendarId: 'calendar',
    categoryId: 'category',
    productId: 'product',
    conversationId: 'conversation',
    messageIds: 'message',
    ticketIds: 'ticket',
    otherId: entity,
    ids: entity,
    seenMessageId: 'marker',
    externalId: 'own',
    callId: 'own',
    id: 'own',
  };
  const kind = map[name];
  if (!kind) throw new Error(`${routePath}: body field ${field} looks like an id; say what it names in bodyFieldKind`);
  return kind;
}

/** A's value for an `own` field: its external id of the same entity, its call id, its step id. */
function ownValueOf(a: World, routePath: string, field: string): string {
  if (field === 'customer.externalId') return a.external.person;
  if (field === 'callId') return a.external.call;
  if (field === 'steps[].id') return a.ids.step;
  const entity = /^\/api\/v1\/([a-z-]+)/.exec(routePath)?.[1] ?? '';
  const map: Record<string, string> = {
    people: a.external.person,
    companies: a.external.company,
    products: a.external.product,
    orders: a.external.order,
    subscriptions: a.external.subscription,
  };
  const value = map[entity];
  if (!value) throw new Error(`${routePath}: no A value for the own field ${field}`);
  return value;
}

// ---- the OpenAPI document: id-like body fields and query params ----

type JsonSchema = {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
};
type Operation = {
  parameters?: Array<{ in: string; name: string }>;
  requestBody?: { content: Record<string, { schema: JsonSchema }> };
};

/** Paths (`a.b[].c`) of every property of a body schema whose name ends in `id` or `ids`. */
function idFields(doc: OpenApiDocument, schema: JsonSchema | undefined): string[] {
  const components = (doc as unknown as { components?: { schemas?: Record<string, JsonSchema> } }).components;
  const out = new Set<string>();
  const walk = (s: JsonSchema | undefined, prefix: string, depth: number) => {
    if (!s || depth > 12) return;
    if (s.$ref) return walk(components?.schemas?.[s.$ref.split('/').at(-1) ?? ''], prefix, depth + 1);
    for (const list of [s.anyOf, s.oneOf, s.allOf]) for (const x of list ?? []) walk(x, prefix, depth + 1);
    for (const [k, v] of Object.entries(s.properties ?? {})) {
      const p = prefix ? `${prefix}.${k}` : k;
      if (/id$|ids$/i.test(k)) out.add(p);
      walk(v, p, depth + 1);
    }
    if (s.items) walk(s.items, `${prefix}[]`, depth + 1);
  };
  walk(schema, '', 0);
  return [...out].sort();
}

/**
 * Copies of `body` with the field at `path` (`a.b[].c`) set to `value`: one copy per array element that has it
 * (so `ids: [x, y]` gives `[v, y]` and `[x, v]`). Empty when the body does not carry the field.
 */
function withField(body: unknown, path: string, value: string): unknown[] {
  const [head, ...rest] = path.split('.');
  if (head === undefined) return [];
  const arrayKey = head.endsWith('[]') ? head.slice(0, -2) : null;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return [];
  const obj = body as Record<string, unknown>;
  if (arrayKey !== null) {
    const list = obj[arrayKey];
    if (!Array.isArray(list)) return [];
    const out: unknown[] = [];
    list.forEach((item, i) => {
      const variants = rest.length ? withField(item, rest.join('.'), value) : [value];
      for (const changed of variants) out.push({ ...obj, [arrayKey]: list.map((x, j) => (j === i ? changed : x)) });
    });
    return out;
  }
  if (!(head in obj)) return [];
  const current = obj[head];
  if (!rest.length && Array.isArray(current))
    return current.map((_x, i) => ({ ...obj, [head]: current.map((x, j) => (j === i ? value : x)) }));
  if (!rest.length) return [{ ...obj, [head]: value }];
  return withField(obj[head], rest.join('.'), value).map((v) => ({ ...obj, [head]: v }));
}

type Route = { method: Method; path: string; key: string; op: Operation };

function documentedRoutes(doc: OpenApiDocument): Route[] {
  const out: Route[] = [];
  for (const [path, ops] of Object.entries(doc.paths)) {
    if (!path.startsWith('/api/v1/')) continue;
    for (const [m, op] of Object.entries(ops)) {
      const method = m.toUpperCase() as Method;
      if (!['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].includes(method)) continue;
      out.push({ method, path, key: `${method} ${path}`, op: op as Operation });
    }
  }
  return out.sort((x, y) => x.key.localeCompare(y.key));
}

/** Sign-in, sign-out and first-run setup: no workspace record is named, and they are not role-gated. */
const authRoutes = new Set(['POST /api/v1/setup', 'POST /api/v1/auth/login', 'POST /api/v1/auth/logout']);

const v = (): string => crypto.randomBytes(4).toString('hex');
const csv = (w: World) => `email,first name\nimported-${v()}@${w.ws.workspace.slug}.example,Imported\n`;

/**
 * A request each write route accepts from a principal allowed to make it (with the caller's own records). Every
 * POST/PUT/PATCH/DELETE of the document must have one; GET routes may have one for their required query.
 */
const samples: Record<string, SampleFn> = {
  'GET /api/v1/search': () => ({ query: 'q=kettle' }),
  'GET /api/v1/kb/search': () => ({ query: 'q=kettle' }),
  'GET /api/v1/people/names': (w) => ({ query: `ids=${w.ids.person}` }),
  'GET /api/v1/metrics/summary': () => ({ query: 'from=2024-01-01&to=2030-01-01' }),
  'GET /api/v1/metrics/people': () => ({ query: 'from=2024-01-01&to=2030-01-01&metric=activeCustomers' }),
  'POST /api/v1/users': () => ({ body: { email: `u-${v()}@example.com`, name: 'New user', role: 'agent' } }),
  'PATCH /api/v1/users/{id}': () => ({ body: { name: 'Renamed user' } }),
  'DELETE /api/v1/users/{id}': () => ({}),
  'PUT /api/v1/users/{id}/password': () => ({ body: { newPassword: 'another-correct-horse-9' } }),
  'DELETE /api/v1/sessions/{id}': () => ({}),
  'POST /api/v1/api-keys': () => ({ body: { name: 'isolation', scopes: ['customers:write'] } }),
  'DELETE /api/v1/api-keys/{id}': () => ({}),
  'PATCH /api/v1/workspace': () => ({ body: { name: 'Renamed workspace' } }),
  'POST /api/v1/people': (w) => ({
    body: {
      firstName: 'Nia',
      emails: [`nia-${v()}@example.com`],
      ownerId: w.ids.user,
      externalId: `ext-${v()}`,
      companies: [{ companyId: w.ids.company, title: 'Buyer' }],
    },
  }),
  'PATCH /api/v1/people/{id}': (w) => ({
    body: {
      lastName: 'Patched',
      ownerId: w.ids.user,
      externalId: w.external.person,
      companies: [{ companyId: w.ids.company }],
    },
  }),
  'DELETE /api/v1/people/{id}': () => ({ query: 'force=true' }),
  'POST /api/v1/people/{id}/stage': () => ({ body: { stage: 'prospect', reason: 'isolation' } }),
  'POST /api/v1/people/{id}/consent': () => ({ body: { channel: 'email', purpose: 'marketing', status: 'withdrawn' } }),
  'POST /api/v1/people/{id}/notes': () => ({ body: { body: 'Another note' } }),
  'PATCH /api/v1/notes/{id}': () => ({ body: { body: 'Edited note' } }),
  'DELETE /api/v1/notes/{id}': () => ({}),
  'PUT /api/v1/people/{id}/companies/{companyId}': () => ({ body: { title: 'Linked' } }),
  'DELETE /api/v1/people/{id}/companies/{companyId}': () => ({}),
  'POST /api/v1/companies': (w) => ({ body: { name: `Co ${v()}`, ownerId: w.ids.user, externalId: `ext-${v()}` } }),
  'PATCH /api/v1/companies/{id}': (w) => ({
    body: { industry: 'Patched', ownerId: w.ids.user, externalId: w.external.company },
  }),
  'DELETE /api/v1/companies/{id}': () => ({}),
  'POST /api/v1/custom-fields': () => ({ body: { entity: 'person', label: `Field ${v()}`, type: 'text' } }),
  'PATCH /api/v1/custom-fields/{id}': () => ({ body: { label: 'Renamed field' } }),
  'POST /api/v1/webhooks': () => ({ body: { url: 'http://127.0.0.1:1/hook', eventTypes: ['person.created'] } }),
  'PATCH /api/v1/webhooks/{id}': () => ({ body: { description: 'patched' } }),
  'DELETE /api/v1/webhooks/{id}': () => ({}),
  'POST /api/v1/webhooks/{id}/rotate-secret': () => ({}),
  'POST /api/v1/webhooks/{id}/test': () => ({}),
  'POST /api/v1/webhooks/{id}/deliveries/{deliveryId}/redeliver': () => ({}),
  'POST /api/v1/imports': (w) => ({ query: 'entity=person', raw: { payload: csv(w), contentType: 'text/csv' } }),
  'PATCH /api/v1/imports/{id}': () => ({ body: { matchOn: 'email' } }),
  'POST /api/v1/imports/{id}/dry-run': () => ({}),
  'POST /api/v1/imports/{id}/run': () => ({}),
  'POST /api/v1/people/duplicates/dismissals': async (w) => ({ body: { ids: [w.ids.person, await w.fresh.person()] } }),
  'POST /api/v1/people/{id}/merge': async (w) => ({ body: { otherId: await w.fresh.person() } }),
  'POST /api/v1/companies/duplicates/dismissals': async (w) => ({
    body: { ids: [w.ids.company, await w.fresh.company()] },
  }),
  'POST /api/v1/companies/{id}/merge': async (w) => ({ body: { otherId: await w.fresh.company() } }),
  'POST /api/v1/views': () => ({
    body: { entity: 'person', name: `View ${v()}`, query: { filter: [] }, shared: true },
  }),
  'PATCH /api/v1/views/{id}': () => ({ body: { name: 'Renamed view' } }),
  'DELETE /api/v1/views/{id}': () => ({}),
  'POST /api/v1/people/bulk': (w) => ({ body: { selection: { ids: [w.ids.person] }, action: 'tag', value: 'bulk' } }),
  'POST /api/v1/companies/bulk': (w) => ({
    body: { selection: { ids: [w.ids.company] }, action: 'tag', value: 'bulk' },
  }),
  'POST /api/v1/tickets': (w) => ({
    body: {
      subject: 'Isolation ticket',
      requester: { personId: w.ids.person },
      text: 'A question.',
      assigneeId: w.ids.user,
      teamId: w.ids.team,
    },
  }),
  'PATCH /api/v1/tickets/{id}': (w) => ({
    body: { priority: 'high', assigneeId: w.ids.user, teamId: w.ids.team, personId: w.ids.person },
  }),
  'POST /api/v1/tickets/{id}/replies': async (w) => ({
    body: {
      text: 'An internal note.',
      internal: true,
      conversationId: w.ids.conversation,
      seenMessageId: await w.fresh.newestMessage(),
    },
  }),
  'POST /api/v1/tickets/{id}/merge': async (w) => ({ body: { ticketIds: [(await w.fresh.ticket()).id] } }),
  'POST /api/v1/tickets/{id}/split': async (w) => {
    const t = await w.fresh.ticket();
    return { params: { id: t.id }, body: { messageIds: [t.messages[1] ?? ''], subject: 'Split off' } };
  },
  'POST /api/v1/tickets/bulk': (w) => ({
    body: { ids: [w.ids.ticket], priority: 'high', assigneeId: w.ids.user, teamId: w.ids.team, addTags: ['bulk'] },
  }),
  'POST /api/v1/tickets/{id}/calls': () => ({
    body: { direction: 'outbound', call: { durationSeconds: 60, outcome: 'answered' }, text: 'Called back.' },
  }),
  'POST /api/v1/calls': () => ({
    body: { callId: `call-${v()}`, event: 'started', direction: 'inbound', customerPhone: '+351912000333' },
  }),
  'POST /api/v1/channels': (w) => ({
    body: { kind: 'email', name: 'Channel', address: `c-${v()}@isolation.test`, teamId: w.ids.team },
  }),
  'PATCH /api/v1/channels/{id}': (w) => ({ body: { name: 'Renamed channel', teamId: w.ids.team } }),
  'DELETE /api/v1/channels/{id}': () => ({}),
  'POST /api/v1/channels/{id}/imap/test': () => ({
    body: { host: '127.0.0.1', port: 1, security: 'none', user: 'u', password: 'p', mailbox: 'INBOX' },
  }),
  'POST /api/v1/channels/{id}/imap/poll': () => ({}),
  'POST /api/v1/teams': (w) => ({ body: { name: `Team ${v()}`, memberIds: [w.ids.user] } }),
  'PATCH /api/v1/teams/{id}': (w) => ({ body: { description: 'patched', memberIds: [w.ids.user] } }),
  'DELETE /api/v1/teams/{id}': () => ({}),
  'POST /api/v1/sla-policies': (w) => ({
    body: { name: `SLA ${v()}`, targets: { first_response: 60 }, calendarId: w.ids.calendar },
  }),
  'PATCH /api/v1/sla-policies/{id}': (w) => ({ body: { name: 'Renamed SLA', calendarId: w.ids.calendar } }),
  'DELETE /api/v1/sla-policies/{id}': () => ({}),
  'PUT /api/v1/sla-policies/order': async (w) => ({ body: { ids: await w.fresh.policyOrder() } }),
  'POST /api/v1/business-calendars': () => ({
    body: { name: `Hours ${v()}`, timeZone: 'Europe/Lisbon', weekly: [{ day: 2, start: '09:00', end: '17:00' }] },
  }),
  'PATCH /api/v1/business-calendars/{id}': () => ({ body: { name: 'Renamed hours' } }),
  'DELETE /api/v1/business-calendars/{id}': () => ({}),
  'POST /api/v1/rules': (w) => ({ body: ruleBody(w, `Rule ${v()}`) }),
  'POST /api/v1/rules/recommended': (w) => ({ body: { teamId: w.ids.team } }),
  'PATCH /api/v1/rules/{id}': (w) => ({ body: { actions: ruleBody(w, 'x').actions } }),
  'DELETE /api/v1/rules/{id}': () => ({}),
  'POST /api/v1/kb/categories': () => ({ body: { name: `Category ${v()}` } }),
  'PATCH /api/v1/kb/categories/{id}': () => ({ body: { description: 'patched' } }),
  'DELETE /api/v1/kb/categories/{id}': () => ({}),
  'POST /api/v1/kb/articles': (w) => ({ body: { title: `Article ${v()}`, body: 'Text.', categoryId: w.ids.category } }),
  'PATCH /api/v1/kb/articles/{id}': (w) => ({ body: { body: 'Patched.', categoryId: w.ids.category } }),
  'DELETE /api/v1/kb/articles/{id}': () => ({}),
  'POST /api/v1/kb/articles/{id}/publish': () => ({}),
  'POST /api/v1/kb/articles/{id}/unpublish': () => ({}),
  'POST /api/v1/kb/preview': () => ({ body: { body: '# Preview' } }),
  'POST /api/v1/kb/suggest': () => ({ body: { text: 'kettle' } }),
  'POST /api/v1/macros': (w) => ({
    body: { name: `Macro ${v()}`, body: 'Hello.', actions: { assigneeId: w.ids.user, teamId: w.ids.team } },
  }),
  'PATCH /api/v1/macros/{id}': (w) => ({ body: { actions: { assigneeId: w.ids.user, teamId: w.ids.team } } }),
  'DELETE /api/v1/macros/{id}': () => ({}),
  'POST /api/v1/tickets/{id}/macros/{macroId}/preview': () => ({}),
  'POST /api/v1/tickets/{id}/macros/{macroId}/apply': (w) => ({ body: { seenMessageId: w.ids.message, force: true } }),
  'PUT /api/v1/sop-checklists/{ticketType}': (w) => ({
    body: { steps: [{ id: w.ids.step, text: 'Check the order', required: true }] },
  }),
  'DELETE /api/v1/sop-checklists/{ticketType}': () => ({}),
  'PATCH /api/v1/tickets/{id}/checklist/{stepId}': () => ({ body: { done: true } }),
  'POST /api/v1/products': () => ({
    body: { sku: `SKU-${v()}`, name: 'Kettle', price: '10.00', currency: 'EUR', externalId: `ext-${v()}` },
  }),
  'PATCH /api/v1/products/{id}': () => ({ body: { name: 'Renamed kettle', externalId: `ext-${v()}` } }),
  'DELETE /api/v1/products/{id}': () => ({}),
  'PUT /api/v1/products/by-external-id/{externalId}': () => ({
    body: { sku: `SKU-${v()}`, name: 'Kettle', price: '10.00', currency: 'EUR' },
  }),
  'POST /api/v1/orders': (w) => orderSample(w, { externalId: `ext-${v()}` }),
  'PATCH /api/v1/orders/{id}': () => ({ body: { note: 'patched' } }),
  'DELETE /api/v1/orders/{id}': () => ({}),
  'POST /api/v1/orders/{id}/refunds': () => ({ body: { amount: '1.00', reason: 'isolation' } }),
  'PUT /api/v1/orders/by-external-id/{externalId}': (w) => orderSample(w, {}),
  'POST /api/v1/subscriptions': (w) => subscriptionSample(w, { externalId: `ext-${v()}` }),
  'POST /api/v1/subscriptions/{id}/cancel': () => ({ body: { reason: 'isolation' } }),
  'PUT /api/v1/subscriptions/by-external-id/{externalId}': (w) => subscriptionSample(w, {}),
  'POST /api/v1/predictions/refit': () => ({}),
  'PUT /api/v1/predictions/stage-rules': () => ({ body: { data: [] } }),
  'PUT /api/v1/predictions/churn-model': () => ({ body: { format: 'not a model' } }),
};

/** A route's sample for a world (no path params, body or query when it needs none). */
async function sampleOf(key: string, w: World): Promise<Sample> {
  return (await samples[key]?.(w)) ?? {};
}

function ruleBody(w: World, name: string) {
  return {
    name,
    trigger: 'ticket.created',
    conditions: [{ field: 'subject', op: 'contains_any', value: ['isolation-never'] }],
    actions: [
      { type: 'set_team', teamId: w.ids.team },
      { type: 'assign', userId: w.ids.user },
      { type: 'escalate', teamId: w.ids.team, reason: 'isolation' },
    ],
    active: false,
  };
}

/** An order naming its customer by person id; for `customer.externalId`, the same order by the shop's id. */
function orderSample(w: World, extra: Record<string, unknown>): Sample {
  const order = { ...extra, currency: 'EUR', lines: [{ productId: w.ids.product, quantity: 1 }] };
  return {
    body: { ...order, personId: w.ids.person },
    bodiesFor: { 'customer.externalId': { ...order, customer: { externalId: w.external.person } } },
  };
}

function subscriptionSample(w: World, extra: Record<string, unknown>): Sample {
  const subscription = { ...extra, plan: 'Basic', mrr: '5', currency: 'EUR' };
  return {
    body: { ...subscription, personId: w.ids.person },
    bodiesFor: { 'customer.externalId': { ...subscription, customer: { externalId: w.external.person } } },
  };
}

/** POSTs that change nothing (a preview, a search): any reader may make them. */
const readLike = new Set([
  'POST /api/v1/kb/preview',
  'POST /api/v1/kb/suggest',
  'POST /api/v1/tickets/{id}/macros/{macroId}/preview',
]);

/**
 * Reads that hand out a capability to write: the unsubscribe link is a signed token whose public pages withdraw and
 * grant consent (`/u/<token>/confirm`, `/u/<token>/resubscribe`), so only who may change consent may have one.
 */
const writeCapabilities = new Set(['GET /api/v1/people/{id}/unsubscribe-link']);

/** Settings and access: only admins and owners (workspace:manage, users:manage, sessions:manage). */
function adminOnly(route: Route): boolean {
  if (route.path.startsWith('/api/v1/webhooks')) return true;
  if (route.method === 'GET') return false;
  const prefixes = [
    '/api/v1/users',
    '/api/v1/workspace',
    '/api/v1/custom-fields',
    '/api/v1/channels',
    '/api/v1/teams',
    '/api/v1/sla-policies',
    '/api/v1/business-calendars',
    '/api/v1/rules',
    '/api/v1/macros',
    '/api/v1/sop-checklists',
    '/api/v1/predictions/',
    '/api/v1/sessions',
  ];
  return prefixes.some((p) => route.path === p || route.path.startsWith(`${p}/`));
}

/**
 * Every route the app registers, as `METHOD /path/:param`, read from the router's own listing (`printRoutes`: a tree
 * whose lines each add a piece of path to their parent's). HEAD is left out where the path has GET (Fastify adds it,
 * with the GET handler).
 */
function registeredRoutes(app: FastifyInstance): string[] {
  const out: string[] = [];
  const stack: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const m = /^((?:│ {3}| {4})*)[├└]── (.*?)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (!m) continue;
    const depth = (m[1] ?? '').length / 4;
    const path = (depth ? (stack[depth - 1] ?? '') : '') + (m[2] ?? '');
    stack.length = depth;
    stack.push(path);
    const methods = (m[3] ?? '').split(', ').filter(Boolean);
    for (const method of methods) if (method !== 'HEAD' || !methods.includes('GET')) out.push(`${method} ${path}`);
  }
  return out.sort();
}

/** A Fastify path in OpenAPI form: `/people/:id` -> `/people/{id}`. */
const openApiPath = (key: string): string => key.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

/**
 * The routes left out of the OpenAPI document (`schema: { hide: true }`, WebSocket routes, the docs viewer), which the
 * sweep below cannot reach: each says how it is kept to one workspace and which test proves it (a file, and the title
 * of a test in it). A hidden route added later fails the sweep until it is accounted for here.
 */
type HiddenRoute = { isolation: string; file: string; test: string };
const publicTests = 'src/http/public-isolation.test.ts';
const apiDescription: HiddenRoute = {
  isolation: 'The API description and its viewer: static, the same bytes for everyone, no workspace data.',
  file: publicTests,
  test: 'API description: the OpenAPI document and its viewer are the same for everyone and hold no workspace data',
};
const helpCentre: HiddenRoute = {
  isolation:
    "The workspace is found by its slug; categories, published articles and search hits are read in that workspace only (an article slug is looked up in the slug's workspace; drafts are not found).",
  file: publicTests,
  test: "help centre: A's slug lists, finds and shows only A's published articles and categories",
};
const contactForm: HiddenRoute = {
  isolation:
    "A form channel by its id (kind form, active); the ticket and the customer are looked up and made in the channel's workspace.",
  file: publicTests,
  test: "contact forms: A's form opens tickets in A only, for A's customers, and other channels' ids are no forms",
};
const unsubscribe: HiddenRoute = {
  isolation:
    "A token signed with the workspace's secret, naming the workspace and the person: verified with that workspace's secret, the person looked up in it.",
  file: publicTests,
  test: "unsubscribe links: A's token changes A's customer only; forged, re-pointed and altered tokens are refused",
};
const hiddenRoutes: Record<string, HiddenRoute> = {
  'GET /api/openapi.json': apiDescription,
  'GET /api/docs': apiDescription,
  'GET /api/docs/': apiDescription,
  'GET /api/docs/*': apiDescription,
  'GET /api/docs/json': apiDescription,
  'GET /api/docs/yaml': apiDescription,
  'GET /api/docs/static/index.html': apiDescription,
  'GET /api/docs/static/swagger-initializer.js': apiDescription,
  'GET /api/v1/inbox/ws': {
    isolation:
      "The console's WebSocket (signed-in, tickets:read; left out of the document by @fastify/websocket): events of the principal's workspace only, frames naming other workspaces' tickets not found.",
    file: 'src/http/tenancy.test.ts',
    test: 'the live inbox socket of A carries nothing of B (%s)',
  },
  'GET /help/:workspace': helpCentre,
  'GET /help/:workspace/search': helpCentre,
  'GET /help/:workspace/:article': helpCentre,
  'POST /help/:workspace/:article/vote': {
    isolation: "The article is looked up by slug in the slug's workspace (published only); the vote is stored there.",
    file: publicTests,
    test: "help centre votes: an answer under A's slug counts for A's article only; B's articles and A's drafts are 404",
  },
  'GET /forms/:channelId': contactForm,
  'POST /forms/:channelId': contactForm,
  'POST /inbound/:channelId': {
    isolation:
      "An API channel by its id, the body signed with that channel's secret; threads, customers, custom fields and duplicates looked up in the channel's workspace.",
    file: publicTests,
    test: "channel API: A's signature opens threads in A only; B's channel, other secrets and altered signatures are refused",
  },
  'GET /widget.js': {
    isolation: 'A static script, the same for everyone: the channel id comes from the page that embeds it.',
    file: publicTests,
    test: 'chat widget script: one static script, the same for everyone, with nothing of any workspace',
  },
  'GET /chat/ws': {
    isolation:
      "A visitor's socket bound to one active chat channel by id: history, identity (hashed with the channel's secret), customers, agents' presence and events of the channel's workspace only.",
    file: publicTests,
    test: "chat socket: A's channel shows and links nothing of B (same visitor id, B's identity hash, B's agents)",
  },
  'GET /u/submit.js': {
    isolation: 'A static script, the same for everyone.',
    file: publicTests,
    test: 'unsubscribe script: one static script, the same for everyone, with nothing of any workspace',
  },
  'GET /u/:token': unsubscribe,
  'POST /u/:token': unsubscribe,
  'POST /u/:token/confirm': unsubscribe,
  'POST /u/:token/resubscribe': unsubscribe,
};

// Webhook tests and deliveries go to a closed loopback port, which deliveries refuse by default.
vi.stubEnv('RAPPORT_WEBHOOK_PRIVATE_NETWORKS', 'allow');
afterAll(() => {
  vi.unstubAllEnvs();
});

describe.each(testEngines())('isolation and roles sweep (%s)', (engine) => {
  const ctx = useTestApp(engine);
  let doc: OpenApiDocument;
  let routes: Route[];
  let a: World;
  let b: World;
  /** Passwords of A's mail servers: stored, never returned. */
  const smtpPassword = 'smtp-secret-pw-4711';
  const imapPassword = 'imap-secret-pw-4711';
  /** Distinctive text in A's records: no answer to B may contain it. */
  const aWord = 'quillorange';
  let aIdValues: string[] = [];
  const principalsOfA: Record<string, Headers> = {};

  function call(method: Method, url: string, headers: Headers, sample: Sample = {}): Promise<LightMyRequestResponse> {
    const full = sample.query ? `${url}${url.includes('?') ? '&' : '?'}${sample.query}` : url;
    if (sample.raw)
      return ctx.app.inject({
        method,
        url: full,
        headers: { ...headers, 'content-type': sample.raw.contentType },
        payload: sample.raw.payload,
      });
    return ctx.app.inject({
      method,
      url: full,
      headers,
      ...(sample.body !== undefined ? { payload: sample.body as object } : {}),
    });
  }

  async function signIn(email: string): Promise<{ cookie: string; sessionId: string }> {
    const { token, session } = await ctx.services.auth.login({ email, password: testPassword });
    return { cookie: `${sessionCookieName}=${token}`, sessionId: session.id };
  }

  async function buildWorld(tag: string): Promise<World> {
    const ws = await makeWorkspace(ctx.services, { name: `Isolation ${tag}` });
    const actor = ws.ownerActor;
    const s = ctx.services;
    const word = tag === 'A' ? aWord : 'plainword';
    const { user } = await makeUser(ctx.services, ws, { role: 'agent', name: `Target ${word}` });
    const { key, token: ownerKey } = await s.apiKeys.create(actor, { name: 'owner', scopes: [...permissions] });
    const owner = await signIn(ws.owner.email);
    const external: External = {
      person: `ext-person-${tag}`,
      company: `ext-company-${tag}`,
      product: `ext-product-${tag}`,
      order: `ext-order-${tag}`,
      subscription: `ext-subscription-${tag}`,
      call: `call-${tag}`,
    };
    const company = await s.companies.create(actor, { name: `Company ${word}`, externalId: external.company });
    const { person } = await s.people.create(actor, {
      firstName: `Person ${word}`,
      emails: [`person-${tag.toLowerCase()}@isolation.example`],
      externalId: external.person,
      companies: [{ companyId: company.id, title: 'Buyer' }],
    });
    const note = await s.people.addNote(actor, person.id, `Note ${word}`);
    const field = await s.fields.create(actor, { entity: 'person', label: `Field ${word}`, type: 'text' });
    const team = await s.teams.create(actor, { name: `Team ${word}`, memberIds: [user.id] });
    const channel = await s.channels.create(actor, {
      kind: 'email',
      name: `Desk ${word}`,
      address: `desk-${tag.toLowerCase()}@isolation.test`,
    });
    await s.channels.update(actor, channel.id, {
      settings: {
        smtpUrl: `smtp://mailer:${smtpPassword}@127.0.0.1:1`,
        imap: {
          enabled: false,
          host: '127.0.0.1',
          port: 1,
          security: 'none',
          user: 'desk',
          password: imapPassword,
          mailbox: 'INBOX',
        },
      },
    });
    const calendar = await s.sla.createCalendar(actor, {
      name: `Hours ${word}`,
      timeZone: 'Europe/Lisbon',
      weekly: [{ day: 1, start: '09:00', end: '17:00' }],
    });
    const policy = await s.sla.createPolicy(actor, {
      name: `SLA ${word}`,
      calendarId: calendar.id,
      targets: { first_response: 60 },
    });
    const rule = await s.rules.create(actor, {
      name: `Rule ${word}`,
      trigger: 'ticket.created',
      conditions: [{ field: 'subject', op: 'contains_any', value: ['isolation-never'] }],
      actions: [{ type: 'set_team', teamId: team.id }],
    });
    const ticket = await s.tickets.create(actor, {
      subject: `Ticket ${word}`,
      requester: { personId: person.id },
      text: `The ${word} kettle leaks.`,
      channel: 'email',
      teamId: team.id,
    });
    const reply = await s.tickets.reply(actor, ticket.id, { text: `Send a photo of the ${word}.` });
    const answer = await s.tickets.receive({
      channel,
      from: { email: `person-${tag.toLowerCase()}@isolation.example` },
      subject: `Re: Ticket ${word}`,
      text: 'Here it is.',
      emailMessageId: `photo-${tag}-${v()}@mail.isolation.example`,
      replyTo: [reply.message.emailMessageId ?? ''],
      attachments: [{ fileName: 'leak.jpg', contentType: 'image/jpeg', content: Buffer.from(`leak ${word}`) }],
    });
    if (answer.outcome === 'ignored' || answer.ticket.id !== ticket.id) throw new Error('the answer did not thread');
    await s.tickets.logCall(actor, {
      callId: external.call,
      event: 'started',
      direction: 'inbound',
      customerPhone: '+351912000111',
    });
    const macro = await s.macros.create(actor, {
      name: `Macro ${word}`,
      body: `Hello from ${word}.`,
      actions: { assigneeId: user.id, teamId: team.id },
    });
    await s.sops.put(actor, 'complaint', { steps: [{ text: `Step ${word}`, required: true }] });
    await s.tickets.update(actor, ticket.id, { type: 'complaint' });
    const checklist = await s.sops.checklist(actor, ticket.id);
    const full = await s.tickets.get(actor, ticket.id);
    const category = await s.kb.createCategory(actor, { name: `Category ${word}` });
    const article = await s.kb.create(actor, {
      title: `Article ${word}`,
      body: `All about ${word}.`,
      categoryId: category.id,
      status: 'published',
    });
    const product = await s.products.upsert(actor, external.product, {
      sku: `SKU-${tag}`,
      name: `Product ${word}`,
      price: '40.00',
      currency: 'EUR',
    });
    const order = await s.orders.upsert(actor, external.order, {
      personId: person.id,
      currency: 'EUR',
      note: `Order ${word}`,
      lines: [{ productId: product.product.id, quantity: 2 }],
    });
    const subscription = await s.subscriptions.upsert(actor, external.subscription, {
      personId: person.id,
      plan: `Plan ${word}`,
      mrr: '9.00',
      currency: 'EUR',
    });
    const view = await s.views.create(actor, {
      entity: 'person',
      name: `View ${word}`,
      query: { filter: [] },
      shared: true,
    });
    const upload = await ctx.app.inject({
      method: 'POST',
      url: '/api/v1/imports?entity=person',
      headers: { ...bearer(ownerKey), 'content-type': 'text/csv' },
      payload: `email,first name\nimported-${tag.toLowerCase()}@isolation.example,${word}\n`,
    });
    if (upload.statusCode !== 201) throw new Error(`upload: ${upload.body}`);
    const job = await enqueueJob(
      ctx.database.db,
      ws.workspace.id,
      'isolation.noop',
      {},
      { runAt: new Date(Date.now() + 86_400_000) },
    );
    // Last, so that no event of the set-up is delivered to it.
    const webhook = await s.webhooks.create(actor, {
      url: 'http://127.0.0.1:1/hook',
      eventTypes: ['workspace.updated'],
      description: `Hook ${word}`,
    });
    const delivery = (await s.webhooks.sendTest(actor, webhook.id)).delivery.id;

    const ids: Ids = {
      owner: ws.owner.id,
      user: user.id,
      session: owner.sessionId,
      apiKey: key.id,
      person: person.id,
      company: company.id,
      note: note.id,
      customField: field.id,
      webhook: webhook.id,
      delivery,
      import: upload.json<{ id: string }>().id,
      view: view.id,
      job: job ?? '',
      ticket: ticket.id,
      message: full.messages.at(-1)?.id ?? '',
      conversation: full.conversations[0]?.id ?? '',
      attachment: full.attachments[0]?.id ?? '',
      channel: channel.id,
      team: team.id,
      calendar: calendar.id,
      policy: policy.id,
      rule: rule.id,
      category: category.id,
      article: article.id,
      macro: macro.id,
      step: checklist.steps[0]?.id ?? '',
      product: product.product.id,
      order: order.order.id,
      subscription: subscription.subscription.id,
    };
    for (const k of kinds) if (!ids[k]) throw new Error(`${tag}: no ${k}`);

    const fresh = {
      async person() {
        return (await s.people.create(actor, { firstName: 'Fresh', emails: [`fresh-${v()}@isolation.example`] })).person
          .id;
      },
      async company() {
        return (await s.companies.create(actor, { name: `Fresh ${v()}` })).id;
      },
      async ticket() {
        const t = await s.tickets.create(actor, { subject: 'Fresh', requester: { personId: person.id }, text: 'Q.' });
        await s.tickets.reply(actor, t.id, { text: 'A.' });
        return { id: t.id, messages: (await s.tickets.get(actor, t.id)).messages.map((m) => m.id) };
      },
      async newestMessage() {
        return (await s.tickets.get(actor, ticket.id)).messages.at(-1)?.id ?? '';
      },
      async policyOrder() {
        return (await s.sla.listPolicies(actor)).map((p) => p.id).reverse();
      },
    };
    return { ws, ids, external, ownerKey, ownerCookie: owner.cookie, fresh };
  }

  /** A hash of every row of a workspace, table by table (test/workspace-rows.ts). */
  let tables: string[] = [];
  const rowsOfWorkspace = (workspaceId: string) => workspaceRowHashes(ctx.database.db, tables, workspaceId);

  /** A route's URL for the records of one world (the sample's own path params first). */
  function urlIn(w: World, route: Route, sample: Sample): string {
    const values = Object.fromEntries(
      pathParams(route.path).map((p) => {
        const kind = paramKind(route.path, p);
        if (kind) return [p, sample.params?.[p] ?? w.ids[kind]];
        return [p, p === 'externalId' ? `new-${v()}` : (literalParams[p] ?? '')];
      }),
    );
    return fillPath(route.path, values);
  }

  /** Nothing of A in an answer to B: no id of A's records other than those B sent, no text of A's records. */
  function expectNothingOfA(res: LightMyRequestResponse, sent: string, what: string): void {
    expect(res.body, `${what}: reveals A's text`).not.toContain(aWord);
    for (const id of aIdValues)
      if (!sent.includes(id)) expect(res.body, `${what}: reveals A's record ${id}`).not.toContain(id);
  }

  beforeAll(async () => {
    doc = await openApiDocument(ctx.app);
    routes = documentedRoutes(doc);
    tables = await workspaceTables(ctx.database.db);
    a = await buildWorld('A');
    b = await buildWorld('B');
    aIdValues = [...Object.values(a.ids), a.ws.workspace.id];
    for (const role of ['viewer', 'analyst', 'agent', 'marketer', 'admin'] as const) {
      const { user } = await makeUser(ctx.services, a.ws, { role });
      principalsOfA[`${role} session`] = { cookie: (await signIn(user.email)).cookie };
    }
    const readScopes = permissions.filter((p: Permission) => p.endsWith(':read'));
    const keyOf = async (name: string, scopes: Permission[]) =>
      bearer((await ctx.services.apiKeys.create(a.ws.ownerActor, { name, scopes })).token);
    principalsOfA['owner key with read scopes'] = await keyOf('read only', readScopes);
    principalsOfA['owner key writing customers only'] = await keyOf('customers', [...readScopes, 'customers:write']);
    principalsOfA['owner key writing tickets only'] = await keyOf('tickets', [...readScopes, 'tickets:write']);
  }, 120_000);

  it('accounts for every route left out of the OpenAPI document: how it is isolated, and the test that shows it', () => {
    const documented = new Set(
      Object.entries(doc.paths).flatMap(([path, ops]) =>
        Object.keys(ops)
          .filter((m) => ['get', 'put', 'post', 'delete', 'patch'].includes(m))
          .map((m) => `${m.toUpperCase()} ${path}`),
      ),
    );
    const registered = registeredRoutes(ctx.app);
    // The listing is read right: every documented operation is in it.
    expect([...documented].filter((k) => !registered.some((r) => openApiPath(r) === k))).toEqual([]);
    const hidden = registered.filter((k) => !documented.has(openApiPath(k)));
    expect(
      hidden.filter((k) => !hiddenRoutes[k]),
      'routes left out of the OpenAPI document that hiddenRoutes does not account for: add each, with how it is kept to one workspace and the test that shows it',
    ).toEqual([]);
    expect(
      Object.keys(hiddenRoutes).filter((k) => !hidden.includes(k)),
      'stale entries of hiddenRoutes',
    ).toEqual([]);
    const sources = new Map<string, string>();
    for (const [key, entry] of Object.entries(hiddenRoutes)) {
      expect(entry.isolation.length, key).toBeGreaterThan(20);
      const source = sources.get(entry.file) ?? fs.readFileSync(fromRoot(entry.file), 'utf8');
      sources.set(entry.file, source);
      const quoted = ["'", '"', '`'].map((q) => `${q}${entry.test}${q}`);
      expect(
        quoted.some((q) => source.includes(q)),
        `${key}: no test "${entry.test}" in ${entry.file}`,
      ).toBe(true);
    }
  });

  it('knows how to call every write route of the document', () => {
    const writes = routes.filter((r) => r.method !== 'GET' && !authRoutes.has(r.key)).map((r) => r.key);
    expect(writes.filter((k) => !samples[k])).toEqual([]);
    expect(Object.keys(samples).filter((k) => !routes.some((r) => r.key === k))).toEqual([]);
  });

  it.each(['API key', 'session'])(
    "gives B's owner (%s) a 404 for every record of A named in a path, and leaves A as it was",
    async (how) => {
      const before = await rowsOfWorkspace(a.ws.workspace.id);
      const headers = how === 'API key' ? bearer(b.ownerKey) : { cookie: b.ownerCookie };
      let calls = 0;
      for (const route of routes) {
        const params = pathParams(route.path);
        if (!params.length || authRoutes.has(route.key)) continue;
        const sample = await sampleOf(route.key, b);
        const idParams = params.filter((p) => paramKind(route.path, p) !== null);
        // Every non-empty choice of params given A's record; the others B's own.
        const choices = idParams.length ? 2 ** idParams.length - 1 : 1;
        for (let mask = 1; mask <= choices; mask++) {
          const values: Record<string, string> = {};
          for (const p of params) {
            const kind = paramKind(route.path, p);
            const i = idParams.indexOf(p);
            if (kind === null)
              values[p] = p === 'externalId' ? a.external[externalEntity(route.path)] : (literalParams[p] ?? '');
            else values[p] = mask & (1 << i) ? a.ids[kind] : (sample.params?.[p] ?? b.ids[kind]);
          }
          const url = fillPath(route.path, values);
          const res = await call(route.method, url, headers, sample);
          calls++;
          const what = `${route.method} ${url} -> ${res.statusCode} ${res.body.slice(0, 300)}`;
          expect(res.statusCode, what).toBeLessThan(500);
          expectNothingOfA(res, url, what);
          if (idParams.length) {
            expect(res.statusCode, what).toBe(404);
            expect(isErrorBody(res.json()), what).toBe(true);
            expect(res.json<{ error: { message: string } }>().error.message, what).not.toMatch(/^No route/);
          }
        }
        expect(await rowsOfWorkspace(a.ws.workspace.id), `${route.key} changed workspace A`).toEqual(before);
      }
      expect(calls).toBeGreaterThan(100);
    },
  );

  it("refuses B's owner every record of A named in a request body (B's own record accepted), and leaves A as it was", async () => {
    const headers = bearer(b.ownerKey);
    let before = await rowsOfWorkspace(a.ws.workspace.id);
    let checked = 0;
    for (const route of routes) {
      const schema = Object.values(route.op.requestBody?.content ?? {})[0]?.schema;
      const fields = idFields(doc, schema);
      if (!fields.length) continue;
      const base = await samples[route.key]?.(b);
      if (!base) throw new Error(`${route.key}: no sample`);
      const pathValues = (s: Sample) =>
        Object.fromEntries(
          pathParams(route.path).map((p) => {
            const kind = paramKind(route.path, p);
            if (kind) return [p, s.params?.[p] ?? b.ids[kind]];
            return [p, p === 'externalId' ? `b-own-${v()}` : (literalParams[p] ?? '')];
          }),
        );
      for (const field of fields) {
        const kind = bodyFieldKind(route.path, field);
        const entity = route.path.startsWith('/api/v1/companies') ? 'company' : 'person';
        const value =
          kind === 'own'
            ? ownValueOf(a, route.path, field)
            : kind === 'marker'
              ? a.ids.message
              : kind === 'selection'
                ? a.ids[entity]
                : a.ids[kind];
        const bodyFor = (x: Sample) => (x.bodiesFor && field in x.bodiesFor ? x.bodiesFor[field] : x.body);
        const count = withField(bodyFor(base), field, value).length;
        if (!count) throw new Error(`${route.key}: the sample has no ${field}; add one`);
        for (let i = 0; i < count; i++) {
          // A fresh sample per call: new keys, and fresh records where it consumes some (a merge's other record).
          const fresh = await sampleOf(route.key, b);
          const body = withField(bodyFor(fresh), field, value)[i];
          const sample = { ...fresh, body };
          const url = fillPath(route.path, pathValues(sample));
          const res = await call(route.method, url, headers, sample);
          checked++;
          const what = `${route.method} ${url} ${field}=${value} -> ${res.statusCode} ${res.body.slice(0, 300)}`;
          expect(res.statusCode, what).toBeLessThan(500);
          expectNothingOfA(res, JSON.stringify(body), what);
          if (kind === 'selection') expect(res.json<{ matched: number }>().matched, what).toBe(0);
          else if (kind !== 'own' && kind !== 'marker') {
            expect([400, 404], what).toContain(res.statusCode);
            expect(isErrorBody(res.json()), what).toBe(true);
            // Refused for the reference, not by the request schema (the sample would be wrong then).
            expect(res.body, what).not.toContain('"in":"body"');
          }
          const after = await rowsOfWorkspace(a.ws.workspace.id);
          expect(after, `${what}: changed workspace A`).toEqual(before);
          before = after;
        }
        // The control: the same body with B's own record is accepted, so the refusals were the reference's.
        const control = await samples[route.key]?.(b);
        if (!control) throw new Error(route.key);
        const url = fillPath(route.path, pathValues(control));
        const res = await call(route.method, url, headers, { ...control, body: bodyFor(control) });
        const what = `control ${route.method} ${url} (${field}) -> ${res.body.slice(0, 300)}`;
        expect(res.statusCode, what).toBeLessThan(300);
      }
    }
    expect(checked).toBeGreaterThan(30);
  });

  it("answers id-like query parameters naming A's records with nothing of A", async () => {
    const headers = bearer(b.ownerKey);
    const queryKinds: Record<string, Kind> = {
      subject_id: 'person',
      personId: 'person',
      companyId: 'company',
      categoryId: 'category',
    };
    let checked = 0;
    for (const route of routes) {
      for (const p of route.op.parameters ?? []) {
        if (p.in !== 'query' || !/id$/i.test(p.name)) continue;
        const kind = queryKinds[p.name];
        if (!kind) throw new Error(`${route.key}: query parameter ${p.name} looks like an id; add it to queryKinds`);
        const values = Object.fromEntries(
          pathParams(route.path).map((x) => [x, b.ids[paramKind(route.path, x) ?? 'person']]),
        );
        const url = `${fillPath(route.path, values)}?${p.name}=${a.ids[kind]}`;
        const res = await call(route.method, url, headers, await sampleOf(route.key, b));
        checked++;
        const what = `${route.method} ${url} -> ${res.statusCode} ${res.body.slice(0, 300)}`;
        expect([200, 400, 404], what).toContain(res.statusCode);
        expectNothingOfA(res, url, what);
      }
    }
    expect(checked).toBeGreaterThanOrEqual(4);
  });

  it("filters every list on A's ids to nothing of A", async () => {
    const headers = bearer(b.ownerKey);
    /** What a list's `…_id` filter field names; `id` is the listed record's own id. */
    const filterKinds: Record<string, Kind> = {
      person_id: 'person',
      company_id: 'company',
      owner_id: 'user',
      author_id: 'user',
      assignee_id: 'user',
      user_id: 'user',
      team_id: 'team',
      channel_id: 'channel',
      ticket_id: 'ticket',
      product_id: 'product',
      order_id: 'order',
      category_id: 'category',
      calendar_id: 'calendar',
    };
    const [event] = rowsOf<{ id: string }>(
      await ctx.database.db.execute(sql`select id from events where workspace_id = ${a.ws.workspace.id} limit 1`),
    );
    const aEvent = event?.id ?? '';
    let checked = 0;
    for (const route of routes) {
      if (route.method !== 'GET' || !(route.op.parameters ?? []).some((p) => p.in === 'query' && p.name === 'filter'))
        continue;
      const sample = await sampleOf(route.key, b);
      const base = urlIn(b, route, sample);
      const probe = await call('GET', `${base}?filter=x`, headers, sample);
      const listed = /field one of ([^"]+)/.exec(probe.body)?.[1];
      if (!listed) throw new Error(`${route.key}: no field list in ${probe.body.slice(0, 300)}`);
      // The records a list's fields are of: metrics and predictions list and segment people.
      const top = route.path.split('/')[3] ?? '';
      const entity = top === 'metrics' || top === 'predictions' ? 'person' : segmentKinds[top];
      for (const field of listed.split(', ').filter((f) => /(^|_)id$/.test(f))) {
        const kind = field === 'id' ? entity : filterKinds[field];
        const external: Partial<Record<Kind, string>> = {
          person: a.external.person,
          company: a.external.company,
          product: a.external.product,
          order: a.external.order,
          subscription: a.external.subscription,
        };
        const value =
          field === 'external_id' && entity
            ? external[entity]
            : field === 'event_id'
              ? aEvent
              : kind
                ? a.ids[kind]
                : undefined;
        if (!value) throw new Error(`${route.key}: filter field ${field} looks like an id; add it to filterKinds`);
        const url = `${base}?filter=${field}:eq:${encodeURIComponent(value)}`;
        const res = await call('GET', url, headers, sample);
        checked++;
        const what = `GET ${url} -> ${res.statusCode} ${res.body.slice(0, 300)}`;
        expect([200, 400], what).toContain(res.statusCode);
        expectNothingOfA(res, url, what);
      }
    }
    expect(checked).toBeGreaterThan(5);
  });

  async function refusedEverywhere(
    principal: string,
    selected: (r: Route) => boolean,
    allowed: (r: Route) => number[] = () => [403],
  ): Promise<string[]> {
    const headers = principalsOfA[principal];
    if (!headers) throw new Error(principal);
    const chosen = routes.filter((r) => !authRoutes.has(r.key) && selected(r));
    // Samples first: some make fresh records of A (a merge's other person), which are no change of the sweep's.
    const prepared = new Map<string, Sample>();
    for (const route of chosen) prepared.set(route.key, await sampleOf(route.key, a));
    const before = await rowsOfWorkspace(a.ws.workspace.id);
    const swept: string[] = [];
    for (const route of chosen) {
      const sample = prepared.get(route.key) ?? {};
      const url = urlIn(a, route, sample);
      const res = await call(route.method, url, headers, sample);
      const what = `${principal}: ${route.method} ${url} -> ${res.statusCode} ${res.body.slice(0, 300)}`;
      expect(allowed(route), what).toContain(res.statusCode);
      if (res.statusCode >= 400) {
        expect(isErrorBody(res.json()), what).toBe(true);
        if (res.statusCode === 403) expect(res.json<{ error: { code: string } }>().error.code, what).toBe('forbidden');
      }
      swept.push(route.key);
    }
    expect(await rowsOfWorkspace(a.ws.workspace.id), `${principal} changed workspace A`).toEqual(before);
    return swept;
  }

  it.each(['viewer session', 'analyst session', 'owner key with read scopes'])(
    'refuses every write to a read-only principal (%s) with 403',
    async (principal) => {
      const swept = await refusedEverywhere(
        principal,
        (r) => r.method !== 'GET' || writeCapabilities.has(r.key),
        (r) => {
          if (readLike.has(r.key)) return [200];
          // An analyst may manage API keys of its own: someone else's key is not found, not forbidden.
          if (r.key === 'DELETE /api/v1/api-keys/{id}' && principal === 'analyst session') return [404];
          return [403];
        },
      );
      expect(swept.length).toBeGreaterThan(80);
    },
  );

  /** The writes of each area: customer data (customers:write) and the service desk (tickets:write). */
  const customerArea = ['people', 'companies', 'notes', 'orders', 'products', 'subscriptions', 'imports', 'views'];
  const deskArea = ['tickets', 'calls', 'kb'];
  const areaOf = (r: Route) => r.path.split('/')[3] ?? '';

  it.each([
    ['owner key writing customers only', deskArea],
    ['owner key writing tickets only', customerArea],
  ] as const)('refuses the writes of the other area to an %s', async (principal, area) => {
    const swept = await refusedEverywhere(
      principal,
      (r) => r.method !== 'GET' && area.includes(areaOf(r)),
      (r) => (readLike.has(r.key) ? [200] : [403]),
    );
    expect(swept.length).toBeGreaterThan(10);
  });

  it('answers each read to the permission it needs, and to each role as its permissions say', async () => {
    const keys = new Map<Permission, Headers>();
    for (const p of permissions)
      keys.set(p, bearer((await ctx.services.apiKeys.create(a.ws.ownerActor, { name: p, scopes: [p] })).token));
    const sessions: Array<[Role, Headers]> = [
      ['owner', { cookie: a.ownerCookie }],
      ...(['admin', 'agent', 'marketer', 'analyst', 'viewer'] as const).map((r): [Role, Headers] => [
        r,
        principalsOfA[`${r} session`] ?? {},
      ]),
    ];
    // A signed-in user lists their own sessions without sessions:manage (an API key has no sessions of its own).
    const ownToUsers = new Set(['GET /api/v1/sessions']);
    let checked = 0;
    for (const route of routes) {
      if (route.method !== 'GET') continue;
      const sample = await sampleOf(route.key, a);
      const url = urlIn(a, route, sample);
      const allowing = new Set<Permission>();
      for (const [p, headers] of keys) {
        const res = await call('GET', url, headers, sample);
        expect(res.statusCode, `${p}: GET ${url}`).toBeLessThan(500);
        if (res.statusCode !== 403) allowing.add(p);
      }
      // Each read needs one permission (any single one passes the few open to every principal: /me, /roles…).
      expect(allowing.size, `GET ${url} is refused to every single permission`).toBeGreaterThan(0);
      const open = allowing.size === permissions.length;
      for (const [role, headers] of sessions) {
        const res = await call('GET', url, headers, sample);
        const may = open || ownToUsers.has(route.key) || rolePermissions[role].some((p) => allowing.has(p));
        const what = `${role}: GET ${url} -> ${res.statusCode} (needs one of ${[...allowing].join(', ')})`;
        if (may) expect(res.statusCode, what).not.toBe(403);
        else expect(res.statusCode, what).toBe(403);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(400);
  });

  it.each(['agent session', 'marketer session'])(
    'refuses the admin-only routes to a %s with 403',
    async (principal) => {
      const swept = await refusedEverywhere(principal, adminOnly);
      expect(swept.length).toBeGreaterThan(40);
    },
  );

  it("lists everyone's sessions to admins and owners only", async () => {
    for (const role of ['viewer', 'analyst', 'agent', 'marketer', 'admin'] as const) {
      const res = await call('GET', '/api/v1/sessions?all=true', principalsOfA[`${role} session`] ?? {});
      expect(res.statusCode, `${role}: ${res.body}`).toBe(role === 'admin' ? 200 : 403);
      if (role !== 'admin') expect(isErrorBody(res.json())).toBe(true);
    }
  });

  it('refuses a second first-run setup once a workspace exists', async () => {
    const res = await call(
      'POST',
      '/api/v1/setup',
      {},
      {
        body: { workspaceName: 'Intruder', name: 'Intruder', email: 'intruder@example.com', password: testPassword },
      },
    );
    expect(res.statusCode, res.body).toBe(409);
    expect(isErrorBody(res.json())).toBe(true);
  });

  it('keeps owners out of reach of admins', async () => {
    const headers = principalsOfA['admin session'] ?? {};
    const owner = a.ids.owner;
    const attempts: Array<[Method, string, object | undefined]> = [
      ['PATCH', `/api/v1/users/${owner}`, { role: 'admin' }],
      ['PATCH', `/api/v1/users/${owner}`, { status: 'disabled' }],
      ['PUT', `/api/v1/users/${owner}/password`, { newPassword: 'another-correct-horse-9' }],
      ['DELETE', `/api/v1/users/${owner}`, undefined],
      ['POST', '/api/v1/users', { email: `o-${v()}@example.com`, name: 'New owner', role: 'owner' }],
      ['PATCH', `/api/v1/users/${a.ids.user}`, { role: 'owner' }],
    ];
    const before = await rowsOfWorkspace(a.ws.workspace.id);
    for (const [method, url, body] of attempts) {
      const res = await call(method, url, headers, body ? { body } : {});
      expect(res.statusCode, `${method} ${url}: ${res.body}`).toBe(403);
      expect(isErrorBody(res.json())).toBe(true);
    }
    expect(await rowsOfWorkspace(a.ws.workspace.id)).toEqual(before);
  });

  it('refuses a key without scopes on every route but who-am-I, the roles and the setup state', async () => {
    const { token } = await ctx.services.apiKeys.create(a.ws.ownerActor, { name: 'no scopes', scopes: [] });
    const open = new Set(['GET /api/v1/me', 'GET /api/v1/roles', 'GET /api/v1/setup']);
    const chosen = routes.filter((r) => !authRoutes.has(r.key));
    const prepared = new Map<string, Sample>();
    for (const route of chosen) prepared.set(route.key, await sampleOf(route.key, a));
    const before = await rowsOfWorkspace(a.ws.workspace.id);
    for (const route of chosen) {
      const sample = prepared.get(route.key) ?? {};
      const url = urlIn(a, route, sample);
      const res = await call(route.method, url, bearer(token), sample);
      const what = `${route.method} ${url} -> ${res.statusCode} ${res.body.slice(0, 300)}`;
      if (open.has(route.key)) expect(res.statusCode, what).toBe(200);
      else {
        expect(res.statusCode, what).toBe(403);
        expect(isErrorBody(res.json()), what).toBe(true);
      }
    }
    expect(await rowsOfWorkspace(a.ws.workspace.id)).toEqual(before);
  });

  /**
   * Stored secrets of A: hashes, the workspace's signing secret and mail passwords are never in any answer; channel
   * and webhook secrets only in answers to owners and admins.
   */
  async function secretsOfA(): Promise<{ never: string[]; adminOnly: string[] }> {
    const id = a.ws.workspace.id;
    const column = async (q: ReturnType<typeof sql>) =>
      rowsOf<{ s: string | null }>(await ctx.database.db.execute(q)).map((r) => r.s);
    const never = [
      ...(await column(sql`select password_hash as s from users where workspace_id = ${id}`)),
      ...(await column(sql`select secret_hash as s from sessions where workspace_id = ${id}`)),
      ...(await column(sql`select secret_hash as s from api_keys where workspace_id = ${id}`)),
      ...(await column(sql`select secret as s from workspaces where id = ${id}`)),
      smtpPassword,
      imapPassword,
    ];
    const adminOnly = [
      ...(await column(sql`select secret as s from channels where workspace_id = ${id}`)),
      ...(await column(sql`select secret as s from webhook_endpoints where workspace_id = ${id}`)),
    ];
    const strings = (xs: Array<string | null>) =>
      xs.filter((x): x is string => typeof x === 'string' && x.length >= 12);
    return { never: strings(never), adminOnly: strings(adminOnly) };
  }

  it.each([
    ['viewer session', false],
    ['analyst session', false],
    ['agent session', false],
    ['marketer session', false],
    ['owner key with read scopes', false],
    ['admin session', true],
    ['owner key', true],
  ] as const)('shows no stored secret in any read to a %s', async (principal, admin) => {
    const headers = principal === 'owner key' ? bearer(a.ownerKey) : principalsOfA[principal];
    if (!headers) throw new Error(principal);
    const { never, adminOnly: secrets } = await secretsOfA();
    expect(never.length).toBeGreaterThanOrEqual(6);
    expect(secrets.length).toBeGreaterThanOrEqual(2);
    let answered = 0;
    const gets = routes.filter((r) => r.method === 'GET');
    const prepared = new Map<string, Sample>();
    for (const route of gets) prepared.set(route.key, await sampleOf(route.key, a));
    // Reads change nothing: a read-only role cannot write through a GET either.
    const before = await rowsOfWorkspace(a.ws.workspace.id);
    for (const route of gets) {
      const sample = prepared.get(route.key) ?? {};
      const url = urlIn(a, route, sample);
      const res = await call('GET', url, headers, sample);
      const what = `${principal}: GET ${url} -> ${res.statusCode}`;
      expect(res.statusCode, what).toBeLessThan(500);
      if (res.statusCode === 200) answered++;
      for (const x of never) expect(res.body, `${what} shows a stored secret`).not.toContain(x);
      if (!admin)
        for (const x of secrets) expect(res.body, `${what} shows a channel or webhook secret`).not.toContain(x);
    }
    expect(answered).toBeGreaterThan(30);
    expect(await rowsOfWorkspace(a.ws.workspace.id), `reads of a ${principal} changed workspace A`).toEqual(before);
  });

  it('lets a user manage their own account and private views, and nothing of others (by design)', async () => {
    const { user } = await makeUser(ctx.services, a.ws, { role: 'viewer' });
    const first = await signIn(user.email);
    const second = await signIn(user.email);
    const me = { cookie: first.cookie };
    const expectStatus = async (status: number, method: Method, url: string, body?: object) => {
      const res = await call(method, url, me, body ? { body } : {});
      expect(res.statusCode, `${method} ${url}: ${res.body}`).toBe(status);
      return res;
    };
    await expectStatus(200, 'PATCH', `/api/v1/users/${user.id}`, { name: 'Still a viewer' });
    await expectStatus(403, 'PATCH', `/api/v1/users/${user.id}`, { role: 'admin' });
    await expectStatus(403, 'PATCH', `/api/v1/users/${user.id}`, { status: 'disabled' });
    await expectStatus(204, 'PUT', `/api/v1/users/${user.id}/password`, {
      currentPassword: testPassword,
      newPassword: 'another-correct-horse-9',
    });
    await expectStatus(204, 'DELETE', `/api/v1/sessions/${second.sessionId}`);
    await expectStatus(403, 'DELETE', `/api/v1/sessions/${a.ids.session}`);
    // A private view: the viewer's own; nobody else sees it, not even an admin.
    const view = await expectStatus(201, 'POST', '/api/v1/views', {
      entity: 'person',
      name: 'Mine',
      query: { filter: [] },
      shared: false,
    });
    const viewId = view.json<{ id: string }>().id;
    await expectStatus(403, 'PATCH', `/api/v1/views/${viewId}`, { shared: true });
    for (const other of ['agent session', 'admin session'])
      for (const method of ['GET', 'DELETE'] as const) {
        const res = await call(method, `/api/v1/views/${viewId}`, principalsOfA[other] ?? {});
        expect(res.statusCode, `${other} ${method} a private view`).toBe(404);
      }
    // Another user's API key is not found for someone who may manage only their own.
    const agentKeyDelete = await call(
      'DELETE',
      `/api/v1/api-keys/${a.ids.apiKey}`,
      principalsOfA['agent session'] ?? {},
    );
    expect(agentKeyDelete.statusCode).toBe(404);
  });

  it('gives the unsubscribe link, which changes consent, only to who may change consent', async () => {
    const url = `/api/v1/people/${a.ids.person}/unsubscribe-link?purpose=marketing`;
    for (const principal of ['viewer session', 'analyst session', 'owner key with read scopes']) {
      const res = await call('GET', url, principalsOfA[principal] ?? {});
      expect(res.statusCode, `${principal}: ${res.body}`).toBe(403);
      expect(isErrorBody(res.json())).toBe(true);
    }
    // Who may set consent directly may have the link, and the person's resubscribe form grants it back.
    const link = await call('GET', url, principalsOfA['marketer session'] ?? {});
    expect(link.statusCode, link.body).toBe(200);
    const token = link.json<{ token: string }>().token;
    // The link subscribes again only to undo its own unsubscribe (since 32b3dd0): unsubscribe with it first.
    expect((await ctx.app.inject({ method: 'POST', url: `/u/${token}/confirm` })).statusCode).toBe(200);
    const res = await ctx.app.inject({ method: 'POST', url: `/u/${token}/resubscribe` });
    expect(res.statusCode).toBe(200);
    expect((await ctx.services.people.consent(a.ws.ownerActor, a.ids.person)).current['email:marketing']).toBe(
      'granted',
    );
  });

  it('refuses a bulk owner change to a user of another workspace', async () => {
    for (const entity of ['people', 'companies'] as const) {
      const record = entity === 'people' ? b.ids.person : b.ids.company;
      const body = (owner: string) => ({ selection: { ids: [record] }, action: 'set_owner', value: owner });
      const before = await rowsOfWorkspace(a.ws.workspace.id);
      const refused = await call('POST', `/api/v1/${entity}/bulk`, bearer(b.ownerKey), { body: body(a.ids.user) });
      expect(refused.statusCode, refused.body).toBe(400);
      expect(isErrorBody(refused.json())).toBe(true);
      expect(await rowsOfWorkspace(a.ws.workspace.id)).toEqual(before);
      const control = await call('POST', `/api/v1/${entity}/bulk`, bearer(b.ownerKey), { body: body(b.ids.user) });
      expect(control.statusCode, control.body).toBe(200);
    }
  });

  it('covers every role of the permission table', () => {
    const covered: Role[] = ['viewer', 'analyst', 'agent', 'marketer', 'admin', 'owner'];
    expect([...covered].sort()).toEqual(Object.keys(rolePermissions).sort());
  });
});
