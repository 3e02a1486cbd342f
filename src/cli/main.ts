import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { asc } from 'drizzle-orm';
import { loadConfig, type Config } from '../config.ts';
import { createDb, type Database } from '../db/client.ts';
import { runMigrations } from '../db/migrate.ts';
import { workspaces } from '../db/schema/index.ts';
import { isAppError } from '../errors.ts';
import { isRole, permissions, roles, rolePermissions, systemActor, type Role } from '../domain/permissions.ts';
import { ListQueryError } from '../domain/list-query.ts';
import { parseOrderDate } from '../domain/order-imports.ts';
import { createServices, type Services } from '../services.ts';
import { userActor } from '../modules/auth/auth.service.ts';
import { findUserByEmail } from '../modules/users/users.repository.ts';
import { findWorkspaceBySlug, type WorkspaceRow } from '../modules/workspaces/workspaces.repository.ts';
import { startServer } from '../server.ts';
import { version } from '../http/app.ts';
import { defaultCdnowFile, describeRefit, fitCdnowModels, importCdnow } from './demo-cdnow.ts';
import { createDemoWorkspace, demoPassword } from './demo.ts';
import { addImportCommands } from './imports.ts';
import { addModelCommands, missingFolderMessage, outFileProblem, tableCsv } from './model.ts';
import { rebuildMetricRollups } from '../modules/metrics/metrics.rollup.ts';
import { refitPurchaseModels, type PurchaseModelParams } from '../modules/predictions/predictions.service.ts';
import {
  activateChurnModel,
  churnFeatures,
  churnFeatureTable,
  rescoreChurn,
} from '../modules/predictions/churn.service.ts';
import { applyStageRules } from '../modules/predictions/stage-rules.ts';

class CliError extends Error {}

/** The embedded database's folder (RAPPORT_DATA_DIR) must be a folder, or not exist yet. */
function checkDataDir(config: Config): void {
  if (!config.databaseUrl && fs.existsSync(config.dataDir) && !fs.statSync(config.dataDir).isDirectory())
    throw new CliError(`The data folder ${config.dataDir} is a file, not a folder: set RAPPORT_DATA_DIR to a folder`);
}

async function withDb<T>(fn: (database: Database, services: Services) => Promise<T>): Promise<T> {
  const config = loadConfig();
  checkDataDir(config);
  const database = await createDb({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  try {
    await runMigrations(database);
    return await fn(database, createServices(database.db));
  } finally {
    await database.close();
  }
}

/** The workspace named by --workspace, or the only one there is. */
async function pickWorkspace(database: Database, slug: string | undefined): Promise<WorkspaceRow> {
  if (slug) {
    const w = await findWorkspaceBySlug(database.db, slug);
    if (!w) throw new CliError(`No workspace with the slug "${slug}"`);
    return w;
  }
  const all = await database.db.select().from(workspaces).orderBy(asc(workspaces.createdAt)).limit(21);
  if (all.length === 0) throw new CliError('No workspace yet: run `rapport init` (or open the console) first');
  if (all.length > 1) {
    const slugs = all.slice(0, 20).map((w) => w.slug);
    throw new CliError(
      `There are several workspaces: say which with --workspace <slug> (${slugs.join(', ')}${all.length > 20 ? ', …' : ''})`,
    );
  }
  return all[0] as WorkspaceRow;
}

function table(rows: Array<Record<string, unknown>>): void {
  if (!rows.length) {
    console.log('(none)');
    return;
  }
  const cols = Object.keys(rows[0] as object);
  const width = cols.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c] ?? '').length)));
  const line = (vals: string[]) => vals.map((v, i) => v.padEnd(width[i] ?? 0)).join('  ');
  console.log(line(cols));
  for (const r of rows) console.log(line(cols.map((c) => String(r[c] ?? ''))));
}

function parseRole(value: string): Role {
  if (!isRole(value)) throw new CliError(`"${value}" is not a role; use one of ${roles.join(', ')}`);
  return value;
}

export function buildCli(): Command {
  const program = new Command('rapport')
    .description(
      'Rapport: customer relations platform. Data: ./data (RAPPORT_DATA_DIR), or PostgreSQL with DATABASE_URL.',
    )
    .version(version, '-V, --version', "print Rapport's version")
    .showHelpAfterError()
    .exitOverride();

  program
    .command('start')
    .description('Start the server: API, console and jobs (migrates the database first)')
    .addOption(new Option('-p, --port <port>', 'port to listen on (env PORT)'))
    .addOption(new Option('--host <host>', 'address to listen on (env HOST)'))
    .action(async (o: { port?: string; host?: string }) => {
      const config = loadConfig({
        ...process.env,
        ...(o.port ? { PORT: o.port } : {}),
        ...(o.host ? { HOST: o.host } : {}),
      });
      checkDataDir(config);
      const server = await startServer(config, { handleSignals: true });
      const setup = await server.database.db.select({ id: workspaces.id }).from(workspaces).limit(1);
      console.log(
        `\n  Rapport is running on ${server.database.engine === 'pglite' ? `the embedded database (${server.database.location})` : `PostgreSQL (${server.database.location})`}`,
      );
      console.log(`  Console:  ${server.url}/${setup.length ? '' : '   ← open it to create your workspace'}`);
      console.log(`  API docs: ${server.url}/api/docs`);
      console.log(
        server.smtpPort === null
          ? '  Mail in:  off (RAPPORT_SMTP_PORT)\n'
          : `  Mail in:  smtp://${config.host}:${server.smtpPort} (for the addresses of your e-mail channels)\n`,
      );
    });

  program
    .command('init')
    .description('Create a workspace and its owner')
    .requiredOption('--workspace <name>', 'workspace name, e.g. "Acme Support"')
    .requiredOption('--email <email>', "owner's email")
    .option('--name <name>', "owner's name", 'Owner')
    .option('--slug <slug>', 'workspace slug (default: from the name)')
    .option('--timezone <tz>', 'IANA time zone', 'UTC')
    .option(
      '--password <password>',
      'owner password (default: env RAPPORT_INIT_PASSWORD, else one is generated and printed)',
    )
    .action(
      async (o: {
        workspace: string;
        email: string;
        name: string;
        slug?: string;
        timezone: string;
        password?: string;
      }) => {
        const password =
          o.password ?? process.env.RAPPORT_INIT_PASSWORD ?? crypto.randomBytes(12).toString('base64url');
        await withDb(async (_d, s) => {
          const { workspace, user } = await s.auth.createWorkspace(
            {
              workspaceName: o.workspace,
              slug: o.slug,
              ownerName: o.name,
              ownerEmail: o.email,
              password,
              timezone: o.timezone,
            },
            { firstRunOnly: false },
          );
          console.log(`Created workspace "${workspace.name}" (slug ${workspace.slug}) with owner ${user.email}`);
          if (!o.password && !process.env.RAPPORT_INIT_PASSWORD) console.log(`Password (shown once): ${password}`);
        });
      },
    );

  const db = program.command('db').description('Database maintenance');
  db.command('migrate')
    .description('Apply the migrations in drizzle/ (also done at every start)')
    .action(async () => {
      await withDb(async (d) => console.log(`Database migrated (${d.engine}, ${d.location})`));
    });

  const users = program.command('users').description('Manage users');
  users
    .command('list')
    .description('List the users of a workspace')
    .option('--workspace <slug>', 'workspace slug (needed when there are several)')
    .action(async (o: { workspace?: string }) => {
      await withDb(async (d, s) => {
        const w = await pickWorkspace(d, o.workspace);
        const page = await s.users.list(systemActor(w.id), { limit: 200 });
        table(page.rows.map((u) => ({ id: u.id, email: u.email, name: u.name, role: u.role, status: u.status })));
      });
    });
  users
    .command('create')
    .description('Add a user (prints a temporary password unless --password is given)')
    .option('--workspace <slug>', 'workspace slug (needed when there are several)')
    .requiredOption('--email <email>', 'email')
    .requiredOption('--name <name>', 'full name')
    .addOption(new Option('--role <role>', 'role').choices([...roles]).default('agent'))
    .option('--password <password>', 'password (at least 10 characters)')
    .action(async (o: { workspace?: string; email: string; name: string; role: string; password?: string }) => {
      await withDb(async (d, s) => {
        const w = await pickWorkspace(d, o.workspace);
        const { user, temporaryPassword } = await s.users.create(systemActor(w.id), {
          email: o.email,
          name: o.name,
          role: parseRole(o.role),
          password: o.password,
        });
        console.log(`Added ${user.email} as ${user.role} (id ${user.id})`);
        if (temporaryPassword) console.log(`Temporary password (shown once): ${temporaryPassword}`);
      });
    });
  users
    .command('set-role')
    .description("Change a user's role")
    .argument('<email>', "the user's email")
    .argument('<role>', `one of ${roles.join(', ')}`)
    .option('--workspace <slug>', 'workspace slug (needed when there are several)')
    .action(async (email: string, role: string, o: { workspace?: string }) => {
      await withDb(async (d, s) => {
        const w = await pickWorkspace(d, o.workspace);
        const u = await findUserByEmail(d.db, w.id, email.trim().toLowerCase());
        if (!u) throw new CliError(`No user ${email} in workspace ${w.slug}`);
        const updated = await s.users.update(systemActor(w.id), u.id, { role: parseRole(role) });
        console.log(`${updated.email} is now ${updated.role}`);
      });
    });

  const keys = program.command('apikeys').description('Manage API keys');
  keys
    .command('create')
    .description('Create an API key (printed once)')
    .option('--workspace <slug>', 'workspace slug (needed when there are several)')
    .requiredOption('--name <name>', 'what the key is for')
    .option('--user <email>', 'the user the key acts for (default: the first owner)')
    .option(
      '--scopes <list>',
      `comma-separated permissions, or "all" for the user's own (${permissions.join(', ')})`,
      'all',
    )
    .action(async (o: { workspace?: string; name: string; user?: string; scopes: string }) => {
      await withDb(async (d, s) => {
        const w = await pickWorkspace(d, o.workspace);
        let email = o.user;
        if (!email) {
          const owners = await s.users.list(systemActor(w.id), { filter: 'role:eq:owner', limit: 1 });
          email = owners.rows[0]?.email;
        }
        const u = email ? await findUserByEmail(d.db, w.id, email.trim().toLowerCase()) : null;
        if (!u) throw new CliError(`No user ${email ?? ''} in workspace ${w.slug}`);
        const actor = userActor(u);
        const scopes =
          o.scopes === 'all'
            ? [...rolePermissions[actor.role]]
            : o.scopes
                .split(',')
                .map((x) => x.trim())
                .filter(Boolean);
        const { key, token } = await s.apiKeys.create(actor, { name: o.name, scopes });
        console.log(`Created API key "${key.name}" (id ${key.id}) for ${u.email} with scopes ${key.scopes.join(', ')}`);
        console.log(`Key (shown once): ${token}`);
      });
    });
  keys
    .command('list')
    .description('List API keys')
    .option('--workspace <slug>', 'workspace slug (needed when there are several)')
    .option('--all', 'include revoked keys')
    .action(async (o: { workspace?: string; all?: boolean }) => {
      await withDb(async (d, s) => {
        const w = await pickWorkspace(d, o.workspace);
        const list = await s.apiKeys.list(systemActor(w.id), Boolean(o.all));
        table(
          list.map((k) => ({
            id: k.id,
            name: k.name,
            prefix: k.prefix,
            lastUsed: k.lastUsedAt?.toISOString() ?? 'never',
            revoked: k.revokedAt ? 'yes' : '',
          })),
        );
      });
    });
  keys
    .command('revoke')
    .description('Revoke an API key')
    .argument('<id>', 'key id (see apikeys list)')
    .option('--workspace <slug>', 'workspace slug (needed when there are several)')
    .action(async (id: string, o: { workspace?: string }) => {
      // Key ids are UUIDs: anything else names no key (and would not reach the database as a query).
      if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id.trim()))
        throw new CliError(`No such API key: "${id}" (the ids are in \`rapport apikeys list\`)`);
      await withDb(async (d, s) => {
        const w = await pickWorkspace(d, o.workspace);
        const k = await s.apiKeys.revoke(systemActor(w.id), id.trim());
        console.log(`Revoked API key "${k.name}"`);
      });
    });

  const demo = program.command('demo');
  demo
    .description(
      'Create a demo workspace with realistic data (users for every role, customers with history, orders, tickets)',
    )
    .option('--slug <slug>', 'slug of the demo workspace', 'demo')
    .action(async (o: { slug: string }) => {
      await withDb(async (d, s) => {
        const result = await createDemoWorkspace(d.db, s, { slug: o.slug });
        console.log(`Demo workspace "${result.workspace.name}" (slug ${result.workspace.slug}) is ready.`);
        console.log(
          `${result.customers.people} people, ${result.customers.companies} companies, ${result.customers.commerce?.orders ?? 0} orders, ${result.desk.tickets} tickets in the inbox, ${result.kb.articles} help articles at /help/${result.workspace.slug}.`,
        );
        console.log(`Sign in as any of these (password: ${result.password}):`);
        table(result.users.map((u) => ({ email: u.email, role: u.role })));
      });
    });

  demo
    .command('cdnow')
    .description(
      'Import the CDNOW transaction log (69,659 purchases, 23,570 customers) as orders in USD through the CSV import, into the workspace "cdnow", then build the metric roll-ups and fit the predictive models; running it again changes no order',
    )
    .argument('[file]', 'CDNOW_master.txt', defaultCdnowFile)
    .option('--workspace <slug>', 'slug of the workspace to import into (made when missing)', 'cdnow')
    .action(async (file: string, o: { workspace: string }) => {
      await withDb(async (d, s) => {
        const r = await importCdnow(d, s, { file, slug: o.workspace, fail: (m) => new CliError(m) });
        const i = r.import;
        console.log(
          `CDNOW: ${i.processedRows} purchases — ${i.created} orders created, ${i.updated} updated, ${i.unchanged} unchanged, ${i.rejected} rejected.`,
        );
        console.log(`Workspace "${r.workspace.name}" (slug ${r.workspace.slug}).`);
        const t0 = performance.now();
        const fits = await fitCdnowModels(d.db, r.workspace.id);
        for (const f of fits) console.log(describeRefit(f));
        if (!fits.length) console.log('Predictions: no counted orders to fit a model on.');
        else console.log(`Roll-ups rebuilt and models fitted in ${Math.round(performance.now() - t0)} ms.`);
        if (r.createdWorkspace) console.log(`Sign in as analyst@cdnow.example (password: ${demoPassword}).`);
      });
    });

  const metrics = program.command('metrics').description('Metric roll-ups');
  metrics
    .command('rebuild')
    .description('Recompute the metric roll-ups from the orders (of one workspace with --workspace, else of all)')
    .option('--workspace <slug>', 'only this workspace')
    .action(async (o: { workspace?: string }) => {
      await withDb(async (d) => {
        const w = o.workspace ? await pickWorkspace(d, o.workspace) : null;
        const t0 = performance.now();
        const r = await rebuildMetricRollups(d.db, w?.id);
        console.log(
          `Metric roll-ups rebuilt for ${r.workspaces} workspace${r.workspaces === 1 ? '' : 's'} in ${Math.round(performance.now() - t0)} ms`,
        );
      });
    });

  addImportCommands(program, { withDb, pickWorkspace, fail: (m) => new CliError(m) });
  const model = addModelCommands(program, { fail: (m) => new CliError(m) });
  addProductModelCommands(model);

  return program;
}

/**
 * --as-of: a UTC day, YYYY-MM-DD, that exists — 2024-02-30 is refused, not read as 1 March (as `Date.parse` reads it).
 * Checked by the orders import's date reader, which refuses days a month does not have.
 */
function parseAsOf(raw: string): number {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(raw)) throw new CliError(`--as-of "${raw}" is not a date (YYYY-MM-DD)`);
  const day = parseOrderDate(raw, 'UTC');
  if (!day.ok) throw new CliError(`--as-of ${day.message} (YYYY-MM-DD)`);
  // Date.UTC reads the years 0-99 as 1900-1999.
  if (day.date.getUTCFullYear() !== Number(raw.slice(0, 4))) throw new CliError(`--as-of "${raw}" is out of range`);
  return day.date.getTime();
}

/** `rapport model refit | features | activate`: the models inside a workspace (src/modules/predictions). */
function addProductModelCommands(model: Command): void {
  model
    .command('refit')
    .description(
      "Fit BG/NBD + Gamma-Gamma on a workspace's orders (per currency), score every customer, and rescore churn risk",
    )
    .option('--workspace <slug>', 'workspace slug (needed when there are several)')
    .option('--as-of <date>', 'end of the observation, YYYY-MM-DD (default: the day after the latest order)')
    .action(async (o: { workspace?: string; asOf?: string }) => {
      const asOf = o.asOf === undefined ? undefined : parseAsOf(o.asOf);
      await withDb(async (d) => {
        const w = await pickWorkspace(d, o.workspace);
        for (const r of await refitPurchaseModels(d.db, w.id, { asOf })) {
          if (r.status === 'skipped') {
            console.log(`${r.currency}: not fitted — ${r.reason}`);
            continue;
          }
          const p = r.model.params as PurchaseModelParams;
          const f = (x: number) => x.toPrecision(4);
          console.log(
            `${r.currency}: model v${r.model.version} on ${r.model.customers} customers (as of ${r.model.asOf.toISOString().slice(0, 10)}), ` +
              `BG/NBD r=${f(p.bgNbd.r)} α=${f(p.bgNbd.alpha)} a=${f(p.bgNbd.a)} b=${f(p.bgNbd.b)} (days), ` +
              `Gamma-Gamma p=${f(p.gammaGamma.p)} q=${f(p.gammaGamma.q)} γ=${f(p.gammaGamma.gamma)}, fitted in ${r.model.fitMs} ms`,
          );
        }
        const churn = await rescoreChurn(d.db, w.id);
        if (churn)
          console.log(`Churn risk: ${churn.scored} active subscribers rescored with model v${churn.model.version}`);
        const moved = await applyStageRules(d.db, w.id);
        moved.forEach((n, k) => console.log(`Stage rule ${k + 1}: ${n} people moved`));
      });
    });

  model
    .command('features')
    .description(
      "Write a workspace's subscribers as a CSV to train a churn model on: person_id, tenure, plan, MRR, orders, tickets, custom fields, and the label churned (yes/no)",
    )
    .option('--workspace <slug>', 'workspace slug (needed when there are several)')
    .option('--out <file>', 'write here instead of to standard output')
    .action(async (o: { workspace?: string; out?: string }) => {
      await withDb(async (d) => {
        if (o.out) checkOutFile(o.out);
        const w = await pickWorkspace(d, o.workspace);
        const t = churnFeatureTable(await churnFeatures(d.db, w.id));
        const text = tableCsv(t);
        if (o.out) {
          await fs.promises.writeFile(o.out, text);
          console.log(`Wrote ${t.rows.length} subscribers to ${o.out}`);
        } else process.stdout.write(text);
      });
    });

  model
    .command('activate')
    .argument('<model-file>', 'a model file written by `rapport model train`')
    .description("Make a trained churn model the workspace's own and score its active subscribers")
    .option('--workspace <slug>', 'workspace slug (needed when there are several)')
    .action(async (file: string, o: { workspace?: string }) => {
      let text: string;
      try {
        text = await fs.promises.readFile(file, 'utf8');
      } catch {
        throw new CliError(`Cannot read ${file}`);
      }
      await withDb(async (d) => {
        const w = await pickWorkspace(d, o.workspace);
        const r = await activateChurnModel(d.db, w.id, text);
        console.log(`Churn model v${r.model.version} active in ${w.slug}: ${r.scored} active subscribers scored`);
      });
    });
}

export async function runCli(argv: string[]): Promise<number> {
  const program = buildCli();
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    printCliError(err);
    return 1;
  }
}

/** A Node system error (fs, net, dns): its code and what it was about. */
type SystemError = Error & {
  code: string;
  syscall?: string;
  path?: string;
  dest?: string;
  address?: string;
  port?: number;
  hostname?: string;
};

function isSystemError(err: unknown): err is SystemError {
  const code = err instanceof Error ? (err as { code?: unknown }).code : undefined;
  return typeof code === 'string' && /^E[A-Z_]+$/.test(code);
}

/** The system error inside err: itself, a wrapped cause (database drivers), or the first of an AggregateError. */
function systemErrorIn(err: unknown, depth = 0): SystemError | null {
  if (depth > 4 || !(err instanceof Error)) return null;
  if (isSystemError(err)) return err;
  if (err instanceof AggregateError)
    for (const e of err.errors as unknown[]) {
      const found = systemErrorIn(e, depth + 1);
      if (found) return found;
    }
  return systemErrorIn(err.cause, depth + 1);
}

/** Refuses an --out file whose folder is missing or that is a folder, before any work is done. */
function checkOutFile(file: string): void {
  const problem = outFileProblem(file);
  if (problem) throw new CliError(problem);
}

/** A plain sentence for a Node system error, naming the file, port or host it was about. */
function describeSystemError(e: SystemError): string {
  const where = e.path ?? (e.address !== undefined ? `${e.address}${e.port !== undefined ? `:${e.port}` : ''}` : null);
  const db = process.env.DATABASE_URL ? ' Check DATABASE_URL and that PostgreSQL is running there.' : '';
  switch (e.code) {
    case 'ENOENT':
      if (!e.path) return 'A file or folder does not exist.';
      if (e.syscall === 'open' && !fs.existsSync(path.dirname(path.resolve(e.path))))
        return missingFolderMessage(e.path);
      return `No such file or folder: ${e.path}`;
    case 'EISDIR':
      return e.path ? `${e.path} is a folder, not a file` : 'A folder was given where a file is needed.';
    case 'ENOTDIR':
      return e.path
        ? `${e.path}: part of this path is a file, not a folder`
        : 'A file was given where a folder is needed.';
    case 'EACCES':
    case 'EPERM':
      if (e.syscall === 'listen' || e.syscall === 'bind')
        return `Not allowed to listen on ${where ?? 'that port'}: ports below 1024 need privileges; choose another with --port (env PORT)`;
      return `Permission denied${where ? `: ${where}` : ''}`;
    case 'EEXIST':
      if (e.path && e.syscall === 'mkdir') return `${e.path} is a file, so it cannot be used as a folder`;
      return `${e.path ?? 'The file'} already exists`;
    case 'ENOSPC':
      return `No space left on the device${e.path ? ` (writing ${e.path})` : ''}`;
    case 'EADDRINUSE':
      return `The address ${where ?? ''} is already in use: stop what listens there, or choose another port with --port (env PORT)`;
    case 'EADDRNOTAVAIL':
      return `Cannot listen on ${where ?? 'that address'}: it is not an address of this machine (--host, env HOST)`;
    case 'ECONNREFUSED':
      return `Nothing accepts connections at ${where ?? 'that address'} (connection refused).${db}`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `The host name "${e.hostname ?? where ?? ''}" cannot be resolved to an address.${process.env.DATABASE_URL ? ' Check DATABASE_URL, HOST and --host.' : ' Check HOST or --host.'}`;
    case 'ETIMEDOUT':
      return `No answer from ${where ?? 'the server'} (timed out).${db}`;
    default:
      return e.message;
  }
}

/**
 * The CLI's one error printer: a clear message on standard error, never a stack trace (unless RAPPORT_DEBUG=1).
 * The CLI's and the services' own errors print their message (and the problems they list); Node's system errors a
 * sentence naming the file, port or host; anything else its message, with a line on how to see the stack.
 */
export function printCliError(err: unknown): void {
  const debug = process.env.RAPPORT_DEBUG === '1';
  const sys = systemErrorIn(err);
  if (err instanceof CliError || err instanceof ListQueryError) console.error(`error: ${err.message}`);
  else if (isAppError(err)) {
    console.error(`error: ${err.message}`);
    const problems = (err.details as { problems?: unknown } | null)?.problems;
    if (Array.isArray(problems) && problems.length > 1)
      for (const p of problems as Array<{ message?: unknown; field?: unknown }>)
        console.error(`  ${p.field ? `${String(p.field)}: ` : ''}${String(p.message ?? '')}`);
  } else if (err instanceof Error && err.message.startsWith('Invalid configuration')) console.error(err.message);
  else if (sys) console.error(`error: ${describeSystemError(sys)}`);
  else {
    // A database error's message is its statement; the reason is the driver's error inside it.
    const cause =
      err instanceof Error && err.name === 'DrizzleQueryError' && err.cause instanceof Error ? err.cause : null;
    const message = cause
      ? `the database refused a query: ${cause.message}`
      : err instanceof Error
        ? err.message
        : String(err);
    console.error(`error: ${message}`);
    if (!debug) console.error('(run again with RAPPORT_DEBUG=1 to see where it happened)');
  }
  if (debug && err instanceof Error && err.stack) console.error(err.stack);
}

/** The command line as a program: runs argv's command and ends the process, except a running `start`. */
export async function main(argv: string[]): Promise<void> {
  const code = await runCli(argv);
  // `start` keeps running; every other command ends here.
  if (argv[2] !== 'start' || code !== 0) process.exit(code);
}

// bin/rapport.mjs calls main() from the CLI's bundle; `tsx src/cli/main.ts …` runs this file itself.
const isMain = process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/').split('/').pop() ?? '');
if (isMain) await main(process.argv);
