import { describe, expect, it } from 'vitest';
import {
  checkCondition,
  higherPriority,
  matchingRules,
  phrasesIn,
  recommendedEscalations,
  type Rule,
  type RuleFacts,
} from './rules.ts';

const facts = (over: Partial<RuleFacts> = {}): RuleFacts => ({
  text: '',
  subject: '',
  priority: 'normal',
  type: 'question',
  status: 'new',
  channel: 'email',
  tags: [],
  customerStage: 'customer',
  customerTags: [],
  assigneeId: null,
  teamId: null,
  custom: {},
  ...over,
});

describe('phrasesIn', () => {
  it('matches whole words and phrases, case and accents folded', () => {
    expect(phrasesIn('I will SUE you!', ['sue'])).toEqual(['sue']);
    expect(phrasesIn('There is an issue with my order', ['sue'])).toEqual([]);
    expect(phrasesIn('My father passed   away last week', ['passed away', 'died'])).toEqual(['passed away']);
    expect(phrasesIn('Já falei com o advogado', ['advogado'])).toEqual(['advogado']);
    expect(phrasesIn('Résiliation immédiate', ['resiliation'])).toEqual(['resiliation']);
    expect(phrasesIn('anything', ['', '  '])).toEqual([]);
  });
});

describe('conditions', () => {
  it('contains_any says which words matched; contains_none the opposite', () => {
    const f = facts({ text: 'I filed a chargeback with my bank' });
    expect(checkCondition({ field: 'text', op: 'contains_any', value: ['chargeback', 'fraud'] }, f)).toEqual({
      ok: true,
      why: 'text mentions "chargeback"',
    });
    expect(checkCondition({ field: 'text', op: 'contains_none', value: ['chargeback'] }, f).ok).toBe(false);
  });

  it('is / is_not / in on single values and on lists (tags)', () => {
    const f = facts({ type: 'billing', tags: ['vip', 'eu'] });
    expect(checkCondition({ field: 'type', op: 'in', value: ['billing', 'complaint'] }, f).ok).toBe(true);
    expect(checkCondition({ field: 'type', op: 'is_not', value: 'billing' }, f).ok).toBe(false);
    expect(checkCondition({ field: 'tag', op: 'is', value: 'vip' }, f).ok).toBe(true);
    expect(checkCondition({ field: 'tag', op: 'is_not', value: ['spam'] }, f).ok).toBe(true);
    expect(checkCondition({ field: 'customer.stage', op: 'is', value: 'at_risk' }, f).ok).toBe(false);
  });

  it('set / not_set', () => {
    expect(checkCondition({ field: 'assignee', op: 'not_set' }, facts()).ok).toBe(true);
    expect(checkCondition({ field: 'assignee', op: 'set' }, facts({ assigneeId: 'u1' })).ok).toBe(true);
    expect(checkCondition({ field: 'customer.tag', op: 'set' }, facts()).ok).toBe(false);
  });

  it('tests custom fields: text, numbers and booleans as text, a multiselect like tags, an absent value as not set', () => {
    const f = facts({
      custom: { product_area: 'Billing', seats: 12, vip: true, channels: ['web', 'app'], note: 'Wants a refund now' },
    });
    expect(checkCondition({ field: 'custom.product_area', op: 'in', value: ['Billing', 'Shoes'] }, f)).toEqual({
      ok: true,
      why: 'custom.product_area is Billing',
    });
    expect(checkCondition({ field: 'custom.product_area', op: 'is', value: 'billing' }, f).ok).toBe(false);
    expect(checkCondition({ field: 'custom.seats', op: 'is', value: '12' }, f).ok).toBe(true);
    expect(checkCondition({ field: 'custom.vip', op: 'is', value: 'true' }, f).ok).toBe(true);
    expect(checkCondition({ field: 'custom.channels', op: 'is', value: 'app' }, f).ok).toBe(true);
    expect(checkCondition({ field: 'custom.channels', op: 'is_not', value: 'phone' }, f).ok).toBe(true);
    expect(checkCondition({ field: 'custom.note', op: 'contains_any', value: ['refund'] }, f).ok).toBe(true);
    expect(checkCondition({ field: 'custom.order_number', op: 'not_set' }, f).ok).toBe(true);
    expect(checkCondition({ field: 'custom.order_number', op: 'is_not', value: '10482' }, f).ok).toBe(true);
    expect(checkCondition({ field: 'custom.vip', op: 'set' }, facts({ custom: { vip: false } })).ok).toBe(true);
    expect(checkCondition({ field: 'custom.channels', op: 'set' }, facts({ custom: { channels: [] } })).ok).toBe(false);
  });
});

describe('matchingRules', () => {
  const rules: Rule[] = [
    {
      id: 'r1',
      name: 'Legal',
      trigger: 'ticket.message_received',
      conditions: [{ field: 'text', op: 'contains_any', value: ['lawyer', 'court'] }],
      actions: [{ type: 'escalate', priority: 'urgent', reason: 'legal' }],
    },
    {
      id: 'r2',
      name: 'VIP billing',
      trigger: 'ticket.message_received',
      conditions: [
        { field: 'type', op: 'is', value: 'billing' },
        { field: 'customer.tag', op: 'is', value: 'vip' },
      ],
      actions: [{ type: 'set_priority', value: 'high' }],
    },
    {
      id: 'r3',
      name: 'On creation only',
      trigger: 'ticket.created',
      conditions: [],
      actions: [{ type: 'add_tags', tags: ['new'] }],
    },
  ];

  it('keeps the order, filters by trigger, and needs every condition', () => {
    const f = facts({ text: 'My lawyer will call', type: 'billing', customerTags: ['vip'] });
    expect(matchingRules(rules, 'ticket.message_received', f).map((m) => m.rule.id)).toEqual(['r1', 'r2']);
    expect(matchingRules(rules, 'ticket.message_received', facts({ type: 'billing' })).map((m) => m.rule.id)).toEqual(
      [],
    );
    expect(matchingRules(rules, 'ticket.created', facts()).map((m) => m.rule.id)).toEqual(['r3']);
    expect(matchingRules(rules, 'ticket.message_received', f)[1]?.reasons).toEqual([
      'type is billing',
      'customer.tag is vip',
    ]);
  });
});

describe('recommended escalations', () => {
  it('catch the sensitive cases and leave ordinary mail alone', () => {
    const hit = (text: string) =>
      recommendedEscalations.filter((r) => phrasesIn(text, r.keywords).length).map((r) => r.name);
    expect(hit('If this is not fixed I will talk to my lawyer')).toEqual(['Legal threat']);
    expect(hit('My husband passed away and the account is in his name')).toEqual(['Vulnerable customer']);
    expect(hit('You charged twice for the same order')).toEqual(['Billing dispute']);
    expect(hit('Where is my parcel? It is late.')).toEqual([]);
    expect(hit('I have an issue with the courtyard chair')).toEqual([]);
  });

  it('never lowers a priority', () => {
    expect(higherPriority('urgent', 'high')).toBe('urgent');
    expect(higherPriority('normal', 'high')).toBe('high');
    expect(higherPriority('low', 'low')).toBe('low');
  });
});
