import { and, asc, eq, sql, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import { rowsOf, type Db, type DbOrTx } from '../../db/client.ts';
import { rowsFromJson } from '../../db/json-rows.ts';
import { newId } from '../../db/ids.ts';
import {
  businessCalendars,
  openTicketStatusesSql,
  slaPolicies,
  tickets,
  type StoredSlaMetric,
} from '../../db/schema/index.ts';
import { alwaysOpen, parseCalendar, type BusinessCalendar } from '../../domain/business-hours.ts';
import { systemActor, type Actor } from '../../domain/permissions.ts';
import {
  computeSla,
  defaultPauseOn,
  matchPolicy,
  nextSlaCheck,
  slaMetrics,
  ticketStatuses,
  type SlaCondition,
  type SlaEvent,
  type SlaMetricState,
  type TicketStatus,
} from '../../domain/sla.ts';
import { AppError } from '../../errors.ts';
import { appendEvent } from '../../events/events.ts';
import { defineJob } from '../../jobs/queue.ts';
import { assertCan } from '../auth/access.ts';
import { applyRules } from '../rules/rules.service.ts';
import { findPerson, type PersonRow } from '../people/people.repository.ts';
import {
  findTicket,
  ticketClockHistory,
  ticketEvent,
  ticketsDueForSlaCheck,
  updateTicket,
  type MessageRow,
  type TicketInsert,
  type TicketRow,
} from '../tickets/tickets.repository.ts';

export type SlaPolicyRow = typeof slaPolicies.$inferSelect;
export type CalendarRow = typeof businessCalendars.$inferSelect;

export const slaConditionSchema = z.object({
  field: z.enum(['priority', 'type', 'tag', 'segment', 'channel']),
  op: z.enum(['is', 'is_not', 'in']),
  value: z.union([z.string().trim().min(1).max(100), z.array(z.string().trim().min(1).max(100)).min(1).max(50)]),
});

const targetMinutes = z
  .number()
  .int()
  .min(1)
  .max(60 * 24 * 365);
export const slaTargetsSchema = z
  .object({
    first_response: targetMinutes.optional(),
    next_response: targetMinutes.optional(),
    resolution: targetMinutes.optional(),
  })
  .refine((t) => Object.values(t).some((v) => v !== undefined), { message: 'set at least one target' });

export type SlaPolicyInput = {
  name?: string | undefined;
  position?: number | undefined;
  active?: boolean | undefined;
  conditions?: SlaCondition[] | undefined;
  targets?: Partial<Record<string, number>> | undefined;
  calendarId?: string | null | undefined;
  pauseOn?: string[] | undefined;
  warnBeforeMinutes?: number | undefined;
};

/** How a stored metric looks (dates as ISO strings, and which notices were sent). */
function store(s: SlaMetricState, notified: string[]): StoredSlaMetric & { notified: string[] } {
  const iso = (d: Date | null) => (d ? d.toISOString() : null);
  return {
    metric: s.metric,
    target: s.target,
    state: s.state,
    startedAt: s.startedAt.toISOString(),
    dueAt: iso(s.dueAt),
    warnAt: iso(s.warnAt),
    breachedAt: iso(s.breachedAt),
    completedAt: iso(s.completedAt),
    elapsedBusinessMs: s.elapsedBusinessMs,
    remainingBusinessMs: s.remainingBusinessMs,
    notified,
  };
}

/** Stored calendars already checked, by their content: every ticket write on a desk asks for the same few. */
const parsedCalendars = new Map<string, BusinessCalendar>();

function calendarOf(row: CalendarRow | null | undefined): BusinessCalendar {
  if (!row) return alwaysOpen;
  const input = { timeZone: row.timeZone, weekly: row.weekly, holidays: row.holidays };
  const key = JSON.stringify(input);
  const known = parsedCalendars.get(key);
  if (known) return known;
  const parsed = parseCalendar(input);
  const calendar = parsed.ok ? parsed.calendar : alwaysOpen;
  if (parsedCalendars.size >= 500) parsedCalendars.clear();
  parsedCalendars.set(key, calendar);
  return calendar;
}

const isStatus = (s: unknown): s is TicketStatus => typeof s === 'string' && (ticketStatuses as string[]).includes(s);

/** What the SLA clock counts of a ticket's history: its creation, status changes, customer messages, public replies. */
async function ticketClock(
  tx: DbOrTx,
  workspaceId: string,
  ticket: TicketRow,
  knownMessages?: MessageRow[],
): Promise<SlaEvent[]> {
  const history = await ticketClockHistory(tx, workspaceId, ticket.id, { withMessages: !knownMessages });
  const messages =
    knownMessages?.map((m) => ({ direction: m.direction, createdAt: m.createdAt, automatic: m.meta.automatic })) ??
    history.messages ??
    [];
  return clockOf(ticket, history.statuses, messages);
}

export type SlaConfig = { policies: SlaPolicyRow[]; calendars: Map<string, CalendarRow> };

/**
 * The workspace's active SLA policies in the order they are tried, and the calendars they count in, each as one JSON
 * column: for `slaConfig`, and for a caller reading them within a larger statement (inboundConfig).
 */
export function slaConfigColumns(workspaceId: string): { policies: SQL; calendars: SQL } {
  return {
    policies: sql`(select coalesce(json_agg(p order by p.position, p.created_at), '[]') from ${slaPolicies} p
      where p.workspace_id = ${workspaceId} and p.active)`,
    calendars: sql`(select coalesce(json_agg(c), '[]') from ${businessCalendars} c
      where c.workspace_id = ${workspaceId} and c.id in (
        select p.calendar_id from ${slaPolicies} p where p.workspace_id = ${workspaceId} and p.active))`,
  };
}

/** The configuration from the two columns of `slaConfigColumns`, rows typed as drizzle returns them. */
export function slaConfigFromJson(policies: unknown, calendars: unknown): SlaConfig {
  return {
    policies: rowsFromJson(slaPolicies, policies),
    calendars: new Map(rowsFromJson(businessCalendars, calendars).map((c) => [c.id, c])),
  };
}

/** The workspace's active SLA policies in the order they are tried, with the calendars they count in, by id. */
export async function slaConfig(tx: DbOrTx, workspaceId: string): Promise<SlaConfig> {
  const cols = slaConfigColumns(workspaceId);
  const [r] = rowsOf<{ policies: unknown; calendars: unknown }>(
    await tx.execute(sql`select ${cols.policies} as policies, ${cols.calendars} as calendars`),
  );
  return slaConfigFromJson(r?.policies, r?.calendars);
}

/**
 * Recomputes a ticket's SLA from its history (creation, status changes, customer messages, public replies), stores
 * the result with the next time to look again, and records a warning or breach event the first time each happens.
 * Called in the transaction of every change to the ticket, and by the SLA job when a warning or due time comes.
 * `known` may carry what the caller already read in this transaction, to spare the lookups: the ticket as it is now,
 * its customer (`person`, for the ticket's `personId`), the workspace's `slaConfig`, the ticket's `messages` (all of
 * them, read under the ticket's lock, plus those written since), or its whole `clock` when the caller knows it (a
 * ticket this transaction opened: its creation and first message).
 */
export async function refreshTicketSla(
  tx: DbOrTx,
  workspaceId: string,
  ticketId: string,
  now = new Date(),
  known: {
    ticket?: TicketRow | undefined;
    person?: PersonRow | null | undefined;
    config?: Awaited<ReturnType<typeof slaConfig>> | undefined;
    clock?: SlaEvent[] | undefined;
    messages?: MessageRow[] | undefined;
  } = {},
) {
  const ticket = known.ticket ?? (await findTicket(tx, workspaceId, ticketId));
  if (!ticket) return null;
  // The policies and their calendars in one statement, unless the caller read them.
  const config = known.config ?? (await slaConfig(tx, workspaceId));
  const policies = config.policies;
  const person =
    known.person !== undefined && (known.person?.id ?? null) === ticket.personId
      ? known.person
      : ticket.personId
        ? await findPerson(tx, workspaceId, ticket.personId)
        : null;
  const policy = ticket.mergedIntoId ? null : policyFor(policies, ticket, person);
  if (!policy) {
    if (!ticket.sla.length && !ticket.slaPolicyId && !ticket.slaNextCheckAt) return ticket;
    return updateTicket(
      tx,
      workspaceId,
      ticketId,
      { sla: [], slaPolicyId: null, slaNextCheckAt: null },
      { touch: false },
    );
  }
  const clock = known.clock ?? (await ticketClock(tx, workspaceId, ticket, known.messages));
  const plan = slaPlan(ticket, policy, config, clock, now);
  const actor = systemActor(workspaceId);
  for (const n of plan.notices)
    await appendEvent(
      tx,
      actor,
      ticketEvent(ticket, n.type, { metric: n.metric, policyId: policy.id, dueAt: n.dueAt }),
    );
  for (const trigger of new Set(plan.notices.map((n) => n.type))) await applyRules(tx, workspaceId, ticketId, trigger);
  // The SLA state is derived, not a change: `updated_at` stays (a change in this transaction has set it already).
  return updateTicket(tx, workspaceId, ticketId, plan.columns, { touch: false });
}

type SlaNotice = { type: 'ticket.sla_warning' | 'ticket.sla_breached'; metric: string; dueAt: string | null };

/**
 * The policy's metrics for the ticket at `now` from its clock: the columns to store, and the warnings and breaches
 * that happen now for the first time (each metric keeps the notices already sent, unless its cycle started afresh).
 */
function slaPlan(
  ticket: Pick<TicketRow, 'sla'>,
  policy: SlaPolicyRow,
  config: SlaConfig,
  clock: SlaEvent[],
  now: Date,
): { columns: ReturnType<typeof slaColumns>; notices: SlaNotice[] } {
  const calendarRow = policy.calendarId ? config.calendars.get(policy.calendarId) : undefined;
  const states = slaStates(policy, calendarRow, clock, now);
  const previous = ticket.sla as Array<StoredSlaMetric & { notified?: string[] }>;
  const stored = [];
  const notices: SlaNotice[] = [];
  for (const s of states) {
    const prev = previous.find((m) => m.metric === s.metric);
    // A new next-response cycle starts its notices afresh.
    const notified = prev && prev.startedAt === s.startedAt.toISOString() ? [...(prev.notified ?? [])] : [];
    const dueAt = s.dueAt?.toISOString() ?? null;
    if (s.state === 'breached' && !notified.includes('breach')) {
      notified.push('breach');
      notices.push({ type: 'ticket.sla_breached', metric: s.metric, dueAt });
    } else if (s.state === 'running' && s.warnAt && s.warnAt <= now && !notified.includes('warn')) {
      notified.push('warn');
      notices.push({ type: 'ticket.sla_warning', metric: s.metric, dueAt });
    }
    stored.push(store(s, notified));
  }
  return { columns: slaColumns(policy, states, stored, now), notices };
}

/**
 * What refreshTicketSla would store for `ticket` — as it will be once the caller's write is done — at `now`, from its
 * whole clock (its history with that write's status change and message): so that a change to a ticket and its SLA
 * are written by one statement. Null when a warning or breach would be recorded (refreshTicketSla does that, after
 * the write); an empty object when there is nothing to store (no policy applies and none is stored).
 */
export function ticketSlaAfter(
  ticket: SlaTicketFields & Pick<TicketRow, 'sla' | 'slaPolicyId' | 'slaNextCheckAt' | 'mergedIntoId'>,
  person: Pick<PersonRow, 'stage' | 'tags'> | null,
  config: SlaConfig,
  clock: SlaEvent[],
  now: Date,
): Partial<TicketInsert> | null {
  const policy = ticket.mergedIntoId ? null : policyFor(config.policies, ticket, person);
  if (!policy) {
    if (!ticket.sla.length && !ticket.slaPolicyId && !ticket.slaNextCheckAt) return {};
    return { sla: [], slaPolicyId: null, slaNextCheckAt: null };
  }
  const plan = slaPlan(ticket, policy, config, clock, now);
  return plan.notices.length ? null : plan.columns;
}

/**
 * The SLA clock of a ticket from its history as read: its creation, its status changes (oldest first), its customers'
 * messages (not automatic ones) and its public replies.
 */
export function clockOf(
  ticket: Pick<TicketRow, 'createdAt'>,
  statuses: Array<{ to: unknown; at: Date }>,
  messages: Array<{ direction: MessageRow['direction']; createdAt: Date; automatic: unknown }>,
): SlaEvent[] {
  const clock: SlaEvent[] = [{ at: ticket.createdAt, kind: 'created', status: 'new' }];
  for (const h of statuses) if (isStatus(h.to)) clock.push({ at: h.at, kind: 'status', status: h.to });
  for (const m of messages) {
    if (m.direction === 'inbound' && !m.automatic) clock.push({ at: m.createdAt, kind: 'customer_message' });
    if (m.direction === 'outbound') clock.push({ at: m.createdAt, kind: 'agent_reply' });
  }
  return clock;
}

/** What an SLA policy is chosen by: the ticket's fields and its customer's stage and tags. */
type SlaTicketFields = Pick<TicketRow, 'priority' | 'type' | 'tags' | 'channel'>;

/** The first active policy (in order) whose conditions the ticket meets, or null. */
function policyFor(
  policies: SlaPolicyRow[],
  ticket: SlaTicketFields,
  person: Pick<PersonRow, 'stage' | 'tags'> | null,
): SlaPolicyRow | null {
  if (!policies.length) return null;
  return matchPolicy(
    policies.map((p) => ({ ...p, conditions: p.conditions as SlaCondition[] })),
    {
      priority: ticket.priority,
      type: ticket.type,
      tags: ticket.tags,
      segments: person ? [person.stage, ...person.tags] : [],
      channel: ticket.channel,
    },
  );
}

/** Each metric of the policy at `now`, on the policy's calendar, from the ticket's clock. */
function slaStates(policy: SlaPolicyRow, calendarRow: CalendarRow | undefined, clock: SlaEvent[], now: Date) {
  const pauseOn = policy.pauseOn.filter(isStatus);
  return computeSla(
    {
      targets: policy.targets,
      calendar: calendarOf(calendarRow),
      pauseOn: pauseOn.length ? pauseOn : defaultPauseOn,
      warnBeforeMinutes: policy.warnBeforeMinutes,
    },
    clock,
    now,
  );
}

/** The ticket's SLA columns for these states. */
function slaColumns(policy: SlaPolicyRow, states: SlaMetricState[], stored: StoredSlaMetric[], now: Date) {
  const first = states.find((s) => s.metric === 'first_response');
  const resolution = states.find((s) => s.metric === 'resolution');
  return {
    slaPolicyId: policy.id,
    sla: stored,
    slaNextCheckAt: nextSlaCheck(states, now),
    firstResponseBusinessMs: first && (first.state === 'met' || first.completedAt) ? first.elapsedBusinessMs : null,
    resolutionBusinessMs: resolution?.state === 'met' ? resolution.elapsedBusinessMs : null,
  };
}

/**
 * The SLA columns of a ticket about to be inserted, from the clock the caller knows (its creation and first message),
 * so that a new ticket is written once rather than inserted and then updated: what refreshTicketSla would store
 * right after the insert. Null when a warning or breach would already fire (refreshTicketSla records those, after
 * the insert); an empty object when no policy applies (the columns' defaults).
 */
export function initialTicketSla(
  ticket: SlaTicketFields,
  person: Pick<PersonRow, 'stage' | 'tags'> | null,
  config: SlaConfig,
  clock: SlaEvent[],
  now: Date,
): Partial<TicketInsert> | null {
  // A new ticket has no SLA stored and no notice sent: what ticketSlaAfter counts for it.
  return ticketSlaAfter(
    { ...ticket, sla: [], slaPolicyId: null, slaNextCheckAt: null, mergedIntoId: null },
    person,
    config,
    clock,
    now,
  );
}

export const slaCheckJobName = 'tickets.sla_check';

/** Every minute: tickets whose warning or due time has come get their SLA recomputed (and warned or breached). */
export const slaCheckJob = defineJob({
  name: slaCheckJobName,
  payload: z.object({}).passthrough(),
  handler: async (_p, { db }) => {
    const now = new Date();
    for (;;) {
      const due = await ticketsDueForSlaCheck(db, now, 200);
      if (!due.length) return;
      for (const t of due)
        await db.transaction(async (tx) => {
          // The ticket locked, then the time taken: a reply committed while this waited is in the clock it reads
          // and before its "now" — counted before the lock, the state written would undo the reply's (met → running).
          const ticket = await findTicket(tx, t.workspaceId, t.id, { lock: true });
          if (ticket) await refreshTicketSla(tx, t.workspaceId, t.id, new Date(), { ticket });
        });
      if (due.length < 200) return;
    }
  },
});

/**
 * After a policy or calendar changes, the open tickets' targets and due times may have too: their next check becomes
 * now, so the SLA job recomputes them (choosing the policy again, with its calendar as it is now). Every open ticket
 * of the workspace, in the transaction of the change (the open-ticket partial indexes cover this filter); tickets
 * already due keep their time.
 */
export async function recheckOpenTickets(tx: DbOrTx, workspaceId: string): Promise<number> {
  const rows = rowsOf<{ id: string }>(
    await tx.execute(sql`update ${tickets} set sla_next_check_at = now()
      where workspace_id = ${workspaceId} and merged_into_id is null
        and status in ${sql.raw(openTicketStatusesSql)}
        and (sla_next_check_at is null or sla_next_check_at > now())
      returning id`),
  );
  return rows.length;
}

export type SlaService = ReturnType<typeof createSlaService>;

export function createSlaService(deps: { db: Db }) {
  const { db } = deps;

  async function checkCalendarId(actor: Actor, id: string | null | undefined) {
    if (!id) return;
    const [c] = await db
      .select({ id: businessCalendars.id })
      .from(businessCalendars)
      .where(and(eq(businessCalendars.workspaceId, actor.workspaceId), eq(businessCalendars.id, id)));
    if (!c) throw new AppError('validation_failed', `Calendar ${id} was not found`, { field: 'calendarId' });
  }

  function checkPauseOn(p: string[] | undefined): TicketStatus[] | undefined {
    if (!p) return undefined;
    const bad = p.filter((s) => !(ticketStatuses as string[]).includes(s) || s === 'solved' || s === 'closed');
    if (bad.length)
      throw new AppError('validation_failed', `"${bad[0]}" cannot pause the clock (use pending or on_hold)`, {
        field: 'pauseOn',
      });
    return [...new Set(p)] as TicketStatus[];
  }

  function checkCalendar(input: { timeZone: string; weekly: unknown; holidays?: unknown }) {
    const parsed = parseCalendar(input);
    if (!parsed.ok) {
      const first = parsed.problems[0];
      throw new AppError(
        'validation_failed',
        first ? `${first.field}: ${first.message}` : 'The calendar is not valid',
        {
          problems: parsed.problems,
        },
      );
    }
    return parsed.calendar;
  }

  return {
    async listPolicies(actor: Actor): Promise<SlaPolicyRow[]> {
      assertCan(actor, 'tickets:read');
      return db
        .select()
        .from(slaPolicies)
        .where(eq(slaPolicies.workspaceId, actor.workspaceId))
        .orderBy(asc(slaPolicies.position), asc(slaPolicies.createdAt));
    },

    async createPolicy(actor: Actor, input: SlaPolicyInput & { name: string; targets: Record<string, number> }) {
      assertCan(actor, 'workspace:manage');
      await checkCalendarId(actor, input.calendarId);
      const id = newId();
      return db.transaction(async (tx) => {
        const [row] = await tx
          .insert(slaPolicies)
          .values({
            workspaceId: actor.workspaceId,
            id,
            name: input.name.trim(),
            // Without a position, the new policy goes last: it must not take over the tickets an older one serves.
            position:
              input.position ??
              sql<number>`(select coalesce(max(p.position) + 1, 0) from ${slaPolicies} p
              where p.workspace_id = ${actor.workspaceId})`,
            active: input.active ?? true,
            conditions: input.conditions ?? [],
            targets: input.targets as Record<string, number>,
            calendarId: input.calendarId ?? null,
            pauseOn: checkPauseOn(input.pauseOn) ?? defaultPauseOn,
            warnBeforeMinutes: input.warnBeforeMinutes ?? 30,
          })
          .returning();
        if (!row) throw new Error('policy insert returned nothing');
        await appendEvent(tx, actor, {
          type: 'sla_policy.created',
          subjectType: 'sla_policy',
          subjectId: id,
          payload: { name: row.name },
        });
        await recheckOpenTickets(tx, actor.workspaceId);
        return row;
      });
    },

    async updatePolicy(actor: Actor, id: string, input: SlaPolicyInput) {
      assertCan(actor, 'workspace:manage');
      await checkCalendarId(actor, input.calendarId);
      return db.transaction(async (tx) => {
        const [row] = await tx
          .update(slaPolicies)
          .set({
            ...(input.name !== undefined ? { name: input.name.trim() } : {}),
            ...(input.position !== undefined ? { position: input.position } : {}),
            ...(input.active !== undefined ? { active: input.active } : {}),
            ...(input.conditions !== undefined ? { conditions: input.conditions } : {}),
            ...(input.targets !== undefined ? { targets: input.targets as Record<string, number> } : {}),
            ...(input.calendarId !== undefined ? { calendarId: input.calendarId } : {}),
            ...(input.pauseOn !== undefined ? { pauseOn: checkPauseOn(input.pauseOn) } : {}),
            ...(input.warnBeforeMinutes !== undefined ? { warnBeforeMinutes: input.warnBeforeMinutes } : {}),
            updatedAt: new Date(),
          })
          .where(and(eq(slaPolicies.workspaceId, actor.workspaceId), eq(slaPolicies.id, id)))
          .returning();
        if (!row) throw AppError.notFound('SLA policy', id);
        await appendEvent(tx, actor, { type: 'sla_policy.updated', subjectType: 'sla_policy', subjectId: id });
        await recheckOpenTickets(tx, actor.workspaceId);
        return row;
      });
    },

    /**
     * Puts every policy of the workspace in the given order (positions 0, 1, 2…) in one transaction: one event, one
     * recheck of the open tickets — never a half-reordered list, and no ticket re-targeted by an order in between.
     * `ids` must name each policy exactly once.
     */
    async reorderPolicies(actor: Actor, ids: string[]): Promise<SlaPolicyRow[]> {
      assertCan(actor, 'workspace:manage');
      return db.transaction(async (tx) => {
        const current = await tx
          .select({ id: slaPolicies.id })
          .from(slaPolicies)
          .where(eq(slaPolicies.workspaceId, actor.workspaceId))
          .for('update');
        const known = new Set(current.map((p) => p.id));
        const seen = new Set<string>();
        const duplicated = ids.filter((id) => (seen.has(id) ? true : (seen.add(id), false)));
        const unknown = ids.filter((id) => !known.has(id));
        const missing = [...known].filter((id) => !seen.has(id));
        if (duplicated.length || unknown.length || missing.length)
          throw new AppError('validation_failed', 'The order must name every SLA policy of the workspace once', {
            ...(duplicated.length ? { duplicated } : {}),
            ...(unknown.length ? { unknown } : {}),
            ...(missing.length ? { missing } : {}),
          });
        const now = new Date();
        for (const [position, id] of ids.entries())
          await tx
            .update(slaPolicies)
            .set({ position, updatedAt: now })
            .where(
              and(
                eq(slaPolicies.workspaceId, actor.workspaceId),
                eq(slaPolicies.id, id),
                sql`${slaPolicies.position} is distinct from ${position}`,
              ),
            );
        await appendEvent(tx, actor, {
          type: 'sla_policy.reordered',
          subjectType: 'workspace',
          subjectId: actor.workspaceId,
          payload: { order: ids },
        });
        await recheckOpenTickets(tx, actor.workspaceId);
        return tx
          .select()
          .from(slaPolicies)
          .where(eq(slaPolicies.workspaceId, actor.workspaceId))
          .orderBy(asc(slaPolicies.position), asc(slaPolicies.createdAt));
      });
    },

    async removePolicy(actor: Actor, id: string) {
      assertCan(actor, 'workspace:manage');
      await db.transaction(async (tx) => {
        const r = await tx
          .delete(slaPolicies)
          .where(and(eq(slaPolicies.workspaceId, actor.workspaceId), eq(slaPolicies.id, id)))
          .returning({ id: slaPolicies.id });
        if (!r.length) throw AppError.notFound('SLA policy', id);
        await appendEvent(tx, actor, { type: 'sla_policy.deleted', subjectType: 'sla_policy', subjectId: id });
        await recheckOpenTickets(tx, actor.workspaceId);
      });
    },

    async listCalendars(actor: Actor): Promise<CalendarRow[]> {
      assertCan(actor, 'tickets:read');
      return db
        .select()
        .from(businessCalendars)
        .where(eq(businessCalendars.workspaceId, actor.workspaceId))
        .orderBy(asc(businessCalendars.name));
    },

    async createCalendar(
      actor: Actor,
      input: { name: string; timeZone: string; weekly: unknown; holidays?: unknown },
    ): Promise<CalendarRow> {
      assertCan(actor, 'workspace:manage');
      const cal = checkCalendar(input);
      const [row] = await db
        .insert(businessCalendars)
        .values({
          workspaceId: actor.workspaceId,
          id: newId(),
          name: input.name.trim(),
          timeZone: cal.timeZone,
          weekly: cal.weekly,
          holidays: cal.holidays,
        })
        .returning();
      if (!row) throw new Error('calendar insert returned nothing');
      return row;
    },

    async updateCalendar(
      actor: Actor,
      id: string,
      input: { name?: string | undefined; timeZone?: string | undefined; weekly?: unknown; holidays?: unknown },
    ): Promise<CalendarRow> {
      assertCan(actor, 'workspace:manage');
      const [existing] = await db
        .select()
        .from(businessCalendars)
        .where(and(eq(businessCalendars.workspaceId, actor.workspaceId), eq(businessCalendars.id, id)));
      if (!existing) throw AppError.notFound('Calendar', id);
      const cal = checkCalendar({
        timeZone: input.timeZone ?? existing.timeZone,
        weekly: input.weekly ?? existing.weekly,
        holidays: input.holidays ?? existing.holidays,
      });
      return db.transaction(async (tx) => {
        const [row] = await tx
          .update(businessCalendars)
          .set({
            ...(input.name !== undefined ? { name: input.name.trim() } : {}),
            timeZone: cal.timeZone,
            weekly: cal.weekly,
            holidays: cal.holidays,
            updatedAt: new Date(),
          })
          .where(and(eq(businessCalendars.workspaceId, actor.workspaceId), eq(businessCalendars.id, id)))
          .returning();
        if (!row) throw AppError.notFound('Calendar', id);
        // Only hours and holidays move due times; a new name does not.
        const hoursChanged =
          row.timeZone !== existing.timeZone ||
          JSON.stringify(row.weekly) !== JSON.stringify(existing.weekly) ||
          JSON.stringify(row.holidays) !== JSON.stringify(existing.holidays);
        if (hoursChanged) await recheckOpenTickets(tx, actor.workspaceId);
        return row;
      });
    },

    async removeCalendar(actor: Actor, id: string): Promise<void> {
      assertCan(actor, 'workspace:manage');
      const inUse = await db
        .select({ id: slaPolicies.id, name: slaPolicies.name })
        .from(slaPolicies)
        .where(and(eq(slaPolicies.workspaceId, actor.workspaceId), eq(slaPolicies.calendarId, id)));
      if (inUse.length)
        throw new AppError('conflict', `The policy "${inUse[0]?.name}" counts on this calendar`, { policies: inUse });
      const r = await db
        .delete(businessCalendars)
        .where(and(eq(businessCalendars.workspaceId, actor.workspaceId), eq(businessCalendars.id, id)))
        .returning({ id: businessCalendars.id });
      if (!r.length) throw AppError.notFound('Calendar', id);
    },
  };
}

export { slaMetrics };
