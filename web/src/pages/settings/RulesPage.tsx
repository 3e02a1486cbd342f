import { useState } from 'react';
import {
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
import { IconBolt, IconPlus, IconShieldCheck } from '@tabler/icons-react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '../../api/client.ts';
import { useCustomFields } from '../../api/customers.ts';
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

function describeCondition(c: Rule['conditions'][number], fieldLabel: FieldLabel): string {
  const v = [c.value ?? []].flat().join(', ');
  const field = fieldLabel(c.field);
  if (c.op === 'contains_any') return `${field} mentions ${v}`;
  if (c.op === 'contains_none') return `${field} mentions none of ${v}`;
  if (c.op === 'set' || c.op === 'not_set') return `${field} ${c.op === 'set' ? 'is set' : 'is not set'}`;
  return `${field} ${c.op === 'is_not' ? 'is not' : 'is'} ${v}`;
}

function describeAction(a: Record<string, unknown>, teamName: (id: unknown) => string, fieldLabel: FieldLabel): string {
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
      return 'assign';
    case 'add_note':
      return 'add a note';
    default:
      return String(a.type);
  }
}

function RuleModal({ onClose }: { onClose: () => void }) {
  const qc = useQueryClient();
  const teams = useTeams();
  const types = useTicketTypeOptions();
  const fields = (useCustomFields('ticket').data ?? []).filter((f) => !f.archived);
  const [testKey, setTestKey] = useState<string | null>(null);
  const [testValue, setTestValue] = useState<unknown>('');
  const [setKey, setSetKey] = useState<string | null>(null);
  const [setValue, setSetValue] = useState<unknown>('');
  const testField = fields.find((f) => f.key === testKey);
  const setField = fields.find((f) => f.key === setKey);
  const filled = (v: unknown) => v !== '' && v !== null && v !== undefined && !(Array.isArray(v) && !v.length);
  const [name, setName] = useState('');
  const [trigger, setTrigger] = useState('ticket.created');
  const [keywords, setKeywords] = useState<string[]>([]);
  const [ticketTypes, setTicketTypes] = useState<string[]>([]);
  const [priority, setPriority] = useState<string | null>('high');
  const [teamId, setTeamId] = useState<string | null>(null);
  const [reason, setReason] = useState('');
  const [statuses, setStatuses] = useState<string[]>([]);
  const [setStatus, setSetStatus] = useState<string | null>(null);
  const [note, setNote] = useState('');
  const [addTags, setAddTags] = useState<string[]>([]);
  const [delayHours, setDelayHours] = useState<number | string>(72);
  const [since, setSince] = useState('status_changed');
  const timed = trigger === 'ticket.time_elapsed';
  const actions = [
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
  ];
  const conditionCount =
    (keywords.length && !timed ? 1 : 0) +
    (ticketTypes.length ? 1 : 0) +
    (statuses.length ? 1 : 0) +
    (testField && filled(testValue) ? 1 : 0);
  const save = useMutation({
    mutationFn: () =>
      api<Rule>('/rules', {
        method: 'POST',
        body: {
          name,
          trigger,
          ...(timed ? { delay: { since, hours: Number(delayHours) } } : {}),
          conditions: [
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
      notifySuccess('Rule saved');
      void qc.invalidateQueries({ queryKey: rulesKey });
      onClose();
    },
    onError: (e) => notifyError(e, 'Could not save the rule'),
  });
  return (
    <Modal opened onClose={onClose} title="New rule" size="lg">
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
        {conditionCount === 0 && (
          <Text size="sm" c="orange" data-testid="rule-no-conditions">
            No conditions: this rule acts on every ticket it is triggered for.
          </Text>
        )}
        {actions.length === 0 && (
          <Text size="sm" c="dimmed" data-testid="rule-no-actions">
            Choose at least one action: priority, team, escalation, status, tags, a field or a note.
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
  const [adding, setAdding] = useState(false);
  const [removing, setRemoving] = useState<Rule | null>(null);
  const teamName = (id: unknown) => (teams.data?.data ?? []).find((t) => t.id === id)?.name ?? 'a team';
  const ticketFields = useCustomFields('ticket');
  const fieldLabel: FieldLabel = (field) =>
    (ticketFields.data ?? []).find((f) => `custom.${f.key}` === field)?.label ?? field;
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
        description="When something happens to a ticket, or time passes, and it matches: raise priority, route to a team, escalate with a reason, change status, leave a note."
        actions={
          <>
            <Button variant="default" leftSection={<IconShieldCheck size={16} />} onClick={() => recommended.mutate()}>
              Add recommended escalations
            </Button>
            <Button leftSection={<IconPlus size={16} />} onClick={() => setAdding(true)}>
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
              <Table.Th>Rule</Table.Th>
              <Table.Th>When</Table.Th>
              <Table.Th>If</Table.Th>
              <Table.Th>Then</Table.Th>
              <Table.Th>Active</Table.Th>
              <Table.Th />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rows.map((r) => (
              <Table.Tr key={r.id}>
                <Table.Td>{r.name}</Table.Td>
                <Table.Td>{r.delay ? describeDelay(r.delay) : (triggerLabels[r.trigger] ?? r.trigger)}</Table.Td>
                <Table.Td maw={320}>
                  <Text fz="xs" lineClamp={2}>
                    {r.conditions.map((c) => describeCondition(c, fieldLabel)).join(' and ') || 'always'}
                  </Text>
                </Table.Td>
                <Table.Td>
                  {r.actions.map((a, i) => (
                    <Badge key={i} variant="light" mr={4}>
                      {describeAction(a, teamName, fieldLabel)}
                    </Badge>
                  ))}
                </Table.Td>
                <Table.Td>
                  <Switch checked={r.active} onChange={() => toggle.mutate(r)} aria-label={`${r.name} active`} />
                </Table.Td>
                <Table.Td>
                  <Button size="xs" variant="subtle" color="red" onClick={() => setRemoving(r)}>
                    Remove
                  </Button>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      {adding && <RuleModal onClose={() => setAdding(false)} />}
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
