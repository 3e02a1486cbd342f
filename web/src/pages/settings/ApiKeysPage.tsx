import { useEffect, useState } from 'react';
import {
  Alert,
  Badge,
  Button,
  Card,
  Checkbox,
  Code,
  CopyButton,
  Group,
  Modal,
  Select,
  SimpleGrid,
  Skeleton,
  Stack,
  Switch,
  Table,
  Text,
  TextInput,
  Tooltip,
} from '@mantine/core';
import { useForm } from '@mantine/form';
import { IconAlertTriangle, IconCheck, IconCopy, IconKey, IconPlus } from '@tabler/icons-react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useSearchParams } from 'react-router';
import { api } from '../../api/client.ts';
import { keys, useApiKeys, useMe } from '../../api/queries.ts';
import { permissions, type ApiKey, type Permission } from '../../api/types.ts';
import { ConfirmModal } from '../../components/ConfirmModal.tsx';
import { Empty } from '../../components/Empty.tsx';
import { PageHeader } from '../../components/PageHeader.tsx';
import { useNames } from '../../components/useNames.ts';
import { formatDate, formatDateTime, relativeTime } from '../../lib/format.ts';
import { notifyError, notifySuccess } from '../../lib/notify.ts';
import { permissionInfo } from '../../lib/permissions.ts';

const expiryChoices = [
  { value: 'never', label: 'Never' },
  { value: '30', label: 'In 30 days' },
  { value: '90', label: 'In 90 days' },
  { value: '365', label: 'In 1 year' },
];

function keyStatus(k: ApiKey): { label: string; color: string } {
  if (k.revokedAt) return { label: 'Revoked', color: 'red' };
  if (k.expiresAt && new Date(k.expiresAt).getTime() < Date.now()) return { label: 'Expired', color: 'gray' };
  return { label: 'Active', color: 'teal' };
}

function Scopes({ scopes }: { scopes: string[] }) {
  const shown = scopes.slice(0, 3);
  const rest = scopes.slice(3);
  return (
    <Group gap={4} wrap="wrap">
      {shown.map((s) => (
        <Badge key={s} size="xs" variant="default" tt="none" ff="monospace">
          {s}
        </Badge>
      ))}
      {rest.length > 0 && (
        <Tooltip label={rest.join(', ')} multiline maw={300}>
          <Badge size="xs" variant="light" color="gray" tt="none">
            +{rest.length} more
          </Badge>
        </Tooltip>
      )}
    </Group>
  );
}

function CreateKeyModal({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  const me = useMe();
  const qc = useQueryClient();
  const [created, setCreated] = useState<{ key: string; apiKey: ApiKey } | null>(null);
  const mine = permissions.filter((p) => me.permissions.includes(p));
  const areas = [...new Set(mine.map((p) => permissionInfo[p].area))];
  const form = useForm({
    initialValues: { name: '', scopes: [] as string[], expiry: 'never' },
    validate: {
      name: (v) => (v.trim() ? null : 'Name the key after what will use it, such as “Shop integration”'),
      scopes: (v) => (v.length ? null : 'Choose at least one scope'),
    },
  });

  const create = useMutation({
    mutationFn: (v: typeof form.values) =>
      api<{ apiKey: ApiKey; key: string }>('/api-keys', {
        method: 'POST',
        body: {
          name: v.name.trim(),
          scopes: v.scopes,
          expiresAt: v.expiry === 'never' ? null : new Date(Date.now() + Number(v.expiry) * 86_400_000).toISOString(),
        },
      }),
    onSuccess: (r) => {
      setCreated(r);
      void qc.invalidateQueries({ queryKey: keys.apiKeys });
      void qc.invalidateQueries({ queryKey: keys.events });
    },
    onError: (e) => notifyError(e, 'Could not create the key'),
  });

  function close() {
    onClose();
    // Forget the secret as soon as the dialog is gone.
    window.setTimeout(() => {
      setCreated(null);
      form.reset();
    }, 200);
  }

  const readOnly = mine.filter((p) => p.endsWith(':read'));

  return (
    <Modal
      opened={opened}
      onClose={close}
      title={created ? 'Copy your new API key' : 'Create API key'}
      size="lg"
      closeOnClickOutside={!created}
    >
      {created ? (
        <Stack gap="md" data-testid="api-key-created">
          <Alert
            color="orange"
            icon={<IconAlertTriangle size={18} />}
            title="This is the only time you will see this key"
          >
            Copy it now and keep it somewhere safe, such as your integration’s secret settings. Rapport stores only a
            fingerprint of it; if you lose it, revoke it and create a new one.
          </Alert>
          <Stack gap={4}>
            <Text fz="sm" fw={500}>
              {created.apiKey.name}
            </Text>
            <Group gap="xs" wrap="nowrap" align="stretch">
              <Code
                block
                className="rapport-secret"
                style={{ flex: 1 }}
                data-testid="new-api-key"
                aria-label="New API key"
              >
                {created.key}
              </Code>
              <CopyButton value={created.key}>
                {({ copied, copy }) => (
                  <Button
                    onClick={copy}
                    color={copied ? 'teal' : undefined}
                    leftSection={copied ? <IconCheck size={16} /> : <IconCopy size={16} />}
                    aria-label="Copy API key"
                  >
                    {copied ? 'Copied' : 'Copy'}
                  </Button>
                )}
              </CopyButton>
            </Group>
          </Stack>
          <Text fz="xs" c="dimmed">
            Use it as <Code>Authorization: Bearer &lt;key&gt;</Code> on every request to /api/v1.
          </Text>
          <Group justify="flex-end">
            <Button onClick={close}>I have copied it</Button>
          </Group>
        </Stack>
      ) : (
        <form onSubmit={form.onSubmit((v) => create.mutate(v))} data-testid="create-api-key-form">
          <Stack gap="md">
            <SimpleGrid cols={2}>
              <TextInput
                label="Name"
                placeholder="Shop integration"
                description="What will use this key"
                data-autofocus
                {...form.getInputProps('name')}
              />
              <Select
                label="Expires"
                description="Short-lived keys are safer"
                data={expiryChoices}
                allowDeselect={false}
                {...form.getInputProps('expiry')}
              />
            </SimpleGrid>
            <Checkbox.Group
              label="Scopes"
              description="What the key may do. It can never do more than your own role allows, so only those are listed."
              {...form.getInputProps('scopes')}
            >
              <Group gap="xs" mt={6} mb={4}>
                <Button size="compact-xs" variant="light" onClick={() => form.setFieldValue('scopes', [...readOnly])}>
                  Read only
                </Button>
                <Button size="compact-xs" variant="light" onClick={() => form.setFieldValue('scopes', [...mine])}>
                  Everything I can
                </Button>
                <Button
                  size="compact-xs"
                  variant="subtle"
                  color="gray"
                  onClick={() => form.setFieldValue('scopes', [])}
                >
                  Clear
                </Button>
              </Group>
              <SimpleGrid cols={2} spacing="md" verticalSpacing="sm" mt="xs">
                {areas.map((area) => (
                  <Stack key={area} gap={6}>
                    <Text fz="xs" fw={600} c="dimmed" tt="uppercase" lts={0.4}>
                      {area}
                    </Text>
                    {mine
                      .filter((p) => permissionInfo[p].area === area)
                      .map((p: Permission) => (
                        <Checkbox
                          key={p}
                          value={p}
                          size="sm"
                          label={
                            <span>
                              {permissionInfo[p].label}{' '}
                              <Text span fz="xs" c="dimmed" ff="monospace">
                                {p}
                              </Text>
                            </span>
                          }
                          description={permissionInfo[p].description}
                        />
                      ))}
                  </Stack>
                ))}
              </SimpleGrid>
            </Checkbox.Group>
            <Group justify="flex-end" gap="xs">
              <Button variant="default" onClick={close}>
                Cancel
              </Button>
              <Button type="submit" loading={create.isPending} leftSection={<IconKey size={16} />}>
                Create key
              </Button>
            </Group>
          </Stack>
        </form>
      )}
    </Modal>
  );
}

export function ApiKeysPage() {
  const me = useMe();
  const qc = useQueryClient();
  const names = useNames();
  const [params, setParams] = useSearchParams();
  const [showRevoked, setShowRevoked] = useState(false);
  const [creating, setCreating] = useState(false);
  const [revoking, setRevoking] = useState<ApiKey | null>(null);
  const list = useApiKeys(showRevoked);
  const seesAll = me.permissions.includes('workspace:manage');

  useEffect(() => {
    if (params.get('new')) {
      setCreating(true);
      setParams({}, { replace: true });
    }
  }, [params, setParams]);

  const revoke = useMutation({
    mutationFn: (k: ApiKey) => api<ApiKey>(`/api-keys/${k.id}`, { method: 'DELETE' }),
    onMutate: async (k) => {
      await qc.cancelQueries({ queryKey: keys.apiKeys });
      const snapshot = qc.getQueriesData<{ data: ApiKey[] }>({ queryKey: keys.apiKeys });
      const now = new Date().toISOString();
      qc.setQueriesData<{ data: ApiKey[] }>({ queryKey: keys.apiKeys }, (old) =>
        old ? { data: old.data.map((x) => (x.id === k.id ? { ...x, revokedAt: now } : x)) } : old,
      );
      return { snapshot };
    },
    onError: (e, _k, ctx) => {
      for (const [key, data] of ctx?.snapshot ?? []) qc.setQueryData(key, data);
      notifyError(e, 'Could not revoke the key');
    },
    onSuccess: (k) => {
      setRevoking(null);
      notifySuccess(`“${k.name}” is revoked. Anything still using it now gets 401.`);
    },
    onSettled: () => {
      void qc.invalidateQueries({ queryKey: keys.apiKeys });
      void qc.invalidateQueries({ queryKey: keys.events });
    },
  });

  const rows = (list.data?.data ?? []).filter((k) => showRevoked || !k.revokedAt);

  return (
    <>
      <PageHeader
        title="API keys"
        description={
          seesAll
            ? 'Keys let scripts and integrations use the Rapport API. You see every key in the workspace.'
            : 'Keys let scripts and integrations use the Rapport API. You see the keys you created.'
        }
        actions={
          <>
            <Switch
              label="Show revoked"
              checked={showRevoked}
              onChange={(e) => setShowRevoked(e.currentTarget.checked)}
              size="sm"
            />
            <Button leftSection={<IconPlus size={16} />} onClick={() => setCreating(true)}>
              Create API key
            </Button>
          </>
        }
      />
      <Card withBorder padding={0}>
        {list.isPending ? (
          <Skeleton h={120} m="md" />
        ) : rows.length === 0 ? (
          <Empty
            icon={<IconKey size={22} />}
            title="No API keys yet"
            description="Create a key for each integration, such as your shop or a data export script, with only the scopes it needs. You can revoke it at any time."
            action={
              <Button leftSection={<IconPlus size={16} />} onClick={() => setCreating(true)}>
                Create your first key
              </Button>
            }
          />
        ) : (
          <Table.ScrollContainer minWidth={900}>
            <Table highlightOnHover data-testid="api-keys-table">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Name</Table.Th>
                  <Table.Th w={150}>Key</Table.Th>
                  <Table.Th>Scopes</Table.Th>
                  {seesAll && <Table.Th>Created by</Table.Th>}
                  <Table.Th w={120}>Last used</Table.Th>
                  <Table.Th>Expires</Table.Th>
                  <Table.Th w={100}>Status</Table.Th>
                  <Table.Th w={90} />
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {rows.map((k) => {
                  const status = keyStatus(k);
                  return (
                    <Table.Tr
                      key={k.id}
                      data-testid="api-key-row"
                      data-key-name={k.name}
                      opacity={k.revokedAt ? 0.6 : 1}
                    >
                      <Table.Td>
                        <Text fz="sm" fw={500}>
                          {k.name}
                        </Text>
                        <Text fz="xs" c="dimmed">
                          Created {formatDate(k.createdAt)}
                        </Text>
                      </Table.Td>
                      <Table.Td>
                        <Code>{k.prefix}</Code>
                      </Table.Td>
                      <Table.Td maw={280}>
                        <Scopes scopes={k.scopes} />
                      </Table.Td>
                      {seesAll && <Table.Td>{names.user(k.createdBy) ?? '—'}</Table.Td>}
                      <Table.Td>
                        <Tooltip label={formatDateTime(k.lastUsedAt)} disabled={!k.lastUsedAt}>
                          <Text fz="sm" c={k.lastUsedAt ? undefined : 'dimmed'} style={{ whiteSpace: 'nowrap' }}>
                            {k.lastUsedAt ? relativeTime(k.lastUsedAt) : 'Never used'}
                          </Text>
                        </Tooltip>
                      </Table.Td>
                      <Table.Td>
                        {k.expiresAt ? (
                          formatDate(k.expiresAt)
                        ) : (
                          <Text fz="sm" c="dimmed">
                            Never
                          </Text>
                        )}
                      </Table.Td>
                      <Table.Td>
                        <Badge size="sm" variant="light" miw={72} color={status.color} data-testid="api-key-status">
                          {status.label}
                        </Badge>
                      </Table.Td>
                      <Table.Td ta="right">
                        {!k.revokedAt && (
                          <Button
                            size="compact-xs"
                            variant="subtle"
                            color="red"
                            onClick={() => setRevoking(k)}
                            aria-label={`Revoke ${k.name}`}
                          >
                            Revoke
                          </Button>
                        )}
                      </Table.Td>
                    </Table.Tr>
                  );
                })}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
      </Card>
      <CreateKeyModal opened={creating} onClose={() => setCreating(false)} />
      <ConfirmModal
        opened={revoking !== null}
        onClose={() => setRevoking(null)}
        title="Revoke this API key?"
        message={
          <>
            Anything using <b>{revoking?.name}</b> ({revoking?.prefix}) stops working at once. This cannot be undone.
          </>
        }
        confirmLabel="Revoke key"
        danger
        loading={revoke.isPending}
        onConfirm={() => revoking && revoke.mutate(revoking)}
      />
    </>
  );
}
