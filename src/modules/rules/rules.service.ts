import { and, asc, eq } from 'drizzle-orm';
import { z } from 'zod';
import type { Db, DbOrTx } from '../../db/client.ts';
import { newId } from '../../db/ids.ts';
import { rules, users, type TicketStatusValue } from '../../db/schema/index.ts';
import { ticketPriorities, ticketStatuses } from '../../db/schema/service.ts';
import { mayWorkTickets, systemActor, type Actor } from '../../domain/permissions.ts';
import {
  higherPriority,
  matchingRules,
  recommendedEscalations,
  customRuleFieldPattern,
  isCustomRuleField,
  ruleFields,
  ruleOps,
  ruleTriggers,
  maxDelayHours,
  minDelayHours,
  timeAnchors,
  type Rule,
  type RuleFacts,
  type RuleAction,
  type RuleTrigger,
} from '../../domain/rules.ts';
import { AppError } from '../../errors.ts';
import { appendEvent } from '../../events/events.ts';
import { assertCan } from '../auth/access.ts';
import { checkCustomAssignments, diffCustomValues, type FieldProblem } from '../../domain/customers.ts';
import { listCustomFields } from '../fields/fields.repository.ts';
import { invalidFields } from '../fields/record-fields.ts';
import { findPerson, type PersonRow } from '../people/people.repository.ts';
import { findTeam } from '../teams/teams.repository.ts';
import {
  findTicket,
  insertMessage,
  updateTicket,
  type TicketInsert,
  type TicketRow,
} from '../tickets/tickets.repository.ts';
import { conversationsOfTicket } from '../tickets/tickets.repository.ts';
import { assertChecklistAllowsSolve } from '../sops/checklists.ts';
import { isDone } from '../../domain/tickets.ts';
import type { RuleRow } from './rules.repository.ts';

export type { RuleRow };

function rulesSetCustom(rs: readonly Rule[]): boolean {
  return rs.some((r) => r.actions.some((a) => a.type === 'set_custom'));
}

const name = z.string().trim().min(1).max(200);
export const ruleConditionSchema = z.object({
  field: z
    .union([z.enum(ruleFields), z.string().regex(customRuleFieldPattern, 'custom.<key> of a ticket custom field')])
    .describe(`${ruleFields.join(', ')}, or custom.<key> for a ticket custom field`),
  op: z.enum(ruleOps),
  value: z.union([z.string().trim().max(200), z.array(z.string().trim().min(1).max(200)).max(200)]).optional(),
});
export const ruleActionSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('set_priority'), value: z.enum(ticketPriorities) }),
  z.object({ type: z.literal('set_team'), teamId: z.uuid() }),
  z.object({ type: z.literal('assign'), userId: z.uuid() }),
  z.object({ type: z.literal('add_tags'), tags: z.array(z.string().trim().min(1).max(50)).min(1).max(20) }),
  z.object({ type: z.literal('set_status'), value: z.enum(ticketStatuses) }),
  z.object({ type: z.literal('add_note'), text: z.string().trim().min(1).max(5000) }),
  z.object({
    type: z.literal('set_custom'),
    key: z.string().max(50).describe('The key of a ticket custom field'),
    value: z.unknown().describe('A value of the field type, or null to clear it'),
  }),
  z.object({
    type: z.literal('escalate'),
    priority: z.enum(ticketPriorities).optional(),
    teamId: z.uuid().optional(),
    reason: z.string().trim().min(1).max(500),
  }),
]);
export const ruleDelaySchema = z.object({
  since: z.enum(timeAnchors),
  hours: z.number().min(minDelayHours).max(maxDelayHours),
});
export const ruleBody = z.object({
  name,
  trigger: z.enum(ruleTriggers),
  /** Time rules only (trigger ticket.time_elapsed): how long after which moment of the ticket. */
  delay: ruleDelaySchema.nullable().optional(),
  conditions: z.array(ruleConditionSchema).max(20),
  actions: z.array(ruleActionSchema).min(1, 'a rule needs at least one action').max(20),
  position: z.number().int().min(0).max(10_000).optional(),
  active: z.boolean().optional(),
});
export type RuleInput = z.infer<typeof ruleBody>;

export function asRule(r: RuleRow): Rule {
  return {
    id: r.id,
    name: r.name,
    trigger: r.trigger as RuleTrigger,
    conditions: r.conditions as Rule['conditions'],
    actions: r.actions as unknown as RuleAction[],
  };
}

/** Whether a rule can change a ticket's status (so its history gains a status change). */
export function ruleChangesStatus(r: RuleRow): boolean {
  return (r.actions as Array<{ type: string }>).some((a) => a.type === 'set_status');
}

/** The workspace's active rules of a trigger, in the order they run. */
export async function activeRules(tx: DbOrTx, workspaceId: string, trigger: RuleTrigger): Promise<RuleRow[]> {
  return tx
    .select()
    .from(rules)
    .where(and(eq(rules.workspaceId, workspaceId), eq(rules.trigger, trigger), eq(rules.active, true)))
    .orderBy(asc(rules.position), asc(rules.createdAt));
}

/**
 * Runs the workspace's active rules of a trigger against a ticket, inside the caller's transaction: changes go
 * straight to the ticket (they do not trigger rules again, so rules cannot loop), each applied rule and each
 * escalation is an event with the reasons in words. Returns the ticket as it is afterwards.
 * `context` may carry what the caller already read in this transaction, to spare the lookups: the trigger's active
 * rules (`activeRules`), the ticket as it is now, and its customer (`person`, for the ticket's `personId`).
 */
export async function applyRules(
  tx: DbOrTx,
  workspaceId: string,
  ticketId: string,
  trigger: RuleTrigger,
  context: {
    text?: string | undefined;
    rules?: RuleRow[] | undefined;
    ticket?: TicketRow | undefined;
    person?: PersonRow | null | undefined;
  } = {},
): Promise<TicketRow | null> {
  const active = context.rules ?? (await activeRules(tx, workspaceId, trigger));
  const ticket = context.ticket ?? (await findTicket(tx, workspaceId, ticketId));
  if (!active.length || !ticket) return ticket;
  const known =
    context.person !== undefined && (context.person?.id ?? null) === ticket.personId ? context.person : undefined;
  const matches = matchingRules(active.map(asRule), trigger, await factsOf(tx, ticket, context.text ?? '', known));
  return applyMatches(tx, ticket, trigger, matches);
}

/**
 * What rules look at for a ticket: its fields, its customer's stage and tags, and the text that triggered them. The
 * customer is read unless the caller already has them (`known`, null for none).
 */
export async function factsOf(
  tx: DbOrTx,
  ticket: TicketRow,
  text: string,
  known?: PersonRow | null,
): Promise<RuleFacts> {
  const person =
    known !== undefined ? known : ticket.personId ? await findPerson(tx, ticket.workspaceId, ticket.personId) : null;
  return ruleFacts(ticket, text, person);
}

/** The facts of a ticket's fields (one not yet written, too), its customer and the text. */
export function ruleFacts(
  ticket: Pick<
    TicketRow,
    'subject' | 'priority' | 'type' | 'status' | 'channel' | 'tags' | 'assigneeId' | 'teamId' | 'custom'
  >,
  text: string,
  person: Pick<PersonRow, 'stage' | 'tags'> | null,
): RuleFacts {
  return {
    text,
    subject: ticket.subject,
    priority: ticket.priority,
    type: ticket.type,
    status: ticket.status,
    channel: ticket.channel,
    tags: ticket.tags,
    customerStage: person?.stage ?? null,
    customerTags: person?.tags ?? [],
    assigneeId: ticket.assigneeId,
    teamId: ticket.teamId,
    custom: ticket.custom,
  };
}

/** Applies the actions of matched rules to a ticket (in order), with their events. Returns the ticket afterwards. */
export async function applyMatches(
  tx: DbOrTx,
  start: TicketRow,
  trigger: RuleTrigger,
  matches: Array<{ rule: Rule; reasons: string[] }>,
): Promise<TicketRow> {
  let ticket = start;
  const workspaceId = ticket.workspaceId;
  const fieldDefs =
    rulesSetCustom(matches.map((m) => m.rule)) || matches.some((m) => ruleSetsStatus(m.rule))
      ? await listCustomFields(tx, workspaceId, 'ticket')
      : [];
  const actor = systemActor(workspaceId);
  for (const { rule, reasons } of matches) {
    const set: Partial<TicketInsert> = {};
    const notes: string[] = [];
    let escalation: { reason: string; priority: string | null; teamId: string | null } | null = null;
    for (const a of rule.actions) {
      const current = { ...ticket, ...set } as TicketRow;
      if (a.type === 'set_priority') set.priority = a.value as TicketRow['priority'];
      if (a.type === 'set_status') set.status = a.value as TicketStatusValue;
      if (a.type === 'add_tags') set.tags = [...new Set([...current.tags, ...a.tags])];
      if (a.type === 'add_note') notes.push(a.text);
      if (a.type === 'set_custom') {
        // Checked again against the field as it is now: an archived field, or an option removed since, is skipped.
        const r = checkCustomAssignments(fieldDefs, { [a.key]: a.value });
        if (!r.problems.length) {
          const custom = { ...current.custom };
          const v = r.values[a.key];
          if (v === null || v === undefined) delete custom[a.key];
          else custom[a.key] = v;
          set.custom = custom;
        }
      }
      // Teams and users named by a rule may have been deleted since: such an action is skipped, not an error.
      if (a.type === 'set_team' && (await findTeam(tx, workspaceId, a.teamId))) set.teamId = a.teamId;
      if (a.type === 'assign') {
        const [u] = await tx
          .select({ id: users.id, role: users.role })
          .from(users)
          .where(and(eq(users.workspaceId, workspaceId), eq(users.id, a.userId), eq(users.status, 'active')));
        // A user whose role changed since to one that cannot work tickets is skipped like a disabled one.
        if (u && mayWorkTickets(u.role)) set.assigneeId = a.userId;
      }
      if (a.type === 'escalate') {
        const priority = a.priority ? higherPriority(current.priority, a.priority) : current.priority;
        set.priority = priority as TicketRow['priority'];
        const team = a.teamId && (await findTeam(tx, workspaceId, a.teamId)) ? a.teamId : null;
        if (team) set.teamId = team;
        escalation = { reason: a.reason, priority, teamId: team };
      }
    }
    // A rule may do what an agent may: no more. Closed is final, and solving needs the ticket's required fields and
    // its SOP checklist done, as for an agent (TicketsService.update). Otherwise the status action is skipped, and
    // the rule_applied event says why.
    const skipped: Array<{ action: string; reason: string }> = [];
    if (set.status !== undefined && set.status !== ticket.status) {
      const reason = await statusRefusal(tx, ticket, set.status, set.custom ?? ticket.custom, fieldDefs);
      if (reason) {
        skipped.push({ action: `set_status ${set.status}`, reason });
        delete set.status;
      }
    }
    const changes: Record<string, { from: unknown; to: unknown }> = {};
    for (const [k, v] of Object.entries(set)) {
      if (k === 'custom') continue;
      const old = (ticket as Record<string, unknown>)[k];
      if (JSON.stringify(old) !== JSON.stringify(v)) changes[k] = { from: old ?? null, to: v ?? null };
    }
    if (set.custom) Object.assign(changes, diffCustomValues(ticket.custom, set.custom));
    if (Object.keys(changes).length) ticket = (await updateTicket(tx, workspaceId, ticket.id, set)) ?? ticket;
    for (const text of notes) {
      const [conversation] = await conversationsOfTicket(tx, workspaceId, ticket.id);
      if (conversation)
        await insertMessage(tx, {
          workspaceId,
          id: newId(),
          conversationId: conversation.id,
          ticketId: ticket.id,
          direction: 'note',
          authorType: 'system',
          authorId: `rule:${rule.id}`,
          bodyText: text,
          delivery: 'stored',
        });
    }
    const base = { number: ticket.number, subject: ticket.subject, ruleId: rule.id, rule: rule.name, reasons };
    if (changes.status)
      await appendEvent(tx, actor, {
        type: 'ticket.status_changed',
        subjectType: 'ticket',
        subjectId: ticket.id,
        personId: ticket.personId,
        payload: { ...base, from: changes.status.from, to: changes.status.to, reason: `rule ${rule.name}` },
      });
    await appendEvent(tx, actor, {
      type: 'ticket.rule_applied',
      subjectType: 'ticket',
      subjectId: ticket.id,
      personId: ticket.personId,
      payload: { ...base, trigger, changes, notes: notes.length, ...(skipped.length ? { skipped } : {}) },
    });
    if (escalation)
      await appendEvent(tx, actor, {
        type: 'ticket.escalated',
        subjectType: 'ticket',
        subjectId: ticket.id,
        personId: ticket.personId,
        payload: { ...base, ...(escalation as object) },
      });
  }
  return ticket;
}

function ruleSetsStatus(r: Rule): boolean {
  return r.actions.some((a) => a.type === 'set_status');
}

/** Why a rule may not move a ticket to `status` (null when it may): the gates an agent's change meets. */
async function statusRefusal(
  tx: DbOrTx,
  ticket: TicketRow,
  status: string,
  custom: Record<string, unknown>,
  fieldDefs: Awaited<ReturnType<typeof listCustomFields>>,
): Promise<string | null> {
  if (ticket.status === 'closed') return 'the ticket is closed, and closed is final';
  if (!isDone(status) || isDone(ticket.status)) return null;
  const missing = fieldDefs.filter((d) => d.required && !d.archived && custom[d.key] === undefined);
  if (missing.length) return `${missing.map((d) => d.label).join(', ')} must be filled in before solving`;
  try {
    await assertChecklistAllowsSolve(tx, ticket.workspaceId, ticket);
  } catch (err) {
    if (err instanceof AppError) return err.message;
    throw err;
  }
  return null;
}

export type RulesService = ReturnType<typeof createRulesService>;

export function createRulesService(deps: { db: Db }) {
  const { db } = deps;

  /**
   * Teams and users must be in the workspace; custom fields in conditions and actions must be ticket fields of the
   * workspace, their values of the field's type (a select's options…). Returns the conditions and actions with the
   * custom values in the form they are compared and stored in (see RuleCondition).
   */
  async function checkRefs(
    actor: Actor,
    input: Partial<RuleInput>,
  ): Promise<{ conditions?: RuleInput['conditions']; actions?: RuleInput['actions'] }> {
    const out = await checkCustomRefs(actor, input);
    for (const a of input.actions ?? []) {
      const teamId = a.type === 'set_team' || a.type === 'escalate' ? a.teamId : undefined;
      if (teamId && !(await findTeam(db, actor.workspaceId, teamId)))
        throw new AppError('validation_failed', `Team ${teamId} was not found`, { field: 'actions', teamId });
      if (a.type === 'assign') {
        const [u] = await db
          .select({ id: users.id, name: users.name, role: users.role, status: users.status })
          .from(users)
          .where(and(eq(users.workspaceId, actor.workspaceId), eq(users.id, a.userId)));
        if (!u)
          throw new AppError('validation_failed', `User ${a.userId} was not found`, {
            field: 'actions',
            userId: a.userId,
          });
        // The same rule as assigning by hand (TicketsService): a rule must not hand tickets to someone who cannot
        // answer them, where nobody would see them in their queue.
        if (u.status !== 'active')
          throw new AppError('validation_failed', `${u.name} is not active and cannot be assigned tickets`, {
            field: 'actions',
            userId: a.userId,
          });
        if (!mayWorkTickets(u.role))
          throw new AppError('validation_failed', `${u.name} (${u.role}) may not work on tickets`, {
            field: 'actions',
            userId: a.userId,
          });
      }
    }
    if (input.trigger !== undefined) {
      const timed = input.trigger === 'ticket.time_elapsed';
      if (timed && !input.delay)
        throw new AppError('validation_failed', 'A time rule needs a delay: how many hours after which moment', {
          field: 'delay',
        });
      if (!timed && input.delay)
        throw new AppError('validation_failed', 'Only a time rule (trigger ticket.time_elapsed) has a delay', {
          field: 'delay',
        });
      if (timed && input.conditions?.some((c) => c.field === 'text'))
        throw new AppError('validation_failed', 'A time rule has no message text to test: use subject or tags', {
          field: 'conditions',
        });
    }
    for (const c of input.conditions ?? []) {
      const needsValue = !['set', 'not_set'].includes(c.op);
      const empty = c.value === undefined || (Array.isArray(c.value) ? !c.value.length : !c.value);
      if (needsValue && empty)
        throw new AppError('validation_failed', `The condition on ${c.field} needs a value`, { field: 'conditions' });
    }
    return out;
  }

  async function checkCustomRefs(
    actor: Actor,
    input: Partial<RuleInput>,
  ): Promise<{ conditions?: RuleInput['conditions']; actions?: RuleInput['actions'] }> {
    const usesCustom =
      (input.conditions ?? []).some((c) => isCustomRuleField(c.field)) ||
      (input.actions ?? []).some((a) => a.type === 'set_custom');
    if (!usesCustom) return { conditions: input.conditions, actions: input.actions };
    const defs = (await listCustomFields(db, actor.workspaceId, 'ticket')).filter((d) => !d.archived);
    const problems: FieldProblem[] = [];
    const conditions = input.conditions?.map((c, i) => {
      if (!isCustomRuleField(c.field)) return c;
      const key = c.field.slice(7);
      const def = defs.find((d) => d.key === key);
      if (!def) {
        problems.push({ field: `conditions[${i}].field`, message: `there is no ticket field "${key}"` });
        return c;
      }
      if ((c.op === 'contains_any' || c.op === 'contains_none') && def.type !== 'text' && def.type !== 'url') {
        problems.push({
          field: `conditions[${i}].op`,
          message: `${def.label} is a ${def.type} field: test it with is, is_not, in, set or not_set`,
        });
        return c;
      }
      if (c.value === undefined || c.op === 'contains_any' || c.op === 'contains_none') return c;
      // Each value must be one the field can hold, stored as the condition compares it ("12", "true", an option).
      const values = (Array.isArray(c.value) ? c.value : [c.value]).map((raw, j) => {
        const r = checkCustomAssignments([def], { [key]: def.type === 'multiselect' ? [raw] : raw });
        const p = r.problems[0];
        if (p)
          problems.push({
            field: `conditions[${i}].value${Array.isArray(c.value) ? `[${j}]` : ''}`,
            message: `${def.label} ${p.message}`,
          });
        const v = r.values[key];
        return Array.isArray(v) ? String(v[0]) : v === null || v === undefined ? raw : String(v as string);
      });
      return { ...c, value: Array.isArray(c.value) ? values : values[0] };
    });
    const actions = input.actions?.map((a, i) => {
      if (a.type !== 'set_custom') return a;
      const def = defs.find((d) => d.key === a.key);
      if (!def) {
        problems.push({ field: `actions[${i}].key`, message: `there is no ticket field "${a.key}"` });
        return a;
      }
      const r = checkCustomAssignments([def], { [a.key]: a.value });
      for (const p of r.problems) problems.push({ field: `actions[${i}].value`, message: `${def.label} ${p.message}` });
      return { ...a, value: r.values[a.key] ?? null };
    });
    if (problems.length) throw invalidFields(problems);
    return { conditions, actions };
  }

  return {
    async list(actor: Actor): Promise<RuleRow[]> {
      assertCan(actor, 'tickets:read');
      return db
        .select()
        .from(rules)
        .where(eq(rules.workspaceId, actor.workspaceId))
        .orderBy(asc(rules.position), asc(rules.createdAt));
    },

    async create(actor: Actor, input: RuleInput): Promise<RuleRow> {
      assertCan(actor, 'workspace:manage');
      const checked = await checkRefs(actor, input);
      return db.transaction(async (tx) => {
        const [row] = await tx
          .insert(rules)
          .values({
            workspaceId: actor.workspaceId,
            id: newId(),
            name: input.name,
            trigger: input.trigger,
            conditions: checked.conditions ?? input.conditions,
            actions: checked.actions ?? input.actions,
            delay: input.delay ?? null,
            position: input.position ?? 0,
            active: input.active ?? true,
          })
          .returning();
        if (!row) throw new Error('rule insert returned nothing');
        await appendEvent(tx, actor, {
          type: 'rule.created',
          subjectType: 'rule',
          subjectId: row.id,
          payload: { name: row.name },
        });
        return row;
      });
    },

    async update(actor: Actor, id: string, input: Partial<RuleInput>): Promise<RuleRow> {
      assertCan(actor, 'workspace:manage');
      const [current] = await db
        .select()
        .from(rules)
        .where(and(eq(rules.workspaceId, actor.workspaceId), eq(rules.id, id)));
      if (!current) throw AppError.notFound('Rule', id);
      // Checked as the rule will be after the change (a new delay on its own must still fit the trigger); stored
      // conditions are only looked at again when the trigger or delay changes.
      const timing = input.trigger !== undefined || input.delay !== undefined;
      const checked = await checkRefs(actor, {
        ...input,
        trigger: input.trigger ?? (current.trigger as RuleTrigger),
        delay: input.delay !== undefined ? input.delay : (current.delay as RuleInput['delay']),
        conditions: input.conditions ?? (timing ? (current.conditions as RuleInput['conditions']) : undefined),
      });
      const delay = input.delay !== undefined ? input.delay : (current.delay as RuleInput['delay']);
      return db.transaction(async (tx) => {
        const [row] = await tx
          .update(rules)
          .set({
            ...input,
            delay: delay ?? null,
            // A new delay or trigger: the rule looks at every ticket again (the ledger still stops repeats).
            ...(timing ? { timeCheckedUntil: null } : {}),
            ...(checked.conditions ? { conditions: checked.conditions } : {}),
            ...(checked.actions ? { actions: checked.actions } : {}),
            updatedAt: new Date(),
          })
          .where(and(eq(rules.workspaceId, actor.workspaceId), eq(rules.id, id)))
          .returning();
        if (!row) throw AppError.notFound('Rule', id);
        await appendEvent(tx, actor, { type: 'rule.updated', subjectType: 'rule', subjectId: id });
        return row;
      });
    },

    async remove(actor: Actor, id: string): Promise<void> {
      assertCan(actor, 'workspace:manage');
      await db.transaction(async (tx) => {
        const r = await tx
          .delete(rules)
          .where(and(eq(rules.workspaceId, actor.workspaceId), eq(rules.id, id)))
          .returning({ id: rules.id });
        if (!r.length) throw AppError.notFound('Rule', id);
        await appendEvent(tx, actor, { type: 'rule.deleted', subjectType: 'rule', subjectId: id });
      });
    },

    /**
     * Adds the recommended escalation rules (legal threats, vulnerable customers, billing disputes) that are not there
     * yet (by name), routed to `teamId` when given. Safe to call twice.
     */
    async addRecommended(actor: Actor, opts: { teamId?: string | undefined } = {}): Promise<RuleRow[]> {
      assertCan(actor, 'workspace:manage');
      if (opts.teamId && !(await findTeam(db, actor.workspaceId, opts.teamId)))
        throw new AppError('validation_failed', `Team ${opts.teamId} was not found`, { field: 'teamId' });
      const existing = new Set((await this.list(actor)).map((r) => r.name));
      const made: RuleRow[] = [];
      for (const rec of recommendedEscalations) {
        if (existing.has(rec.name)) continue;
        for (const trigger of ['ticket.created', 'ticket.message_received'] as const) {
          const ruleName = trigger === 'ticket.created' ? rec.name : `${rec.name} (follow-up message)`;
          if (existing.has(ruleName)) continue;
          made.push(
            await this.create(actor, {
              name: ruleName,
              trigger,
              conditions: [{ field: 'text', op: 'contains_any', value: rec.keywords }],
              actions: [
                {
                  type: 'escalate',
                  priority: rec.priority as (typeof ticketPriorities)[number],
                  reason: rec.reason,
                  ...(opts.teamId ? { teamId: opts.teamId } : {}),
                },
                { type: 'add_tags', tags: ['escalated'] },
              ],
            }),
          );
        }
      }
      return made;
    },
  };
}

export { systemActor };
