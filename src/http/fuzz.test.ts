import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestApp } from '../../test/app.ts';
import { testEngines } from '../../test/db.ts';
import { makeApiKey, makeUser, makeWorkspace, testPassword, type TestWorkspace } from '../../test/factories.ts';
import { apiRoutes, fillPath, isErrorBody, parseJson, pathParams, type ApiRoute } from '../../test/routes.ts';
import { permissions, roles } from '../domain/permissions.ts';
import { channelKinds, ticketPriorities, ticketStatuses } from '../db/schema/service.ts';
import { sessionCookieName } from '../modules/auth/auth.service.ts';

/**
 * Random bodies, query strings, path params and headers thrown at every documented route. Whatever comes in, the
 * answer is never a 5xx, and every 4xx carries `{"error":{"code","message","details"}}`.
 */

const runsPerRoute = 100;

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
type AuthKind = 'ownerKey' | 'ownerSession' | 'none' | 'garbage';
type BodyCase = { payload: string; contentType: string | null } | null;
type FuzzRequest = {
  auth: AuthKind;
  garbageAuthorization: string;
  params: string[];
  query: string;
  body: BodyCase;
  idempotencyKey: string | null;
  cookie: string | null;
  requestId: string | null;
};

/** Percent-encodes every byte outside the unreserved set; never throws (lone surrogates become U+FFFD). */
function encodeSegment(s: string): string {
  let out = '';
  for (const byte of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-._~]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

const base64url = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');
const printable = (opts: { minLength?: number; maxLength?: number } = {}) =>
  fc.string({ unit: 'grapheme-ascii', ...opts });
const anyText = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  printable({ maxLength: 40 }),
  fc.constantFrom('', ' ', '\u0000', 'a\u0000b', '%', '%00', '\ud800', '🙂', 'ß', '../', "'; drop table users; --"),
);
const forgedToken = (prefix: string) =>
  fc.uint8Array({ minLength: 0, maxLength: 64 }).map((b) => `${prefix}_${base64url(b)}`);

// ---- path params ----
const fieldNames = [
  'name',
  'email',
  'role',
  'status',
  'created_at',
  'updated_at',
  'last_login_at',
  'id',
  'password_hash',
];
const ops = ['eq', 'ne', 'lt', 'lte', 'gt', 'gte', 'in', 'contains', 'exists', 'like', ''];
const interestingValues = [
  'agent',
  'owner',
  'viewer',
  'active',
  'disabled',
  'true',
  'false',
  '2026-01-01',
  '2026-01-01T00:00:00Z',
  '99999-01-01',
  '-000001-01-01',
  '0000-01-01',
  '9999-12-31T23:59:59.999Z',
  '1e308',
  'NaN',
  'agent|viewer',
  '|',
  '',
  '%',
  '_',
  '\\',
];

function paramArb(realIds: string[]): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.uuid().map(encodeSegment) },
    { weight: 3, arbitrary: fc.constantFrom(...realIds) },
    { weight: 2, arbitrary: anyText.map(encodeSegment) },
    { weight: 1, arbitrary: fc.string({ unit: 'grapheme', minLength: 100, maxLength: 400 }).map(encodeSegment) },
    { weight: 1, arbitrary: fc.stringMatching(/^([a-z0-9]|%[0-9a-fA-Fg]{0,2}){1,12}$/) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        '00000000-0000-0000-0000-000000000000',
        'FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF',
        '0190a000-0000-7000-8000-00000000000g',
        '{0190a000-0000-7000-8000-000000000000}',
        '0190a0000000700080000000000000000',
        '%2e%2e',
        '%2F',
        '%E0%A4%A',
        '%C0%AF',
      ),
    },
  );
}

// ---- query strings ----
const filterExpr = fc.oneof(
  fc
    .tuple(
      fc.constantFrom(...fieldNames),
      fc.constantFrom(...ops),
      fc.oneof(fc.constantFrom(...interestingValues), anyText),
    )
    .map(([f, o, v]) => `${f}:${o}:${v}`),
  anyText,
);
const sortArb = fc.oneof(
  fc.tuple(fc.boolean(), fc.constantFrom(...fieldNames)).map(([d, f]) => `${d ? '-' : ''}${f}`),
  anyText,
);
const limitArb = fc.oneof(
  fc.integer({ min: -5, max: 300 }).map(String),
  fc.constantFrom('', '1e400', 'NaN', 'Infinity', '0x10', '2.5', ' 3', '00002', '-0'),
  anyText,
);
const cursorArb = fc.oneof(
  fc
    .tuple(fc.jsonValue({ maxDepth: 2 }), fc.oneof(fc.uuid(), anyText, fc.jsonValue({ maxDepth: 1 })))
    .map((pair) => Buffer.from(JSON.stringify(pair), 'utf8').toString('base64url')),
  fc
    .tuple(fc.constantFrom('2026-01-01T00:00:00.000Z', 'x', '', 'not a date', '+275760-09-13T00:00:00.000Z'), fc.uuid())
    .map((pair) => Buffer.from(JSON.stringify(pair), 'utf8').toString('base64url')),
  fc
    .integer({ min: -1e15, max: 1e15 })
    .map((n) => Buffer.from(JSON.stringify([n, '0190a000-0000-7000-8000-000000000000'])).toString('base64url')),
  anyText,
  printable({ minLength: 480, maxLength: 600 }),
);
/** A metrics day: mostly well-formed, at the edges of what is allowed, or not a day at all. */
const metricDayArb = fc.oneof(
  fc
    .integer({ min: Date.UTC(1899, 0, 1), max: Date.UTC(2100, 0, 1) })
    .map((t) => new Date(Math.floor(t / 86_400_000) * 86_400_000).toISOString().slice(0, 10)),
  fc.constantFrom(
    '1900-01-01',
    '0001-01-01',
    '9999-01-01',
    '9999-12-31',
    '2024-02-30',
    '2024-13-01',
    '2024-01-01T00:00:00Z',
    '2024-01-01T00:00:00.000+00:00',
    '2024-01-01T12:00:00Z',
  ),
  anyText,
);

const queryArb = fc
  .record(
    {
      filter: fc.oneof(
        filterExpr.map((f) => [f]),
        fc.array(filterExpr, { maxLength: 4 }),
        fc.array(filterExpr, { minLength: 51, maxLength: 52 }),
      ),
      sort: sortArb.map((s) => [s]),
      limit: fc.oneof(
        limitArb.map((l) => [l]),
        fc.array(limitArb, { minLength: 2, maxLength: 3 }),
      ),
      cursor: cursorArb.map((c) => [c]),
      include_revoked: fc.constantFrom(['true'], ['false'], ['yes'], ['true', 'true']),
      all: fc.constantFrom(['true'], ['false'], ['1'], ['']),
      before: fc.oneof(
        fc.integer({ min: -10, max: 10 }).map((n) => [String(n)]),
        limitArb.map((l) => [l]),
      ),
      type: fc.oneof(
        fc.constantFrom(['user.*'], ['*'], ['.*'], ['user.created']),
        anyText.map((t) => [t]),
      ),
      subject_type: anyText.map((t) => [t]),
      subject_id: fc.oneof(fc.uuid(), anyText).map((t) => [t]),
      // Metrics: days, currencies, RFM segments and scores.
      from: metricDayArb.map((d) => [d]),
      to: metricDayArb.map((d) => [d]),
      asOf: metricDayArb.map((d) => [d]),
      currency: fc.oneof(fc.constantFrom('EUR', 'usd', 'CHF', '€', ''), anyText).map((t) => [t]),
      segment: fc.oneof(fc.constantFrom('champions', 'lost', 'cant_lose', '__proto__'), anyText).map((t) => [t]),
      r: fc.integer({ min: -1, max: 7 }).map((n) => [String(n)]),
      f: fc.oneof(fc.integer({ min: -1, max: 7 }).map(String), anyText).map((t) => [t]),
      maxOffset: fc.oneof(fc.integer({ min: -2, max: 5000 }).map(String), anyText).map((t) => [t]),
      churnWindowDays: fc.oneof(fc.integer({ min: -1, max: 100_000 }).map(String), anyText).map((t) => [t]),
      extra: fc.dictionary(anyText, anyText, { maxKeys: 3 }).map((d) => Object.entries(d).flat()),
    },
    { requiredKeys: [] },
  )
  .chain((q) =>
    fc
      .constantFrom(
        '',
        '&',
        '&&=',
        '%',
        '%zz',
        '=x',
        '&a[b]=c',
        '&limit',
        '&filter',
        '&__proto__=x',
        '&constructor[prototype]=1',
      )
      .map((junk) => {
        const sp = new URLSearchParams();
        for (const [k, vs] of Object.entries(q)) {
          if (k === 'extra') {
            for (let i = 0; i + 1 < vs.length; i += 2) sp.append(vs[i] ?? '', vs[i + 1] ?? '');
          } else for (const v of vs) sp.append(k, v);
        }
        const s = sp.toString() + junk;
        return s ? `?${s}` : '';
      }),
  );

// ---- bodies ----
const bodyKeys = [
  'email',
  'name',
  'role',
  'status',
  'password',
  'currentPassword',
  'newPassword',
  'scopes',
  'expiresAt',
  'timezone',
  'workspaceName',
  'workspace',
  '__proto__',
  'constructor',
];
const fieldValue = fc.oneof(
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
  { weight: 3, arbitrary: anyText },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      ...roles,
      'superuser',
      'active',
      'disabled',
      'UTC',
      'Europe/Paris',
      'Mars/Olympus',
      testPassword,
      'short',
      'x'.repeat(257),
      '2099-01-01T00:00:00Z',
      '2000-01-01T00:00:00Z',
      '2099-01-01',
      ' ',
    ),
  },
  { weight: 2, arbitrary: fc.emailAddress() },
  { weight: 2, arbitrary: fc.array(fc.constantFrom(...permissions, 'root', ''), { maxLength: 20 }) },
  { weight: 1, arbitrary: fc.string({ minLength: 190, maxLength: 400 }) },
);
/** Mostly well-formed bodies, so the services behind the validation are reached too. */
const plausibleBody = fc.record(
  {
    email: fc.oneof(fc.emailAddress(), fc.constantFrom('OWNER@example.com', ' x@example.com ')),
    name: fc.oneof(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 60 }), anyText),
    role: fc.constantFrom(...roles),
    status: fc.constantFrom('active', 'disabled'),
    password: fc.constantFrom(testPassword, 'short', 'p'.repeat(256)),
    currentPassword: fc.constantFrom(testPassword, 'wrong-password-123'),
    newPassword: fc.constantFrom(testPassword, 'another-long-password', 'short'),
    scopes: fc.subarray([...permissions]),
    expiresAt: fc.option(
      fc
        .date({ min: new Date('1990-01-01'), max: new Date('2200-01-01'), noInvalidDate: true })
        .map((d) => d.toISOString()),
      { nil: null },
    ),
    timezone: fc.constantFrom('UTC', 'Europe/Paris', 'America/New_York', 'Nowhere/Land', '+05:00', 'utc'),
    workspaceName: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 60 }),
    workspace: fc.string({ maxLength: 20 }),
  },
  { requiredKeys: ['email', 'name', 'role', 'password', 'newPassword', 'scopes'] },
);
const jsonBody = fc.oneof(
  { weight: 6, arbitrary: plausibleBody },
  { weight: 3, arbitrary: fc.dictionary(fc.constantFrom(...bodyKeys), fieldValue, { maxKeys: 6 }) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.anything({ maxDepth: 2 }).map((v) => parseJson(JSON.stringify(v) ?? 'null') ?? null) },
);
const jsonTypes = [
  'application/json',
  'application/json; charset=utf-8',
  'APPLICATION/JSON',
  'application/vnd.api+json',
];
const bodyArb: fc.Arbitrary<BodyCase> = fc.oneof(
  { weight: 2, arbitrary: fc.constant(null) },
  {
    weight: 6,
    arbitrary: fc
      .tuple(jsonBody, fc.constantFrom(...jsonTypes))
      .map(([v, contentType]) => ({ payload: JSON.stringify(v), contentType })),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(
        fc.oneof(
          anyText,
          fc.constantFrom(
            '{',
            '{"a":',
            '[1,]',
            '{"__proto__":{"isAdmin":true}}',
            '{"constructor":{"prototype":{"x":1}}}',
            'null',
            '""',
            '1e999',
            '\ufeff{}',
          ),
        ),
        fc.constantFrom(...jsonTypes, null),
      )
      .map(([payload, contentType]) => ({ payload, contentType })),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(
        anyText,
        fc.constantFrom(
          'text/plain',
          'text/plain; charset=utf-8',
          'application/x-www-form-urlencoded',
          'multipart/form-data; boundary=xyz',
          'application/octet-stream',
          'application/json; charset=utf-16',
          'application/xml',
          ';',
          '*/*',
          'garbage',
        ),
      )
      .map(([payload, contentType]) => ({ payload, contentType })),
  },
);

/**
 * Mostly well-formed service-desk bodies (tickets, replies, merge, split, channels, teams, macros, SOP checklists),
 * naming real ids often.
 */
function deskBodyArb(realIds: string[]): fc.Arbitrary<BodyCase> {
  const id = fc.oneof(fc.uuid(), fc.constantFrom(...realIds));
  const text = fc.oneof(fc.string({ unit: 'grapheme', maxLength: 60 }), anyText);
  return fc
    .record(
      {
        subject: text,
        requester: fc.record(
          {
            personId: id,
            email: fc.oneof(fc.emailAddress(), anyText),
            phone: fc.constantFrom('020 7946 0018', '+44 20 7946 0018', '12', 'not a phone', ''),
            name: text,
          },
          { requiredKeys: [] },
        ),
        text,
        html: fc.oneof(
          anyText,
          fc.constantFrom('<p>Hi <b>there</b></p>', '<script>alert(1)</script>', '<img src=x onerror=alert(1)>', '<'),
        ),
        internal: fc.boolean(),
        force: fc.boolean(),
        status: fc.constantFrom(...ticketStatuses, 'bogus', ''),
        priority: fc.constantFrom(...ticketPriorities, 'critical'),
        type: fc.constantFrom('question', 'billing', 'gossip', ''),
        channel: fc.constantFrom(...channelKinds, 'fax'),
        from: fc.constantFrom('customer', 'agent', 'robot'),
        tags: fc.array(text, { maxLength: 5 }),
        custom: fc.dictionary(anyText, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
        assigneeId: fc.option(id, { nil: null }),
        teamId: fc.option(id, { nil: null }),
        personId: id,
        conversationId: id,
        seenMessageId: id,
        ticketIds: fc.array(id, { maxLength: 4 }),
        messageIds: fc.array(id, { maxLength: 4 }),
        memberIds: fc.array(id, { maxLength: 4 }),
        kind: fc.constantFrom(...channelKinds, 'fax'),
        name: text,
        description: fc.option(text, { nil: null }),
        address: fc.oneof(fc.emailAddress(), anyText, fc.constant(null)),
        active: fc.boolean(),
        body: fc.oneof(
          text,
          fc.constantFrom(
            'Hi {{customer.first_name|there}}',
            '{{customer.frist_name}}',
            '{{',
            '{{}}',
            '{{ticket.number|}}',
            '{{a.b.c.d|{{x}}}}',
          ),
        ),
        actions: fc.record(
          {
            status: fc.constantFrom(...ticketStatuses, 'bogus'),
            priority: fc.constantFrom(...ticketPriorities, 'critical'),
            type: fc.constantFrom('question', 'return_refund', 'gossip', ''),
            assigneeId: fc.oneof(fc.option(id, { nil: null }), fc.constantFrom('me', 'you')),
            teamId: fc.option(id, { nil: null }),
            addTags: fc.array(text, { maxLength: 3 }),
            removeTags: fc.array(text, { maxLength: 3 }),
          },
          { requiredKeys: [] },
        ),
        steps: fc.array(fc.record({ id: id, text, required: fc.boolean() }, { requiredKeys: ['text'] }), {
          maxLength: 4,
        }),
        blockSolve: fc.boolean(),
        done: fc.boolean(),
        settings: fc.record(
          {
            smtpUrl: fc.oneof(
              fc.constantFrom('smtp://u:p@127.0.0.1:1', 'smtps://x', 'http://x', 'smtp://[::1', ''),
              anyText,
              fc.constant(null),
            ),
            fromName: fc.option(text, { nil: null }),
            // Only hosts that answer at once (a closed local port), so imap/test and imap/poll never wait on DNS.
            imap: fc.option(
              fc.record(
                {
                  enabled: fc.boolean(),
                  host: fc.constantFrom('127.0.0.1', '', 'bad host', '[::1]', '-x'),
                  port: fc.constantFrom(1, 0, 70000, 2.5, null),
                  security: fc.constantFrom('tls', 'starttls', 'none', 'ssl3'),
                  user: text,
                  password: text,
                  mailbox: fc.oneof(text, fc.constantFrom('INBOX', 'a\u0001b')),
                  afterImport: fc.constantFrom('seen', 'move', 'delete'),
                  moveTo: fc.option(fc.oneof(text, fc.constant('INBOX')), { nil: null }),
                  pollIntervalSeconds: fc.integer({ min: -10, max: 100_000 }),
                },
                { requiredKeys: [] },
              ),
              { nil: null },
            ),
          },
          { requiredKeys: [] },
        ),
      },
      { requiredKeys: [] },
    )
    .map((v) => ({ payload: JSON.stringify(v), contentType: 'application/json' }));
}

/** Mostly well-formed commerce bodies (products, orders, refunds, subscriptions), with awkward amounts and dates. */
function commerceBodyArb(realIds: string[]): fc.Arbitrary<BodyCase> {
  const id = fc.oneof(fc.uuid(), fc.constantFrom(...realIds));
  const text = fc.oneof(fc.string({ unit: 'grapheme', maxLength: 60 }), anyText);
  const money = fc.oneof(
    fc.integer({ min: -1000, max: 1_000_000 }),
    fc.double({ noNaN: false }),
    fc.constantFrom('19.99', '19.999', '0', '-1', '1e3', '1,50', ' 7.5 ', '', '.5', '9'.repeat(25), 'NaN', 0.1 + 0.2),
    anyText,
  );
  const moment = fc.oneof(
    fc
      .date({ min: new Date('1800-01-01'), max: new Date('2100-01-01'), noInvalidDate: true })
      .map((d) => d.toISOString()),
    fc.constantFrom('0000-01-01T00:00:00Z', '9999-12-31T23:59:59Z', '2025-02-29T00:00:00Z', '2025-01-01', 'now', ''),
  );
  return fc
    .record(
      {
        sku: text,
        name: text,
        category: fc.option(text, { nil: null }),
        price: money,
        currency: fc.constantFrom('EUR', 'eur', 'JPY', 'BHD', 'XYZ', 'EURO', '', '€'),
        active: fc.boolean(),
        externalId: fc.option(text, { nil: null }),
        personId: id,
        customer: fc.record(
          {
            externalId: text,
            email: fc.oneof(fc.emailAddress(), anyText),
            phone: fc.constantFrom('+351912000111', '12', ''),
            name: text,
          },
          { requiredKeys: [] },
        ),
        placedAt: moment,
        status: fc.constantFrom('placed', 'paid', 'canceled', 'refunded', 'active', 'bogus'),
        channel: fc.option(text, { nil: null }),
        lines: fc.array(
          fc.record(
            {
              productId: id,
              sku: text,
              name: text,
              quantity: fc.oneof(fc.integer({ min: -2, max: 2_000_000 }), fc.constant(1.5)),
              unitPrice: money,
              amount: money,
            },
            { requiredKeys: [] },
          ),
          { maxLength: 4 },
        ),
        subtotal: money,
        discount: money,
        tax: money,
        shipping: money,
        total: money,
        note: fc.option(text, { nil: null }),
        amount: money,
        reason: fc.option(text, { nil: null }),
        refundedAt: moment,
        plan: text,
        mrr: money,
        startedAt: moment,
        canceledAt: fc.option(moment, { nil: null }),
        cancelReason: fc.option(text, { nil: null }),
      },
      { requiredKeys: [] },
    )
    .map((v) => ({ payload: JSON.stringify(v), contentType: 'application/json' }));
}

// ---- headers ----
const garbageAuthorization = fc.oneof(
  printable({ maxLength: 60 }),
  printable({ maxLength: 60 }).map((s) => `Bearer ${s}`),
  forgedToken('rpk').map((t) => `Bearer ${t}`),
  forgedToken('rps').map((t) => `Bearer ${t}`),
  fc.uint8Array({ minLength: 56, maxLength: 56 }).map((b) => `Bearer rpk_${base64url(b)}`),
  fc.constantFrom(
    'Bearer',
    'Bearer ',
    'bearer  x',
    'Basic dXNlcjpwYXNz',
    'Bearer a b',
    `Bearer rpk_${'A'.repeat(300)}`,
  ),
);
const idempotencyKeyArb = fc.oneof(
  { weight: 4, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: printable({ minLength: 1, maxLength: 40 }) },
  { weight: 1, arbitrary: fc.constantFrom('', ' ', 'same-key', 'a b', 'x'.repeat(201)) },
);
const cookieArb = fc.option(
  fc.oneof(
    forgedToken('rps').map((t) => `${sessionCookieName}=${t}`),
    printable({ maxLength: 80 }).map((s) => `${sessionCookieName}=${encodeURIComponent(s)}`),
    printable({ maxLength: 80 }),
  ),
  { nil: null },
);

function requestArb(route: ApiRoute, realIds: string[]): fc.Arbitrary<FuzzRequest> {
  const n = pathParams(route.path).length;
  return fc.record({
    auth: fc.oneof(
      { weight: 6, arbitrary: fc.constant<AuthKind>('ownerKey') },
      { weight: 2, arbitrary: fc.constant<AuthKind>('ownerSession') },
      { weight: 1, arbitrary: fc.constant<AuthKind>('none') },
      { weight: 1, arbitrary: fc.constant<AuthKind>('garbage') },
    ),
    garbageAuthorization,
    params: fc.array(paramArb(realIds), { minLength: n, maxLength: n }),
    query: fc.oneof({ weight: 1, arbitrary: fc.constant('') }, { weight: 3, arbitrary: queryArb }),
    body: fc.oneof(
      { weight: 3, arbitrary: bodyArb },
      { weight: 2, arbitrary: deskBodyArb(realIds) },
      { weight: 2, arbitrary: commerceBodyArb(realIds) },
    ),
    idempotencyKey: idempotencyKeyArb,
    cookie: cookieArb,
    requestId: fc.option(printable({ minLength: 1, maxLength: 100 }), { nil: null }),
  });
}

describe.each(testEngines())('every route under random input on %s', (engine) => {
  const ctx = useTestApp(engine);
  let ws: TestWorkspace;
  let ownerKey: string;
  let ownerCookie: string;
  let realIds: string[];

  async function signInOwner(): Promise<string> {
    const { token } = await ctx.services.auth.login({ email: ws.owner.email, password: testPassword });
    return `${sessionCookieName}=${token}`;
  }

  beforeAll(async () => {
    ws = await makeWorkspace(ctx.services);
    ownerKey = await makeApiKey(ctx.services, ws);
    ownerCookie = await signInOwner();
    // Objects the fuzzer may hit by id (and change or delete); the owner, its key and its session are not among them.
    const agent = await makeUser(ctx.services, ws, { role: 'agent' });
    const viewer = await makeUser(ctx.services, ws, { role: 'viewer' });
    const agentKey = await ctx.services.apiKeys.create(agent.actor, { name: 'agent', scopes: ['users:read'] });
    const { session } = await ctx.services.auth.login({ email: agent.user.email, password: testPassword });
    const other = await makeWorkspace(ctx.services);
    // The service desk: a team, an e-mail channel, a ticket with a reply and a customer's answer carrying a file.
    const team = await ctx.services.teams.create(ws.ownerActor, { name: 'Fuzz team', memberIds: [agent.user.id] });
    const channel = await ctx.services.channels.create(ws.ownerActor, {
      kind: 'email',
      name: 'Fuzz',
      address: `fuzz-${ws.workspace.slug}@fuzz.test`,
    });
    const ticket = await ctx.services.tickets.create(ws.ownerActor, {
      subject: 'Fuzz ticket',
      requester: { email: 'fuzz@example.com' },
      text: 'First message.',
      channel: 'email',
      teamId: team.id,
    });
    const reply = await ctx.services.tickets.reply(ws.ownerActor, ticket.id, { text: 'A reply.' });
    await ctx.services.tickets.receive({
      channel,
      from: { email: 'fuzz@example.com' },
      subject: 'Re: Fuzz ticket',
      text: 'An answer with a file.',
      replyTo: [reply.message.emailMessageId ?? ''],
      attachments: [{ fileName: 'a.txt', contentType: 'text/plain', content: Buffer.from('file') }],
    });
    const desk = await ctx.services.tickets.get(ws.ownerActor, ticket.id);
    // A macro that changes fields and replies, and an SOP whose checklist the ticket carries.
    const macro = await ctx.services.macros.create(ws.ownerActor, {
      name: 'Fuzz macro',
      body: 'Hi {{customer.first_name|there}}',
      actions: { status: 'pending', teamId: team.id, addTags: ['fuzz'] },
    });
    await ctx.services.sops.put(ws.ownerActor, 'question', {
      steps: [{ text: 'Check the order', required: true }],
      blockSolve: true,
    });
    await ctx.services.tickets.update(ws.ownerActor, ticket.id, { type: 'complaint' });
    await ctx.services.tickets.update(ws.ownerActor, ticket.id, { type: 'question' });
    const checklist = await ctx.services.sops.checklist(ws.ownerActor, ticket.id);
    // Commerce: a product, an order of it (paid) and a subscription, each with an external id the fuzzer may name.
    const product = await ctx.services.products.create(ws.ownerActor, {
      sku: 'FUZZ-1',
      name: 'Fuzz kettle',
      price: '19.99',
      currency: 'EUR',
      externalId: 'fuzz-product',
    });
    const order = await ctx.services.orders.create(ws.ownerActor, {
      externalId: 'fuzz-order',
      customer: { email: 'fuzz@example.com' },
      currency: 'EUR',
      lines: [{ productId: product.id, quantity: 3 }],
    });
    const subscription = await ctx.services.subscriptions.create(ws.ownerActor, {
      externalId: 'fuzz-subscription',
      customer: { email: 'fuzz@example.com' },
      plan: 'Fuzz plan',
      mrr: '9.90',
      currency: 'EUR',
    });
    realIds = [
      product.id,
      order.order.id,
      subscription.subscription.id,
      'fuzz-product',
      'fuzz-order',
      'fuzz-subscription',
      macro.id,
      ...checklist.steps.map((x) => x.id),
      'question',
      'complaint',
      agent.user.id,
      viewer.user.id,
      session.id,
      agentKey.key.id,
      other.owner.id,
      other.workspace.id,
      team.id,
      channel.id,
      ticket.id,
      ...desk.conversations.map((c) => c.id),
      ...desk.messages.map((m) => m.id),
      ...desk.attachments.map((a) => a.id),
      desk.person?.id ?? ticket.id,
    ];
  });

  async function send(route: ApiRoute, r: FuzzRequest) {
    const url = fillPath(route.path, Object.fromEntries(pathParams(route.path).map((p, i) => [p, r.params[i] ?? ''])));
    const headers: Record<string, string> = {};
    if (r.auth === 'ownerKey') headers.authorization = `Bearer ${ownerKey}`;
    if (r.auth === 'garbage') headers.authorization = r.garbageAuthorization;
    const cookie = r.auth === 'ownerSession' ? ownerCookie : r.cookie;
    if (cookie) headers.cookie = cookie;
    if (r.idempotencyKey !== null) headers['idempotency-key'] = r.idempotencyKey;
    if (r.requestId !== null) headers['x-request-id'] = r.requestId;
    if (r.body?.contentType) headers['content-type'] = r.body.contentType;
    const res = await ctx.app.inject({
      method: route.method as Method,
      url: url + r.query,
      headers,
      ...(r.body ? { payload: r.body.payload } : {}),
    });
    // Signing out (or revoking) the owner's session must not turn the remaining runs unauthenticated.
    if (r.auth === 'ownerSession' && !(await ctx.services.auth.authenticateSession(ownerCookie.split('=')[1] ?? '')))
      ownerCookie = await signInOwner();
    return { url: url + r.query, res };
  }

  it('documents the routes it fuzzes', async () => {
    const routes = await apiRoutes(ctx.app);
    expect(routes.length).toBeGreaterThan(15);
    expect(routes.filter((r) => r.path.includes('{id}')).length).toBeGreaterThan(3);
  });

  it('answers no 5xx, and every 4xx with {"error":{"code","message","details"}}', async () => {
    const routes = await apiRoutes(ctx.app);
    const failures: string[] = [];
    for (const route of routes) {
      try {
        await fc.assert(
          fc.asyncProperty(requestArb(route, realIds), async (r) => {
            const { url, res } = await send(route, r);
            const what = `${route.method} ${url} -> ${res.statusCode} ${res.body.slice(0, 300)}`;
            expect(res.statusCode, what).toBeLessThan(500);
            if (res.statusCode >= 400) {
              expect(res.headers['content-type'], what).toMatch(/^application\/json/);
              expect(isErrorBody(parseJson(res.body)), what).toBe(true);
            }
          }),
          { numRuns: runsPerRoute, endOnFailure: true },
        );
      } catch (e) {
        failures.push(`${route.key}: ${e instanceof Error ? e.message.slice(0, 2000) : String(e)}`);
      }
    }
    expect(failures, failures.join('\n\n')).toEqual([]);
  }, 240_000);

  it('still lets the owner in afterwards (the fuzzer did not lock itself out)', async () => {
    const res = await ctx.app.inject({
      method: 'GET',
      url: '/api/v1/me',
      headers: { authorization: `Bearer ${ownerKey}` },
    });
    expect(res.statusCode).toBe(200);
  });
});
