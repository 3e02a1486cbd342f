import { useState } from 'react';
import {
  Badge,
  Button,
  Group,
  Modal,
  MultiSelect,
  Select,
  Skeleton,
  Stack,
  Switch,
  Table,
  TagsInput,
  Text,
  TextInput,
} from '@mantine/core';
import { IconBolt, IconPlus, IconShieldCheck } from '@tabler/icons-react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '../../api/client.ts';
import { ticketPriorities, useTeams } from '../../api/tickets.ts';
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
  active: boolean;
};

const rulesKey = ['rules'] as const;
const triggerLabels: Record<string, string> = {
  'ticket.created': 'A ticket is opened',
  'ticket.message_received': 'The customer writes again',
  'ticket.updated': 'A ticket is changed',
  'ticket.sla_warning': 'An SLA target is near',
  'ticket.sla_breached': 'An SLA target is missed',
};
const types = ['question', 'complaint', 'return_refund', 'technical', 'billing', 'other'];

function describeCondition(c: Rule['conditions'][number]): string {
  const v = [c.value ?? []].flat().join(', ');
  if (c.op === 'contains_any') return `${c.field} mentions ${v}`;
  if (c.op === 'contains_none') return `${c.field} mentions none of ${v}`;
  if (c.op === 'set' || c.op === 'not_set') return `${c.field} ${c.op === 'set' ? 'is set' : 'is not set'}`;
  return `${c.field} ${c.op === 'is_not' ? 'is not' : 'is'} ${v}`;
}

function describeAction(a: Record<string, unknown>, teamName: (id: unknown) => string): string {
  switch (a.type) {
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
  const [name, setName] = useState('');
  const [trigger, setTrigger] = useState('ticket.created');
  const [keywords, setKeywords] = useState<string[]>([]);
  const [ticketTypes, setTicketTypes] = useState<string[]>([]);
  const [priority, setPriority] = useState<string | null>('high');
  const [teamId, setTeamId] = useState<string | null>(null);
  const [reason, setReason] = useState('');
  const save = useMutation({
    mutationFn: () =>
      api<Rule>('/rules', {
        method: 'POST',
        body: {
          name,
          trigger,
          conditions: [
            ...(keywords.length ? [{ field: 'text', op: 'contains_any', value: keywords }] : []),
            ...(ticketTypes.length ? [{ field: 'type', op: 'in', value: ticketTypes }] : []),
          ],
          actions: [
            reason.trim()
              ? {
                  type: 'escalate',
                  reason: reason.trim(),
                  ...(priority ? { priority } : {}),
                  ...(teamId ? { teamId } : {}),
                }
              : priority
                ? { type: 'set_priority', value: priority }
                : { type: 'add_tags', tags: ['rule'] },
            ...(teamId && !reason.trim() ? [{ type: 'set_team', teamId }] : []),
          ],
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
          onChange={(v) => v && setTrigger(v)}
          allowDeselect={false}
        />
        <TagsInput
          label="and the customer's message mentions any of"
          description="Whole words or phrases; accents and case do not matter"
          value={keywords}
          onChange={setKeywords}
        />
        <MultiSelect label="and the ticket type is one of" data={types} value={ticketTypes} onChange={setTicketTypes} />
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
        <TextInput
          label="Escalation reason"
          description="Filled in: the ticket is logged as escalated with this reason"
          value={reason}
          onChange={(e) => setReason(e.currentTarget.value)}
        />
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button onClick={() => save.mutate()} loading={save.isPending} disabled={!name.trim()}>
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
        description="When something happens to a ticket and it matches, act: raise priority, route to a team, escalate with a reason."
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
                <Table.Td>{triggerLabels[r.trigger] ?? r.trigger}</Table.Td>
                <Table.Td maw={320}>
                  <Text fz="xs" lineClamp={2}>
                    {r.conditions.map(describeCondition).join(' and ') || 'always'}
                  </Text>
                </Table.Td>
                <Table.Td>
                  {r.actions.map((a, i) => (
                    <Badge key={i} variant="light" mr={4}>
                      {describeAction(a, teamName)}
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
