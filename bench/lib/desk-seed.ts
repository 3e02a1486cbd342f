/**
 * A service desk set up the way a real one is, through the product's services (as `rapport demo` does): a workspace,
 * agents in a team, an e-mail channel and a chat channel routed to that team, a business-hours calendar with two SLA
 * policies, the recommended escalation rules; and `people` existing customers (generated, loaded with COPY).
 */
import { sql } from 'drizzle-orm';
import type { Database } from '../../src/db/client.ts';
import { rolePermissions } from '../../src/domain/permissions.ts';
import { userActor } from '../../src/modules/auth/auth.service.ts';
import { createServices } from '../../src/services.ts';
import { loadCustomers } from './customers-load.ts';

export type DeskAgent = { userId: string; email: string; apiKey: string };

export type SeededDesk = {
  workspaceId: string;
  /** The owner's API key (every permission). */
  ownerApiKey: string;
  agents: DeskAgent[];
  teamId: string;
  emailChannelId: string;
  /** The address the e-mail channel receives at. */
  supportAddress: string;
  chatChannelId: string;
  chatChannelSecret: string;
  /** E-mail addresses of existing customers (people loaded before the run), for returning senders. */
  customerEmails: string[];
};

export async function seedDesk(
  database: Database,
  opts: { databaseUrl: string; agents: number; people: number; seed: number; log: (msg: string) => void },
): Promise<SeededDesk> {
  const services = createServices(database.db);
  const { workspace, user: owner } = await services.auth.createWorkspace(
    {
      workspaceName: 'Bench Desk',
      slug: 'bench-desk',
      ownerName: 'Bench Owner',
      ownerEmail: 'owner@bench-desk.example',
      password: 'bench-owner-password',
    },
    { firstRunOnly: false },
  );
  const ownerActor = userActor(owner);
  const ownerApiKey = (await services.apiKeys.create(ownerActor, { name: 'bench', scopes: [...rolePermissions.owner] }))
    .token;
  const agents: DeskAgent[] = [];
  for (let i = 0; i < opts.agents; i++) {
    const email = `agent${i}@bench-desk.example`;
    const { user } = await services.users.create(ownerActor, {
      email,
      name: `Agent ${i} Bench`,
      role: 'agent',
      password: 'bench-agent-password',
    });
    const { token } = await services.apiKeys.create(userActor(user), {
      name: 'bench agent',
      scopes: [...rolePermissions.agent],
    });
    agents.push({ userId: user.id, email, apiKey: token });
  }
  const team = await services.teams.create(ownerActor, {
    name: 'Support',
    description: 'First line',
    memberIds: agents.map((a) => a.userId),
  });
  const supportAddress = 'support@bench-desk.example';
  const email = await services.channels.create(ownerActor, {
    kind: 'email',
    name: 'Support mailbox',
    address: supportAddress,
    teamId: team.id,
    settings: { fromName: 'Bench Support' },
  });
  const chat = await services.channels.create(ownerActor, { kind: 'chat', name: 'Website chat', teamId: team.id });
  const calendar = await services.sla.createCalendar(ownerActor, {
    name: 'Office',
    timeZone: 'Europe/Lisbon',
    weekly: [1, 2, 3, 4, 5].map((day) => ({ day, start: '09:00', end: '18:00' })),
    holidays: [{ date: '2026-12-25', name: 'Christmas' }],
  });
  await services.sla.createPolicy(ownerActor, {
    name: 'Urgent and high',
    position: 0,
    conditions: [{ field: 'priority', op: 'in', value: ['urgent', 'high'] }],
    targets: { first_response: 60, next_response: 120, resolution: 480 },
    warnBeforeMinutes: 15,
  });
  await services.sla.createPolicy(ownerActor, {
    name: 'Standard (business hours)',
    position: 1,
    calendarId: calendar.id,
    targets: { first_response: 240, next_response: 480, resolution: 2400 },
    warnBeforeMinutes: 60,
  });
  await services.rules.addRecommended(ownerActor, { teamId: team.id });

  let customerEmails: string[] = [];
  if (opts.people > 0) {
    opts.log(`loading ${opts.people.toLocaleString('en-US')} existing customers`);
    const loaded = await loadCustomers({
      databaseUrl: opts.databaseUrl,
      workspaceId: workspace.id,
      people: opts.people,
      companies: Math.max(1, Math.round(opts.people / 20)),
      sampleSize: Math.min(opts.people, 2_000),
      seed: opts.seed,
      log: opts.log,
    });
    customerEmails = loaded.sample.flatMap((p) => p.emails.slice(0, 1));
  }
  await database.db.execute(sql`analyze`);
  return {
    workspaceId: workspace.id,
    ownerApiKey,
    agents,
    teamId: team.id,
    emailChannelId: email.id,
    supportAddress,
    chatChannelId: chat.id,
    chatChannelSecret: chat.secret,
    customerEmails,
  };
}
