import pg from 'pg';

export const defaultAdminUrl = 'postgres://postgres@127.0.0.1:5432/postgres';

/** The URL of another database on the same server. */
export function databaseUrl(adminUrl: string, name: string): string {
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  return u.toString();
}

async function admin<T>(adminUrl: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

function ident(name: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a plain database name: ${name}`);
  return `"${name}"`;
}

/** Drops (forcibly) and creates the database; returns its URL. */
export async function freshDatabase(adminUrl: string, name: string): Promise<string> {
  await admin(adminUrl, async (c) => {
    await c.query(`drop database if exists ${ident(name)} with (force)`);
    await c.query(`create database ${ident(name)}`);
  });
  return databaseUrl(adminUrl, name);
}

export async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  await admin(adminUrl, (c) => c.query(`drop database if exists ${ident(name)} with (force)`));
}

export async function postgresVersion(adminUrl: string): Promise<string> {
  return admin(adminUrl, async (c) => {
    const r = await c.query<{ v: string }>("select current_setting('server_version') as v");
    return `PostgreSQL ${r.rows[0]?.v ?? '?'}`;
  });
}
