import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { and, eq, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { createRestartableDatabase } from '../../../test/db.ts';
import { testEngines } from '../../../test/db.ts';
import { makeWorkspace } from '../../../test/factories.ts';
import { events, imports, orderLines, people } from '../../db/schema/index.ts';
import { createServices } from '../../services.ts';
import { runMigrations } from '../../db/migrate.ts';

const root = path.resolve(import.meta.dirname, '../../..');
const rows = 3000;

/**
 * Kills `rapport import people` with SIGKILL part-way (no shutdown, a batch may be half-written), then runs the same
 * command again: it resumes from the checkpoint and the result is exactly the file, once.
 */
describe.each(testEngines())('an import killed mid-way on %s', (engine) => {
  it('resumes after the crash with no duplicate and no lost row', { timeout: 180_000 }, async () => {
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'rapport-crash-'));
    const file = path.join(scratch, 'people.csv');
    const lines = ['First Name,Last Name,Email,Company,Tags'];
    for (let i = 0; i < rows; i++) lines.push(`Person${i},Crash,p${i}@crash.example,Company ${i % 40},t${i % 3}`);
    fs.writeFileSync(file, `${lines.join('\n')}\n`);

    const restartable = await createRestartableDatabase(engine);
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      RAPPORT_DATA_DIR: restartable.config.dataDir === '/nonexistent' ? scratch : restartable.config.dataDir,
      LOG_LEVEL: 'silent',
    };
    if (restartable.config.databaseUrl) env.DATABASE_URL = restartable.config.databaseUrl;
    else delete env.DATABASE_URL;
    try {
      let database = await restartable.open();
      await runMigrations(database);
      const ws = await makeWorkspace(createServices(database.db));
      await database.close();

      const cli = () =>
        spawn(
          process.execPath,
          [
            'bin/rapport.mjs',
            'import',
            'people',
            file,
            '--batch-size',
            '100',
            '--progress-every',
            '20',
            '--workspace',
            ws.workspace.slug,
          ],
          { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] },
        );

      // First run: killed once the progress line shows a few batches committed. A line every 20 ms rather than every
      // second: on a fast PostgreSQL the whole file goes in within the first second, and there was nothing left to kill.
      const first = cli();
      let err = '';
      const killedAt = await new Promise<number>((resolve, reject) => {
        first.stderr.on('data', (d: Buffer) => {
          err += d.toString();
          const seen = [...err.matchAll(/(\d+)\/\d+ rows/g)].map((m) => Number(m[1]));
          const done = Math.max(0, ...seen);
          if (done >= 500 && first.exitCode === null) {
            first.kill('SIGKILL');
            resolve(done);
          }
        });
        first.on('exit', (code, signal) => {
          if (signal !== 'SIGKILL') reject(new Error(`the import ended (${code}) before it was killed:\n${err}`));
        });
      });
      await new Promise((r) => (first.exitCode !== null || first.signalCode ? r(null) : first.on('exit', r)));
      expect(killedAt).toBeLessThan(rows);

      database = await restartable.open();
      const [half] = await database.db.select().from(imports).where(eq(imports.workspaceId, ws.workspace.id));
      expect(half?.status).toBe('importing');
      expect(half?.processedRows).toBeGreaterThanOrEqual(500);
      expect(half?.processedRows).toBeLessThan(rows);
      const [partial] = await database.db
        .select({ n: sql<number>`count(*)::int` })
        .from(people)
        .where(eq(people.workspaceId, ws.workspace.id));
      // Exactly the committed batches: nothing of the batch in flight.
      expect(partial?.n).toBe(half?.processedRows);
      await database.close();

      // Second run: the same command resumes and finishes.
      const second = cli();
      let out = '';
      let err2 = '';
      second.stdout.on('data', (d: Buffer) => (out += d.toString()));
      second.stderr.on('data', (d: Buffer) => (err2 += d.toString()));
      const code = await new Promise<number | null>((r) => second.on('exit', r));
      expect(code, err2).toBe(0);
      expect(err2).toContain(`Resuming import ${half?.id} at row ${(half?.processedRows ?? 0) + 1} of ${rows}`);
      expect(out).toContain(`Imported: ${rows} of ${rows} rows — ${rows} created, 0 updated, 0 unchanged, 0 rejected`);

      database = await restartable.open();
      const emails = await database.db
        .select({ email: sql<string>`${people.emails}[1]` })
        .from(people)
        .where(eq(people.workspaceId, ws.workspace.id));
      expect(emails).toHaveLength(rows);
      const set = new Set(emails.map((e) => e.email));
      expect(set.size).toBe(rows);
      for (let i = 0; i < rows; i++) expect(set.has(`p${i}@crash.example`)).toBe(true);
      const [created] = await database.db
        .select({ n: sql<number>`count(*)::int` })
        .from(events)
        .where(and(eq(events.workspaceId, ws.workspace.id), eq(events.type, 'person.created')));
      expect(created?.n).toBe(rows);
      const [companies] = await database.db
        .execute<{ n: number }>(
          sql`select count(distinct name)::int as n, count(*)::int as total from companies where workspace_id = ${ws.workspace.id}`,
        )
        .then((r) => (r as unknown as { rows: Array<{ n: number; total: number }> }).rows);
      expect(companies).toEqual({ n: 40, total: 40 });
      const [done] = await database.db.select().from(imports).where(eq(imports.workspaceId, ws.workspace.id));
      expect(done).toMatchObject({ status: 'done', processedRows: rows, created: rows, rejected: 0 });
      await database.close();
    } finally {
      await restartable.destroy();
      fs.rmSync(scratch, { recursive: true, force: true });
    }
  });

  it('resumes an orders import after the crash: no order twice, no line lost', { timeout: 180_000 }, async () => {
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'rapport-crash-'));
    const file = path.join(scratch, 'orders.csv');
    // Orders of two lines each (the order's cells on its first row only, as shops export them); 300 customers.
    // PostgreSQL imports these fast: more rows there, so the run is still going when the first progress line shows.
    const rows = engine === 'postgres' ? 16_000 : 3000;
    const orderCount = rows / 2;
    const lines = ['Order ID,Email,Customer ID,Created at,Total,Lineitem name,Lineitem quantity,Lineitem price'];
    for (let i = 0; i < orderCount; i++) {
      lines.push(
        `O-${i},c${i % 300}@crash.example,C-${i % 300},2024-01-${String((i % 28) + 1).padStart(2, '0')},3.00,Socks,1,1.00`,
      );
      lines.push(`O-${i},,,,,Hat,1,2.00`);
    }
    fs.writeFileSync(file, `${lines.join('\n')}\n`);

    const restartable = await createRestartableDatabase(engine);
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      RAPPORT_DATA_DIR: restartable.config.dataDir === '/nonexistent' ? scratch : restartable.config.dataDir,
      LOG_LEVEL: 'silent',
    };
    if (restartable.config.databaseUrl) env.DATABASE_URL = restartable.config.databaseUrl;
    else delete env.DATABASE_URL;
    try {
      let database = await restartable.open();
      await runMigrations(database);
      const ws = await makeWorkspace(createServices(database.db));
      await database.close();
      const cli = () =>
        spawn(
          process.execPath,
          [
            'bin/rapport.mjs',
            'import',
            'orders',
            file,
            '--batch-size',
            '101',
            '--progress-every',
            '20',
            '--workspace',
            ws.workspace.slug,
          ],
          { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] },
        );

      const first = cli();
      let err = '';
      await new Promise<void>((resolve, reject) => {
        first.stderr.on('data', (d: Buffer) => {
          err += d.toString();
          const done = Math.max(0, ...[...err.matchAll(/(\d+)\/\d+ rows/g)].map((m) => Number(m[1])));
          if (done >= 500 && first.exitCode === null) {
            first.kill('SIGKILL');
            resolve();
          }
        });
        first.on('exit', (code, signal) => {
          if (signal !== 'SIGKILL') reject(new Error(`the import ended (${code}) before it was killed:\n${err}`));
        });
      });
      await new Promise((r) => (first.exitCode !== null || first.signalCode ? r(null) : first.on('exit', r)));

      database = await restartable.open();
      const [half] = await database.db.select().from(imports).where(eq(imports.workspaceId, ws.workspace.id));
      expect(half?.status).toBe('importing');
      expect(half?.processedRows).toBeLessThan(rows);
      // Batches end between orders (a batch of 101 rows waits for the order's second line): whole orders only.
      expect((half?.processedRows ?? 1) % 2).toBe(0);
      const [partial] = await database.db
        .select({ n: sql<number>`count(*)::int` })
        .from(orderLines)
        .where(eq(orderLines.workspaceId, ws.workspace.id));
      expect(partial?.n).toBe(half?.processedRows);
      await database.close();

      const second = cli();
      let out = '';
      let err2 = '';
      second.stdout.on('data', (d: Buffer) => (out += d.toString()));
      second.stderr.on('data', (d: Buffer) => (err2 += d.toString()));
      const code = await new Promise<number | null>((r) => second.on('exit', r));
      expect(code, err2).toBe(0);
      expect(err2).toContain(`Resuming import ${half?.id} at row ${(half?.processedRows ?? 0) + 1} of ${rows}`);
      expect(out).toContain(
        `Imported: ${rows} of ${rows} rows — ${orderCount} orders created, 0 updated, 0 unchanged, 0 rejected`,
      );

      database = await restartable.open();
      const count = async (q: ReturnType<typeof sql>) =>
        ((await database.db.execute(q)) as unknown as { rows: Array<{ n: number }> }).rows[0]?.n;
      const w = ws.workspace.id;
      expect(await count(sql`select count(distinct external_id)::int as n from orders where workspace_id = ${w}`)).toBe(
        orderCount,
      );
      expect(await count(sql`select count(*)::int as n from orders where workspace_id = ${w}`)).toBe(orderCount);
      expect(await count(sql`select count(*)::int as n from order_lines where workspace_id = ${w}`)).toBe(rows);
      expect(await count(sql`select count(*)::int as n from orders where workspace_id = ${w} and total <> 300`)).toBe(
        0,
      );
      expect(await count(sql`select count(*)::int as n from people where workspace_id = ${w}`)).toBe(300);
      const [placed] = await database.db
        .select({ n: sql<number>`count(*)::int` })
        .from(events)
        .where(and(eq(events.workspaceId, w), eq(events.type, 'order.placed')));
      expect(placed?.n).toBe(orderCount);
      const [done] = await database.db.select().from(imports).where(eq(imports.workspaceId, w));
      expect(done).toMatchObject({ status: 'done', processedRows: rows, created: orderCount, rejected: 0 });
      await database.close();
    } finally {
      await restartable.destroy();
      fs.rmSync(scratch, { recursive: true, force: true });
    }
  });
});
