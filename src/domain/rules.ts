/**
 * Rules: trigger → conditions → actions, evaluated on ticket events (and later on outreach journeys). Pure: the
 * service gathers the facts, this decides which rules match and why, and the service applies the actions in the
 * transaction of the change that triggered them. Escalation to a person for sensitive cases is a rule whose action is
 * `escalate` (raise priority, route to a team, log the reason).
 */
import { foldText } from './customers.ts';

export const ruleTriggers = [
  'ticket.created',
  'ticket.message_received',
  'ticket.updated',
  'ticket.sla_warning',
  'ticket.sla_breached',
] as const;
export type RuleTrigger = (typeof ruleTriggers)[number];

export const ruleFields = [
  'text',
  'subject',
  'priority',
  'type',
  'status',
  'channel',
  'tag',
  'customer.stage',
  'customer.tag',
  'assignee',
  'team',
] as const;
export type RuleField = (typeof ruleFields)[number];

export const ruleOps = ['is', 'is_not', 'in', 'contains_any', 'contains_none', 'set', 'not_set'] as const;
export type RuleOp = (typeof ruleOps)[number];

export type RuleCondition = { field: RuleField; op: RuleOp; value?: string | string[] | undefined };

export type RuleAction =
  | { type: 'set_priority'; value: string }
  | { type: 'set_team'; teamId: string }
  | { type: 'assign'; userId: string }
  | { type: 'add_tags'; tags: string[] }
  | { type: 'set_status'; value: string }
  | { type: 'add_note'; text: string }
  /** Route to a person: at least this priority, this team, and the reason logged on the ticket. */
  | { type: 'escalate'; priority?: string | undefined; teamId?: string | undefined; reason: string };

export type Rule = {
  id: string;
  name: string;
  trigger: RuleTrigger;
  conditions: RuleCondition[];
  actions: RuleAction[];
};

/** What rules look at: the ticket, its customer, and the text of the message that triggered them. */
export type RuleFacts = {
  text: string;
  subject: string;
  priority: string;
  type: string;
  status: string;
  channel: string;
  tags: string[];
  customerStage: string | null;
  customerTags: string[];
  assigneeId: string | null;
  teamId: string | null;
};

export const priorityOrder = ['low', 'normal', 'high', 'urgent'] as const;

/** The higher of two priorities (escalation never lowers one). */
export function higherPriority(a: string, b: string): string {
  const ia = priorityOrder.indexOf(a as (typeof priorityOrder)[number]);
  const ib = priorityOrder.indexOf(b as (typeof priorityOrder)[number]);
  return ib > ia ? b : a;
}

/** Lower-cased, accents folded, punctuation to spaces, padded: phrases match on word boundaries. */
function words(text: string): string {
  return ` ${foldText(text)
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim()} `;
}

/** The phrases of `phrases` found in `text` as whole words ("sue" finds "I will sue" but not "issue"). */
export function phrasesIn(text: string, phrases: readonly string[]): string[] {
  const hay = words(text);
  return phrases.filter((p) => {
    const needle = words(p);
    return needle.trim() !== '' && hay.includes(needle);
  });
}

function valuesOf(c: RuleCondition): string[] {
  return c.value === undefined ? [] : Array.isArray(c.value) ? c.value : [c.value];
}

function factOf(field: RuleField, f: RuleFacts): string | string[] | null {
  switch (field) {
    case 'text':
      return f.text;
    case 'subject':
      return f.subject;
    case 'priority':
      return f.priority;
    case 'type':
      return f.type;
    case 'status':
      return f.status;
    case 'channel':
      return f.channel;
    case 'tag':
      return f.tags;
    case 'customer.stage':
      return f.customerStage;
    case 'customer.tag':
      return f.customerTags;
    case 'assignee':
      return f.assigneeId;
    case 'team':
      return f.teamId;
  }
}

/** Whether one condition holds, and in words why (for the log of what a rule did). */
export function checkCondition(c: RuleCondition, f: RuleFacts): { ok: boolean; why: string } {
  const fact = factOf(c.field, f);
  const values = valuesOf(c);
  if (c.op === 'set' || c.op === 'not_set') {
    const isSet = Array.isArray(fact) ? fact.length > 0 : Boolean(fact);
    return { ok: c.op === 'set' ? isSet : !isSet, why: `${c.field} is ${isSet ? 'set' : 'not set'}` };
  }
  if (c.op === 'contains_any' || c.op === 'contains_none') {
    const hay = Array.isArray(fact) ? fact.join(' ') : (fact ?? '');
    const found = phrasesIn(hay, values);
    return c.op === 'contains_any'
      ? { ok: found.length > 0, why: `${c.field} mentions ${found.map((x) => `"${x}"`).join(', ')}` }
      : { ok: found.length === 0, why: `${c.field} mentions none of the listed words` };
  }
  const have = Array.isArray(fact) ? fact : fact === null ? [] : [fact];
  const any = values.some((v) => have.includes(v));
  if (c.op === 'is_not') return { ok: !any, why: `${c.field} is not ${values.join(' or ')}` };
  return { ok: any, why: `${c.field} is ${have.filter((h) => values.includes(h)).join(', ')}` };
}

/** The rules of a trigger whose conditions all hold (in order), each with the reasons in words. */
export function matchingRules<R extends Rule>(
  rules: readonly R[],
  trigger: RuleTrigger,
  facts: RuleFacts,
): Array<{ rule: R; reasons: string[] }> {
  const out: Array<{ rule: R; reasons: string[] }> = [];
  for (const rule of rules) {
    if (rule.trigger !== trigger) continue;
    const checks = rule.conditions.map((c) => checkCondition(c, facts));
    if (checks.every((x) => x.ok)) out.push({ rule, reasons: checks.map((x) => x.why) });
  }
  return out;
}

/** Escalation rules most desks want from day one: legal threats, vulnerable customers, billing disputes. */
export const recommendedEscalations: Array<{ name: string; keywords: string[]; priority: string; reason: string }> = [
  {
    name: 'Legal threat',
    keywords: [
      'lawyer',
      'solicitor',
      'attorney',
      'legal action',
      'lawsuit',
      'sue you',
      'court',
      'ombudsman',
      'regulator',
    ],
    priority: 'urgent',
    reason: 'The customer mentions legal action or a regulator',
  },
  {
    name: 'Vulnerable customer',
    keywords: [
      'bereavement',
      'passed away',
      'died',
      'funeral',
      'terminally ill',
      'suicide',
      'self harm',
      'cannot afford',
      'domestic abuse',
      'carer',
    ],
    priority: 'urgent',
    reason: 'The customer may be in a vulnerable situation',
  },
  {
    name: 'Billing dispute',
    keywords: [
      'chargeback',
      'dispute',
      'fraud',
      'unauthorised charge',
      'unauthorized charge',
      'charged twice',
      'double charged',
      'refund now',
    ],
    priority: 'high',
    reason: 'The customer disputes a charge',
  },
];
