/**
 * A generated service desk: agents in teams, two SLA policies, and tickets as CSV lines for `COPY tickets … (format
 * csv)` that look like what Rapport writes after two years of use. Most tickets are solved or closed; the open ones
 * (new, open, pending, on hold) are the recent ones plus a long tail of old ones; many new tickets are unassigned;
 * each ticket's SLA metrics (first response, next response, resolution) are stored in the shape refreshTicketSla()
 * stores (src/db/schema/service.ts StoredSlaMetric), running, paused, met, breached or stopped as the ticket's
 * history says, so the "breaching" queue (a metric running or breached, due within 2 h) has members. Everything comes
 * from a seeded PRNG: the same seed and `to` give the same rows. Ids are UUID v7 of created_at.
 */
import { pick, prng, uuidV7, type Rand } from './customers-data.ts';

const hourMs = 3_600_000;
const dayMs = 24 * hourMs;
/** Business minutes → wall-clock ms, roughly (a 9-hour, 5-day week). */
const businessToWallMs = (minutes: number) => minutes * 60_000 * ((24 * 7) / (9 * 5));

export const teamNames = [
  'Support',
  'Billing',
  'Technical',
  'Returns',
  'Onboarding',
  'Enterprise',
  'Escalations',
  'VIP',
];
/** How much of the work each team gets (and how many agents it has), in the order of teamNames. */
const teamWeights = [30, 18, 16, 10, 8, 8, 5, 5];

export type PlannedAgent = { index: number; name: string; email: string; teams: number[] };

/** `count` agents: each in one team (weighted like the work), some in a second or third. */
export function planAgents(count: number, seed: number): PlannedAgent[] {
  const rand = prng(seed);
  const agents: PlannedAgent[] = [];
  for (let i = 0; i < count; i++) {
    // The first agents cover every team once, so none is empty.
    const first = i < teamNames.length ? i : weighted(rand, teamWeights);
    const teams = new Set([first]);
    const extra = rand() < 0.3 ? (rand() < 0.33 ? 2 : 1) : 0;
    while (teams.size < 1 + extra) teams.add(weighted(rand, teamWeights));
    agents.push({ index: i, name: `Agent ${i + 1}`, email: `agent${i + 1}@bench.example`, teams: [...teams] });
  }
  return agents;
}

function weighted(rand: Rand, weights: readonly number[]): number {
  const total = weights.reduce((a, b) => a + b, 0);
  let w = rand() * total;
  for (let i = 0; i < weights.length; i++) {
    w -= weights[i] as number;
    if (w < 0) return i;
  }
  return weights.length - 1;
}

/** The two SLA policies the tickets were under (created through the SLA service; targets in business minutes). */
export const slaPolicyPlans = [
  {
    name: 'Urgent and high',
    conditions: [{ field: 'priority', op: 'in', value: ['urgent', 'high'] }],
    targets: { first_response: 60, next_response: 120, resolution: 1440 },
  },
  { name: 'Standard', conditions: [], targets: { first_response: 480, next_response: 960, resolution: 4800 } },
] as const;
const warnBeforeMinutes = 30;

const statuses = ['new', 'open', 'pending', 'on_hold', 'solved', 'closed'] as const;
type Status = (typeof statuses)[number];
export const openStatuses: readonly Status[] = ['new', 'open', 'pending', 'on_hold'];
/** Status weights (in the order of `statuses`) by the ticket's age: recent ones are still being worked. */
function statusFor(rand: Rand, ageDays: number): Status {
  const w =
    ageDays < 1
      ? [30, 35, 12, 3, 20, 0]
      : ageDays < 3
        ? [6, 30, 18, 4, 40, 2]
        : ageDays < 14
          ? [2, 16, 16, 6, 40, 20]
          : ageDays < 60
            ? [0.3, 3, 5, 3.7, 12, 76]
            : [0.02, 0.13, 0.25, 0.2, 1, 98.4];
  return statuses[weighted(rand, w)] as Status;
}
const unassignedChance: Record<Status, number> = {
  new: 0.8,
  open: 0.12,
  pending: 0.05,
  on_hold: 0.05,
  solved: 0.02,
  closed: 0.02,
};

const priorities = ['low', 'normal', 'high', 'urgent'] as const;
const priorityWeights = [20, 60, 15, 5];
const types = ['question', 'problem', 'incident', 'task'] as const;
const typeWeights = [45, 30, 10, 15];
const channels = ['email', 'chat', 'form', 'phone', 'api'] as const;
const channelWeights = [55, 20, 12, 8, 5];
const ticketTags = [
  'billing',
  'refund',
  'invoice',
  'shipping',
  'delivery',
  'damaged',
  'login',
  'password',
  '2fa',
  'bug',
  'feature-request',
  'api',
  'integration',
  'mobile',
  'vip',
  'churn-risk',
  'onboarding',
  'upgrade',
  'cancellation',
  'gdpr',
  'outage',
  'performance',
  'import',
  'export',
  'feedback',
];
const subjects = [
  'Cannot log in to my account',
  'Refund for order {n}',
  'Invoice {n} is wrong',
  'Where is my package?',
  'Parcel arrived damaged',
  'How do I export my data?',
  'Password reset e-mail never arrives',
  'Charged twice this month',
  'API returns 500 on /orders',
  'Question about the annual plan',
  'Please cancel my subscription',
  'App crashes on start',
  'Integration with our CRM stopped syncing',
  'Change the billing address',
  'Two-factor code not accepted',
  'Request: dark mode',
  'Slow dashboard since yesterday',
  'Import failed at row {n}',
  'Delete my personal data (GDPR)',
  'Upgrade to the business plan',
  'Wrong item in order {n}',
  'Discount code does not work',
  'Need a copy of invoice {n}',
  'Webhook deliveries failing',
];

/** A CSV field: quoted when needed; null is an unquoted empty field (NULL for COPY … csv). */
function field(v: string | null): string {
  if (v === null) return '';
  return v === '' || /[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const exp = (rand: Rand, mean: number) => -Math.log(1 - rand()) * mean;

type Metric = {
  metric: string;
  target: number;
  state: string;
  startedAt: string;
  dueAt: string | null;
  warnAt: string | null;
  breachedAt: string | null;
  completedAt: string | null;
  elapsedBusinessMs: number;
  remainingBusinessMs: number;
  notified?: string[];
};

const toBusinessMs = (wallMs: number, target: number) =>
  Math.round((wallMs * target * 60_000) / businessToWallMs(target));

/** A metric that ended (a reply, a solve) at `completedMs`: met in time or breached. */
function completed(name: string, target: number, startedMs: number, completedMs: number): Metric {
  const dueMs = startedMs + businessToWallMs(target);
  const met = completedMs <= dueMs;
  const elapsed = toBusinessMs(completedMs - startedMs, target);
  return {
    metric: name,
    target,
    state: met ? 'met' : 'breached',
    startedAt: new Date(startedMs).toISOString(),
    dueAt: new Date(dueMs).toISOString(),
    warnAt: new Date(dueMs - businessToWallMs(warnBeforeMinutes)).toISOString(),
    breachedAt: met ? null : new Date(dueMs).toISOString(),
    completedAt: new Date(completedMs).toISOString(),
    elapsedBusinessMs: elapsed,
    remainingBusinessMs: target * 60_000 - elapsed,
    ...(met ? {} : { notified: ['warn', 'breach'] }),
  };
}

/**
 * A metric still counting (or paused) at `nowMs`, after `elapsedWallMs` of counted time (less than the ticket's age
 * when it was paused for a while): running with its due time ahead, paused, or breached since it ran out.
 */
function counting(
  name: string,
  target: number,
  startedMs: number,
  elapsedWallMs: number,
  paused: boolean,
  nowMs: number,
): Metric {
  const targetWall = businessToWallMs(target);
  const warnWall = businessToWallMs(warnBeforeMinutes);
  const elapsed = toBusinessMs(elapsedWallMs, target);
  const base = {
    metric: name,
    target,
    startedAt: new Date(startedMs).toISOString(),
    completedAt: null,
    elapsedBusinessMs: elapsed,
    remainingBusinessMs: target * 60_000 - elapsed,
  };
  if (elapsedWallMs >= targetWall) {
    const dueMs = nowMs - (elapsedWallMs - targetWall);
    return {
      ...base,
      state: 'breached',
      dueAt: new Date(dueMs).toISOString(),
      warnAt: new Date(dueMs - warnWall).toISOString(),
      breachedAt: new Date(dueMs).toISOString(),
      notified: ['warn', 'breach'],
    };
  }
  const dueMs = nowMs + (targetWall - elapsedWallMs);
  const warned = nowMs >= dueMs - warnWall;
  if (paused)
    return {
      ...base,
      state: 'paused',
      dueAt: null,
      warnAt: null,
      breachedAt: null,
      ...(warned ? { notified: ['warn'] } : {}),
    };
  return {
    ...base,
    state: 'running',
    dueAt: new Date(dueMs).toISOString(),
    warnAt: new Date(dueMs - warnWall).toISOString(),
    breachedAt: null,
    ...(warned ? { notified: ['warn'] } : {}),
  };
}

export const ticketCopyColumns =
  'workspace_id, id, number, subject, type, priority, status, channel, person_id, assignee_id, team_id, tags, ' +
  'sla_policy_id, sla, sla_next_check_at, first_response_at, resolved_at, last_customer_message_at, ' +
  'last_agent_reply_at, created_by, created_at, updated_at';

export type DeskIds = {
  workspaceId: string;
  /** User ids of the agents, in planAgents order. */
  agentIds: string[];
  agents: PlannedAgent[];
  /** Team ids, in teamNames order. */
  teamIds: string[];
  /** Policy ids, in slaPolicyPlans order. */
  slaPolicyIds: string[];
  personIds: string[];
};

export type TicketCounts = { total: number; byStatus: Record<string, number> };

/**
 * `count` tickets, created from `from` to `to` (more per day as the business grows), numbered 1… in creation
 * order; `onRow` sees each, for statistics. Customers: a fifth of the people bring most of the tickets.
 */
export function* generateTickets(opts: {
  ids: DeskIds;
  count: number;
  from: Date;
  to: Date;
  seed: number;
  counts: TicketCounts;
}): Generator<string> {
  const rand = prng(opts.seed);
  const { ids } = opts;
  const fromMs = opts.from.getTime();
  const nowMs = opts.to.getTime();
  const span = nowMs - fromMs;
  const membersOf = ids.teamIds.map((_, t) => ids.agents.filter((a) => a.teams.includes(t)).map((a) => a.index));
  const agentWeights = ids.agents.map(() => 0.5 + rand());
  const frequent = Math.max(1, Math.floor(ids.personIds.length / 5));
  for (let i = 0; i < opts.count; i++) {
    // Density rising linearly from 0.6 to 1.4 over the period (the inverse of its CDF), so ids stay in key order.
    const u = (i + 0.5) / opts.count;
    const createdMs = Math.round(fromMs + span * ((-0.6 + Math.sqrt(0.36 + 1.6 * u)) / 0.8));
    const ageDays = (nowMs - createdMs) / dayMs;
    const status = statusFor(rand, ageDays);
    const open = openStatuses.includes(status);
    const priority = priorities[weighted(rand, priorityWeights)] as string;
    const type = types[weighted(rand, typeWeights)] as string;
    const channel = channels[weighted(rand, channelWeights)] as string;
    const team = rand() < 0.08 ? null : weighted(rand, teamWeights);
    let assignee: number | null = null;
    if (rand() >= unassignedChance[status]) {
      const pool = team === null ? ids.agents.map((a) => a.index) : (membersOf[team] as number[]);
      const w = pool.map((a) => agentWeights[a] as number);
      assignee = pool[weighted(rand, w)] as number;
    }
    const nTags = rand() < 0.4 ? 0 : rand() < 0.6 ? 1 : rand() < 0.8 ? 2 : 3;
    const tags = new Set<string>();
    while (tags.size < nTags) tags.add(pick(rand, ticketTags));
    const personIndex =
      rand() < 0.6 ? Math.floor(rand() * frequent) : frequent + Math.floor(rand() * (ids.personIds.length - frequent));
    const subject = pick(rand, subjects).replace('{n}', String(10_000 + Math.floor(rand() * 900_000)));

    // History: first reply, the customer's last message, resolution. Open tickets were touched recently (urgent
    // and high ones more so); of an open ticket's life, part was spent waiting on the customer (clocks paused).
    const high = priority === 'urgent' || priority === 'high';
    const policy = high ? 0 : 1;
    const targets = slaPolicyPlans[policy]?.targets as {
      first_response: number;
      next_response: number;
      resolution: number;
    };
    const cap = (ms: number) => Math.min(nowMs, Math.round(ms));
    const ageMs = nowMs - createdMs;
    const sla: Metric[] = [];
    let firstResponseMs: number | null = null;
    let resolvedMs: number | null = null;
    let lastCustomerMs = createdMs;
    let lastAgentMs: number | null = null;
    let updatedMs: number;
    if (!open) {
      firstResponseMs = rand() < 0.03 ? null : cap(createdMs + 60_000 + exp(rand, (high ? 1 : 4) * hourMs));
      resolvedMs = cap(Math.max(firstResponseMs ?? createdMs, createdMs + exp(rand, (high ? 0.7 : 2.5) * dayMs)));
      updatedMs = status === 'closed' ? cap(resolvedMs + 4 * dayMs) : cap(resolvedMs + exp(rand, hourMs));
      lastAgentMs = firstResponseMs === null ? null : Math.max(firstResponseMs, resolvedMs);
      lastCustomerMs = cap(createdMs + (resolvedMs - createdMs) * rand() * 0.8);
      if (firstResponseMs === null) {
        const m = completed('first_response', targets.first_response, createdMs, resolvedMs);
        sla.push({ ...m, state: 'stopped', breachedAt: null, notified: undefined });
      } else sla.push(completed('first_response', targets.first_response, createdMs, firstResponseMs));
      if (firstResponseMs !== null && lastCustomerMs > firstResponseMs)
        sla.push(
          completed(
            'next_response',
            targets.next_response,
            lastCustomerMs,
            cap(lastCustomerMs + exp(rand, 6 * hourMs)),
          ),
        );
      sla.push(completed('resolution', targets.resolution, createdMs, resolvedMs));
    } else {
      const paused = status === 'pending' || status === 'on_hold';
      updatedMs = cap(Math.max(createdMs, nowMs - exp(rand, (high ? 0.15 : 0.8) * dayMs)));
      if (status !== 'new')
        firstResponseMs = Math.min(updatedMs, cap(createdMs + 60_000 + exp(rand, (high ? 1 : 4) * hourMs)));
      if (firstResponseMs === null) {
        sla.push(counting('first_response', targets.first_response, createdMs, ageMs, false, nowMs));
      } else {
        sla.push(completed('first_response', targets.first_response, createdMs, firstResponseMs));
        if (status === 'open' && updatedMs > firstResponseMs) {
          // The customer wrote last: a next-response cycle runs since.
          lastCustomerMs = updatedMs;
          lastAgentMs = Math.round(firstResponseMs + (updatedMs - firstResponseMs) * rand());
          sla.push(
            counting('next_response', targets.next_response, lastCustomerMs, nowMs - lastCustomerMs, false, nowMs),
          );
        } else {
          // The agent wrote last (waiting on the customer or a third party).
          lastAgentMs = updatedMs;
          lastCustomerMs = Math.round(createdMs + (firstResponseMs - createdMs) * rand());
        }
      }
      const counted = Math.min(ageMs, exp(rand, (high ? 1 : 4) * dayMs));
      sla.push(counting('resolution', targets.resolution, createdMs, counted, paused, nowMs));
    }
    const checks = sla
      .filter((m) => m.state === 'running')
      .map((m) => {
        const warn = m.warnAt ? Date.parse(m.warnAt) : null;
        return warn !== null && warn > nowMs ? warn : Date.parse(m.dueAt as string);
      });
    const nextCheckMs = checks.length ? Math.min(...checks) : null;

    opts.counts.total++;
    opts.counts.byStatus[status] = (opts.counts.byStatus[status] ?? 0) + 1;
    const line = [
      ids.workspaceId,
      uuidV7(createdMs, rand),
      String(i + 1),
      field(subject),
      type,
      priority,
      status,
      channel,
      ids.personIds[personIndex] as string,
      assignee === null ? '' : (ids.agentIds[assignee] as string),
      team === null ? '' : (ids.teamIds[team] as string),
      field(`{${[...tags].map((t) => `"${t}"`).join(',')}}`),
      ids.slaPolicyIds[policy] as string,
      field(JSON.stringify(sla)),
      field(iso(nextCheckMs)),
      field(iso(firstResponseMs)),
      field(iso(resolvedMs)),
      field(iso(lastCustomerMs)),
      field(iso(lastAgentMs)),
      'system',
      new Date(createdMs).toISOString(),
      new Date(updatedMs).toISOString(),
    ].join(',');
    yield `${line}\n`;
  }
}
