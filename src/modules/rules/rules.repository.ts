import { and, asc, eq, isNotNull, isNull, lte, gte, ne, notExists, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.ts';
import { ruleRuns, rules, tickets } from '../../db/schema/index.ts';
import type { TimeAnchor } from '../../domain/rules.ts';

export type RuleRow = typeof rules.$inferSelect;

/** The ticket column each time-rule anchor reads. */
export const anchorColumn = {
  created: tickets.createdAt,
  updated: tickets.updatedAt,
  status_changed: tickets.statusChangedAt,
  last_customer_message: tickets.lastCustomerMessageAt,
  last_agent_reply: tickets.lastAgentReplyAt,
} as const satisfies Record<TimeAnchor, unknown>;

/** Every active time rule of every workspace (the time job walks them all). */
export async function activeTimeRules(db: DbOrTx): Promise<RuleRow[]> {
  return db
    .select()
    .from(rules)
    .where(and(eq(rules.trigger, 'ticket.time_elapsed'), eq(rules.active, true), isNotNull(rules.delay)))
    .orderBy(asc(rules.workspaceId), asc(rules.position), asc(rules.createdAt));
}

/**
 * Tickets a time rule has to look at: their anchor is in [from, upTo], they are neither closed nor merged, and the rule
 * has not looked at them for this anchor yet. Oldest anchor first.
 */
export async function timeRuleCandidates(
  db: DbOrTx,
  rule: RuleRow,
  anchor: TimeAnchor,
  range: { from: Date | null; upTo: Date },
  limit: number,
): Promise<Array<{ id: string; anchorAt: Date }>> {
  const col = anchorColumn[anchor];
  const rows = await db
    .select({ id: tickets.id, anchorAt: col })
    .from(tickets)
    .where(
      and(
        eq(tickets.workspaceId, rule.workspaceId),
        lte(col, range.upTo),
        range.from ? gte(col, range.from) : undefined,
        ne(tickets.status, 'closed'),
        isNull(tickets.mergedIntoId),
        notExists(
          db
            .select({ one: sql`1` })
            .from(ruleRuns)
            .where(
              and(
                eq(ruleRuns.workspaceId, tickets.workspaceId),
                eq(ruleRuns.ruleId, rule.id),
                eq(ruleRuns.ticketId, tickets.id),
                eq(ruleRuns.anchorAt, col),
              ),
            ),
        ),
      ),
    )
    .orderBy(asc(col))
    .limit(limit);
  return rows.filter((r): r is { id: string; anchorAt: Date } => r.anchorAt !== null);
}

/** Records that a time rule looked at a ticket for an anchor; false when it already had (another instance did). */
export async function recordRuleRun(
  db: DbOrTx,
  run: { workspaceId: string; ruleId: string; ticketId: string; anchorAt: Date; fired: boolean },
): Promise<boolean> {
  const r = await db.insert(ruleRuns).values(run).onConflictDoNothing().returning({ ticketId: ruleRuns.ticketId });
  return r.length > 0;
}

/** Moves a time rule's watermark: every moment up to `until` has been looked at. */
export async function setTimeCheckedUntil(db: DbOrTx, rule: RuleRow, until: Date): Promise<void> {
  await db
    .update(rules)
    .set({ timeCheckedUntil: until })
    .where(and(eq(rules.workspaceId, rule.workspaceId), eq(rules.id, rule.id)));
}
