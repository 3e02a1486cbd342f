import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createRestartableDatabase, testEngines } from '../test/db.ts';
import { loadConfig } from './config.ts';
import { dataDirLockName } from './db/data-dir-lock.ts';
import { startServer } from './server.ts';

/** The real server, over real HTTP, stopped and started again on the same data. */
describe.each(testEngines())('restart on %s', (engine) => {
  it('keeps the workspace, users, sessions and API keys', async () => {
    const store = await createRestartableDatabase(engine);
    const config = loadConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
      RAPPORT_DATA_DIR: store.config.dataDir,
      ...(store.config.databaseUrl ? { DATABASE_URL: store.config.databaseUrl } : {}),
    });
    try {
      let server = await startServer(config);
      const setup = await fetch(`${server.url}/api/v1/setup`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          workspaceName: 'Keepers',
          name: 'Kim',
          email: 'kim@keep.example',
          password: 'persist-me-please',
        }),
      });
      expect(setup.status).toBe(201);
      const cookie = (setup.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
      const created = await fetch(`${server.url}/api/v1/api-keys`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', cookie },
        body: JSON.stringify({ name: 'ci', scopes: ['users:read', 'workspace:read'] }),
      });
      expect(created.status).toBe(201);
      const { key } = (await created.json()) as { key: string };
      await server.close();

      server = await startServer(config);
      try {
        const me = await fetch(`${server.url}/api/v1/me`, { headers: { cookie } });
        expect(me.status).toBe(200);
        const users = await fetch(`${server.url}/api/v1/users`, { headers: { authorization: `Bearer ${key}` } });
        expect(users.status).toBe(200);
        expect(((await users.json()) as { data: Array<{ email: string }> }).data.map((u) => u.email)).toEqual([
          'kim@keep.example',
        ]);
        const login = await fetch(`${server.url}/api/v1/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ email: 'kim@keep.example', password: 'persist-me-please' }),
        });
        expect(login.status).toBe(200);
        const ready = (await (await fetch(`${server.url}/ready`)).json()) as { engine: string };
        expect(ready.engine).toBe(engine);
      } finally {
        await server.close();
      }
    } finally {
      await store.destroy();
    }
    // Every migration on a database on disk, then two server starts: seconds alone, past 30 s on a machine running
    // other suites (as the job-restart test in src/jobs/queue.test.ts).
  }, 120_000);

  it('a start that cannot listen closes what it opened: the same data starts at once on a free port', async () => {
    const store = await createRestartableDatabase(engine);
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const taken = (blocker.address() as net.AddressInfo).port;
    const env = {
      HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
      RAPPORT_DATA_DIR: store.config.dataDir,
      ...(store.config.databaseUrl ? { DATABASE_URL: store.config.databaseUrl } : {}),
    };
    try {
      await expect(startServer(loadConfig({ ...env, PORT: String(taken) }))).rejects.toMatchObject({
        code: 'EADDRINUSE',
      });
      // On PGlite the failed start had opened the data directory and claimed it: the claim is released (were the
      // database left open, a CLI command would now be refused as "in use by another Rapport process").
      if (engine === 'pglite') expect(fs.existsSync(path.join(store.config.dataDir, dataDirLockName))).toBe(false);
      const server = await startServer(loadConfig({ ...env, PORT: '0' }));
      try {
        expect((await fetch(`${server.url}/health`)).status).toBe(200);
      } finally {
        await server.close();
      }
    } finally {
      blocker.close();
      await store.destroy();
    }
  }, 120_000);
});
