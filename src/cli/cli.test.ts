import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCli } from './main.ts';

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
    expect(ambiguous.err).toMatch(/--workspace <slug>/);
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
    // Each command opens the embedded database and migrates, as an operator's would: slow on a busy machine.
  }, 180_000);

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
