import { useRef, useState } from 'react';
import {
  Alert,
  Badge,
  Button,
  Code,
  Grid,
  Group,
  Modal,
  Paper,
  Select,
  SimpleGrid,
  Skeleton,
  Stack,
  Switch,
  Table,
  TagsInput,
  Text,
  Textarea,
  TextInput,
  Tooltip,
  UnstyledButton,
} from '@mantine/core';
import { IconBolt, IconPlus } from '@tabler/icons-react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '../../api/client.ts';
import { useAllUsers } from '../../api/queries.ts';
import {
  macroKeys,
  macroPlaceholders,
  placeholderProblems,
  renderMacroBody,
  samplePlaceholderValues,
  useMacros,
  type Macro,
  type MacroActions,
} from '../../api/macros.ts';
import { useCustomFields } from '../../api/customers.ts';
import { statusLabels, ticketPriorities, ticketStatuses, useTeams, useTicketTypeOptions } from '../../api/tickets.ts';
import { CustomFieldInput } from '../customers/fields.tsx';
import { ConfirmModal } from '../../components/ConfirmModal.tsx';
import { RowActions } from '../../components/RowActions.tsx';
import { Empty } from '../../components/Empty.tsx';
import { PageHeader } from '../../components/PageHeader.tsx';
import { notifyError, notifySuccess } from '../../lib/notify.ts';

/** "Set pending · assign to me · +refund": what a macro does besides writing. */
export function actionSummary(
  a: MacroActions,
  names: {
    user: (id: string) => string;
    team: (id: string) => string;
    type: (key: string) => string;
    field?: (key: string) => string;
  },
): string[] {
  const out: string[] = [];
  if (a.status) out.push(`status ${statusLabels[a.status]}`);
  if (a.priority) out.push(`priority ${a.priority}`);
  if (a.type) out.push(`type ${names.type(a.type)}`);
  if (a.assigneeId === 'me') out.push('assign to me');
  else if (a.assigneeId) out.push(`assign to ${names.user(a.assigneeId)}`);
  else if (a.assigneeId === null) out.push('unassign');
  if (a.teamId) out.push(`team ${names.team(a.teamId)}`);
  else if (a.teamId === null) out.push('no team');
  for (const t of a.addTags ?? []) out.push(`+${t}`);
  for (const t of a.removeTags ?? []) out.push(`−${t}`);
  for (const [k, v] of Object.entries(a.custom ?? {})) {
    const shown = v === null ? 'empty' : typeof v === 'boolean' ? (v ? 'yes' : 'no') : [v].flat().join(', ');
    out.push(`${names.field?.(k) ?? k} ${shown}`);
  }
  return out;
}

const none = '';

function MacroModal(props: { macro: Macro | null; onClose: () => void }) {
  const qc = useQueryClient();
  const users = useAllUsers();
  const teams = useTeams();
  const ticketTypeOptions = useTicketTypeOptions();
  const m = props.macro;
  const [name, setName] = useState(m?.name ?? '');
  const [description, setDescription] = useState(m?.description ?? '');
  const [body, setBody] = useState(m?.body ?? '');
  const [internal, setInternal] = useState(m?.internal ?? false);
  const [active, setActive] = useState(m?.active ?? true);
  const [status, setStatus] = useState<string>(m?.actions.status ?? none);
  const [priority, setPriority] = useState<string>(m?.actions.priority ?? none);
  const [type, setType] = useState<string>(m?.actions.type ?? none);
  const [assignee, setAssignee] = useState<string>(
    m?.actions.assigneeId === null ? 'nobody' : (m?.actions.assigneeId ?? none),
  );
  const [team, setTeam] = useState<string>(m?.actions.teamId === null ? 'none' : (m?.actions.teamId ?? none));
  const [addTags, setAddTags] = useState<string[]>(m?.actions.addTags ?? []);
  const [removeTags, setRemoveTags] = useState<string[]>(m?.actions.removeTags ?? []);
  const ticketFields = (useCustomFields('ticket').data ?? []).filter((f) => !f.archived);
  // Ticket custom fields the macro sets; a field left empty is left as it is.
  const [custom, setCustom] = useState<Record<string, unknown>>(m?.actions.custom ?? {});
  const customSet = Object.fromEntries(
    Object.entries(custom).filter(([, v]) => v !== '' && v !== undefined && !(Array.isArray(v) && !v.length)),
  );
  const bodyRef = useRef<HTMLTextAreaElement>(null);
  const problems = placeholderProblems(body);
  const actions: MacroActions = {
    ...(status ? { status: status as MacroActions['status'] } : {}),
    ...(priority ? { priority: priority as MacroActions['priority'] } : {}),
    ...(type ? { type } : {}),
    ...(assignee ? { assigneeId: assignee === 'nobody' ? null : assignee } : {}),
    ...(team ? { teamId: team === 'none' ? null : team } : {}),
    ...(addTags.length ? { addTags } : {}),
    ...(removeTags.length ? { removeTags } : {}),
    ...(Object.keys(customSet).length ? { custom: customSet } : {}),
  };
  const save = useMutation({
    mutationFn: () =>
      api<Macro>(m ? `/macros/${m.id}` : '/macros', {
        method: m ? 'PATCH' : 'POST',
        body: { name, description: description || null, body, internal, active, actions },
      }),
    onSuccess: (saved) => {
      notifySuccess(`${saved.name} saved`);
      void qc.invalidateQueries({ queryKey: macroKeys.all });
      props.onClose();
    },
    onError: (e) => notifyError(e, 'Could not save the macro'),
  });
  const insert = (key: string) => {
    const el = bodyRef.current;
    const token = `{{${key}}}`;
    const at = el?.selectionStart ?? body.length;
    setBody(body.slice(0, at) + token + body.slice(el?.selectionEnd ?? at));
    requestAnimationFrame(() => {
      el?.focus();
      el?.setSelectionRange(at + token.length, at + token.length);
    });
  };
  const optional = (data: Array<{ value: string; label: string }>, label = 'Leave as it is') => [
    { value: none, label },
    ...data,
  ];
  return (
    <Modal opened onClose={props.onClose} title={m ? `Macro: ${m.name}` : 'New macro'} size="xl">
      <Grid gap="lg">
        <Grid.Col span={{ base: 12, md: 7 }}>
          <Stack gap="sm">
            <TextInput label="Name" required value={name} onChange={(e) => setName(e.currentTarget.value)} />
            <TextInput
              label="When to use it"
              value={description}
              onChange={(e) => setDescription(e.currentTarget.value)}
            />
            <Textarea
              ref={bodyRef}
              label={internal ? 'Internal note' : 'Reply to the customer'}
              description="Leave empty for a macro that only changes fields."
              autosize
              minRows={5}
              maxRows={14}
              value={body}
              onChange={(e) => setBody(e.currentTarget.value)}
              error={problems.length ? problems.map((p) => `${p.placeholder} ${p.reason}`).join('; ') : undefined}
            />
            <Group>
              <Switch
                label="Add as an internal note"
                checked={internal}
                onChange={(e) => setInternal(e.currentTarget.checked)}
              />
              <Switch label="Active" checked={active} onChange={(e) => setActive(e.currentTarget.checked)} />
            </Group>
            <Text fz="sm" fw={600} mt="xs">
              Also change the ticket
            </Text>
            <Group grow>
              <Select
                label="Status"
                data={optional(ticketStatuses.map((s) => ({ value: s, label: statusLabels[s] })))}
                value={status}
                onChange={(v) => setStatus(v ?? none)}
                allowDeselect={false}
              />
              <Select
                label="Priority"
                data={optional(ticketPriorities.map((p) => ({ value: p, label: p })))}
                value={priority}
                onChange={(v) => setPriority(v ?? none)}
                allowDeselect={false}
              />
              <Select
                label="Type"
                data={optional(ticketTypeOptions)}
                value={type}
                onChange={(v) => setType(v ?? none)}
                allowDeselect={false}
              />
            </Group>
            <Group grow>
              <Select
                label="Assignee"
                searchable
                data={optional([
                  { value: 'me', label: 'Whoever applies it' },
                  { value: 'nobody', label: 'Unassign' },
                  ...(users.data?.data ?? []).map((u) => ({ value: u.id, label: u.name })),
                ])}
                value={assignee}
                onChange={(v) => setAssignee(v ?? none)}
                allowDeselect={false}
              />
              <Select
                label="Team"
                data={optional([
                  { value: 'none', label: 'No team' },
                  ...(teams.data?.data ?? []).map((t) => ({ value: t.id, label: t.name })),
                ])}
                value={team}
                onChange={(v) => setTeam(v ?? none)}
                allowDeselect={false}
              />
            </Group>
            <Group grow>
              <TagsInput label="Add tags" value={addTags} onChange={setAddTags} />
              <TagsInput label="Remove tags" value={removeTags} onChange={setRemoveTags} />
            </Group>
            {ticketFields.length > 0 && (
              <SimpleGrid cols={2} spacing="sm" data-testid="macro-custom-fields">
                {ticketFields.map((f) =>
                  f.type === 'boolean' ? (
                    <Select
                      key={f.id}
                      label={f.label}
                      data={optional([
                        { value: 'true', label: 'Yes' },
                        { value: 'false', label: 'No' },
                      ])}
                      value={custom[f.key] === undefined ? none : String(custom[f.key])}
                      onChange={(v) => setCustom((c) => ({ ...c, [f.key]: v ? v === 'true' : undefined }))}
                      allowDeselect={false}
                    />
                  ) : (
                    <CustomFieldInput
                      key={f.id}
                      def={f}
                      label={f.label}
                      size="sm"
                      value={custom[f.key]}
                      onChange={(v) => setCustom((c) => ({ ...c, [f.key]: v }))}
                    />
                  ),
                )}
              </SimpleGrid>
            )}
          </Stack>
        </Grid.Col>
        <Grid.Col span={{ base: 12, md: 5 }}>
          <Stack gap="sm">
            <div>
              <Text fz="sm" fw={600}>
                Placeholders
              </Text>
              <Text fz="xs" c="dimmed" mb={4}>
                Click to insert. Add a fallback for missing values: <Code>{'{{customer.first_name|there}}'}</Code>
              </Text>
              <Stack gap={2}>
                {macroPlaceholders.map((p) => (
                  <Tooltip key={p.key} label={p.description} position="left" openDelay={300}>
                    <UnstyledButton onClick={() => insert(p.key)} aria-label={`Insert ${p.key}`}>
                      <Code fz="xs">{`{{${p.key}}}`}</Code>
                    </UnstyledButton>
                  </Tooltip>
                ))}
              </Stack>
            </div>
            <Paper withBorder p="sm" radius="md" bg={internal ? 'var(--mantine-color-yellow-light)' : undefined}>
              <Text fz="xs" fw={600} c="dimmed" tt="uppercase" mb={4}>
                Preview with a sample customer
              </Text>
              <Text fz="sm" style={{ whiteSpace: 'pre-wrap' }} data-testid="macro-sample-preview">
                {body.trim() ? renderMacroBody(body, samplePlaceholderValues) : '(no reply: fields only)'}
              </Text>
            </Paper>
          </Stack>
        </Grid.Col>
      </Grid>
      <Group justify="flex-end" mt="md">
        <Button variant="default" onClick={props.onClose}>
          Cancel
        </Button>
        <Button
          onClick={() => save.mutate()}
          loading={save.isPending}
          disabled={!name.trim() || problems.length > 0 || (!body.trim() && !Object.keys(actions).length)}
        >
          Save macro
        </Button>
      </Group>
    </Modal>
  );
}

export function MacrosPage() {
  const qc = useQueryClient();
  const macros = useMacros();
  const users = useAllUsers();
  const teams = useTeams();
  const [editing, setEditing] = useState<Macro | 'new' | null>(null);
  const [removing, setRemoving] = useState<Macro | null>(null);
  const remove = useMutation({
    mutationFn: (m: Macro) => api<void>(`/macros/${m.id}`, { method: 'DELETE' }),
    onSuccess: () => {
      setRemoving(null);
      void qc.invalidateQueries({ queryKey: macroKeys.all });
    },
    onError: (e) => notifyError(e, 'Could not remove the macro'),
  });
  const ticketTypeOptions = useTicketTypeOptions();
  const ticketFields = useCustomFields('ticket');
  const names = {
    user: (id: string) => (users.data?.data ?? []).find((u) => u.id === id)?.name ?? 'someone',
    team: (id: string) => (teams.data?.data ?? []).find((t) => t.id === id)?.name ?? 'a team',
    type: (key: string) => ticketTypeOptions.find((t) => t.value === key)?.label ?? key,
    field: (key: string) => (ticketFields.data ?? []).find((f) => f.key === key)?.label ?? key,
  };
  const rows = macros.data?.data ?? [];
  return (
    <>
      <PageHeader
        title="Macros"
        description="Canned replies with placeholders that can also set status, priority, assignee, team, tags and ticket fields — applied from the inbox in one step."
        actions={
          <Button leftSection={<IconPlus size={16} />} onClick={() => setEditing('new')}>
            New macro
          </Button>
        }
      />
      {macros.isPending ? (
        <Skeleton h={100} />
      ) : rows.length === 0 ? (
        <Empty
          icon={<IconBolt size={28} />}
          title="No macros yet"
          description="Write the answers your team gives every day once, such as “Refund approved” or “Need your order number”, and apply them from the inbox."
          action={<Button onClick={() => setEditing('new')}>New macro</Button>}
        />
      ) : (
        <Table striped>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Macro</Table.Th>
              <Table.Th>Does</Table.Th>
              <Table.Th>Used</Table.Th>
              <Table.Th />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rows.map((m) => (
              <Table.Tr key={m.id} data-macro={m.name}>
                <Table.Td>
                  <Group gap={6}>
                    <Text fw={600} fz="sm">
                      {m.name}
                    </Text>
                    {!m.active && (
                      <Badge size="xs" color="gray">
                        off
                      </Badge>
                    )}
                  </Group>
                  {m.description && (
                    <Text fz="xs" c="dimmed">
                      {m.description}
                    </Text>
                  )}
                </Table.Td>
                <Table.Td>
                  <Group gap={4}>
                    {m.body.trim() && (
                      <Badge size="xs" variant="light" color={m.internal ? 'yellow' : 'brand'}>
                        {m.internal ? 'note' : 'reply'}
                      </Badge>
                    )}
                    {actionSummary(m.actions, names).map((a) => (
                      <Badge key={a} size="xs" variant="outline" color="gray">
                        {a}
                      </Badge>
                    ))}
                  </Group>
                </Table.Td>
                <Table.Td>
                  <Text fz="sm">{m.usageCount}×</Text>
                </Table.Td>
                <Table.Td>
                  <RowActions name={m.name} onEdit={() => setEditing(m)} onRemove={() => setRemoving(m)} />
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      {editing && (
        <MacroModal
          key={editing === 'new' ? 'new' : editing.id}
          macro={editing === 'new' ? null : editing}
          onClose={() => setEditing(null)}
        />
      )}
      <ConfirmModal
        opened={Boolean(removing)}
        title="Remove this macro?"
        message="Tickets it was applied to keep their replies and changes."
        confirmLabel="Remove"
        danger
        loading={remove.isPending}
        onConfirm={() => removing && remove.mutate(removing)}
        onClose={() => setRemoving(null)}
      />
      {rows.some((m) => !m.active) && (
        <Alert color="gray" mt="md">
          Macros that are off are hidden from the inbox.
        </Alert>
      )}
    </>
  );
}
