import { useState } from 'react';
import {
  ActionIcon,
  Badge,
  Button,
  Card,
  Checkbox,
  Code,
  Group,
  Modal,
  Select,
  SegmentedControl,
  Skeleton,
  Stack,
  Switch,
  Table,
  TagsInput,
  Text,
  TextInput,
  Tooltip,
} from '@mantine/core';
import { useForm } from '@mantine/form';
import { IconArchive, IconArrowBackUp, IconForms, IconPencil, IconPlus } from '@tabler/icons-react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '../../api/client.ts';
import {
  customerKeys,
  customFieldTypes,
  fieldProblems,
  useCustomFields,
  type CustomField,
  type CustomEntity,
  type CustomFieldType,
} from '../../api/customers.ts';
import { Empty } from '../../components/Empty.tsx';
import { PageHeader } from '../../components/PageHeader.tsx';
import { notifyError, notifySuccess } from '../../lib/notify.ts';

const typeLabels: Record<CustomFieldType, { label: string; hint: string }> = {
  text: { label: 'Text', hint: 'Any words, up to 5000 characters' },
  number: { label: 'Number', hint: 'Sortable and filterable with ≥ and ≤' },
  date: { label: 'Date', hint: 'A day, like a renewal date' },
  boolean: { label: 'Yes / no', hint: 'A switch' },
  select: { label: 'Single choice', hint: 'One of a list of options' },
  multiselect: { label: 'Multiple choice', hint: 'Any of a list of options' },
  url: { label: 'Link', hint: 'An http(s) address' },
};

function keyFromLabel(label: string): string {
  return label
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_|_$/g, '')
    .slice(0, 50);
}

const nouns: Record<CustomEntity, string> = { person: 'people', company: 'companies', ticket: 'tickets' };

function FieldModal(props: {
  entity: CustomEntity;
  editing: CustomField | null;
  opened: boolean;
  onClose: () => void;
}) {
  const qc = useQueryClient();
  const e = props.editing;
  const form = useForm({
    initialValues: { label: '', key: '', type: 'text' as CustomFieldType, options: [] as string[], required: false },
    validate: {
      label: (v) => (v.trim() ? null : 'Name the field, such as “Plan” or “Renewal date”'),
      options: (v, all) =>
        (all.type === 'select' || all.type === 'multiselect') && v.length === 0 ? 'Add at least one option' : null,
    },
  });
  const [seeded, setSeeded] = useState<string | null>(null);
  const seedKey = e?.id ?? 'new';
  if (props.opened && seeded !== seedKey) {
    setSeeded(seedKey);
    form.setValues(
      e
        ? { label: e.label, key: e.key, type: e.type, options: e.options, required: e.required }
        : { label: '', key: '', type: 'text', options: [], required: false },
    );
  }
  const save = useMutation({
    mutationFn: (v: typeof form.values) =>
      e
        ? api<CustomField>(`/custom-fields/${e.id}`, {
            method: 'PATCH',
            body: { label: v.label.trim(), options: v.options, required: v.required },
          })
        : api<CustomField>('/custom-fields', {
            method: 'POST',
            body: {
              entity: props.entity,
              label: v.label.trim(),
              key: v.key.trim() || undefined,
              type: v.type,
              options: v.options,
              required: v.required,
            },
          }),
    onSuccess: (f) => {
      void qc.invalidateQueries({ queryKey: customerKeys.fields });
      notifySuccess(e ? `“${f.label}” is saved` : `“${f.label}” is added. Filter on it as custom.${f.key}.`);
      close();
    },
    onError: (err) => {
      const p = fieldProblems(err);
      if (Object.keys(p).length) form.setErrors(p);
      else notifyError(err, 'Could not save the field');
    },
  });
  function close() {
    props.onClose();
    window.setTimeout(() => setSeeded(null), 200);
  }
  const choice = form.values.type === 'select' || form.values.type === 'multiselect';
  return (
    <Modal opened={props.opened} onClose={close} title={e ? `Edit “${e.label}”` : 'New custom field'} size="md">
      <form onSubmit={form.onSubmit((v) => save.mutate(v))} data-testid="custom-field-form">
        <Stack gap="sm">
          <TextInput
            label="Label"
            placeholder="Plan"
            data-autofocus
            {...form.getInputProps('label')}
            onChange={(ev) => {
              const label = ev.currentTarget.value;
              form.setFieldValue('label', label);
              if (!e) form.setFieldValue('key', keyFromLabel(label));
            }}
          />
          <TextInput
            label="Key"
            description={
              e ? 'The key cannot change once values are stored under it' : 'Used in the API, imports and filters'
            }
            disabled={Boolean(e)}
            ff="monospace"
            {...form.getInputProps('key')}
          />
          <Select
            label="Type"
            disabled={Boolean(e)}
            description={typeLabels[form.values.type].hint}
            data={customFieldTypes.map((t) => ({ value: t, label: typeLabels[t].label }))}
            allowDeselect={false}
            {...form.getInputProps('type')}
          />
          {choice && (
            <TagsInput
              label="Options"
              description="Press Enter after each option"
              placeholder="Free, Pro, Enterprise"
              {...form.getInputProps('options')}
            />
          )}
          <Checkbox
            label="Required"
            description={
              props.entity === 'ticket'
                ? 'A ticket cannot be solved without a value'
                : 'New and edited records must have a value'
            }
            {...form.getInputProps('required', { type: 'checkbox' })}
          />
          <Group justify="flex-end" gap="xs" mt="xs">
            <Button variant="default" onClick={close}>
              Cancel
            </Button>
            <Button type="submit" loading={save.isPending}>
              {e ? 'Save' : 'Add field'}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

export function CustomFieldsPage() {
  const qc = useQueryClient();
  const [entity, setEntity] = useState<CustomEntity>('person');
  const [showArchived, setShowArchived] = useState(false);
  const [modal, setModal] = useState<{ editing: CustomField | null } | null>(null);
  const q = useCustomFields(entity);
  const archive = useMutation({
    mutationFn: (f: CustomField) =>
      api<CustomField>(`/custom-fields/${f.id}`, { method: 'PATCH', body: { archived: !f.archived } }),
    onSuccess: (f) => {
      void qc.invalidateQueries({ queryKey: customerKeys.fields });
      notifySuccess(f.archived ? `“${f.label}” is archived: hidden, values kept` : `“${f.label}” is back`);
    },
    onError: (e) => notifyError(e, 'Could not change the field'),
  });
  const rows = (q.data ?? []).filter((f) => showArchived || !f.archived);
  const noun = nouns[entity];
  return (
    <>
      <PageHeader
        title="Custom fields"
        description="Your own fields on people, companies and tickets, validated on every write, filterable and sortable in the lists."
        actions={
          <Button leftSection={<IconPlus size={16} />} onClick={() => setModal({ editing: null })}>
            New field
          </Button>
        }
      />
      <Group justify="space-between" mb="sm">
        <SegmentedControl
          size="xs"
          value={entity}
          onChange={(v) => setEntity(v as CustomEntity)}
          aria-label="Fields of"
          data={[
            { value: 'person', label: 'People' },
            { value: 'company', label: 'Companies' },
            { value: 'ticket', label: 'Tickets' },
          ]}
        />
        <Switch
          size="sm"
          label="Show archived"
          checked={showArchived}
          onChange={(e) => setShowArchived(e.currentTarget.checked)}
        />
      </Group>
      <Card withBorder padding={0}>
        {q.isPending ? (
          <Skeleton h={160} m="md" />
        ) : rows.length === 0 ? (
          <Empty
            icon={<IconForms size={22} />}
            title={`No custom fields on ${noun} yet`}
            description={
              entity === 'ticket'
                ? 'Add what agents record on tickets that Rapport does not, such as an order number or the product concerned.'
                : `Add what your team tracks about ${noun} that Rapport does not, such as a plan, a renewal date or an account manager's region.`
            }
            action={
              <Button leftSection={<IconPlus size={16} />} onClick={() => setModal({ editing: null })}>
                Add the first field
              </Button>
            }
          />
        ) : (
          <Table highlightOnHover data-testid="custom-fields-table">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Label</Table.Th>
                <Table.Th>Key</Table.Th>
                <Table.Th w={150}>Type</Table.Th>
                <Table.Th>Options</Table.Th>
                <Table.Th w={100}>Required</Table.Th>
                <Table.Th w={90} />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {rows.map((f) => (
                <Table.Tr key={f.id} opacity={f.archived ? 0.55 : 1} data-testid="custom-field-row">
                  <Table.Td>
                    <Text fz="sm" fw={500}>
                      {f.label}
                      {f.archived && (
                        <Badge ml={6} size="xs" variant="light" color="gray">
                          archived
                        </Badge>
                      )}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <Code>custom.{f.key}</Code>
                  </Table.Td>
                  <Table.Td>{typeLabels[f.type].label}</Table.Td>
                  <Table.Td>
                    <Text fz="sm" c="dimmed" truncate maw={280}>
                      {f.options.join(', ') || '—'}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    {f.required ? (
                      'Yes'
                    ) : (
                      <Text span c="dimmed">
                        No
                      </Text>
                    )}
                  </Table.Td>
                  <Table.Td>
                    <Group gap={2} wrap="nowrap" justify="flex-end">
                      <Tooltip label="Edit">
                        <ActionIcon
                          variant="subtle"
                          color="gray"
                          aria-label={`Edit ${f.label}`}
                          onClick={() => setModal({ editing: f })}
                        >
                          <IconPencil size={16} />
                        </ActionIcon>
                      </Tooltip>
                      <Tooltip label={f.archived ? 'Restore' : 'Archive (hide, keep values)'}>
                        <ActionIcon
                          variant="subtle"
                          color="gray"
                          aria-label={f.archived ? `Restore ${f.label}` : `Archive ${f.label}`}
                          onClick={() => archive.mutate(f)}
                        >
                          {f.archived ? <IconArrowBackUp size={16} /> : <IconArchive size={16} />}
                        </ActionIcon>
                      </Tooltip>
                    </Group>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
      </Card>
      <FieldModal
        entity={entity}
        editing={modal?.editing ?? null}
        opened={modal !== null}
        onClose={() => setModal(null)}
      />
    </>
  );
}
