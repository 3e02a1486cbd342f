import type { Db } from '../db/client.ts';
import { AppError } from '../errors.ts';
import type { Role } from '../domain/permissions.ts';
import type { Services } from '../services.ts';
import { userActor } from '../modules/auth/auth.service.ts';
import { checkSlug } from '../modules/auth/auth.service.ts';
import type { UserRow } from '../modules/users/users.repository.ts';
import {
  findWorkspaceBySlug,
  removeWorkspace,
  type WorkspaceRow,
} from '../modules/workspaces/workspaces.repository.ts';
import { createDemoCustomers, type DemoCustomerCounts } from './demo-customers.ts';
import { createDemoDesk, type DemoDeskCounts } from './demo-desk.ts';
import { createDemoKb, type DemoKbCounts } from './demo-kb.ts';
import { rebuildMetricRollups } from '../modules/metrics/metrics.rollup.ts';
import { refitPurchaseModels } from '../modules/predictions/predictions.service.ts';

export const demoPassword = 'rapport-demo';

const demoTeam: Array<{ name: string; email: string; role: Role }> = [
  { name: 'Amara Okafor', email: 'amara@northwind.example', role: 'owner' },
  { name: 'Lucas Ferreira', email: 'lucas@northwind.example', role: 'admin' },
  { name: 'Priya Raman', email: 'priya@northwind.example', role: 'agent' },
  { name: 'Jonas Lindqvist', email: 'jonas@northwind.example', role: 'agent' },
  { name: 'Mei Tanaka', email: 'mei@northwind.example', role: 'agent' },
  { name: 'Sofia Marchetti', email: 'sofia@northwind.example', role: 'marketer' },
  { name: 'Daniel Cohen', email: 'daniel@northwind.example', role: 'analyst' },
  { name: 'Grace Mensah', email: 'grace@northwind.example', role: 'viewer' },
];

export type DemoWorkspace = {
  workspace: WorkspaceRow;
  users: Array<{ email: string; role: Role }>;
  password: string;
  customers: DemoCustomerCounts;
  desk: DemoDeskCounts;
  kb: DemoKbCounts;
};

/**
 * A demo workspace with what exists so far: a team covering every role, an integration API key, ~300 customers and
 * ~40 companies with months of history (src/cli/demo-customers.ts), their orders, refunds and subscriptions over
 * 18 months with a product catalogue (src/cli/demo-commerce.ts), and the events of all that. Later capabilities
 * add their own demo data here.
 */
export async function createDemoWorkspace(
  _db: Db,
  services: Services,
  /** fill: what goes into the new workspace (the demo's data; another in tests). */
  opts: { slug: string; fill?: typeof fillDemoWorkspace },
): Promise<DemoWorkspace> {
  // Checked before anything is made: a refused slug leaves nothing behind.
  checkSlug(opts.slug);
  if (await findWorkspaceBySlug(_db, opts.slug))
    throw new AppError(
      'conflict',
      `A workspace with the slug "${opts.slug}" already exists; pass --slug to make another`,
    );
  const [owner, ...rest] = demoTeam;
  if (!owner) throw new Error('demo team is empty');
  const made = await services.auth.createWorkspace(
    {
      workspaceName: 'Northwind Outfitters',
      slug: opts.slug,
      ownerName: owner.name,
      ownerEmail: owner.email,
      password: demoPassword,
      timezone: 'Europe/Lisbon',
    },
    { firstRunOnly: false },
  );
  try {
    return await (opts.fill ?? fillDemoWorkspace)(_db, services, made.workspace, made.user, rest);
  } catch (err) {
    // Half a demo is no demo: the workspace goes, so that the same command can run again.
    await removeWorkspace(_db, made.workspace.id);
    throw err;
  }
}

export async function fillDemoWorkspace(
  _db: Db,
  services: Services,
  workspace: WorkspaceRow,
  ownerRow: UserRow,
  rest: typeof demoTeam,
): Promise<DemoWorkspace> {
  const opts = { slug: workspace.slug };
  const ownerActor = userActor(ownerRow);
  for (const m of rest) await services.users.create(ownerActor, { ...m, password: demoPassword });
  const shopKey = await services.apiKeys.create(ownerActor, {
    name: 'Shop integration (demo)',
    scopes: ['customers:read', 'customers:write'],
  });
  const list = await services.users.list(ownerActor, { filter: 'email:eq:grace@northwind.example' });
  const grace = list.rows[0];
  if (grace) await services.users.update(ownerActor, grace.id, { status: 'disabled' });
  // Customers are owned by the people who work with them: owner, admin, agents and the marketer.
  const team = await services.users.list(ownerActor, { limit: 200 });
  const owners = team.rows.filter((u) => ['owner', 'admin', 'agent', 'marketer'].includes(u.role)).map((u) => u.id);
  // Their orders and subscriptions arrive through the shop integration's key.
  const customers = await createDemoCustomers(_db, services, ownerActor, owners, {
    commerce: { integrationKeyId: shopKey.key.id },
  });
  const agents = team.rows.filter((u) => u.role === 'agent' && u.status === 'active').map((u) => userActor(u));
  const desk = await createDemoDesk(_db, services, ownerActor, {
    slug: opts.slug,
    agents: agents.length ? agents : [ownerActor],
  });
  const { ids: _articleIds, ...kb } = await createDemoKb(services, ownerActor);
  // What the server's jobs would do within minutes, done now so that the dashboard and the predictions are there on
  // the first visit: the metric roll-ups built from the orders and tickets, the purchase models fitted and scored.
  await rebuildMetricRollups(_db, workspace.id);
  await refitPurchaseModels(_db, workspace.id);
  return {
    workspace,
    users: demoTeam.map(({ email, role }) => ({ email, role })),
    password: demoPassword,
    customers,
    desk,
    kb,
  };
}
