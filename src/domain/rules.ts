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
  'ticket.time_elapsed',
] as const;
export type RuleTrigger = (typeof ruleTriggers)[number];

/**
 * The moments of a ticket a time rule counts from ("3 days after the status last changed"). A time rule looks at a
 * ticket once per moment: when the moment moves (a new customer message, a new status), the count starts again.
 */
export const timeAnchors = [
  'created',
  'updated',
  'status_changed',
  'last_customer_message',
  'last_agent_reply',
] as const;
export type TimeAnchor = (typeof timeAnchors)[number];
export type RuleDelay = { since: TimeAnchor; hours: number };

/** Shortest and longest delay of a time rule (a quarter of an hour; a year). */
export const minDelayHours = 0.25;
export const maxDelayHours = 24 * 366;

/** The latest anchor whose moment has come by `now`: tickets with anchor ≤ this are due. */
export function latestDueAnchor(now: Date, delay: RuleDelay): Date {
  return new Date(now.getTime() - Math.round(delay.hours * 3_600_000));
}

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
/** A ticket custom field in a condition: `custom.<key>`. */
export type CustomRuleField = `custom.${string}`;
export const customRuleFieldPattern = /^custom\.[a-z][a-z0-9_]{0,49}$/;

export function isCustomRuleField(field: string): field is CustomRuleField {
  return customRuleFieldPattern.test(field);
}

export const ruleOps = ['is', 'is_not', 'in', 'contains_any', 'contains_none', 'set', 'not_set'] as const;
export type RuleOp = (typeof ruleOps)[number];

/**
 * One test on the ticket. A custom field's value is compared as text: numbers as written by String(), booleans as
 * "true"/"false", a multiselect as its list (like tags); the rules service stores condition values in that form.
 */
export type RuleCondition = { field: RuleField | CustomRuleField; op: RuleOp; value?: string | string[] | undefined };

export type RuleAction =
  | { type: 'set_priority'; value: string }
  | { type: 'set_team'; teamId: string }
  | { type: 'assign'; userId: string }
  | { type: 'add_tags'; tags: string[] }
  | { type: 'set_status'; value: string }
  | { type: 'add_note'; text: string }
  /** Sets a ticket custom field (null clears it); the value was checked against the field when the rule was saved. */
  | { type: 'set_custom'; key: string; value: unknown }
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
  /** The ticket's custom field values by key. */
  custom: Record<string, unknown>;
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

/** A custom value as conditions compare it: text, a list of texts (multiselect), or null when it has none. */
export function customFact(v: unknown): string | string[] | null {
  if (v === null || v === undefined || v === '') return null;
  if (Array.isArray(v)) return v.map((x) => String(x));
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v as string | number | boolean);
}

function factOf(field: RuleField | CustomRuleField, f: RuleFacts): string | string[] | null {
  if (isCustomRuleField(field)) return customFact(f.custom[field.slice(7)]);
  switch (field as RuleField) {
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
