/**
 * Time rules ("3 days after the status last changed, if the ticket is still pending: solve it and tell the
 * customer"). Every minute, each active time rule looks at the tickets whose moment — an anchor of the ticket plus
 * the rule's delay — has come since it last looked, once per anchor: a ticket whose anchor moves (a new message, a
 * new status) is looked at again when its new moment comes. The rule's watermark keeps the scan a range over the
 * anchor's index; the `rule_runs` ledger makes each look happen once, across restarts and instances.
 */
import { z } from 'zod';
import type { Db } from '../../db/client.ts';
import { latestDueAnchor, matchingRules, type RuleDelay } from '../../domain/rules.ts';
import { defineJob } from '../../jobs/queue.ts';
import { refreshTicketSla } from '../sla/sla.service.ts';
import { findTicket } from '../tickets/tickets.repository.ts';
import {
  activeTimeRules,
  anchorColumn,
  recordRuleRun,
  setTimeCheckedUntil,
  timeRuleCandidates,
} from './rules.repository.ts';
import { applyMatches, asRule, factsOf } from './rules.service.ts';

const batchSize = 200;

/** Runs every active time rule up to `now`. Returns how many tickets were looked at and how many rules fired. */
export async function runTimeRules(db: Db, now = new Date()): Promise<{ looked: number; fired: number }> {
  let looked = 0;
  let fired = 0;
  for (const row of await activeTimeRules(db)) {
    const rule = asRule(row);
    const delay = row.delay as RuleDelay;
    const upTo = latestDueAnchor(now, delay);
    // Inclusive: a ticket whose anchor equals the old watermark's is caught again here and skipped by the ledger.
    const from = row.timeCheckedUntil ? latestDueAnchor(row.timeCheckedUntil, delay) : null;
    for (;;) {
      const batch = await timeRuleCandidates(db, row, delay.since, { from, upTo }, batchSize);
      let recorded = 0;
      for (const c of batch) {
        const acted = await db.transaction(async (tx) => {
          const ticket = await findTicket(tx, row.workspaceId, c.id, { lock: true });
          if (!ticket) return false;
          const anchorNow = ticket[anchorKey[delay.since]];
          // The anchor moved since the scan: the ticket is looked at when its new moment comes.
          if (!(anchorNow instanceof Date) || anchorNow.getTime() !== c.anchorAt.getTime()) return false;
          if (ticket.status === 'closed' || ticket.mergedIntoId) return false;
          const matches = matchingRules([rule], 'ticket.time_elapsed', await factsOf(tx, ticket, ''));
          const first = await recordRuleRun(tx, {
            workspaceId: row.workspaceId,
            ruleId: row.id,
            ticketId: ticket.id,
            anchorAt: c.anchorAt,
            fired: matches.length > 0,
          });
          if (!first) return false;
          recorded++;
          if (!matches.length) return false;
          await applyMatches(tx, ticket, 'ticket.time_elapsed', matches);
          await refreshTicketSla(tx, row.workspaceId, ticket.id, now);
          return true;
        });
        if (acted) fired++;
      }
      looked += recorded;
      // A full batch of tickets that all moved meanwhile would come back unchanged: stop, the next run goes on.
      if (batch.length < batchSize || recorded === 0) break;
    }
    await setTimeCheckedUntil(db, row, now);
  }
  return { looked, fired };
}

/** The ticket row's property for each anchor (the same columns as `anchorColumn`). */
const anchorKey = {
  created: 'createdAt',
  updated: 'updatedAt',
  status_changed: 'statusChangedAt',
  last_customer_message: 'lastCustomerMessageAt',
  last_agent_reply: 'lastAgentReplyAt',
} as const satisfies Record<keyof typeof anchorColumn, string>;

export const timeRulesJobName = 'rules.time_check';

export const timeRulesJob = defineJob({
  name: timeRulesJobName,
  payload: z.object({}).passthrough(),
  handler: async (_p, { db }) => {
    await runTimeRules(db);
  },
});
