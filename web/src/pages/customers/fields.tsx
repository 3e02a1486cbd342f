/** Inline-editable fields for the record pages: show the value, click to edit, Enter saves, Esc cancels. */
import { useState } from 'react';
import {
  ActionIcon,
  Group,
  Input,
  MultiSelect,
  NumberInput,
  Select,
  Stack,
  Switch,
  TagsInput,
  Text,
  TextInput,
  UnstyledButton,
} from '@mantine/core';
import { IconCheck, IconX } from '@tabler/icons-react';
import { fieldProblems, type Address, type CustomField } from '../../api/customers.ts';
import { errorMessage } from '../../api/client.ts';
import { CustomValue, Dim } from './cells.tsx';

export type Save = (body: Record<string, unknown>) => Promise<unknown>;

/** The message for this field from a validation error, or the error's own message. */
function problemFor(e: unknown, key: string): string {
  const p = fieldProblems(e);
  return p[key] ?? Object.values(p)[0] ?? errorMessage(e);
}

function Row(props: { label: string; children: React.ReactNode; stacked?: boolean }) {
  if (props.stacked)
    return (
      <Stack gap={0}>
        <Input.Label size="xs">{props.label}</Input.Label>
        {props.children}
      </Stack>
    );
  return (
    <Group gap="sm" wrap="nowrap" align="flex-start" mih={30} py={2}>
      <Text fz="sm" c="dimmed" w={118} pt={5} style={{ flexShrink: 0 }}>
        {props.label}
      </Text>
      <div style={{ flex: 1, minWidth: 0 }}>{props.children}</div>
    </Group>
  );
}

function Shown({
  onEdit,
  label,
  children,
  disabled,
}: {
  onEdit: () => void;
  label: string;
  children: React.ReactNode;
  disabled?: boolean;
}) {
  if (disabled) return <div style={{ paddingTop: 5 }}>{children}</div>;
  return (
    <UnstyledButton
      onClick={onEdit}
      aria-label={`Edit ${label}`}
      className="rapport-editable"
      w="100%"
      px={6}
      py={4}
      ml={-6}
      data-testid={`edit-${label.toLowerCase().replace(/\s+/g, '-')}`}
    >
      {children}
    </UnstyledButton>
  );
}

function Actions({ saving, onCancel }: { saving: boolean; onCancel: () => void }) {
  return (
    <Group gap={4} wrap="nowrap">
      <ActionIcon type="submit" size="sm" variant="filled" loading={saving} aria-label="Save">
        <IconCheck size={14} />
      </ActionIcon>
      <ActionIcon size="sm" variant="default" onClick={onCancel} aria-label="Cancel">
        <IconX size={14} />
      </ActionIcon>
    </Group>
  );
}

type Kind = 'text' | 'list';

const addressParts: Array<{ key: keyof Address; label: string; placeholder?: string }> = [
  { key: 'line1', label: 'Street' },
  { key: 'line2', label: 'Address line 2', placeholder: 'Floor, suite, building' },
  { key: 'postalCode', label: 'Postal code' },
  { key: 'city', label: 'City' },
  { key: 'region', label: 'Region', placeholder: 'State, province or county' },
  { key: 'country', label: 'Country', placeholder: 'PT' },
];

/**
 * A person's or company's address, a field per part. Each saves only its part: the API merges it into the stored
 * address, so an edit made meanwhile elsewhere stays.
 */
export function AddressFields(props: { address: Address; save: Save; readOnly: boolean }) {
  return (
    <>
      {addressParts.map((part) => (
        <EditableField
          key={part.key}
          label={part.label}
          problemKey="address"
          value={props.address[part.key] ?? null}
          {...(part.placeholder ? { placeholder: part.placeholder } : {})}
          toBody={(v) => ({ address: { [part.key]: (v as string) || null } })}
          save={props.save}
          readOnly={props.readOnly}
        />
      ))}
    </>
  );
}

/** A built-in field: text, or a list (emails, phones) whose first item is the primary. */
export function EditableField(props: {
  label: string;
  /** The name the API uses for it in `details.problems`. */
  problemKey: string;
  value: string | string[] | null;
  kind?: Kind;
  placeholder?: string;
  toBody: (v: string | string[]) => Record<string, unknown>;
  save: Save;
  readOnly?: boolean;
}) {
  const kind = props.kind ?? 'text';
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState<string | string[]>('');
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  function start() {
    setDraft(kind === 'list' ? [...((props.value as string[] | null) ?? [])] : ((props.value as string | null) ?? ''));
    setError(null);
    setEditing(true);
  }
  async function submit(e?: React.FormEvent) {
    e?.preventDefault();
    setSaving(true);
    try {
      await props.save(props.toBody(typeof draft === 'string' ? draft.trim() : draft));
      setEditing(false);
    } catch (err) {
      setError(problemFor(err, props.problemKey));
    } finally {
      setSaving(false);
    }
  }
  const shown =
    kind === 'list' ? (
      ((props.value as string[] | null) ?? []).length ? (
        <Stack gap={0}>
          {(props.value as string[]).map((v, i) => (
            <Text key={v} fz="sm" truncate>
              {v}
              {i === 0 && (props.value as string[]).length > 1 && (
                <Text span fz="xs" c="dimmed">
                  {' '}
                  · primary
                </Text>
              )}
            </Text>
          ))}
        </Stack>
      ) : (
        <Dim>Add…</Dim>
      )
    ) : props.value ? (
      <Text fz="sm" truncate>
        {props.value as string}
      </Text>
    ) : (
      <Dim>Add…</Dim>
    );
  return (
    <Row label={props.label}>
      {editing ? (
        <form
          onSubmit={(e) => void submit(e)}
          onKeyDown={(e) => e.key === 'Escape' && (e.stopPropagation(), setEditing(false))}
        >
          <Group gap={6} wrap="nowrap" align="flex-start">
            {kind === 'list' ? (
              <Stack gap={4} style={{ flex: 1 }} miw={0}>
                <TagsInput
                  size="xs"
                  miw={0}
                  value={draft as string[]}
                  onChange={setDraft}
                  placeholder={props.placeholder ?? 'Enter to add; the first is the primary'}
                  error={error}
                  autoFocus
                  aria-label={props.label}
                  acceptValueOnBlur
                />
                {(draft as string[]).length > 1 && (
                  // The list cannot be reordered by dragging: choosing the primary puts it first.
                  <Select
                    size="xs"
                    label="Primary"
                    data={[...new Set(draft as string[])]}
                    value={(draft as string[])[0] ?? null}
                    onChange={(v) => v && setDraft([v, ...(draft as string[]).filter((x) => x !== v)])}
                    allowDeselect={false}
                    comboboxProps={{ withinPortal: true }}
                  />
                )}
              </Stack>
            ) : (
              <TextInput
                size="xs"
                style={{ flex: 1 }}
                value={draft as string}
                onChange={(e) => setDraft(e.currentTarget.value)}
                placeholder={props.placeholder}
                error={error}
                autoFocus
                aria-label={props.label}
              />
            )}
            <Actions saving={saving} onCancel={() => setEditing(false)} />
          </Group>
        </form>
      ) : (
        <Shown onEdit={start} label={props.label} disabled={props.readOnly}>
          {shown}
        </Shown>
      )}
    </Row>
  );
}

/**
 * The input a custom field's type calls for (number, select, multiselect, date, text or URL; booleans are a switch),
 * controlled: `value` as the API holds it, `onChange` with the new one ('' or [] when emptied).
 */
export function CustomFieldInput(props: {
  def: CustomField;
  value: unknown;
  onChange: (v: unknown) => void;
  error?: string | null;
  label?: string;
  size?: 'xs' | 'sm';
  autoFocus?: boolean;
  disabled?: boolean;
  style?: React.CSSProperties;
}) {
  const { def } = props;
  const common = {
    size: props.size ?? ('xs' as const),
    style: props.style,
    error: props.error,
    label: props.label,
    disabled: props.disabled,
    autoFocus: props.autoFocus,
    'aria-label': def.label,
  };
  switch (def.type) {
    case 'boolean':
      return (
        <Switch
          size="sm"
          pt={props.label ? 0 : 6}
          label={props.label}
          checked={props.value === true}
          disabled={props.disabled}
          onChange={(e) => props.onChange(e.currentTarget.checked)}
          aria-label={def.label}
          error={props.error}
        />
      );
    case 'number':
      return (
        <NumberInput
          {...common}
          value={(props.value as number | string | null) ?? ''}
          onChange={(v) => props.onChange(v)}
        />
      );
    case 'select':
      return (
        <Select
          {...common}
          data={def.options}
          value={(props.value as string | null) || null}
          onChange={(v) => props.onChange(v ?? '')}
          clearable
          searchable
        />
      );
    case 'multiselect':
      return (
        <MultiSelect
          {...common}
          data={def.options}
          value={Array.isArray(props.value) ? (props.value as string[]) : []}
          onChange={(v) => props.onChange(v)}
          clearable
          searchable
        />
      );
    case 'date':
      return (
        <TextInput
          {...common}
          type="date"
          value={(props.value as string | null) ?? ''}
          onChange={(e) => props.onChange(e.currentTarget.value)}
        />
      );
    default:
      return (
        <TextInput
          {...common}
          value={(props.value as string | null) ?? ''}
          placeholder={def.type === 'url' ? 'https://…' : undefined}
          onChange={(e) => props.onChange(e.currentTarget.value)}
        />
      );
  }
}

/** A custom field, edited with the input its type calls for; `stacked` puts the label above (narrow side panels). */
export function EditableCustomField(props: {
  def: CustomField;
  value: unknown;
  save: Save;
  readOnly?: boolean;
  stacked?: boolean;
}) {
  const { def } = props;
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState<unknown>(null);
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const key = `custom.${def.key}`;
  const label = def.required ? `${def.label} *` : def.label;

  async function put(value: unknown) {
    setSaving(true);
    try {
      await props.save({ custom: { [def.key]: value === '' ? null : value } });
      setEditing(false);
      setError(null);
    } catch (err) {
      setError(problemFor(err, key));
    } finally {
      setSaving(false);
    }
  }

  if (def.type === 'boolean')
    return (
      <Row label={label} stacked={props.stacked}>
        <CustomFieldInput
          def={def}
          value={props.value}
          disabled={props.readOnly || saving}
          onChange={(v) => void put(v)}
          error={error}
        />
      </Row>
    );

  return (
    <Row label={label} stacked={props.stacked}>
      {editing ? (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void put(Array.isArray(draft) && !draft.length ? null : draft);
          }}
          onKeyDown={(e) => e.key === 'Escape' && (e.stopPropagation(), setEditing(false))}
        >
          <Group gap={6} wrap="nowrap" align="flex-start">
            <CustomFieldInput
              def={def}
              value={draft}
              onChange={setDraft}
              error={error}
              autoFocus
              style={{ flex: 1, minWidth: 0 }}
            />
            <Actions saving={saving} onCancel={() => setEditing(false)} />
          </Group>
        </form>
      ) : (
        <Shown
          label={def.label}
          disabled={props.readOnly}
          onEdit={() => {
            setDraft(props.value ?? (def.type === 'multiselect' ? [] : ''));
            setError(null);
            setEditing(true);
          }}
        >
          {props.value === undefined || props.value === null ? (
            <Dim>Add…</Dim>
          ) : (
            <CustomValue def={def} value={props.value} />
          )}
        </Shown>
      )}
      {!editing && error && (
        <Text fz="xs" c="red">
          {error}
        </Text>
      )}
    </Row>
  );
}

export function SectionTitle({ children, right }: { children: React.ReactNode; right?: React.ReactNode }) {
  return (
    <Group justify="space-between" mb={6} wrap="nowrap">
      <Text fz="xs" fw={700} c="dimmed" tt="uppercase" lts={0.5}>
        {children}
      </Text>
      {right}
    </Group>
  );
}
