import { beforeAll, describe, expect, it } from 'vitest';
import { bearer, useTestApp } from '../../test/app.ts';
import { testEngines } from '../../test/db.ts';
import { makeApiKey, makeUser, makeWorkspace, type TestWorkspace } from '../../test/factories.ts';
import { apiRoutes, isErrorBody, openApiDocument } from '../../test/routes.ts';
import type { Role } from '../domain/permissions.ts';
import type { UserDto } from '../modules/users/users.schemas.ts';

type Page = { data: UserDto[]; page: { nextCursor: string | null; limit: number } };
type Problems = { error: { code: string; message: string; details: { problems: unknown[] } } };

function query(params: Record<string, string | string[]>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) for (const x of Array.isArray(v) ? v : [v]) q.append(k, x);
  return q.toString();
}

function forgedCursor(v: unknown, id: unknown): string {
  return Buffer.from(JSON.stringify([v, id]), 'utf8').toString('base64url');
}

describe.each(testEngines())('API conventions on %s', (engine) => {
  const ctx = useTestApp(engine);

  describe('cursor pagination', () => {
    let ws: TestWorkspace;
    let key: string;
    let everyone: UserDto[];

    beforeAll(async () => {
      ws = await makeWorkspace(ctx.services);
      key = await makeApiKey(ctx.services, ws);
      // Duplicate names force the id tie-breaker; mixed case and accents exercise the collation.
      const people: Array<{ name: string; role: Role; email: string }> = [
        { name: 'Same', role: 'agent', email: 'same1@acme.test' },
        { name: 'Same', role: 'viewer', email: 'same2@example.com' },
        { name: 'Same', role: 'agent', email: 'same3@ACME.test' },
        { name: 'alice', role: 'marketer', email: 'alice@acme.test' },
        { name: 'Bob', role: 'agent', email: 'bob@example.com' },
        { name: 'Émile', role: 'viewer', email: 'emile@acme.test' },
        { name: 'zed', role: 'analyst', email: 'zed@example.com' },
        { name: 'Carol', role: 'admin', email: 'carol@example.com' },
      ];
      for (const p of people) await makeUser(ctx.services, ws, p);
      const res = await ctx.app.inject({ method: 'GET', url: '/api/v1/users?limit=200', headers: bearer(key) });
      expect(res.statusCode).toBe(200);
      everyone = res.json<Page>().data;
      expect(everyone).toHaveLength(people.length + 1);
    });

    /** Follows nextCursor from the first page to the last, returning every id in the order seen. */
    async function walk(params: Record<string, string | string[]>): Promise<{ ids: string[]; pages: number }> {
      const ids: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const q = query({ ...params, limit: '2', ...(cursor ? { cursor } : {}) });
        const res = await ctx.app.inject({ method: 'GET', url: `/api/v1/users?${q}`, headers: bearer(key) });
        expect(res.statusCode, res.body).toBe(200);
        const page = res.json<Page>();
        expect(page.page.limit).toBe(2);
        expect(page.data.length).toBeLessThanOrEqual(2);
        if (page.page.nextCursor) expect(page.data).toHaveLength(2);
        ids.push(...page.data.map((u) => u.id));
        cursor = page.page.nextCursor;
        pages++;
        expect(pages, 'pagination does not end').toBeLessThan(50);
      } while (cursor);
      return { ids, pages };
    }

    /** The same query in one page: the order pagination must reproduce. */
    async function onePage(params: Record<string, string | string[]>): Promise<string[]> {
      const q = query({ ...params, limit: '200' });
      const res = await ctx.app.inject({ method: 'GET', url: `/api/v1/users?${q}`, headers: bearer(key) });
      expect(res.statusCode, res.body).toBe(200);
      const page = res.json<Page>();
      expect(page.page.nextCursor).toBeNull();
      return page.data.map((u) => u.id);
    }

    it.each(['name', '-name', 'created_at', '-created_at', 'email', '-email', 'role', '-updated_at'])(
      'walks every user exactly once with limit=2 and sort=%s',
      async (sort) => {
        const { ids, pages } = await walk({ sort });
        expect(new Set(ids).size).toBe(ids.length);
        expect([...ids].sort()).toEqual(everyone.map((u) => u.id).sort());
        expect(ids).toEqual(await onePage({ sort }));
        expect(pages).toBe(Math.ceil(everyone.length / 2));
      },
    );

    it('walks in the default order (created_at ascending) without a sort', async () => {
      const { ids } = await walk({});
      expect(ids).toEqual(everyone.map((u) => u.id));
    });

    it('orders name ascending consistently with its reverse', async () => {
      const asc = await onePage({ sort: 'name' });
      const desc = await onePage({ sort: '-name' });
      const names = (ids: string[]) => ids.map((id) => everyone.find((u) => u.id === id)?.name);
      expect(names(desc)).toEqual(names(asc).reverse());
    });

    const filters: Array<[string, string[], (u: UserDto) => boolean]> = [
      ['role:eq:agent', ['role:eq:agent'], (u) => u.role === 'agent'],
      ['role:in:agent|viewer', ['role:in:agent|viewer'], (u) => u.role === 'agent' || u.role === 'viewer'],
      ['email:contains:ACME (any case)', ['email:contains:ACME'], (u) => u.email.includes('acme')],
      [
        'role:ne:agent and name:eq:Same',
        ['role:ne:agent', 'name:eq:Same'],
        (u) => u.role !== 'agent' && u.name === 'Same',
      ],
      ['email:contains:% (a literal, not a wildcard)', ['email:contains:%'], () => false],
    ];

    it.each(filters)('walks exactly the matching users with filter %s', async (_label, filter, match) => {
      const expected = everyone.filter(match).map((u) => u.id);
      for (const sort of ['name', '-created_at', 'email']) {
        const { ids } = await walk({ sort, filter });
        expect(new Set(ids).size).toBe(ids.length);
        expect([...ids].sort()).toEqual([...expected].sort());
        expect(ids).toEqual(await onePage({ sort, filter }));
      }
    });

    it('filters created_at with the timestamps the API shows', async () => {
      const sorted = [...everyone].sort((a, b) => a.createdAt.localeCompare(b.createdAt));
      const pivot = sorted[3];
      expect(pivot).toBeDefined();
      if (!pivot) return;
      const after = await onePage({ filter: `created_at:gt:${pivot.createdAt}` });
      const atOrAfter = await onePage({ filter: `created_at:gte:${pivot.createdAt}` });
      expect(after).not.toContain(pivot.id);
      expect(atOrAfter).toContain(pivot.id);
      expect(after).toEqual(everyone.filter((u) => u.createdAt > pivot.createdAt).map((u) => u.id));
    });

    const badParams: Array<[string, string]> = [
      ['limit=0', 'limit=0'],
      ['limit=201', 'limit=201'],
      ['limit=abc', 'limit=abc'],
      ['limit=1.5', 'limit=1.5'],
      ['sort by an unknown field', 'sort=password_hash'],
      ['sort by an unsortable field', 'sort=last_login_at'],
      ['sort=-', 'sort=-'],
      ['filter on an unknown field', 'filter=password_hash:eq:x'],
      ['filter without an operator', 'filter=role'],
      ['filter with an unknown operator', 'filter=role:like:agent'],
      ['filter with a value outside the enum', 'filter=role:eq:wizard'],
      ['filter with an invalid date', 'filter=created_at:gt:yesterday'],
      ['filter with a date the database cannot hold', 'filter=created_at:gt:99999-01-01'],
      ['contains on a non-text field', 'filter=created_at:contains:2026'],
      ['too many filters', Array.from({ length: 51 }, () => 'filter=role:eq:agent').join('&')],
      ['a cursor that is not base64 JSON', 'cursor=garbage'],
      ['a cursor with a non-UUID id', `cursor=${forgedCursor('2026-01-01T00:00:00.000Z', 'x')}`],
      ['a cursor with an invalid date', `cursor=${forgedCursor('not a date', '0190a000-0000-7000-8000-000000000000')}`],
      ['a cursor with an out-of-range date', `cursor=${forgedCursor(1e20, '0190a000-0000-7000-8000-000000000000')}`],
      [
        'a cursor whose value does not fit the sort field',
        `sort=name&cursor=${forgedCursor({ a: 1 }, '0190a000-0000-7000-8000-000000000000')}`,
      ],
      ['a NUL character in a filter', 'filter=name:eq:a%00b'],
    ];

    it.each(badParams)('refuses %s with 400 validation_failed and details.problems', async (_label, q) => {
      const res = await ctx.app.inject({ method: 'GET', url: `/api/v1/users?${q}`, headers: bearer(key) });
      expect(res.statusCode, res.body).toBe(400);
      const body = res.json<Problems>();
      expect(isErrorBody(body)).toBe(true);
      expect(body.error.code).toBe('validation_failed');
      expect(Array.isArray(body.error.details.problems)).toBe(true);
      expect(body.error.details.problems.length).toBeGreaterThan(0);
    });
  });

  describe('Idempotency-Key on POST /users', () => {
    let ws: TestWorkspace;
    let key: string;
    let otherKey: string;

    beforeAll(async () => {
      ws = await makeWorkspace(ctx.services);
      key = await makeApiKey(ctx.services, ws);
      otherKey = await makeApiKey(ctx.services, ws);
    });

    async function post(apiKey: string, idem: string | null, body: object) {
      return ctx.app.inject({
        method: 'POST',
        url: '/api/v1/users',
        headers: { ...bearer(apiKey), ...(idem === null ? {} : { 'idempotency-key': idem }) },
        payload: body,
      });
    }

    async function usersWithEmail(email: string): Promise<number> {
      const res = await ctx.app.inject({
        method: 'GET',
        url: `/api/v1/users?${query({ filter: `email:eq:${email}` })}`,
        headers: bearer(key),
      });
      expect(res.statusCode).toBe(200);
      return res.json<Page>().data.length;
    }

    it('replays the first 201 for the same key and body, and creates one user', async () => {
      const body = { email: 'idem-1@example.com', name: 'Idem One', role: 'agent' };
      const first = await post(key, 'create-idem-1', body);
      expect(first.statusCode, first.body).toBe(201);
      expect(first.headers['idempotent-replayed']).toBeUndefined();
      const again = await post(key, 'create-idem-1', body);
      expect(again.statusCode).toBe(201);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.json()).toEqual(first.json());
      const third = await post(key, 'create-idem-1', body);
      expect(third.statusCode).toBe(201);
      expect(third.json()).toEqual(first.json());
      expect(await usersWithEmail('idem-1@example.com')).toBe(1);
    });

    it('replays a 4xx answer too', async () => {
      const body = { email: 'not-an-email', name: 'x', role: 'agent' };
      const first = await post(key, 'create-invalid', body);
      expect(first.statusCode).toBe(400);
      const again = await post(key, 'create-invalid', body);
      expect(again.statusCode).toBe(400);
      expect(again.json()).toEqual(first.json());
    });

    it('refuses the same key with a different body: 422 idempotency_conflict', async () => {
      const first = await post(key, 'create-idem-2', { email: 'idem-2@example.com', name: 'Two', role: 'agent' });
      expect(first.statusCode).toBe(201);
      const other = await post(key, 'create-idem-2', { email: 'idem-2b@example.com', name: 'Two', role: 'agent' });
      expect(other.statusCode).toBe(422);
      expect(other.json<Problems>().error.code).toBe('idempotency_conflict');
      expect(isErrorBody(other.json())).toBe(true);
      expect(await usersWithEmail('idem-2b@example.com')).toBe(0);
    });

    it('keeps keys per principal: another API key with the same key is a new request', async () => {
      const body = { email: 'idem-3@example.com', name: 'Three', role: 'agent' };
      expect((await post(key, 'shared-key', body)).statusCode).toBe(201);
      // Same body from another principal is processed (the email now exists), not replayed.
      const same = await post(otherKey, 'shared-key', body);
      expect(same.statusCode).toBe(409);
      expect(same.headers['idempotent-replayed']).toBeUndefined();
      // A different body from another principal is not a conflict.
      const different = await post(otherKey, 'shared-key-2', {
        email: 'idem-3b@example.com',
        name: 'B',
        role: 'agent',
      });
      expect(different.statusCode).toBe(201);
      const mine = await post(key, 'shared-key-2', { email: 'idem-3c@example.com', name: 'C', role: 'agent' });
      expect(mine.statusCode).toBe(201);
      expect(mine.headers['idempotent-replayed']).toBeUndefined();
      expect(await usersWithEmail('idem-3@example.com')).toBe(1);
    });

    it('refuses a malformed Idempotency-Key with 400', async () => {
      for (const bad of ['x'.repeat(201), 'has space', 'é']) {
        const res = await post(key, bad, { email: 'idem-4@example.com', name: 'Four', role: 'agent' });
        expect(res.statusCode, bad).toBe(400);
        expect(isErrorBody(res.json())).toBe(true);
      }
      expect(await usersWithEmail('idem-4@example.com')).toBe(0);
    });

    it('works without the header (no replay)', async () => {
      const body = { email: 'idem-5@example.com', name: 'Five', role: 'agent' };
      expect((await post(key, null, body)).statusCode).toBe(201);
      expect((await post(key, null, body)).statusCode).toBe(409);
    });
  });

  describe('operations and HTTP conventions', () => {
    let key: string;
    beforeAll(async () => {
      key = await makeApiKey(ctx.services, await makeWorkspace(ctx.services));
    });

    it('answers /health and /ready without credentials', async () => {
      const health = await ctx.app.inject({ method: 'GET', url: '/health' });
      expect(health.statusCode).toBe(200);
      expect(health.json()).toMatchObject({ status: 'ok', version: expect.any(String) });
      const ready = await ctx.app.inject({ method: 'GET', url: '/ready' });
      expect(ready.statusCode).toBe(200);
      const body = ready.json<{ status: string; engine: string; migrations: number }>();
      expect(body).toMatchObject({ status: 'ready', engine });
      expect(body.migrations).toBeGreaterThan(0);
    });

    it('returns x-request-id: a fresh UUID, or the one the caller sent', async () => {
      const res = await ctx.app.inject({ method: 'GET', url: '/health' });
      expect(res.headers['x-request-id']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      const other = await ctx.app.inject({ method: 'GET', url: '/health' });
      expect(other.headers['x-request-id']).not.toBe(res.headers['x-request-id']);
      const echoed = await ctx.app.inject({ method: 'GET', url: '/health', headers: { 'x-request-id': 'trace-123' } });
      expect(echoed.headers['x-request-id']).toBe('trace-123');
      const onError = await ctx.app.inject({ method: 'GET', url: '/api/v1/users' });
      expect(onError.statusCode).toBe(401);
      expect(onError.headers['x-request-id']).toBeTruthy();
    });

    it.each([
      ['GET', '/api/v1/nope'],
      ['POST', '/api/v1/nope'],
      ['GET', '/api/nope'],
      ['DELETE', '/api/v1/users'],
      ['GET', '/api/v1/users/00000000-0000-0000-0000-000000000000/nope'],
    ] as const)('answers an unknown API route %s %s with 404 and the error body', async (method, url) => {
      for (const headers of [{}, bearer(key)]) {
        const res = await ctx.app.inject({ method, url, headers });
        expect(res.statusCode).toBe(404);
        expect(res.headers['content-type']).toMatch(/^application\/json/);
        expect(isErrorBody(res.json())).toBe(true);
        expect(res.json<Problems>().error.code).toBe('not_found');
      }
    });

    it('refuses a body over the limit with 413 and the error body', async () => {
      const payload = JSON.stringify({ email: 'big@example.com', name: 'x'.repeat(1_100_000), role: 'agent' });
      const res = await ctx.app.inject({
        method: 'POST',
        url: '/api/v1/users',
        headers: { ...bearer(key), 'content-type': 'application/json' },
        payload,
      });
      expect(res.statusCode).toBe(413);
      expect(isErrorBody(res.json())).toBe(true);
      expect(res.json<Problems>().error.code).toBe('payload_too_large');
    });

    it('refuses malformed URLs and over-long ids with the error body', async () => {
      for (const url of ['/api/v1/users/%E0%A4%A', `/api/v1/users/${'a'.repeat(300)}`]) {
        const res = await ctx.app.inject({ method: 'GET', url, headers: bearer(key) });
        expect(res.statusCode, url).toBeGreaterThanOrEqual(400);
        expect(res.statusCode, url).toBeLessThan(500);
        expect(isErrorBody(res.json()), res.body).toBe(true);
      }
    });

    it('refuses text with a NUL character (PostgreSQL cannot store it) with 400 validation_failed', async () => {
      const cases = [
        {
          method: 'POST' as const,
          url: '/api/v1/users',
          payload: { email: 'nul@example.com', name: 'a\u0000b', role: 'agent' },
        },
        { method: 'PATCH' as const, url: '/api/v1/workspace', payload: { name: 'a\u0000b' } },
        {
          method: 'POST' as const,
          url: '/api/v1/auth/login',
          payload: { email: 'a\u0000b@example.com', password: 'x' },
        },
        { method: 'GET' as const, url: '/api/v1/events?type=user%00' },
      ];
      for (const c of cases) {
        const res = await ctx.app.inject({ ...c, headers: bearer(key) });
        expect(res.statusCode, `${c.method} ${c.url}: ${res.body}`).toBe(400);
        const body = res.json<Problems>();
        expect(body.error.code).toBe('validation_failed');
        expect(body.error.details.problems.length).toBe(1);
      }
    });

    it('stores lone UTF-16 surrogates in any body as U+FFFD instead of failing (jsonb refuses them)', async () => {
      // Raw JSON text, so the escapes reach the server as the client wrote them.
      const raw = '{"firstName":"Ana\\ud800","emails":["lone@example.com"],"tags":["x\\udc00"],"custom":{}}';
      const res = await ctx.app.inject({
        method: 'POST',
        url: '/api/v1/people',
        headers: { ...bearer(key), 'content-type': 'application/json' },
        payload: raw,
      });
      expect(res.statusCode, res.body).toBe(201);
      expect(res.json()).toMatchObject({ firstName: 'Ana\ufffd', tags: ['x\ufffd'] });
    });

    it('rate-limits sign-in per address and email', async () => {
      const login = (email: string, remoteAddress: string) =>
        ctx.app.inject({
          method: 'POST',
          url: '/api/v1/auth/login',
          remoteAddress,
          payload: { email, password: 'wrong-password-123' },
        });
      const codes: number[] = [];
      for (let i = 0; i < 11; i++) codes.push((await login('target@example.com', '10.20.30.40')).statusCode);
      expect(codes.slice(0, 10)).toEqual(Array.from({ length: 10 }, () => 401));
      expect(codes[10]).toBe(429);
      const limited = await login('target@example.com', '10.20.30.40');
      expect(isErrorBody(limited.json())).toBe(true);
      expect(limited.json<Problems>().error.code).toBe('rate_limited');
      // Another email from the same address, and the same email from another address, are still answered.
      expect((await login('someone-else@example.com', '10.20.30.40')).statusCode).toBe(401);
      expect((await login('target@example.com', '10.20.30.41')).statusCode).toBe(401);
    });

    it('sends the security headers', async () => {
      for (const url of ['/health', '/api/v1/me', '/api/v1/nope']) {
        const res = await ctx.app.inject({ method: 'GET', url, headers: bearer(key) });
        const h = res.headers;
        expect(h['content-security-policy']).toContain("default-src 'self'");
        expect(h['content-security-policy']).toContain("frame-ancestors 'none'");
        expect(h['x-content-type-options']).toBe('nosniff');
        expect(h['x-frame-options']).toBe('SAMEORIGIN');
        // Plain HTTP (no https public URL): no HSTS, no upgrade-insecure-requests that would break a LAN install.
        expect(h['strict-transport-security']).toBeUndefined();
        expect(h['content-security-policy']).not.toContain('upgrade-insecure-requests');
        expect(h['referrer-policy']).toBe('no-referrer');
        expect(h['cross-origin-opener-policy']).toBe('same-origin');
        expect(h['x-powered-by']).toBeUndefined();
      }
    });

    it('sends no CORS headers by default', async () => {
      const origin = 'https://elsewhere.example';
      const get = await ctx.app.inject({ method: 'GET', url: '/api/v1/me', headers: { ...bearer(key), origin } });
      expect(get.statusCode).toBe(200);
      expect(get.headers['access-control-allow-origin']).toBeUndefined();
      expect(get.headers['access-control-allow-credentials']).toBeUndefined();
      const preflight = await ctx.app.inject({
        method: 'OPTIONS',
        url: '/api/v1/users',
        headers: { origin, 'access-control-request-method': 'POST' },
      });
      expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
      expect(preflight.headers['access-control-allow-methods']).toBeUndefined();
    });

    it('publishes an OpenAPI 3.1 document listing the routes', async () => {
      const doc = await openApiDocument(ctx.app);
      expect(doc.openapi).toMatch(/^3\.1\./);
      const keys = (await apiRoutes(ctx.app)).map((r) => r.key);
      for (const k of [
        'GET /health',
        'GET /ready',
        'GET /api/v1/me',
        'GET /api/v1/users',
        'POST /api/v1/users',
        'GET /api/v1/users/{id}',
        'PATCH /api/v1/users/{id}',
        'DELETE /api/v1/users/{id}',
        'PUT /api/v1/users/{id}/password',
        'GET /api/v1/api-keys',
        'POST /api/v1/api-keys',
        'DELETE /api/v1/api-keys/{id}',
        'GET /api/v1/workspace',
        'PATCH /api/v1/workspace',
        'GET /api/v1/events',
        'GET /api/v1/sessions',
        'DELETE /api/v1/sessions/{id}',
      ])
        expect(keys).toContain(k);
      expect(keys).not.toContain('GET /api/openapi.json');
    });

    it('serves the API docs as HTML', async () => {
      let res = await ctx.app.inject({ method: 'GET', url: '/api/docs' });
      for (let hops = 0; res.statusCode >= 300 && res.statusCode < 400 && hops < 3; hops++) {
        const location = String(res.headers.location);
        res = await ctx.app.inject({ method: 'GET', url: new URL(location, 'http://localhost/api/docs').pathname });
      }
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.body).toMatch(/<html/i);
    });
  });

  describe('fields a request does not take', () => {
    it('refuses a misspelt or unknown body field, top level or nested, naming it; nothing is written', async () => {
      const ws = await makeWorkspace(ctx.services);
      const key = await makeApiKey(ctx.services, ws);
      const post = (url: string, payload: unknown) =>
        ctx.app.inject({ method: 'POST', url, headers: bearer(key), payload: payload as object });
      // "emial" would have been dropped and the person saved without an e-mail.
      const res = await post('/api/v1/people', { firstName: 'Ada', emial: 'ada@example.com' });
      expect(res.statusCode, res.body).toBe(400);
      const body = res.json<Problems>();
      expect(body.error.code).toBe('validation_failed');
      expect(body.error.message).toContain('emial');
      expect(body.error.details.problems).toEqual([
        { in: 'body', path: 'emial', message: expect.stringContaining('not a field') },
      ]);
      const nested = await post('/api/v1/people', {
        firstName: 'Ada',
        address: { city: 'Lyon', zipcode: '69001' },
      });
      expect(nested.statusCode, nested.body).toBe(400);
      expect(nested.json<Problems>().error.details.problems).toEqual([
        { in: 'body', path: 'address.zipcode', message: expect.stringContaining('not a field') },
      ]);
      const list = await ctx.app.inject({ method: 'GET', url: '/api/v1/people?q=Ada', headers: bearer(key) });
      expect(list.json<{ data: unknown[] }>().data).toEqual([]);
      // The same body without them is taken.
      expect((await post('/api/v1/people', { firstName: 'Ada', address: { city: 'Lyon' } })).statusCode).toBe(201);
    });
  });
});
