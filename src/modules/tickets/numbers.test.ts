import { eq, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { rowsOf, withPreparedStatements } from '../../db/client.ts';
import { users, workspaces } from '../../db/schema/index.ts';
import { bearer, caller, useTestApp } from '../../../test/app.ts';
import { testEngines } from '../../../test/db.ts';
import { makeApiKey, makeWorkspace, type TestWorkspace } from '../../../test/factories.ts';
import { ticketNumberSql } from './tickets.repository.ts';

describe.each(testEngines())('ticket numbers and prepared statements (%s)', (engine) => {
  const ctx = useTestApp(engine);

  const open = (ws: TestWorkspace, subject: string) =>
    ctx.services.tickets.create(ws.ownerActor, { subject, requester: { email: 'ada@example.com' } });

  const sequenceOf = (ws: TestWorkspace) => `ticket_numbers_${ws.workspace.id.replaceAll('-', '')}`;

  it('numbers each workspace from 1 on its own, and a rolled-back ticket leaves its number unused', async () => {
    const a = await makeWorkspace(ctx.services);
    const b = await makeWorkspace(ctx.services);
    expect((await open(a, 'one')).number).toBe(1);
    expect((await open(a, 'two')).number).toBe(2);
    expect((await open(b, 'first of b')).number).toBe(1);
    await expect(
      ctx.database.db.transaction(async (tx) => {
        const [n] = rowsOf<{ n: number }>(await tx.execute(sql`select ${ticketNumberSql(a.workspace.id)} as n`));
        expect(n?.n).toBe(3);
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect((await open(a, 'after the rollback')).number).toBe(4);
  });

  it('gives a workspace without its sequence (made before migration 0024) numbers after its counter', async () => {
    const ws = await makeWorkspace(ctx.services);
    await ctx.database.db.execute(sql.raw(`drop sequence ${sequenceOf(ws)}`));
    await ctx.database.db.execute(
      sql`insert into counters (workspace_id, name, value) values (${ws.workspace.id}, 'ticket', 41)`,
    );
    expect((await open(ws, 'continues')).number).toBe(42);
    expect((await open(ws, 'and on')).number).toBe(43);
  });

  // Only PostgreSQL has connections side by side (PGlite runs one statement at a time) and prepares statements.
  if (engine !== 'postgres') return;

  it('opens a ticket while another transaction holds a new number', async () => {
    const ws = await makeWorkspace(ctx.services);
    const pool = ctx.database.pool;
    if (!pool) throw new Error('no pool');
    const held = await pool.connect();
    try {
      await held.query('begin');
      const r = await held.query<{ n: number }>('select rapport_next_ticket_number($1) as n', [ws.workspace.id]);
      expect(r.rows[0]?.n).toBe(1);
      // With a locked counter row this waited for the other transaction to end: here it must finish first.
      const second = await Promise.race([
        open(ws, 'not waiting').then((x) => x.number),
        new Promise<'waited'>((resolve) => setTimeout(() => resolve('waited'), 5_000)),
      ]);
      expect(second).toBe(2);
    } finally {
      await held.query('rollback');
      held.release();
    }
  });

  it('prepares the statements sent under withPreparedStatements, only those', async () => {
    const ws = await makeWorkspace(ctx.services);
    const preparedTexts = async (tx: Parameters<Parameters<typeof ctx.database.db.transaction>[0]>[0]) =>
      rowsOf<{ statement: string }>(await tx.execute(sql`select statement from pg_prepared_statements`)).map(
        (r) => r.statement,
      );
    const inside = await withPreparedStatements(() =>
      ctx.database.db.transaction(async (tx) => {
        const [w] = await tx.select().from(workspaces).where(eq(workspaces.id, ws.workspace.id));
        expect(w?.id).toBe(ws.workspace.id);
        // The same text again runs the prepared statement.
        const [again] = await tx.select().from(workspaces).where(eq(workspaces.id, ws.workspace.id));
        expect(again?.slug).toBe(w?.slug);
        return preparedTexts(tx);
      }),
    );
    expect(inside.filter((s) => s.includes('from "workspaces"'))).toHaveLength(1);
    const outside = await ctx.database.db.transaction(async (tx) => {
      await tx.select().from(users).where(eq(users.workspaceId, ws.workspace.id));
      return preparedTexts(tx);
    });
    expect(outside.some((s) => s.includes('from "users"'))).toBe(false);
  });

  // Last: it goes through the HTTP app, whose statements would be on the connections the test above inspects.
  it('answers 400, not 500, to a number filter the integer column cannot hold', async () => {
    const ws = await makeWorkspace(ctx.services);
    await open(ws, 'one');
    const call = caller(ctx.app, bearer(await makeApiKey(ctx.services, ws)));
    for (const value of ['99999999999999', '1.5', '1e10']) {
      for (const path of ['/api/v1/tickets', '/api/v1/tickets/summaries']) {
        const res = await call('GET', `${path}?filter=number:eq:${value}`);
        expect(res.statusCode, `${path} ${value}: ${res.body}`).toBe(400);
        expect(res.json().error.code).toBe('validation_failed');
      }
    }
    const fine = await call('GET', '/api/v1/tickets/summaries?filter=number:eq:1');
    expect(fine.json().data.map((t: { number: number }) => t.number)).toEqual([1]);
  });
});
