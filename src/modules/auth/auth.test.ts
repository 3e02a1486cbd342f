import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { bearer, useTestApp } from '../../../test/app.ts';
import { testEngines } from '../../../test/db.ts';
import { makeApiKey, makeUser, makeWorkspace, testPassword } from '../../../test/factories.ts';
import { AppError } from '../../errors.ts';
import { countWorkspaces } from '../workspaces/workspaces.repository.ts';

function cookieOf(res: { headers: Record<string, unknown> }): string {
  const raw = res.headers['set-cookie'];
  const first = Array.isArray(raw) ? String(raw[0]) : String(raw);
  return first.split(';')[0] ?? '';
}

describe.each(testEngines())('first-run setup on %s', (engine) => {
  const ctx = useTestApp(engine);

  it('creates the first workspace and its owner once, then refuses', async () => {
    expect((await ctx.app.inject({ url: '/api/v1/setup' })).json()).toEqual({ needed: true });
    const body = {
      workspaceName: 'Acme Support',
      name: 'Ada Lovelace',
      email: 'Ada@Acme.example',
      password: 'long-enough-pw',
    };
    const res = await ctx.app.inject({ method: 'POST', url: '/api/v1/setup', payload: body });
    expect(res.statusCode).toBe(201);
    expect(res.json().user.email).toBe('ada@acme.example');
    expect(res.json().role).toBe('owner');
    expect(res.json().workspace.slug).toBe('acme-support');
    const me = await ctx.app.inject({ url: '/api/v1/me', headers: { cookie: cookieOf(res) } });
    expect(me.statusCode).toBe(200);
    expect((await ctx.app.inject({ url: '/api/v1/setup' })).json()).toEqual({ needed: false });
    const again = await ctx.app.inject({
      method: 'POST',
      url: '/api/v1/setup',
      payload: { ...body, email: 'x@y.example' },
    });
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe('conflict');
  });

  it('refuses an unknown time zone, a bad email, an empty name and a bad slug, and makes nothing', async () => {
    const before = await countWorkspaces(ctx.database.db);
    const body = { workspaceName: 'Mars Base', name: 'Ada', email: 'ada@mars.example', password: 'long-enough-pw' };
    const res = await ctx.app.inject({
      method: 'POST',
      url: '/api/v1/setup',
      payload: { ...body, timezone: 'Mars/Olympus' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({
      code: 'validation_failed',
      message: '"Mars/Olympus" is not an IANA time zone (e.g. Europe/Paris)',
    });
    // The service itself refuses, whoever calls it (the CLI's `rapport init`, the first-run page, the API).
    const create = (over: Record<string, string>) =>
      ctx.services.auth.createWorkspace(
        { workspaceName: 'W', ownerName: 'O', ownerEmail: 'o@w.example', password: 'long-enough-pw', ...over },
        { firstRunOnly: false },
      );
    await expect(create({ timezone: 'Mars/Olympus' })).rejects.toThrow(
      '"Mars/Olympus" is not an IANA time zone (e.g. Europe/Paris)',
    );
    await expect(create({ ownerEmail: 'notanemail' })).rejects.toThrow('"notanemail" is not an email address');
    await expect(create({ ownerEmail: ' ' })).rejects.toThrow('The email must not be empty');
    await expect(create({ workspaceName: '  ' })).rejects.toThrow('The workspace name must not be empty');
    await expect(create({ ownerName: '' })).rejects.toThrow("The owner's name must not be empty");
    await expect(create({ slug: 'Bad Slug' })).rejects.toThrow(
      '"Bad Slug" is not a slug: use lowercase letters, digits and dashes, at most 40 (e.g. "bad-slug")',
    );
    await expect(create({ timezone: 'Mars/Olympus' })).rejects.toBeInstanceOf(AppError);
    expect(await countWorkspaces(ctx.database.db)).toBe(before);
    const ok = await create({ timezone: 'Europe/Lisbon', slug: 'good-slug' });
    expect(ok.workspace).toMatchObject({ slug: 'good-slug', timezone: 'Europe/Lisbon' });
  });

  it('refuses a short password with a clear message', async () => {
    const res = await ctx.app.inject({
      method: 'POST',
      url: '/api/v1/setup',
      payload: { workspaceName: 'W', name: 'N', email: 'n@w.example', password: 'short' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.message).toMatch(/at least 10 characters/);
  });
});

describe.each(testEngines())('sign-in, sessions and API keys on %s', (engine) => {
  const ctx = useTestApp(engine);

  async function login(email: string, password = testPassword, ip = '10.0.0.1') {
    return ctx.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email, password },
      remoteAddress: ip,
    });
  }

  it('signs in with an HttpOnly SameSite cookie and signs out', async () => {
    const ws = await makeWorkspace(ctx.services);
    const res = await login(ws.owner.email);
    expect(res.statusCode).toBe(200);
    const setCookie = String(res.headers['set-cookie']);
    expect(setCookie).toMatch(/rapport_session=rps_/);
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Lax/i);
    const cookie = cookieOf(res);
    expect((await ctx.app.inject({ url: '/api/v1/me', headers: { cookie } })).json().user.id).toBe(ws.owner.id);
    const out = await ctx.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: { cookie } });
    expect(out.statusCode).toBe(204);
    expect((await ctx.app.inject({ url: '/api/v1/me', headers: { cookie } })).statusCode).toBe(401);
  });

  it('says the same thing for a wrong password and an unknown email', async () => {
    const ws = await makeWorkspace(ctx.services);
    const wrong = await login(ws.owner.email, 'wrong-password-123', '10.0.0.2');
    const unknown = await login('nobody@example.com', 'wrong-password-123', '10.0.0.2');
    expect(wrong.statusCode).toBe(401);
    expect(unknown.statusCode).toBe(401);
    expect(wrong.json().error.message).toBe(unknown.json().error.message);
  });

  it('rate-limits repeated attempts', async () => {
    const ws = await makeWorkspace(ctx.services);
    const codes: number[] = [];
    for (let i = 0; i < 12; i++) codes.push((await login(ws.owner.email, 'wrong-password-123', '10.9.9.9')).statusCode);
    expect(codes.slice(0, 10).every((c) => c === 401)).toBe(true);
    const limited = await login(ws.owner.email, testPassword, '10.9.9.9');
    expect(limited.statusCode).toBe(429);
    expect(limited.json().error.code).toBe('rate_limited');
    // Another address is not affected.
    expect((await login(ws.owner.email, testPassword, '10.9.9.10')).statusCode).toBe(200);
  });

  it('lists sessions and revokes one, which signs that device out', async () => {
    const ws = await makeWorkspace(ctx.services);
    const a = cookieOf(await login(ws.owner.email, testPassword, '10.1.0.1'));
    const b = cookieOf(await login(ws.owner.email, testPassword, '10.1.0.2'));
    const list = (await ctx.app.inject({ url: '/api/v1/sessions', headers: { cookie: a } })).json().data as Array<{
      id: string;
      current: boolean;
      ip: string;
    }>;
    expect(list).toHaveLength(2);
    const other = list.find((s) => !s.current);
    expect(other?.ip).toBe('10.1.0.2');
    const del = await ctx.app.inject({
      method: 'DELETE',
      url: `/api/v1/sessions/${other?.id}`,
      headers: { cookie: a },
    });
    expect(del.statusCode).toBe(204);
    expect((await ctx.app.inject({ url: '/api/v1/me', headers: { cookie: b } })).statusCode).toBe(401);
    expect((await ctx.app.inject({ url: '/api/v1/me', headers: { cookie: a } })).statusCode).toBe(200);
  });

  it('asks which workspace when one email signs in to several', async () => {
    const email = `shared-${Date.now()}@example.com`;
    const w1 = await makeWorkspace(ctx.services, { ownerEmail: email });
    await makeWorkspace(ctx.services, { ownerEmail: email });
    const res = await login(email, testPassword, '10.2.0.1');
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details.workspaces).toHaveLength(2);
    const chosen = await ctx.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email, password: testPassword, workspace: w1.workspace.slug },
      remoteAddress: '10.2.0.1',
    });
    expect(chosen.json().workspace.id).toBe(w1.workspace.id);
  });

  it('disabling a user ends their sessions and blocks sign-in', async () => {
    const ws = await makeWorkspace(ctx.services);
    const { user } = await makeUser(ctx.services, ws, { role: 'agent' });
    const cookie = cookieOf(await login(user.email, testPassword, '10.3.0.1'));
    await ctx.services.users.update(ws.ownerActor, user.id, { status: 'disabled' });
    expect((await ctx.app.inject({ url: '/api/v1/me', headers: { cookie } })).statusCode).toBe(401);
    expect((await login(user.email, testPassword, '10.3.0.1')).statusCode).toBe(401);
  });

  it('API keys: shown once, stored hashed, scoped, revocable, last use recorded', async () => {
    const ws = await makeWorkspace(ctx.services);
    const created = await ctx.services.apiKeys.create(ws.ownerActor, { name: 'read users', scopes: ['users:read'] });
    const stored = (
      (await ctx.database.db.execute(
        sql`select secret_hash, prefix from api_keys where id = ${created.key.id}`,
      )) as unknown as { rows: Array<{ secret_hash: string; prefix: string }> }
    ).rows[0];
    expect(stored?.secret_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(created.token).not.toContain(stored?.secret_hash ?? 'x');
    expect(stored?.prefix).toBe(`rpk_…${created.token.slice(-6)}`);
    const listed = await ctx.app.inject({
      url: '/api/v1/api-keys',
      headers: bearer(await makeApiKey(ctx.services, ws)),
    });
    expect(JSON.stringify(listed.json())).not.toContain(created.token);

    const h = bearer(created.token);
    expect((await ctx.app.inject({ url: '/api/v1/users', headers: h })).statusCode).toBe(200);
    const denied = await ctx.app.inject({
      method: 'POST',
      url: '/api/v1/users',
      headers: h,
      payload: { email: 'a@b.example', name: 'A', role: 'viewer' },
    });
    expect(denied.statusCode).toBe(403);
    expect(denied.json().error.details.permission).toBe('users:manage');

    const [row] = (await ctx.services.apiKeys.list(ws.ownerActor, false)).filter((k) => k.id === created.key.id);
    expect(row?.lastUsedAt).toBeInstanceOf(Date);

    await ctx.services.apiKeys.revoke(ws.ownerActor, created.key.id);
    const after = await ctx.app.inject({ url: '/api/v1/users', headers: h });
    expect(after.statusCode).toBe(401);
    expect(after.json().error.code).toBe('unauthenticated');
  });

  it('a key cannot hold more than its creator: scopes beyond the role are refused', async () => {
    const ws = await makeWorkspace(ctx.services);
    const { actor } = await makeUser(ctx.services, ws, { role: 'agent' });
    await expect(ctx.services.apiKeys.create(actor, { name: 'x', scopes: ['users:manage'] })).rejects.toMatchObject({
      code: 'forbidden',
    });
    const { token } = await ctx.services.apiKeys.create(actor, { name: 'ok', scopes: ['customers:read'] });
    expect((await ctx.app.inject({ url: '/api/v1/users', headers: bearer(token) })).statusCode).toBe(403);
  });

  it('checks permissions in services, whatever the caller', async () => {
    const ws = await makeWorkspace(ctx.services);
    const viewer = await makeUser(ctx.services, ws, { role: 'viewer' });
    await expect(
      ctx.services.users.create(viewer.actor, { email: 'v@x.example', name: 'V', role: 'agent' }),
    ).rejects.toBeInstanceOf(AppError);
    await expect(ctx.services.workspaces.update(viewer.actor, { name: 'Mine now' })).rejects.toMatchObject({
      code: 'forbidden',
    });
    const admin = await makeUser(ctx.services, ws, { role: 'admin' });
    await expect(ctx.services.users.update(admin.actor, ws.owner.id, { role: 'agent' })).rejects.toMatchObject({
      code: 'forbidden',
    });
  });

  it("an admin neither signs an owner out nor revokes an owner's API key; another owner may", async () => {
    const ws = await makeWorkspace(ctx.services);
    const admin = await makeUser(ctx.services, ws, { role: 'admin' });
    const agent = await makeUser(ctx.services, ws, { role: 'agent' });
    await login(ws.owner.email, testPassword, '10.2.0.1');
    await login(agent.user.email, testPassword, '10.2.0.2');
    const sessions = await ctx.services.auth.listSessions(ws.ownerActor, true);
    const ownerSession = sessions.find((s) => s.userId === ws.owner.id);
    const agentSession = sessions.find((s) => s.userId === agent.user.id);
    await expect(ctx.services.auth.revokeSession(admin.actor, String(ownerSession?.id))).rejects.toMatchObject({
      code: 'forbidden',
    });
    await ctx.services.auth.revokeSession(admin.actor, String(agentSession?.id));
    const ownerKey = await ctx.services.apiKeys.create(ws.ownerActor, {
      name: 'shop sync',
      scopes: ['customers:read'],
    });
    await expect(ctx.services.apiKeys.revoke(admin.actor, ownerKey.key.id)).rejects.toMatchObject({
      code: 'forbidden',
    });
    const second = await makeUser(ctx.services, ws, { role: 'owner' });
    expect((await ctx.services.apiKeys.revoke(second.actor, ownerKey.key.id)).revokedAt).not.toBeNull();
    await ctx.services.auth.revokeSession(second.actor, String(ownerSession?.id));
  });

  it('keeps at least one active owner', async () => {
    const ws = await makeWorkspace(ctx.services);
    await expect(ctx.services.users.update(ws.ownerActor, ws.owner.id, { role: 'admin' })).rejects.toMatchObject({
      code: 'conflict',
    });
    const second = await makeUser(ctx.services, ws, { role: 'owner' });
    const demoted = await ctx.services.users.update(ws.ownerActor, ws.owner.id, { role: 'admin' });
    expect(demoted.role).toBe('admin');
    await expect(ctx.services.users.update(second.actor, second.user.id, { status: 'disabled' })).rejects.toMatchObject(
      { code: 'conflict' },
    );
  });

  it('writes the event with the change, and no event when the change fails', async () => {
    const ws = await makeWorkspace(ctx.services);
    const count = async () =>
      (
        (await ctx.database.db.execute(
          sql`select count(*)::int as n from events where workspace_id = ${ws.workspace.id} and type = 'user.created'`,
        )) as unknown as { rows: Array<{ n: number }> }
      ).rows[0]?.n;
    expect(await count()).toBe(1); // the owner
    await makeUser(ctx.services, ws, { email: 'dup@example.com' });
    expect(await count()).toBe(2);
    await expect(makeUser(ctx.services, ws, { email: 'DUP@example.com' })).rejects.toMatchObject({ code: 'conflict' });
    expect(await count()).toBe(2);
  });

  it('changes passwords: own with the current one; an admin reset signs the user out', async () => {
    const ws = await makeWorkspace(ctx.services);
    const { user, actor } = await makeUser(ctx.services, ws, { role: 'agent' });
    await expect(
      ctx.services.users.setPassword(actor, user.id, {
        currentPassword: 'nope-nope-nope',
        newPassword: 'another-long-pw',
      }),
    ).rejects.toMatchObject({ code: 'validation_failed' });
    await ctx.services.users.setPassword(actor, user.id, {
      currentPassword: testPassword,
      newPassword: 'another-long-pw',
    });
    const cookie = cookieOf(await login(user.email, 'another-long-pw', '10.4.0.1'));
    await ctx.services.users.setPassword(ws.ownerActor, user.id, { newPassword: 'reset-by-owner-1' });
    expect((await ctx.app.inject({ url: '/api/v1/me', headers: { cookie } })).statusCode).toBe(401);
    expect((await login(user.email, 'reset-by-owner-1', '10.4.0.1')).statusCode).toBe(200);
  });
});
