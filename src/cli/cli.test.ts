import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { printCliError, runCli } from './main.ts';

/** The CLI on its own embedded database, as an operator would use it. */
describe('rapport CLI', () => {
  let dir: string;
  const saved = { ...process.env };
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rapport-cli-'));
    process.env.RAPPORT_DATA_DIR = dir;
    delete process.env.DATABASE_URL;
  });
  afterAll(() => {
    process.env = saved;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
    const out: string[] = [];
    const err: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
    const error = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => {
      out.push(String(s));
      return true;
    });
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => {
      err.push(String(s));
      return true;
    });
    try {
      const code = await runCli(['node', 'rapport', ...args]);
      return { code, out: out.join('\n'), err: err.join('\n') };
    } finally {
      log.mockRestore();
      error.mockRestore();
      stdout.mockRestore();
      stderr.mockRestore();
    }
  }

  it('initialises, manages users and keys, and explains mistakes', async () => {
    const init = await run('init', '--workspace', 'Acme Care', '--email', 'Owner@Acme.example', '--name', 'Olu Owner');
    expect(init.code).toBe(0);
    expect(init.out).toMatch(/Created workspace "Acme Care" \(slug acme-care\) with owner owner@acme.example/);
    expect(init.out).toMatch(/Password \(shown once\): \S{12,}/);

    const add = await run('users', 'create', '--email', 'agent@acme.example', '--name', 'Ana Agent', '--role', 'agent');
    expect(add.code).toBe(0);
    expect(add.out).toMatch(/Temporary password \(shown once\)/);

    expect((await run('users', 'set-role', 'agent@acme.example', 'analyst')).out).toMatch(/is now analyst/);
    const list = await run('users', 'list');
    expect(list.out).toMatch(/agent@acme\.example\s+Ana Agent\s+analyst/);

    const key = await run('apikeys', 'create', '--name', 'zapier', '--scopes', 'users:read,workspace:read');
    expect(key.code).toBe(0);
    const id = /id ([0-9a-f-]{36})/.exec(key.out)?.[1];
    expect(key.out).toMatch(/Key \(shown once\): rpk_/);
    expect((await run('apikeys', 'revoke', id ?? '')).out).toMatch(/Revoked API key "zapier"/);

    const badRole = await run('users', 'set-role', 'agent@acme.example', 'emperor');
    expect(badRole.code).toBe(1);
    expect(badRole.err).toMatch(/"emperor" is not a role/);
    const badScope = await run('apikeys', 'create', '--name', 'x', '--scopes', 'everything');
    expect(badScope.code).toBe(1);
    expect(badScope.err).toMatch(/Unknown scopes: everything/);

    // A second workspace makes --workspace necessary.
    expect((await run('demo')).code).toBe(0);
    const ambiguous = await run('users', 'list');
    expect(ambiguous.code).toBe(1);
    expect(ambiguous.err).toBe(
      'error: There are several workspaces: say which with --workspace <slug> (acme-care, demo)',
    );
    expect((await run('users', 'list', '--workspace', 'demo')).out).toMatch(/amara@northwind\.example/);
    expect((await run('demo')).err).toMatch(/already exists/);
    expect((await run('metrics', 'rebuild', '--workspace', 'demo')).out).toMatch(/rebuilt for 1 workspace in/);
    expect((await run('metrics', 'rebuild')).out).toMatch(/rebuilt for 2 workspaces in/);
    // The models inside a workspace: refit on the demo's orders, its subscribers as a features CSV, clear mistakes.
    const refit = await run('model', 'refit', '--workspace', 'demo');
    expect(refit.code, refit.err).toBe(0);
    expect(refit.out).toMatch(/[A-Z]{3}: (model v1 on \d+ customers|not fitted — )/);
    const features = path.join(dir, 'features.csv');
    const written = await run('model', 'features', '--workspace', 'demo', '--out', features);
    expect(written.out).toMatch(/Wrote \d+ subscribers/);
    // Written as every export (csv-cells.ts): CRLF line ends, cells escaped against spreadsheet formulas.
    const featureLines = fs.readFileSync(features, 'utf8').split('\r\n');
    expect(featureLines[0]).toMatch(/^person_id,plan,mrr,.*,churned$/);
    expect(featureLines.at(-1)).toBe('');
    const missing = await run('model', 'activate', path.join(dir, 'nope.json'), '--workspace', 'demo');
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/Cannot read/);
    expect((await run('model', 'refit', '--workspace', 'demo', '--as-of', '2026-13-45')).err).toMatch(/not a date/);
    // A day the month does not have is refused, not read as the next month's first.
    const leap = await run('model', 'refit', '--workspace', 'demo', '--as-of', '2024-02-30');
    expect(leap.code).toBe(1);
    expect(leap.err).toBe('error: --as-of "2024-02-30" is not a date that exists (YYYY-MM-DD)');
    expect((await run('model', 'refit', '--workspace', 'demo', '--as-of', '2024-02-29')).code).toBe(0);
    // Each command opens the embedded database and migrates, as an operator's would: slow on a busy machine.
  }, 180_000);

  /** A refusal: exit code 1, exactly this on standard error, never a stack trace. */
  async function refused(args: string[], message: string, env: Record<string, string> = {}): Promise<void> {
    const before = { ...process.env };
    Object.assign(process.env, env);
    try {
      const r = await run(...args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.err, args.join(' ')).toBe(message);
      expect(r.err).not.toContain('    at ');
    } finally {
      process.env = before;
    }
  }

  it('refuses bad input with one clear sentence and makes nothing (after the first test: acme-care and demo)', async () => {
    await refused(
      ['apikeys', 'revoke', 'nonsense', '--workspace', 'demo'],
      'error: No such API key: "nonsense" (the ids are in `rapport apikeys list`)',
    );
    // The services refuse what the API refuses, so `init` and `users create` do too.
    await refused(
      ['init', '--workspace', 'Mars', '--email', 'a@mars.example', '--timezone', 'Mars/Olympus'],
      'error: "Mars/Olympus" is not an IANA time zone (e.g. Europe/Paris)',
    );
    await refused(
      ['init', '--workspace', 'Mars', '--email', 'notanemail'],
      'error: "notanemail" is not an email address',
    );
    await refused(
      ['init', '--workspace', '', '--email', 'a@mars.example'],
      'error: The workspace name must not be empty',
    );
    await refused(
      ['users', 'create', '--workspace', 'demo', '--email', 'not-an-email', '--name', 'X'],
      'error: "not-an-email" is not an email address',
    );
    await refused(
      ['users', 'create', '--workspace', 'demo', '--email', '', '--name', 'X'],
      'error: The email must not be empty',
    );
    // The demos check the slug and the file before making a workspace.
    await refused(
      ['demo', '--slug', 'Bad Slug'],
      'error: "Bad Slug" is not a slug: use lowercase letters, digits and dashes, at most 40 (e.g. "bad-slug")',
    );
    const notCdnow = path.join(dir, 'not-cdnow.csv');
    fs.writeFileSync(notCdnow, 'a,b\n1,2\n');
    await refused(
      ['demo', 'cdnow', notCdnow, '--workspace', 'cdtest'],
      `error: ${notCdnow} is not the CDNOW master log: its first line is "a,b", not "customer_id date number_of_cds dollar_value"`,
    );
    await refused(['demo', 'cdnow', dir, '--workspace', 'cdtest'], `error: ${dir} is a folder, not the CDNOW log`);
    const slugs = await run('users', 'list', '--workspace', 'nope');
    expect(slugs.err).toBe('error: No workspace with the slug "nope"');
    await refused(
      ['users', 'list'],
      'error: There are several workspaces: say which with --workspace <slug> (acme-care, demo)',
    );
    // Files: a missing folder or a folder for --out, a folder to import, a bad --map: a sentence each.
    const missing = path.join(dir, 'no-such-folder', 'x.csv');
    const noFolder = `error: Cannot write ${missing}: the folder ${path.dirname(missing)} does not exist (create it first)`;
    await refused(['export', 'people', '--workspace', 'demo', '--out', missing], noFolder);
    await refused(['model', 'features', '--workspace', 'demo', '--out', missing], noFolder);
    await refused(['export', 'people', '--workspace', 'demo', '--out', dir], `error: ${dir} is a folder, not a file`);
    await refused(
      ['export', 'orders', '--workspace', 'demo', '--q', 'x'],
      'error: --q: orders are not searched by text; use --filter (e.g. external_id:eq:1001)',
    );
    // The demo's refunded orders, a row per line, in the columns the orders import reads.
    const refundedOrders = await run('export', 'orders', '--workspace', 'demo', '--filter', 'status:in:refunded');
    expect(refundedOrders.code, refundedOrders.err).toBe(0);
    const exportedRows = refundedOrders.out.trimEnd().split('\r\n');
    expect(exportedRows[0]).toMatch(/^externalId,customer\.email,customer\.externalId,customer\.name,placedAt,status,/);
    expect(exportedRows.length).toBeGreaterThan(1);
    for (const row of exportedRows.slice(1)) expect(row.split(',')[5]).toBe('refunded');
    expect(fs.existsSync(path.dirname(missing))).toBe(false);
    for (const args of [
      ['import', 'people', dir, '--workspace', 'demo'],
      ['import', 'people', notCdnow, '--workspace', 'demo', '--map', 'garbage'],
    ]) {
      const r = await run(...args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.err, args.join(' ')).toMatch(/^error: /);
      expect(r.err).not.toContain('    at ');
      expect(r.err, args.join(' ')).toContain(
        args.includes('garbage') ? '--map: "garbage" is not Header=field' : `${dir} is a folder, not a file`,
      );
      expect(r.err).not.toContain('RAPPORT_DEBUG');
    }
    // The environment: a data folder that is a file, a database that is not there.
    const file = path.join(dir, 'a-file');
    fs.writeFileSync(file, '');
    await refused(
      ['users', 'list'],
      `error: The data folder ${file} is a file, not a folder: set RAPPORT_DATA_DIR to a folder`,
      { RAPPORT_DATA_DIR: file },
    );
    await refused(
      ['db', 'migrate'],
      'error: Nothing accepts connections at 127.0.0.1:1 (connection refused). Check DATABASE_URL and that PostgreSQL is running there.',
      { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/x' },
    );
    // Nothing was made by any of these.
    const list = await run('users', 'list', '--workspace', 'bad-slug');
    expect(list.err).toBe('error: No workspace with the slug "bad-slug"');
    expect((await run('users', 'list', '--workspace', 'cdtest')).err).toBe(
      'error: No workspace with the slug "cdtest"',
    );
    expect((await run('users', 'list', '--workspace', 'acme-care')).out).not.toMatch(/mars|not-an-email/);
  }, 180_000);

  it('imports with a row-by-row report (every row of a dry run, --report as CSV) and exit code 2 for rejected rows', async () => {
    // 2,500 rows: the dry run's lines are read from the database a page (1,000) at a time. Row 2 is refused.
    const people = path.join(dir, 'people.csv');
    const lines = ['First Name,E-mail,Company', 'Ann,ann@imp.example,Acme', 'Bob,not-an-email,'];
    for (let i = 3; i <= 2500; i++) lines.push(`P${i},p${i}@imp.example,`);
    fs.writeFileSync(people, `${lines.join('\n')}\n`);
    const rowLines = (out: string) => out.split('\n').filter((l) => l.startsWith('  row '));

    const dry = await run('import', 'people', people, '--workspace', 'acme-care', '--dry-run');
    expect(dry.code, dry.err).toBe(2);
    expect(dry.out).toContain(
      'Dry run (nothing changed): 2500 of 2500 rows — 2499 created, 0 updated, 0 unchanged, 1 rejected',
    );
    const every = rowLines(dry.out);
    expect(every).toHaveLength(2500);
    expect(every[0]).toMatch(/^ {2}row 1 \(line 2\): created — .*ann@imp\.example.* \(new company Acme\)$/);
    expect(every[1]).toBe('  row 2 (line 3): rejected — column "E-mail": "not-an-email" is not an email address');
    expect(every[2499]).toMatch(/^ {2}row 2500 \(line 2501\): created — /);
    // The column list and the progress stay on standard error.
    expect(dry.err).toContain('E-mail → emails');
    expect(dry.out).not.toContain('E-mail → emails');

    // The real run with --report: the first rejected rows on standard output, the whole report in the file.
    const report = path.join(dir, 'people-report.csv');
    const imported = await run('import', 'people', people, '--workspace', 'acme-care', '--report', report);
    expect(imported.code, imported.err).toBe(2);
    expect(imported.out).toContain('Imported: 2500 of 2500 rows — 2499 created, 0 updated, 0 unchanged, 1 rejected');
    expect(rowLines(imported.out)).toEqual([
      '  row 2 (line 3): column "E-mail": "not-an-email" is not an email address',
    ]);
    expect(imported.err).toContain(`Wrote the row report to ${report}`);
    const csv = fs.readFileSync(report, 'utf8').split('\r\n');
    expect(csv[0]).toBe('row,line,action,recordId,summary,details');
    expect(csv).toHaveLength(2502); // the header, 2,500 rows, the last line's end
    expect(csv[2]).toMatch(/^2,3,reject,,"column ""E-mail"": ""not-an-email"" is not an email address",/);
    expect(csv[3]).toMatch(/^3,4,create,[0-9a-f-]{36},/);

    // A dry run with --report writes the file instead of the lines; a file without a refused row exits 0.
    const again = path.join(dir, 'again.csv');
    fs.writeFileSync(again, 'First Name,E-mail\nAnn,ann@imp.example\nDi,di@imp.example\n');
    const dryReport = path.join(dir, 'dry-report.csv');
    const clean = await run('import', 'people', again, '--workspace', 'acme-care', '--dry-run', '--report', dryReport);
    expect(clean.code, clean.err).toBe(0);
    expect(rowLines(clean.out)).toEqual([]);
    expect(
      fs
        .readFileSync(dryReport, 'utf8')
        .split('\r\n')
        .map((l) => l.split(',').slice(0, 3).join(',')),
    ).toEqual(['row,line,action', '1,2,unchanged', '2,3,create', '']);
    // A report that cannot be written is refused before anything is imported.
    const nowhere = path.join(dir, 'no-such-folder', 'r.csv');
    await refused(
      ['import', 'people', again, '--workspace', 'acme-care', '--report', nowhere],
      `error: Cannot write ${nowhere}: the folder ${path.dirname(nowhere)} does not exist (create it first)`,
    );
    const help = await run('import', 'orders', '--help');
    expect(help.out).toContain('--report <file>');
    expect(help.out).toMatch(/Exit codes:\n {2}0 .*\n {2}1 .*\n {2}2 {2}the import finished, but rejected rows/);
  }, 180_000);

  it('prints system errors as sentences, and other errors with the stack only under RAPPORT_DEBUG=1', () => {
    const printed = (err: unknown, env: Record<string, string> = {}) => {
      const lines: string[] = [];
      const before = { ...process.env };
      Object.assign(process.env, env);
      const spy = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void lines.push(a.join(' ')));
      try {
        printCliError(err);
      } finally {
        spy.mockRestore();
        process.env = before;
      }
      return lines.join('\n');
    };
    const sys = (message: string, props: Record<string, unknown>) => Object.assign(new Error(message), props);
    expect(
      printed(sys('listen EADDRINUSE', { code: 'EADDRINUSE', syscall: 'listen', address: '127.0.0.1', port: 3000 })),
    ).toBe(
      'error: The address 127.0.0.1:3000 is already in use: stop what listens there, or choose another port with --port (env PORT)',
    );
    expect(printed(sys('getaddrinfo ENOTFOUND 999.1.1.1', { code: 'ENOTFOUND', hostname: '999.1.1.1' }))).toBe(
      'error: The host name "999.1.1.1" cannot be resolved to an address. Check HOST or --host.',
    );
    expect(printed(sys('EISDIR: illegal operation on a directory, read', { code: 'EISDIR', syscall: 'read' }))).toBe(
      'error: A folder was given where a file is needed.',
    );
    expect(printed(sys('EACCES', { code: 'EACCES', syscall: 'open', path: '/root/x' }))).toBe(
      'error: Permission denied: /root/x',
    );
    // Wrapped by a driver (as a database error wraps its cause), or one of several (connecting to localhost).
    expect(
      printed(
        new AggregateError([sys('connect ECONNREFUSED', { code: 'ECONNREFUSED', address: '::1', port: 5432 })], ''),
      ),
    ).toBe('error: Nothing accepts connections at ::1:5432 (connection refused).');
    const odd = new Error('something odd');
    expect(printed(odd)).toBe('error: something odd\n(run again with RAPPORT_DEBUG=1 to see where it happened)');
    const debug = printed(odd, { RAPPORT_DEBUG: '1' });
    expect(debug.startsWith('error: something odd\nError: something odd\n    at ')).toBe(true);
  });

  it('has --help on every command', async () => {
    for (const cmd of [
      [],
      ['start'],
      ['init'],
      ['db', 'migrate'],
      ['users', 'create'],
      ['users', 'list'],
      ['users', 'set-role'],
      ['apikeys', 'create'],
      ['apikeys', 'revoke'],
      ['apikeys', 'list'],
      ['demo'],
      ['metrics', 'rebuild'],
      ['model', 'refit'],
      ['model', 'features'],
      ['model', 'activate'],
    ]) {
      const r = await run(...cmd, '--help');
      expect(r.code, cmd.join(' ')).toBe(0);
      expect(r.out, cmd.join(' ')).toMatch(/Usage: rapport/);
    }
    const unknown = await run('frobnicate');
    expect(unknown.code).toBe(1);
  }, 60_000);
});

/** bin/rapport.mjs, as `npx rapport` and `npm start` run it: the CLI's bundle, built from src/ when stale. */
describe('the rapport launcher', () => {
  const root = path.resolve(import.meta.dirname, '../..');
  const launch = (...args: string[]) =>
    spawnSync(process.execPath, ['bin/rapport.mjs', ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });

  it("prints the package's version and the help, and passes the command's exit code on", () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };
    const v = launch('--version');
    expect(v.status, v.stderr).toBe(0);
    expect(v.stdout.trim()).toBe(pkg.version);
    const help = launch('import', '--help');
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/Usage: rapport import/);
    const bad = launch('frobnicate');
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/unknown command 'frobnicate'/);
  }, 60_000);

  it('says, in one sentence and with exit code 1, that the port is in use', async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    const data = fs.mkdtempSync(path.join(os.tmpdir(), 'rapport-port-'));
    const { DATABASE_URL: _postgres, ...embedded } = process.env;
    try {
      const r = await new Promise<{ status: number | null; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, ['bin/rapport.mjs', 'start', '--port', String(port)], {
          cwd: root,
          env: {
            ...embedded,
            RAPPORT_DATA_DIR: data,
            RAPPORT_SMTP_PORT: 'off',
            RAPPORT_JOBS: 'off',
          },
        });
        let stderr = '';
        child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
        child.on('close', (status) => resolve({ status, stderr }));
      });
      expect(r.status).toBe(1);
      expect(r.stderr).toBe(
        `error: The address 127.0.0.1:${port} is already in use: stop what listens there, or choose another port with --port (env PORT)\n`,
      );
    } finally {
      server.close();
      fs.rmSync(data, { recursive: true, force: true });
    }
  }, 60_000);

  it('rebuilds its bundle when a source file is newer than it', () => {
    const bundle = path.join(root, 'node_modules/.cache/rapport/cli.mjs');
    expect(launch('--version').status).toBe(0);
    // Marked older than the sources: the next command must build it again before running.
    const old = new Date(Date.now() - 3600_000 * 24 * 365 * 10);
    fs.utimesSync(bundle, old, old);
    const again = launch('--version');
    expect(again.status, again.stderr).toBe(0);
    expect(fs.statSync(bundle).mtimeMs).toBeGreaterThan(old.getTime() + 1000);
  }, 60_000);
});
