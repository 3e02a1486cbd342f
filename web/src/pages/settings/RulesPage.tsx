import { useState } from 'react';
import {
  ActionIcon,
  Badge,
  Button,
  Group,
  Modal,
  MultiSelect,
  NumberInput,
  Select,
  Skeleton,
  Stack,
  Switch,
  Table,
  TagsInput,
  Text,
  Textarea,
  TextInput,
} from '@mantine/core';
import { IconArrowDown, IconArrowUp, IconBolt, IconPlus, IconShieldCheck } from '@tabler/icons-react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '../../api/client.ts';
import { useCustomFields } from '../../api/customers.ts';
import { useAllUsers } from '../../api/queries.ts';
import { statusLabels, ticketPriorities, ticketStatuses, useTeams, useTicketTypeOptions } from '../../api/tickets.ts';
import { CustomFieldInput } from '../customers/fields.tsx';
import { ConfirmModal } from '../../components/ConfirmModal.tsx';
import { Empty } from '../../components/Empty.tsx';
import { PageHeader } from '../../components/PageHeader.tsx';
import { notifyError, notifySuccess } from '../../lib/notify.ts';

type Rule = {
  id: string;
  name: string;
  trigger: string;
  conditions: Array<{ field: string; op: string; value?: string | string[] }>;
  actions: Array<Record<string, unknown>>;
  delay: { since: string; hours: number } | null;
  position: number;
  active: boolean;
};

const rulesKey = ['rules'] as const;
const triggerLabels: Record<string, string> = {
  'ticket.created': 'A ticket is opened',
  'ticket.message_received': 'The customer writes again',
  'ticket.updated': 'A ticket is changed',
  'ticket.sla_warning': 'An SLA target is near',
  'ticket.sla_breached': 'An SLA target is missed',
  'ticket.time_elapsed': 'Time has passed since…',
};
const anchorLabels: Record<string, string> = {
  created: 'the ticket was opened',
  updated: 'the ticket last changed',
  status_changed: 'the status last changed',
  last_customer_message: "the customer's last message",
  last_agent_reply: "the agent's last reply",
};
const statusOptions = ticketStatuses.map((s) => ({ value: s, label: statusLabels[s] }));

/** "3 days after the status last changed" */
function describeDelay(d: { since: string; hours: number }): string {
  const span =
    d.hours % 24 === 0
      ? `${d.hours / 24} day${d.hours === 24 ? '' : 's'}`
      : `${d.hours} hour${d.hours === 1 ? '' : 's'}`;
  return `${span} after ${anchorLabels[d.since] ?? d.since}`;
}

/** `custom.<key>` as its field's label. */
type FieldLabel = (field: string) => string;
/** A rule's conditions and actions in words, with the workspace's names for teams, users and fields. */
type DescribeRule = {
  condition: (c: Rule['conditions'][number]) => string;
  action: (a: Record<string, unknown>) => string;
};

function describeCondition(c: Rule['conditions'][number], fieldLabel: FieldLabel): string {
  const v = [c.value ?? []].flat().join(', ');
  const field = fieldLabel(c.field);
  if (c.op === 'contains_any') return `${field} mentions ${v}`;
  if (c.op === 'contains_none') return `${field} mentions none of ${v}`;
  if (c.op === 'set' || c.op === 'not_set') return `${field} ${c.op === 'set' ? 'is set' : 'is not set'}`;
  return `${field} ${c.op === 'is_not' ? 'is not' : 'is'} ${v}`;
}

function describeAction(
  a: Record<string, unknown>,
  teamName: (id: unknown) => string,
  fieldLabel: FieldLabel,
  userName: (id: unknown) => string,
): string {
  switch (a.type) {
    case 'set_custom': {
      const v = a.value === null ? 'empty' : Array.isArray(a.value) ? a.value.join(', ') : String(a.value);
      return `${fieldLabel(`custom.${String(a.key)}`)} ${v}`;
    }
    case 'escalate':
      return `escalate${a.priority ? ` to ${String(a.priority)}` : ''}${a.teamId ? ` → ${teamName(a.teamId)}` : ''}`;
    case 'set_priority':
      return `priority ${String(a.value)}`;
    case 'set_team':
      return `team ${teamName(a.teamId)}`;
    case 'add_tags':
      return `tag ${[a.tags].flat().join(', ')}`;
    case 'set_status':
      return `status ${String(a.value)}`;
    case 'assign':
      return `assign to ${userName(a.userId)}`;
    case 'add_note':
      return 'add a note';
    default:
      return String(a.type);
  }
}

type Condition = Rule['conditions'][number];
type Action = Record<string, unknown>;

/**
 * What the rule form shows of a saved rule. Conditions and actions the form has no control for (a priority test,
 * a second note) are kept in `otherConditions` / `otherActions` and saved back unchanged, so that editing a rule
 * never drops what it did.
 */
function formOf(rule: Rule | null) {
  const f = {
    name: rule?.name ?? '',
    trigger: rule?.trigger ?? 'ticket.created',
    keywords: [] as string[],
    ticketTypes: [] as string[],
    statuses: [] as string[],
    testKey: null as string | null,
    testValue: '' as unknown,
    priority: (rule ? null : 'high') as string | null,
    teamId: null as string | null,
    reason: '',
    setStatus: null as string | null,
    note: '',
    addTags: [] as string[],
    setKey: null as string | null,
    setValue: '' as unknown,
    assigneeId: null as string | null,
    delayHours: (rule?.delay?.hours ?? 72) as number | string,
    since: rule?.delay?.since ?? 'status_changed',
    otherConditions: [] as Condition[],
    otherActions: [] as Action[],
  };
  const list = (v: Condition['value']) => [v ?? []].flat();
  for (const c of rule?.conditions ?? []) {
    if (c.field === 'text' && c.op === 'contains_any' && !f.keywords.length) f.keywords = list(c.value);
    else if (c.field === 'type' && (c.op === 'in' || c.op === 'is') && !f.ticketTypes.length)
      f.ticketTypes = list(c.value);
    else if (c.field === 'status' && (c.op === 'in' || c.op === 'is') && !f.statuses.length) f.statuses = list(c.value);
    else if (c.field.startsWith('custom.') && (c.op === 'in' || c.op === 'is') && !f.testKey) {
      f.testKey = c.field.slice(7);
      f.testValue = c.op === 'in' ? list(c.value) : c.value === 'true' ? true : (c.value ?? '');
    } else f.otherConditions.push(c);
  }
  const seen = new Set<string>();
  for (const a of rule?.actions ?? []) {
    const type = String(a.type);
    // The form has one control per kind of action (an escalation shares the priority and team controls); a second
    // of a kind is kept as it is.
    const clash: Record<string, string[]> = {
      set_priority: ['escalate'],
      set_team: ['escalate'],
      escalate: ['set_priority', 'set_team'],
    };
    if (seen.has(type) || (clash[type] ?? []).some((t) => seen.has(t))) {
      f.otherActions.push(a);
      continue;
    }
    seen.add(type);
    if (type === 'escalate') {
      f.reason = String(a.reason ?? '');
      f.priority = typeof a.priority === 'string' ? a.priority : null;
      f.teamId = typeof a.teamId === 'string' ? a.teamId : null;
    } else if (type === 'set_priority') f.priority = String(a.value);
    else if (type === 'set_team') f.teamId = String(a.teamId);
    else if (type === 'set_status') f.setStatus = String(a.value);
    else if (type === 'add_tags') f.addTags = [a.tags].flat().map(String);
    else if (type === 'add_note') f.note = String(a.text ?? '');
    else if (type === 'set_custom') {
      f.setKey = String(a.key);
      f.setValue = a.value ?? '';
    } else if (type === 'assign') f.assigneeId = String(a.userId);
    else f.otherActions.push(a);
  }
  return f;
}

function RuleModal({ rule, onClose, describe }: { rule: Rule | null; onClose: () => void; describe: DescribeRule }) {
  const qc = useQueryClient();
  const teams = useTeams();
  const users = useAllUsers();
  const types = useTicketTypeOptions();
  const fields = (useCustomFields('ticket').data ?? []).filter((f) => !f.archived);
  const [initial] = useState(() => formOf(rule));
  const [testKey, setTestKey] = useState<string | null>(initial.testKey);
  const [testValue, setTestValue] = useState<unknown>(initial.testValue);
  const [setKey, setSetKey] = useState<string | null>(initial.setKey);
  const [setValue, setSetValue] = useState<unknown>(initial.setValue);
  const testField = fields.find((f) => f.key === testKey);
  const setField = fields.find((f) => f.key === setKey);
  const filled = (v: unknown) => v !== '' && v !== null && v !== undefined && !(Array.isArray(v) && !v.length);
  const [name, setName] = useState(initial.name);
  const [trigger, setTrigger] = useState(initial.trigger);
  const [keywords, setKeywords] = useState<string[]>(initial.keywords);
  const [ticketTypes, setTicketTypes] = useState<string[]>(initial.ticketTypes);
  const [priority, setPriority] = useState<string | null>(initial.priority);
  const [teamId, setTeamId] = useState<string | null>(initial.teamId);
  const [reason, setReason] = useState(initial.reason);
  const [statuses, setStatuses] = useState<string[]>(initial.statuses);
  const [setStatus, setSetStatus] = useState<string | null>(initial.setStatus);
  const [note, setNote] = useState(initial.note);
  const [addTags, setAddTags] = useState<string[]>(initial.addTags);
  const [assigneeId, setAssigneeId] = useState<string | null>(initial.assigneeId);
  const [delayHours, setDelayHours] = useState<number | string>(initial.delayHours);
  const [since, setSince] = useState(initial.since);
  const [otherConditions, setOtherConditions] = useState<Condition[]>(initial.otherConditions);
  const [otherActions, setOtherActions] = useState<Action[]>(initial.otherActions);
  const timed = trigger === 'ticket.time_elapsed';
  // Who a rule may assign to: the people who work tickets (the server refuses anyone else).
  const assignable = (users.data?.data ?? []).filter(
    (u) => (u.status === 'active' && ['owner', 'admin', 'agent'].includes(u.role)) || u.id === assigneeId,
  );
  const actions: Action[] = [
    ...(reason.trim()
      ? [{ type: 'escalate', reason: reason.trim(), ...(priority ? { priority } : {}), ...(teamId ? { teamId } : {}) }]
      : priority
        ? [{ type: 'set_priority', value: priority }]
        : []),
    ...(teamId && !reason.trim() ? [{ type: 'set_team', teamId }] : []),
    ...(setStatus ? [{ type: 'set_status', value: setStatus }] : []),
    ...(addTags.length ? [{ type: 'add_tags', tags: addTags }] : []),
    ...(note.trim() ? [{ type: 'add_note', text: note.trim() }] : []),
    ...(setField ? [{ type: 'set_custom', key: setField.key, value: filled(setValue) ? setValue : null }] : []),
    ...(assigneeId ? [{ type: 'assign', userId: assigneeId }] : []),
    ...otherActions,
  ];
  const conditionCount =
    (keywords.length && !timed ? 1 : 0) +
    (ticketTypes.length ? 1 : 0) +
    (statuses.length ? 1 : 0) +
    (testField && filled(testValue) ? 1 : 0) +
    otherConditions.length;
  const delay = timed ? { since, hours: Number(delayHours) } : null;
  // An edit sends the trigger and delay only when they changed: a new one makes a time rule look at every ticket again.
  const timingChanged = !rule || rule.trigger !== trigger || JSON.stringify(rule.delay) !== JSON.stringify(delay);
  const save = useMutation({
    mutationFn: () =>
      api<Rule>(rule ? `/rules/${rule.id}` : '/rules', {
        method: rule ? 'PATCH' : 'POST',
        body: {
          name,
          ...(timingChanged ? { trigger, ...(delay ? { delay } : rule ? { delay: null } : {}) } : {}),
          conditions: [
            ...otherConditions,
            ...(keywords.length && !timed ? [{ field: 'text', op: 'contains_any', value: keywords }] : []),
            ...(ticketTypes.length ? [{ field: 'type', op: 'in', value: ticketTypes }] : []),
            ...(statuses.length ? [{ field: 'status', op: 'in', value: statuses }] : []),
            ...(testField && filled(testValue)
              ? [
                  Array.isArray(testValue)
                    ? { field: `custom.${testField.key}`, op: 'in', value: testValue.map(String) }
                    : { field: `custom.${testField.key}`, op: 'is', value: String(testValue) },
                ]
              : []),
          ],
          actions,
        },
      }),
    onSuccess: () => {
      notifySuccess(rule ? 'Rule changed' : 'Rule saved');
      void qc.invalidateQueries({ queryKey: rulesKey });
      onClose();
    },
    onError: (e) => notifyError(e, 'Could not save the rule'),
  });
  return (
    <Modal opened onClose={onClose} title={rule ? `Edit rule ${rule.name}` : 'New rule'} size="lg">
      <Stack gap="sm">
        <TextInput label="Name" required value={name} onChange={(e) => setName(e.currentTarget.value)} />
        <Select
          label="When"
          data={Object.entries(triggerLabels).map(([value, label]) => ({ value, label }))}
          value={trigger}
          onChange={(v) => {
            if (!v) return;
            // Escalations raise priority by default; a time rule usually changes status instead.
            if (v === 'ticket.time_elapsed' && trigger !== v) setPriority(null);
            setTrigger(v);
          }}
          allowDeselect={false}
        />
        {timed ? (
          <Group grow align="flex-start">
            <NumberInput
              label="Hours"
              description="24 is a day; at least 0.25"
              min={0.25}
              step={1}
              value={delayHours}
              onChange={setDelayHours}
            />
            <Select
              label="after"
              data={Object.entries(anchorLabels).map(([value, label]) => ({ value, label }))}
              value={since}
              onChange={(v) => v && setSince(v)}
              allowDeselect={false}
            />
          </Group>
        ) : (
          <TagsInput
            label="and the customer's message mentions any of"
            description="Whole words or phrases; accents and case do not matter"
            value={keywords}
            onChange={setKeywords}
          />
        )}
        <MultiSelect label="and the ticket type is one of" data={types} value={ticketTypes} onChange={setTicketTypes} />
        <MultiSelect label="and the status is one of" data={statusOptions} value={statuses} onChange={setStatuses} />
        {fields.length > 0 && (
          <Group grow align="flex-start">
            <Select
              label="and the ticket field"
              clearable
              data={fields.map((f) => ({ value: f.key, label: f.label }))}
              value={testKey}
              onChange={(k) => {
                setTestKey(k);
                setTestValue('');
              }}
            />
            {testField ? (
              <CustomFieldInput
                def={testField}
                label={testField.type === 'multiselect' ? 'has one of' : 'is'}
                size="sm"
                value={testValue}
                onChange={setTestValue}
              />
            ) : (
              <div />
            )}
          </Group>
        )}
        <Group grow>
          <Select
            label="Raise priority to"
            clearable
            data={[...ticketPriorities]}
            value={priority}
            onChange={setPriority}
          />
          <Select
            label="Route to team"
            clearable
            data={(teams.data?.data ?? []).map((t) => ({ value: t.id, label: t.name }))}
            value={teamId}
            onChange={setTeamId}
          />
        </Group>
        <Select
          label="Assign to"
          clearable
          placeholder="Nobody in particular"
          data={assignable.map((u) => ({ value: u.id, label: u.name }))}
          value={assigneeId}
          onChange={setAssigneeId}
        />
        {fields.length > 0 && (
          <Group grow align="flex-start">
            <Select
              label="Set the ticket field"
              clearable
              data={fields.map((f) => ({ value: f.key, label: f.label }))}
              value={setKey}
              onChange={(k) => {
                setSetKey(k);
                setSetValue('');
              }}
            />
            {setField ? (
              <CustomFieldInput def={setField} label="to" size="sm" value={setValue} onChange={setSetValue} />
            ) : (
              <div />
            )}
          </Group>
        )}
        <TextInput
          label="Escalation reason"
          description="Filled in: the ticket is logged as escalated with this reason"
          value={reason}
          onChange={(e) => setReason(e.currentTarget.value)}
        />
        <Select label="Set status to" clearable data={statusOptions} value={setStatus} onChange={setSetStatus} />
        <TagsInput label="Add tags" value={addTags} onChange={setAddTags} />
        <Textarea
          label="Add an internal note"
          autosize
          minRows={2}
          value={note}
          onChange={(e) => setNote(e.currentTarget.value)}
        />
        {(otherConditions.length > 0 || otherActions.length > 0) && (
          <Stack gap={4} data-testid="rule-kept">
            <Text size="sm" fw={500}>
              Also in this rule (kept as they are)
            </Text>
            {otherConditions.map((c, i) => (
              <Group key={`c${i}`} gap="xs" wrap="nowrap">
                <Text size="sm">If {describe.condition(c)}</Text>
                <Button
                  size="compact-xs"
                  variant="subtle"
                  color="red"
                  aria-label={`Remove the condition ${describe.condition(c)}`}
                  onClick={() => setOtherConditions((xs) => xs.filter((_, j) => j !== i))}
                >
                  Remove
                </Button>
              </Group>
            ))}
            {otherActions.map((a, i) => (
              <Group key={`a${i}`} gap="xs" wrap="nowrap">
                <Text size="sm">Then {describe.action(a)}</Text>
                <Button
                  size="compact-xs"
                  variant="subtle"
                  color="red"
                  aria-label={`Remove the action ${describe.action(a)}`}
                  onClick={() => setOtherActions((xs) => xs.filter((_, j) => j !== i))}
                >
                  Remove
                </Button>
              </Group>
            ))}
          </Stack>
        )}
        {conditionCount === 0 && (
          <Text size="sm" c="orange" data-testid="rule-no-conditions">
            No conditions: this rule acts on every ticket it is triggered for.
          </Text>
        )}
        {actions.length === 0 && (
          <Text size="sm" c="dimmed" data-testid="rule-no-actions">
            Choose at least one action: priority, team, assignee, escalation, status, tags, a field or a note.
          </Text>
        )}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button
            onClick={() => save.mutate()}
            loading={save.isPending}
            disabled={!name.trim() || actions.length === 0}
          >
            Save
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

export function RulesPage() {
  const qc = useQueryClient();
  const teams = useTeams();
  const list = useQuery({ queryKey: rulesKey, queryFn: () => api<{ data: Rule[] }>('/rules') });
  const [editing, setEditing] = useState<Rule | 'new' | null>(null);
  const [removing, setRemoving] = useState<Rule | null>(null);
  const teamName = (id: unknown) => (teams.data?.data ?? []).find((t) => t.id === id)?.name ?? 'a team';
  const users = useAllUsers();
  const userName = (id: unknown) => (users.data?.data ?? []).find((u) => u.id === id)?.name ?? 'someone';
  const ticketFields = useCustomFields('ticket');
  const fieldLabel: FieldLabel = (field) =>
    (ticketFields.data ?? []).find((f) => `custom.${f.key}` === field)?.label ?? field;
  const describe: DescribeRule = {
    condition: (c) => describeCondition(c, fieldLabel),
    action: (a) => describeAction(a, teamName, fieldLabel, userName),
  };
  const recommended = useMutation({
    mutationFn: () => api<{ data: Rule[] }>('/rules/recommended', { method: 'POST', body: {} }),
    onSuccess: (r) => {
      notifySuccess(r.data.length ? `${r.data.length} escalation rules added` : 'They are already there');
      void qc.invalidateQueries({ queryKey: rulesKey });
    },
    onError: (e) => notifyError(e),
  });
  const toggle = useMutation({
    mutationFn: (r: Rule) => api<Rule>(`/rules/${r.id}`, { method: 'PATCH', body: { active: !r.active } }),
    onSuccess: () => void qc.invalidateQueries({ queryKey: rulesKey }),
    onError: (e) => notifyError(e),
  });
  // Rules run in this order (a later rule sees what an earlier one did): moving one renumbers the list 0, 1, 2…
  const move = useMutation({
    mutationFn: async ({ list, from, to }: { list: Rule[]; from: number; to: number }) => {
      const next = [...list];
      const [moved] = next.splice(from, 1);
      if (!moved) return;
      next.splice(to, 0, moved);
      for (const [i, r] of next.entries())
        if (r.position !== i) await api<Rule>(`/rules/${r.id}`, { method: 'PATCH', body: { position: i } });
    },
    onSettled: () => void qc.invalidateQueries({ queryKey: rulesKey }),
    onError: (e) => notifyError(e, 'Could not move the rule'),
  });
  const remove = useMutation({
    mutationFn: (r: Rule) => api<void>(`/rules/${r.id}`, { method: 'DELETE' }),
    onSuccess: () => {
      setRemoving(null);
      void qc.invalidateQueries({ queryKey: rulesKey });
    },
    onError: (e) => notifyError(e),
  });
  const rows = list.data?.data ?? [];
  return (
    <>
      <PageHeader
        title="Rules & escalation"
        description="When something happens to a ticket, or time passes, and it matches: raise priority, route to a team, escalate with a reason, change status, leave a note. Rules run from the top; a later one sees what an earlier one did."
        actions={
          <>
            <Button variant="default" leftSection={<IconShieldCheck size={16} />} onClick={() => recommended.mutate()}>
              Add recommended escalations
            </Button>
            <Button leftSection={<IconPlus size={16} />} onClick={() => setEditing('new')}>
              New rule
            </Button>
          </>
        }
      />
      {list.isPending ? (
        <Skeleton h={80} />
      ) : rows.length === 0 ? (
        <Empty
          icon={<IconBolt size={28} />}
          title="No rules yet"
          description="Start with the recommended escalations: legal threats, vulnerable customers and billing disputes go to a person at once."
          action={<Button onClick={() => recommended.mutate()}>Add recommended escalations</Button>}
        />
      ) : (
        <Table striped>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Order</Table.Th>
              <Table.Th>Rule</Table.Th>
              <Table.Th>When</Table.Th>
              <Table.Th>If</Table.Th>
              <Table.Th>Then</Table.Th>
              <Table.Th>Active</Table.Th>
              <Table.Th />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rows.map((r, i) => (
              <Table.Tr key={r.id} data-testid="rule-row" data-rule={r.name}>
                <Table.Td>
                  <Group gap={2} wrap="nowrap">
                    <Text fz="sm" w={18} c="dimmed">
                      {i + 1}
                    </Text>
                    <ActionIcon
                      variant="subtle"
                      size="sm"
                      aria-label={`Move ${r.name} up`}
                      disabled={i === 0 || move.isPending}
                      onClick={() => move.mutate({ list: rows, from: i, to: i - 1 })}
                    >
                      <IconArrowUp size={14} />
                    </ActionIcon>
                    <ActionIcon
                      variant="subtle"
                      size="sm"
                      aria-label={`Move ${r.name} down`}
                      disabled={i === rows.length - 1 || move.isPending}
                      onClick={() => move.mutate({ list: rows, from: i, to: i + 1 })}
                    >
                      <IconArrowDown size={14} />
                    </ActionIcon>
                  </Group>
                </Table.Td>
                <Table.Td>{r.name}</Table.Td>
                <Table.Td>{r.delay ? describeDelay(r.delay) : (triggerLabels[r.trigger] ?? r.trigger)}</Table.Td>
                <Table.Td maw={320}>
                  <Text fz="xs" lineClamp={2}>
                    {r.conditions.map(describe.condition).join(' and ') || 'always'}
                  </Text>
                </Table.Td>
                <Table.Td>
                  {r.actions.map((a, i) => (
                    <Badge key={i} variant="light" mr={4}>
                      {describe.action(a)}
                    </Badge>
                  ))}
                </Table.Td>
                <Table.Td>
                  <Switch checked={r.active} onChange={() => toggle.mutate(r)} aria-label={`${r.name} active`} />
                </Table.Td>
                <Table.Td>
                  <Group gap={4} wrap="nowrap" justify="flex-end">
                    <Button size="xs" variant="default" onClick={() => setEditing(r)} aria-label={`Edit ${r.name}`}>
                      Edit
                    </Button>
                    <Button
                      size="xs"
                      variant="subtle"
                      color="red"
                      onClick={() => setRemoving(r)}
                      aria-label={`Remove ${r.name}`}
                    >
                      Remove
                    </Button>
                  </Group>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      {editing && (
        <RuleModal
          key={editing === 'new' ? 'new' : editing.id}
          rule={editing === 'new' ? null : editing}
          describe={describe}
          onClose={() => setEditing(null)}
        />
      )}
      <ConfirmModal
        opened={Boolean(removing)}
        title="Remove this rule?"
        message="Tickets keep what it already did."
        confirmLabel="Remove"
        danger
        loading={remove.isPending}
        onConfirm={() => removing && remove.mutate(removing)}
        onClose={() => setRemoving(null)}
      />
    </>
  );
}
