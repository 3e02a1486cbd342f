import { and, asc, eq } from 'drizzle-orm';
import { z } from 'zod';
import type { Db, DbOrTx } from '../../db/client.ts';
import { newId } from '../../db/ids.ts';
import { rules, users, type TicketStatusValue } from '../../db/schema/index.ts';
import { ticketPriorities, ticketStatuses } from '../../db/schema/service.ts';
import { systemActor, type Actor } from '../../domain/permissions.ts';
import {
  higherPriority,
  matchingRules,
  recommendedEscalations,
  ruleFields,
  ruleOps,
  ruleTriggers,
  type Rule,
  type RuleAction,
  type RuleTrigger,
} from '../../domain/rules.ts';
import { AppError } from '../../errors.ts';
import { appendEvent } from '../../events/events.ts';
import { assertCan } from '../auth/access.ts';
import { findPerson } from '../people/people.repository.ts';
import { findTeam } from '../teams/teams.repository.ts';
import {
  findTicket,
  insertMessage,
  updateTicket,
  type TicketInsert,
  type TicketRow,
} from '../tickets/tickets.repository.ts';
import { conversationsOfTicket } from '../tickets/tickets.repository.ts';

export type RuleRow = typeof rules.$inferSelect;

const name = z.string().trim().min(1).max(200);
export const ruleConditionSchema = z.object({
  field: z.enum(ruleFields),
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
    type: z.literal('escalate'),
    priority: z.enum(ticketPriorities).optional(),
    teamId: z.uuid().optional(),
    reason: z.string().trim().min(1).max(500),
  }),
]);
export const ruleBody = z.object({
  name,
  trigger: z.enum(ruleTriggers),
  conditions: z.array(ruleConditionSchema).max(20),
  actions: z.array(ruleActionSchema).min(1, 'a rule needs at least one action').max(20),
  position: z.number().int().min(0).max(10_000).optional(),
  active: z.boolean().optional(),
});
export type RuleInput = z.infer<typeof ruleBody>;

function asRule(r: RuleRow): Rule {
  return {
    id: r.id,
    name: r.name,
    trigger: r.trigger as RuleTrigger,
    conditions: r.conditions as Rule['conditions'],
    actions: r.actions as unknown as RuleAction[],
  };
}

/**
 * Runs the workspace's active rules of a trigger against a ticket, inside the caller's transaction: changes go
 * straight to the ticket (they do not trigger rules again, so rules cannot loop), each applied rule and each
 * escalation is an event with the reasons in words. Returns the ticket as it is afterwards.
 */
export async function applyRules(
  tx: DbOrTx,
  workspaceId: string,
  ticketId: string,
  trigger: RuleTrigger,
  context: { text?: string | undefined } = {},
): Promise<TicketRow | null> {
  const active = await tx
    .select()
    .from(rules)
    .where(and(eq(rules.workspaceId, workspaceId), eq(rules.trigger, trigger), eq(rules.active, true)))
    .orderBy(asc(rules.position), asc(rules.createdAt));
  let ticket = await findTicket(tx, workspaceId, ticketId);
  if (!active.length || !ticket) return ticket;
  const person = ticket.personId ? await findPerson(tx, workspaceId, ticket.personId) : null;
  const matches = matchingRules(active.map(asRule), trigger, {
    text: context.text ?? '',
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
  });
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
      // Teams and users named by a rule may have been deleted since: such an action is skipped, not an error.
      if (a.type === 'set_team' && (await findTeam(tx, workspaceId, a.teamId))) set.teamId = a.teamId;
      if (a.type === 'assign') {
        const [u] = await tx
          .select({ id: users.id })
          .from(users)
          .where(and(eq(users.workspaceId, workspaceId), eq(users.id, a.userId), eq(users.status, 'active')));
        if (u) set.assigneeId = a.userId;
      }
      if (a.type === 'escalate') {
        const priority = a.priority ? higherPriority(current.priority, a.priority) : current.priority;
        set.priority = priority as TicketRow['priority'];
        const team = a.teamId && (await findTeam(tx, workspaceId, a.teamId)) ? a.teamId : null;
        if (team) set.teamId = team;
        escalation = { reason: a.reason, priority, teamId: team };
      }
    }
    const changes: Record<string, { from: unknown; to: unknown }> = {};
    for (const [k, v] of Object.entries(set)) {
      const old = (ticket as Record<string, unknown>)[k];
      if (JSON.stringify(old) !== JSON.stringify(v)) changes[k] = { from: old ?? null, to: v ?? null };
    }
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
      payload: { ...base, trigger, changes, notes: notes.length },
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

export type RulesService = ReturnType<typeof createRulesService>;

export function createRulesService(deps: { db: Db }) {
  const { db } = deps;

  async function checkRefs(actor: Actor, input: Partial<RuleInput>) {
    for (const a of input.actions ?? []) {
      const teamId = a.type === 'set_team' || a.type === 'escalate' ? a.teamId : undefined;
      if (teamId && !(await findTeam(db, actor.workspaceId, teamId)))
        throw new AppError('validation_failed', `Team ${teamId} was not found`, { field: 'actions', teamId });
      if (a.type === 'assign') {
        const [u] = await db
          .select({ id: users.id })
          .from(users)
          .where(and(eq(users.workspaceId, actor.workspaceId), eq(users.id, a.userId)));
        if (!u)
          throw new AppError('validation_failed', `User ${a.userId} was not found`, {
            field: 'actions',
            userId: a.userId,
          });
      }
    }
    for (const c of input.conditions ?? []) {
      const needsValue = !['set', 'not_set'].includes(c.op);
      const empty = c.value === undefined || (Array.isArray(c.value) ? !c.value.length : !c.value);
      if (needsValue && empty)
        throw new AppError('validation_failed', `The condition on ${c.field} needs a value`, { field: 'conditions' });
    }
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
      await checkRefs(actor, input);
      return db.transaction(async (tx) => {
        const [row] = await tx
          .insert(rules)
          .values({
            workspaceId: actor.workspaceId,
            id: newId(),
            name: input.name,
            trigger: input.trigger,
            conditions: input.conditions,
            actions: input.actions,
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
      await checkRefs(actor, input);
      return db.transaction(async (tx) => {
        const [row] = await tx
          .update(rules)
          .set({ ...input, updatedAt: new Date() })
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
