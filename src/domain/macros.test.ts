import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  checklistForType,
  macroPlaceholders,
  placeholderProblems,
  placeholderValues,
  planMacroChanges,
  renderMacroBody,
  samplePlaceholderValues,
  stepKey,
  unfinishedRequired,
  type TicketStep,
} from './macros.ts';
import { renderPlaceholders } from './tickets.ts';
import { cpuMs } from '../../test/cpu.ts';

describe('renderPlaceholders', () => {
  const values = { 'customer.first_name': 'Amara', 'customer.last_name': null, 'ticket.number': '1042' };

  it('fills known placeholders, with spaces and any case', () => {
    expect(renderPlaceholders('Hi {{customer.first_name}}, #{{ ticket.number }} {{Customer.First_Name}}', values)).toBe(
      'Hi Amara, #1042 Amara',
    );
  });

  it('uses the fallback when the value is missing, and nothing when there is no fallback', () => {
    expect(renderPlaceholders('Dear {{customer.last_name|customer}}.', values)).toBe('Dear customer.');
    expect(renderPlaceholders('Dear {{ customer.last_name | valued customer }}.', values)).toBe(
      'Dear valued customer.',
    );
    expect(renderPlaceholders('[{{customer.last_name}}]', values)).toBe('[]');
  });

  it('ignores the fallback when there is a value', () => {
    expect(renderPlaceholders('Hi {{customer.first_name|there}}', values)).toBe('Hi Amara');
  });

  it('leaves placeholders it does not know for the agent to see', () => {
    expect(renderPlaceholders('Hi {{customer.nickname|pal}}', values)).toBe('Hi {{customer.nickname|pal}}');
  });

  it('never re-reads a value as a template (a customer named {{agent.name}} stays that)', () => {
    expect(
      renderPlaceholders('{{customer.first_name}}', { 'customer.first_name': '{{agent.name}}', 'agent.name': 'X' }),
    ).toBe('{{agent.name}}');
  });

  it('reads a placeholder up to the first } after its {{, and none that is not closed', () => {
    expect(renderPlaceholders('{{{customer.first_name}}}', values)).toBe('{Amara}');
    expect(renderPlaceholders('{{customer.last_name|a}b}} {{ticket.number}}', values)).toBe(
      '{{customer.last_name|a}b}} 1042',
    );
    expect(renderPlaceholders('{{customer.last_name|{x} {{ticket.number}}', values)).toBe(
      '{{customer.last_name|{x} 1042',
    );
    expect(renderPlaceholders('{{customer.last_name|{{x}}', values)).toBe('{{x');
    expect(renderPlaceholders('{{customer.first_name', values)).toBe('{{customer.first_name');
    expect(renderPlaceholders('{{ customer.first_name x }}', values)).toBe('{{ customer.first_name x }}');
  });

  // The first two took a minute before (the time grew with the cube of the number of spaces: 5,000 took 14 s), the
  // others 19 s; the function has no limit of its own (a macro body has at most 50,000 characters).
  it.each([
    ['a fallback of spaces, never closed', `{{customer.last_name|${' '.repeat(8_000)}x`],
    ['a fallback of spaces, then a lone }', `{{customer.last_name|${' '.repeat(8_000)}}x`],
    ['"{{a|" repeated, never closed', '{{a|'.repeat(50_000)],
    ['"{{a|" repeated, closed by a lone }', `${'{{a|'.repeat(50_000)}}x}}`],
  ])('stays linear on hostile input: %s', (_name, template) => {
    const ms = cpuMs(() => {
      renderPlaceholders(template, values);
    });
    expect(ms).toBeLessThan(3000);
  });

  it('renders text without placeholders unchanged (property)', () => {
    fc.assert(
      fc.property(
        fc.string().filter((s) => !s.includes('{{')),
        (s) => renderPlaceholders(s, samplePlaceholderValues) === s,
      ),
    );
  });
});

describe('placeholderProblems', () => {
  it('accepts every documented placeholder, with and without fallbacks', () => {
    const body = macroPlaceholders.map((p) => `{{${p.key}}} {{ ${p.key} | x y }}`).join('\n');
    expect(placeholderProblems(body)).toEqual([]);
  });

  it('names a typo and suggests the placeholder meant', () => {
    const problems = placeholderProblems('Hi {{customer.frist_name|there}}, about {{ticket.numbr}}');
    expect(problems.map((p) => p.placeholder)).toEqual(['{{customer.frist_name|there}}', '{{ticket.numbr}}']);
    expect(problems[0]?.reason).toContain('did you mean customer.first_name');
    expect(problems[1]?.reason).toContain('did you mean ticket.number');
  });

  it('refuses malformed and unclosed placeholders, and names each once', () => {
    expect(placeholderProblems('{{customer first name}} and {{}}').map((p) => p.placeholder)).toEqual([
      '{{customer first name}}',
      '{{}}',
    ]);
    expect(placeholderProblems('Hello {{customer.first_name')[0]?.reason).toContain('not closed');
    expect(placeholderProblems('{{nope}} {{nope}}')).toHaveLength(1);
  });

  it('finds no problem in text without braces (property)', () => {
    fc.assert(
      fc.property(
        fc.string().filter((s) => !s.includes('{{')),
        (s) => placeholderProblems(s).length === 0,
      ),
    );
  });

  it('agrees with the renderer: a body without problems renders with no {{ left (property)', () => {
    const piece = fc.oneof(
      fc.string().filter((s) => !s.includes('{') && !s.includes('}')),
      fc.constantFrom(...macroPlaceholders.map((p) => `{{${p.key}}}`)),
      fc.constantFrom(...macroPlaceholders.map((p) => `{{ ${p.key} | fallback }}`)),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 8 }), (parts) => {
        const body = parts.join('');
        expect(placeholderProblems(body)).toEqual([]);
        expect(renderPlaceholders(body, samplePlaceholderValues)).not.toContain('{{');
      }),
    );
  });
});

describe('placeholderValues', () => {
  const base = {
    customer: { firstName: 'Amara', lastName: 'Okafor', displayName: 'Amara Okafor', email: 'amara@example.com' },
    ticket: { number: 7, subject: 'Kettle', typeLabel: 'Return / refund', priority: 'high' },
    agent: { name: 'Sam  Carter' },
    workspace: { name: 'Acme' },
  };

  it('fills every documented placeholder', () => {
    const v = placeholderValues(base);
    expect(Object.keys(v).sort()).toEqual(macroPlaceholders.map((p) => p.key).sort());
    expect(v['customer.name']).toBe('Amara Okafor');
    expect(v['agent.first_name']).toBe('Sam');
    expect(v['ticket.number']).toBe('7');
  });

  it('leaves names missing (so fallbacks apply) rather than using an e-mail address as a name', () => {
    const v = placeholderValues({
      ...base,
      customer: { firstName: null, lastName: ' ', displayName: 'amara@example.com', email: 'amara@example.com' },
      agent: { name: null },
    });
    expect(v['customer.first_name']).toBeNull();
    expect(v['customer.last_name']).toBeNull();
    expect(v['customer.name']).toBeNull();
    expect(v['agent.first_name']).toBeNull();
    expect(renderMacroBody('Hi {{customer.first_name|there}}, {{agent.name|the team}}', v)).toBe('Hi there, the team');
  });
});

describe('planMacroChanges', () => {
  const t = {
    status: 'open',
    priority: 'normal',
    type: 'question',
    assigneeId: null,
    teamId: 't1',
    tags: ['vip'],
    custom: { order_number: '10482', area: 'Shoes' } as Record<string, unknown>,
  };

  it('lists only real changes', () => {
    expect(planMacroChanges(t, { status: 'open', priority: 'high' }, 'u1')).toEqual([
      { field: 'priority', from: 'normal', to: 'high' },
    ]);
  });

  it('reads "me" as whoever applies it; an API key cannot be "me"', () => {
    expect(planMacroChanges(t, { assigneeId: 'me' }, 'u1')).toEqual([{ field: 'assigneeId', from: null, to: 'u1' }]);
    expect(planMacroChanges(t, { assigneeId: 'me' }, null)).toEqual([]);
  });

  it('adds then removes tags, without duplicates, and clears a team with null', () => {
    expect(planMacroChanges(t, { addTags: ['refund', 'vip', ' '], removeTags: ['vip'], teamId: null }, null)).toEqual([
      { field: 'teamId', from: 't1', to: null },
      { field: 'tags', from: ['vip'], to: ['refund'] },
    ]);
    expect(planMacroChanges(t, { addTags: ['vip'] }, null)).toEqual([]);
  });

  it('sets and clears custom fields one by one, as custom.<key>, skipping values they already have', () => {
    expect(planMacroChanges(t, { custom: { order_number: null, area: 'Shoes', damaged: true } }, null)).toEqual([
      { field: 'custom.order_number', from: '10482', to: null },
      { field: 'custom.damaged', from: null, to: true },
    ]);
  });
});

describe('checklists', () => {
  const step = (id: string, text: string, done = false, required = false): TicketStep => ({
    id,
    text,
    required,
    doneAt: done ? '2026-01-01T00:00:00.000Z' : null,
    doneBy: done ? 'u1' : null,
  });

  it('compares step texts without case, spacing or a final full stop', () => {
    expect(stepKey('  Check  the ORDER number. ')).toBe(stepKey('check the order number'));
    expect(stepKey('Refund')).not.toBe(stepKey('Refunds'));
  });

  it('takes the new SOP in its order, keeping ticks of the same text and who ticked', () => {
    const before = [step('a', 'Check the order number', true), step('b', 'Ask for a photo')];
    const after = checklistForType(
      before,
      [
        { id: 'n1', text: 'Ask for a photo.', required: true },
        { id: 'n2', text: 'check the order number', required: true },
      ],
      'complaint',
    );
    expect(after.map((s) => [s.id, s.text, Boolean(s.doneAt), s.required])).toEqual([
      ['b', 'Ask for a photo.', false, true],
      ['a', 'check the order number', true, true],
    ]);
    expect(after[1]?.doneBy).toBe('u1');
  });

  it('keeps ticked steps the new SOP lacks (not required, marked with their type) and drops unticked ones', () => {
    const after = checklistForType([step('a', 'Verify identity', true, true), step('b', 'Escalate')], [], 'billing');
    expect(after).toEqual([{ ...step('a', 'Verify identity', true, false), fromType: 'billing' }]);
    expect(checklistForType([step('b', 'Escalate')], [], 'billing')).toEqual([]);
  });

  it('lists required unticked steps', () => {
    expect(unfinishedRequired([step('a', 'x', false, true), step('b', 'y', true, true), step('c', 'z')])).toEqual([
      step('a', 'x', false, true),
    ]);
  });

  it('never loses a ticked step across any sequence of type changes (property)', () => {
    const texts = ['Check order', 'Ask photo', 'Refund', 'Verify identity', 'Close loop'];
    const sop = fc
      .uniqueArray(fc.constantFrom(...texts), { maxLength: 5 })
      .map((xs) => xs.map((text, i) => ({ id: `s${i}-${text}`, text, required: i % 2 === 0 })));
    fc.assert(
      fc.property(fc.array(fc.tuple(sop, fc.constantFrom(...texts)), { minLength: 1, maxLength: 6 }), (moves) => {
        let steps: TicketStep[] = [];
        const ticked = new Set<string>();
        for (const [template, tick] of moves) {
          steps = checklistForType(steps, template, 'prev');
          steps = steps.map((s) => (s.text === tick ? { ...s, doneAt: '2026-01-01T00:00:00.000Z', doneBy: 'u' } : s));
          if (steps.some((s) => s.text === tick)) ticked.add(tick);
          const done = new Set(steps.filter((s) => s.doneAt).map((s) => s.text));
          for (const t of ticked) expect(done.has(t)).toBe(true);
          expect(new Set(steps.map((s) => stepKey(s.text))).size).toBe(steps.length);
        }
      }),
    );
  });
});
