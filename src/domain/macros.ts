/**
 * Pure rules of macros and SOP checklists: which placeholders a macro may use (and what a typo looks like), the values
 * they take for one ticket, what a macro's actions change on a ticket, and how a ticket's checklist follows its type.
 * Rendering itself is `renderPlaceholders` in ./tickets.ts.
 */
import { renderPlaceholders } from './tickets.ts';

export const macroPlaceholders = [
  { key: 'customer.first_name', description: "The customer's first name", sample: 'Amara' },
  { key: 'customer.last_name', description: "The customer's last name", sample: 'Okafor' },
  { key: 'customer.name', description: "The customer's full name", sample: 'Amara Okafor' },
  { key: 'customer.email', description: "The customer's primary e-mail", sample: 'amara@example.com' },
  { key: 'ticket.number', description: 'The ticket number, without #', sample: '1042' },
  { key: 'ticket.subject', description: 'The ticket subject', sample: 'My order arrived damaged' },
  { key: 'ticket.type', description: 'The ticket type, as labelled', sample: 'Return / refund' },
  { key: 'ticket.priority', description: 'low, normal, high or urgent', sample: 'normal' },
  { key: 'agent.name', description: 'The name of the agent applying the macro', sample: 'Sam Carter' },
  { key: 'agent.first_name', description: "The agent's first name", sample: 'Sam' },
  { key: 'workspace.name', description: 'Your workspace (company) name', sample: 'Acme Kitchens' },
] as const;

export type PlaceholderKey = (typeof macroPlaceholders)[number]['key'];
const known = new Set<string>(macroPlaceholders.map((p) => p.key));

/** `{{ key }}` or `{{ key | fallback }}`, as renderPlaceholders reads them. */
const wellFormedPlaceholder = /^\s*([a-z_]+(?:\.[a-z_]+)*)\s*(?:\|[^}]*)?$/i;

export type PlaceholderProblem = { placeholder: string; reason: string };

/**
 * Every `{{…}}` in the template that would not render: unknown names (typos), malformed ones, and unclosed `{{`.
 * An empty list means the template is fine.
 */
export function placeholderProblems(template: string): PlaceholderProblem[] {
  const problems: PlaceholderProblem[] = [];
  const seen = new Set<string>();
  const add = (placeholder: string, reason: string) => {
    if (seen.has(placeholder)) return;
    seen.add(placeholder);
    problems.push({ placeholder, reason });
  };
  let i = 0;
  for (;;) {
    const open = template.indexOf('{{', i);
    if (open < 0) break;
    const close = template.indexOf('}}', open + 2);
    if (close < 0) {
      add(template.slice(open, open + 40), 'is not closed with }}');
      break;
    }
    const inner = template.slice(open + 2, close);
    const whole = `{{${inner}}}`;
    const m = wellFormedPlaceholder.exec(inner);
    if (!m?.[1])
      add(whole, 'is not a placeholder name (write {{customer.first_name}} or {{customer.first_name|there}})');
    else if (!known.has(m[1].toLowerCase())) {
      const guess = closestPlaceholder(m[1].toLowerCase());
      add(whole, `${m[1]} is not a placeholder${guess ? ` (did you mean ${guess}?)` : ''}`);
    }
    i = close + 2;
  }
  return problems;
}

/** The known placeholder one or two edits away from a mistyped one, for the error message. */
function closestPlaceholder(key: string): string | null {
  let best: { key: string; d: number } | null = null;
  for (const k of known) {
    const d = editDistance(key, k);
    if (d <= 2 && (!best || d < best.d)) best = { key: k, d };
  }
  return best?.key ?? null;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0] ?? 0;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j] ?? 0;
      row[j] = Math.min(cur + 1, (row[j - 1] ?? 0) + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length] ?? 0;
}

export type PlaceholderContext = {
  customer: { firstName: string | null; lastName: string | null; displayName: string | null; email: string | null };
  ticket: { number: number; subject: string; typeLabel: string; priority: string };
  agent: { name: string | null };
  workspace: { name: string };
};

/** The value of every placeholder for one ticket; missing ones are null (the template's fallback is used). */
export function placeholderValues(c: PlaceholderContext): Record<PlaceholderKey, string | null> {
  const agentName = c.agent.name?.trim() || null;
  const nameLooksReal = c.customer.displayName && !c.customer.displayName.includes('@') ? c.customer.displayName : null;
  return {
    'customer.first_name': c.customer.firstName?.trim() || null,
    'customer.last_name': c.customer.lastName?.trim() || null,
    'customer.name':
      [c.customer.firstName, c.customer.lastName].filter((x) => x?.trim()).join(' ') || nameLooksReal || null,
    'customer.email': c.customer.email,
    'ticket.number': String(c.ticket.number),
    'ticket.subject': c.ticket.subject,
    'ticket.type': c.ticket.typeLabel,
    'ticket.priority': c.ticket.priority,
    'agent.name': agentName,
    'agent.first_name': agentName ? (agentName.split(/\s+/)[0] ?? null) : null,
    'workspace.name': c.workspace.name,
  };
}

/** The sample values the settings page previews a macro with. */
export const samplePlaceholderValues: Record<string, string> = Object.fromEntries(
  macroPlaceholders.map((p) => [p.key, p.sample]),
);

export function renderMacroBody(body: string, values: Record<string, string | null>): string {
  return renderPlaceholders(body, values).trim();
}

export type MacroActionsInput = {
  status?: string | undefined;
  priority?: string | undefined;
  type?: string | undefined;
  assigneeId?: string | null | undefined;
  teamId?: string | null | undefined;
  addTags?: string[] | undefined;
  removeTags?: string[] | undefined;
  /** Ticket custom field values to set by key (already checked against the fields); null clears one. */
  custom?: Record<string, unknown> | undefined;
};

export type TicketFieldsNow = {
  status: string;
  priority: string;
  type: string;
  assigneeId: string | null;
  teamId: string | null;
  tags: string[];
  custom: Record<string, unknown>;
};

export type FieldChange = {
  /** A built-in field, or `custom.<key>` for a custom field. */
  field: 'status' | 'priority' | 'type' | 'assigneeId' | 'teamId' | 'tags' | `custom.${string}`;
  from: unknown;
  to: unknown;
};

/**
 * What the macro's actions change on this ticket: only real changes (setting a field to the value it has is not one).
 * `me` as assignee means whoever applies the macro; tags are added then removed, case-sensitively, kept in order.
 */
export function planMacroChanges(
  ticket: TicketFieldsNow,
  actions: MacroActionsInput,
  actorUserId: string | null,
): FieldChange[] {
  const out: FieldChange[] = [];
  const set = <F extends FieldChange['field']>(field: F, from: unknown, to: unknown) => {
    if (JSON.stringify(from) !== JSON.stringify(to)) out.push({ field, from, to });
  };
  if (actions.status !== undefined) set('status', ticket.status, actions.status);
  if (actions.priority !== undefined) set('priority', ticket.priority, actions.priority);
  if (actions.type !== undefined) set('type', ticket.type, actions.type);
  if (actions.assigneeId !== undefined) {
    const to = actions.assigneeId === 'me' ? actorUserId : actions.assigneeId;
    if (actions.assigneeId !== 'me' || actorUserId) set('assigneeId', ticket.assigneeId, to);
  }
  if (actions.teamId !== undefined) set('teamId', ticket.teamId, actions.teamId);
  if (actions.addTags?.length || actions.removeTags?.length) {
    const remove = new Set((actions.removeTags ?? []).map((t) => t.trim()));
    const tags = [...new Set([...ticket.tags, ...(actions.addTags ?? []).map((t) => t.trim()).filter(Boolean)])].filter(
      (t) => !remove.has(t),
    );
    set('tags', ticket.tags, tags);
  }
  for (const [key, value] of Object.entries(actions.custom ?? {}))
    set(`custom.${key}`, ticket.custom[key] ?? null, value ?? null);
  return out;
}

// ---- SOP checklists ----

export type SopStepDef = { id: string; text: string; required: boolean };
export type TicketStep = {
  id: string;
  text: string;
  required: boolean;
  doneAt: string | null;
  doneBy: string | null;
  fromType?: string | undefined;
};

/** How step texts are compared: case, spacing and a trailing full stop do not make a different step. */
export function stepKey(text: string): string {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/[.!]+$/, '');
}

/**
 * A ticket's checklist after it takes a type whose SOP is `template`: the SOP's steps in its order, each ticked if a
 * step of the same text was ticked before (who and when kept); ticked steps the new SOP does not have stay at the end
 * (no longer required, marked with the type they came from), so nobody's work disappears; unticked old steps go.
 */
export function checklistForType(
  previous: TicketStep[],
  template: SopStepDef[],
  previousType: string | null,
): TicketStep[] {
  const byKey = new Map(previous.map((s) => [stepKey(s.text), s]));
  const used = new Set<string>();
  const steps: TicketStep[] = template.map((t) => {
    const k = stepKey(t.text);
    const old = byKey.get(k);
    used.add(k);
    return {
      id: old?.id ?? t.id,
      text: t.text,
      required: t.required,
      doneAt: old?.doneAt ?? null,
      doneBy: old?.doneBy ?? null,
    };
  });
  for (const s of previous) {
    const k = stepKey(s.text);
    if (used.has(k) || !s.doneAt) continue;
    used.add(k);
    steps.push({ ...s, required: false, fromType: s.fromType ?? previousType ?? undefined });
  }
  return steps;
}

/** The required steps still unticked: what stops a ticket from being solved when its SOP says so. */
export function unfinishedRequired(steps: TicketStep[]): TicketStep[] {
  return steps.filter((s) => s.required && !s.doneAt);
}
