import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fromRoot } from '../paths.ts';
import { createDb } from './client.ts';
import { dataDirLockName } from './data-dir-lock.ts';

/** One process per PGlite data directory: a second one would lose its writes without a word. */
describe('the PGlite data directory is one process’s', () => {
  const dirs: string[] = [];
  const scratch = () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'rapport-lock-'));
    dirs.push(d);
    return d;
  };
  afterEach(() => {
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });

  it('refuses a CLI command while another process has the directory open, and lets it run once closed', async () => {
    const dataDir = scratch();
    const database = await createDb({ dataDir });
    expect(fs.readFileSync(path.join(dataDir, dataDirLockName), 'utf8').trim()).toBe(String(process.pid));
    const env: NodeJS.ProcessEnv = { ...process.env, RAPPORT_DATA_DIR: dataDir };
    delete env.DATABASE_URL;
    const cli = () =>
      new Promise<{ code: number | null; err: string }>((resolve) => {
        const child = spawn(process.execPath, ['bin/rapport.mjs', 'db', 'migrate'], {
          cwd: fromRoot('.'),
          env,
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let err = '';
        child.stderr.on('data', (d: Buffer) => (err += d.toString()));
        child.on('exit', (code) => resolve({ code, err }));
      });
    const refused = await cli();
    expect(refused.code).not.toBe(0);
    expect(refused.err).toContain(
      `The data directory ${dataDir} is in use by another Rapport process (pid ${process.pid})`,
    );
    await database.close();
    expect(fs.existsSync(path.join(dataDir, dataDirLockName))).toBe(false);
    const ran = await cli();
    expect(ran.err).not.toContain('in use by another Rapport process');
    expect(ran.code, ran.err).toBe(0);
  }, 120_000);

  it('takes over the directory of a process that died without closing it', async () => {
    const dataDir = scratch();
    // The pid of a process that has ended (a crash, a kill -9 leaves its pid file behind).
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    fs.writeFileSync(path.join(dataDir, dataDirLockName), `${gone}\n`);
    const database = await createDb({ dataDir });
    expect(fs.readFileSync(path.join(dataDir, dataDirLockName), 'utf8').trim()).toBe(String(process.pid));
    await database.close();
  });
});
