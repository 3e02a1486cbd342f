import { useEffect, useState } from 'react';
import {
  ActionIcon,
  Alert,
  Anchor,
  Button,
  Card,
  Group,
  Menu,
  Modal,
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
import {
  IconAlertTriangle,
  IconDots,
  IconEye,
  IconPencil,
  IconPlus,
  IconRefresh,
  IconSend,
  IconTrash,
} from '@tabler/icons-react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useSearchParams } from 'react-router';
import { api, ApiError } from '../../api/client.ts';
import { keys } from '../../api/queries.ts';
import {
  eventTypeSuggestions,
  useWebhooks,
  webhookKeys,
  type Webhook,
  type WebhookDeliveryDetail,
  type WebhookInput,
} from '../../api/webhooks.ts';
import { ConfirmModal } from '../../components/ConfirmModal.tsx';
import { PageHeader } from '../../components/PageHeader.tsx';
import { formatDateTime, relativeTime } from '../../lib/format.ts';
import { notifyError, notifySuccess } from '../../lib/notify.ts';
import { NoWebhooks, WebhookDrawer } from './WebhookDrawer.tsx';
import {
  AttemptOutcome,
  DeliveryStatusBadge,
  EventTypeChips,
  Excerpt,
  SecretBox,
  VerifyHint,
} from './webhookParts.tsx';

type Problem = { path: string | null; message: string };

function problemsOf(e: unknown): Problem[] {
  if (!(e instanceof ApiError) || typeof e.details !== 'object' || e.details === null) return [];
  const p = (e.details as { problems?: unknown }).problems;
  return Array.isArray(p) ? (p as Problem[]) : [];
}

/** Add or edit an endpoint; after adding, the signing secret is shown once. */
function EndpointModal(props: { opened: boolean; editing: Webhook | null; onClose: () => void }) {
  const qc = useQueryClient();
  const [created, setCreated] = useState<(Webhook & { secret: string }) | null>(null);
  const form = useForm({
    initialValues: { url: '', description: '', eventTypes: [] as string[], active: true },
    validate: {
      url: (v) => (v.trim() ? null : 'Where should Rapport send the events? Such as https://example.com/hooks/rapport'),
      eventTypes: (v) => (v.length ? null : 'Choose at least one event type, a prefix such as person.*, or *'),
    },
  });

  const { editing, opened } = props;
  useEffect(() => {
    if (!opened) return;
    form.setValues(
      editing
        ? {
            url: editing.url,
            description: editing.description,
            eventTypes: editing.eventTypes,
            active: editing.active,
          }
        : { url: '', description: '', eventTypes: [], active: true },
    );
    form.resetDirty();
    form.clearErrors();
    // Reset only when the dialog opens for another endpoint.
  }, [opened, editing]);

  const save = useMutation({
    mutationFn: (v: typeof form.values) => {
      const body: WebhookInput = {
        url: v.url.trim(),
        description: v.description.trim(),
        eventTypes: v.eventTypes,
        active: v.active,
      };
      return editing
        ? api<Webhook>(`/webhooks/${editing.id}`, { method: 'PATCH', body })
        : api<Webhook & { secret: string }>('/webhooks', { method: 'POST', body });
    },
    onSuccess: (w) => {
      void qc.invalidateQueries({ queryKey: webhookKeys.all });
      void qc.invalidateQueries({ queryKey: keys.events });
      if (editing) {
        notifySuccess('The webhook is saved.');
        props.onClose();
      } else setCreated(w as Webhook & { secret: string });
    },
    onError: (e) => {
      const problems = problemsOf(e);
      let shown = false;
      for (const p of problems) {
        const field = p.path?.split('.')[0];
        if (field === 'url' || field === 'eventTypes' || field === 'description') {
          form.setFieldError(field, p.message);
          shown = true;
        }
      }
      if (!shown) notifyError(e, editing ? 'Could not save the webhook' : 'Could not add the webhook');
    },
  });

  function close() {
    props.onClose();
    // Forget the secret as soon as the dialog is gone.
    window.setTimeout(() => setCreated(null), 200);
  }

  return (
    <Modal
      opened={opened}
      onClose={close}
      title={created ? 'Copy the signing secret' : editing ? 'Edit webhook' : 'Add webhook'}
      size="lg"
      closeOnClickOutside={!created}
    >
      {created ? (
        <Stack gap="md" data-testid="webhook-created">
          <Alert color="orange" icon={<IconAlertTriangle size={18} />} title="Copy the secret now">
            Your endpoint uses it to check that requests come from Rapport. You can reveal it again later, but keep it
            out of code and logs.
          </Alert>
          <Stack gap={4}>
            <Text fz="sm" fw={500} ff="monospace" truncate>
              {created.url}
            </Text>
            <SecretBox secret={created.secret} />
          </Stack>
          <VerifyHint />
          <Group justify="flex-end">
            <Button onClick={close}>I have copied it</Button>
          </Group>
        </Stack>
      ) : (
        <form onSubmit={form.onSubmit((v) => save.mutate(v))} data-testid="webhook-form">
          <Stack gap="md">
            <TextInput
              label="Endpoint URL"
              placeholder="https://example.com/hooks/rapport"
              description="Rapport POSTs each event here as JSON"
              data-autofocus
              {...form.getInputProps('url')}
            />
            <TextInput
              label="Description"
              placeholder="Sync to the data warehouse"
              description="Optional: what receives these events"
              {...form.getInputProps('description')}
            />
            <TagsInput
              label="Event types"
              description="Pick from the list or type your own: an exact type (person.created), a prefix (person.*), or * for every event"
              placeholder={form.values.eventTypes.length ? undefined : 'person.*'}
              data={eventTypeSuggestions}
              splitChars={[',', ' ']}
              acceptValueOnBlur
              clearable
              comboboxProps={{ withinPortal: true }}
              maxDropdownHeight={260}
              {...form.getInputProps('eventTypes')}
            />
            <Switch
              label="Active"
              description="An inactive endpoint receives nothing, and its pending retries stop"
              {...form.getInputProps('active', { type: 'checkbox' })}
            />
            <Group justify="flex-end" gap="xs">
              <Button variant="default" onClick={close}>
                Cancel
              </Button>
              <Button type="submit" loading={save.isPending}>
                {editing ? 'Save' : 'Add webhook'}
              </Button>
            </Group>
          </Stack>
        </form>
      )}
    </Modal>
  );
}

function TestResultModal({ result, onClose }: { result: WebhookDeliveryDetail | null; onClose: () => void }) {
  const a = result?.attemptLog[result.attemptLog.length - 1];
  return (
    <Modal opened={result !== null} onClose={onClose} title="Test event sent" size="md">
      {result && (
        <Stack gap="sm" data-testid="webhook-test-result">
          <Group gap="sm">
            <DeliveryStatusBadge status={result.status} />
            {a && <AttemptOutcome a={a} />}
          </Group>
          <Text fz="sm">
            {a?.succeeded
              ? 'The endpoint accepted a webhook.test event.'
              : 'The endpoint did not accept the webhook.test event. Test events are not retried.'}
          </Text>
          {a?.error && (
            <Text fz="sm" c="red" data-testid="webhook-test-error">
              {a.error}
            </Text>
          )}
          {a?.responseExcerpt && (
            <Stack gap={4}>
              <Text fz="xs" c="dimmed">
                The start of the response
              </Text>
              <Excerpt text={a.responseExcerpt} />
            </Stack>
          )}
          <Group justify="flex-end">
            <Button onClick={onClose}>Close</Button>
          </Group>
        </Stack>
      )}
    </Modal>
  );
}

type Confirm = { kind: 'reveal' | 'rotate' | 'delete'; webhook: Webhook };

export function WebhooksPage() {
  const qc = useQueryClient();
  const list = useWebhooks();
  const [params, setParams] = useSearchParams();
  const [modal, setModal] = useState<{ editing: Webhook | null } | null>(null);
  // The last question asked stays in state while its dialog fades out, so the text does not vanish mid-animation.
  const [confirm, setConfirmState] = useState<Confirm | null>(null);
  const [confirmOpened, setConfirmOpened] = useState(false);
  const setConfirm = (c: Confirm | null) => {
    if (c) setConfirmState(c);
    setConfirmOpened(c !== null);
  };
  const [secret, setSecret] = useState<{ webhook: Webhook; secret: string; rotated: boolean } | null>(null);
  const [testResult, setTestResult] = useState<WebhookDeliveryDetail | null>(null);
  const openId = params.get('endpoint');
  const rows = list.data?.data ?? [];
  const open = rows.find((w) => w.id === openId) ?? null;

  useEffect(() => {
    if (params.get('new')) {
      setModal({ editing: null });
      setParams({}, { replace: true });
    }
  }, [params, setParams]);

  function openEndpoint(id: string | null) {
    setParams(id ? { endpoint: id } : {}, { replace: false });
  }

  const invalidate = () => {
    void qc.invalidateQueries({ queryKey: webhookKeys.all });
    void qc.invalidateQueries({ queryKey: keys.events });
  };

  const setActive = useMutation({
    mutationFn: (v: { webhook: Webhook; active: boolean }) =>
      api<Webhook>(`/webhooks/${v.webhook.id}`, { method: 'PATCH', body: { active: v.active } }),
    onMutate: async (v) => {
      await qc.cancelQueries({ queryKey: webhookKeys.all });
      const snapshot = qc.getQueryData<{ data: Webhook[] }>(webhookKeys.all);
      qc.setQueryData<{ data: Webhook[] }>(webhookKeys.all, (old) =>
        old ? { data: old.data.map((x) => (x.id === v.webhook.id ? { ...x, active: v.active } : x)) } : old,
      );
      return { snapshot };
    },
    onError: (e, _v, ctx) => {
      if (ctx?.snapshot) qc.setQueryData(webhookKeys.all, ctx.snapshot);
      notifyError(e, 'Could not change the webhook');
    },
    onSuccess: (w) =>
      notifySuccess(w.active ? 'The webhook is active again.' : 'The webhook is paused; it receives nothing.'),
    onSettled: invalidate,
  });

  const sendTest = useMutation({
    mutationFn: (w: Webhook) => api<WebhookDeliveryDetail>(`/webhooks/${w.id}/test`, { method: 'POST' }),
    onSuccess: (r) => setTestResult(r),
    onError: (e) => notifyError(e, 'Could not send the test event'),
    onSettled: (_r, _e, w) => {
      invalidate();
      void qc.invalidateQueries({ queryKey: webhookKeys.deliveries(w.id) });
    },
  });

  const act = useMutation({
    mutationFn: async (c: Confirm) => {
      if (c.kind === 'delete') {
        await api<void>(`/webhooks/${c.webhook.id}`, { method: 'DELETE' });
        return null;
      }
      const r =
        c.kind === 'reveal'
          ? await api<{ secret: string }>(`/webhooks/${c.webhook.id}/secret`)
          : await api<{ secret: string }>(`/webhooks/${c.webhook.id}/rotate-secret`, { method: 'POST' });
      return r.secret;
    },
    onSuccess: (s, c) => {
      setConfirm(null);
      if (c.kind === 'delete') {
        if (openId === c.webhook.id) openEndpoint(null);
        notifySuccess('The webhook is deleted, with its delivery log.');
      } else if (s) setSecret({ webhook: c.webhook, secret: s, rotated: c.kind === 'rotate' });
    },
    onError: (e) => notifyError(e),
    onSettled: (_s, _e, c) => {
      if (c.kind !== 'reveal') invalidate();
    },
  });

  function actions(w: Webhook, inDrawer: boolean) {
    if (inDrawer)
      return (
        <>
          <Button
            size="xs"
            variant="default"
            leftSection={<IconSend size={14} />}
            loading={sendTest.isPending && sendTest.variables?.id === w.id}
            onClick={() => sendTest.mutate(w)}
          >
            Send test event
          </Button>
          <Button
            size="xs"
            variant="default"
            leftSection={<IconPencil size={14} />}
            onClick={() => setModal({ editing: w })}
          >
            Edit
          </Button>
          <Button
            size="xs"
            variant="default"
            leftSection={<IconEye size={14} />}
            onClick={() => setConfirm({ kind: 'reveal', webhook: w })}
          >
            Reveal secret
          </Button>
          <Button
            size="xs"
            variant="default"
            leftSection={<IconRefresh size={14} />}
            onClick={() => setConfirm({ kind: 'rotate', webhook: w })}
          >
            Rotate secret
          </Button>
          <Button
            size="xs"
            variant="subtle"
            color="red"
            leftSection={<IconTrash size={14} />}
            onClick={() => setConfirm({ kind: 'delete', webhook: w })}
          >
            Delete
          </Button>
        </>
      );
    return (
      <Menu position="bottom-end" withinPortal>
        <Menu.Target>
          <ActionIcon
            variant="subtle"
            color="gray"
            aria-label={`Actions for ${w.url}`}
            onClick={(e) => e.stopPropagation()}
          >
            <IconDots size={16} />
          </ActionIcon>
        </Menu.Target>
        <Menu.Dropdown onClick={(e) => e.stopPropagation()}>
          <Menu.Item leftSection={<IconSend size={14} />} onClick={() => sendTest.mutate(w)}>
            Send test event
          </Menu.Item>
          <Menu.Item leftSection={<IconPencil size={14} />} onClick={() => setModal({ editing: w })}>
            Edit
          </Menu.Item>
          <Menu.Item leftSection={<IconEye size={14} />} onClick={() => setConfirm({ kind: 'reveal', webhook: w })}>
            Reveal secret
          </Menu.Item>
          <Menu.Item leftSection={<IconRefresh size={14} />} onClick={() => setConfirm({ kind: 'rotate', webhook: w })}>
            Rotate secret
          </Menu.Item>
          <Menu.Divider />
          <Menu.Item
            color="red"
            leftSection={<IconTrash size={14} />}
            onClick={() => setConfirm({ kind: 'delete', webhook: w })}
          >
            Delete
          </Menu.Item>
        </Menu.Dropdown>
      </Menu>
    );
  }

  const addButton = (
    <Button leftSection={<IconPlus size={16} />} onClick={() => setModal({ editing: null })}>
      Add webhook
    </Button>
  );

  const confirmText: Record<Confirm['kind'], { title: string; label: string; message: React.ReactNode }> = {
    reveal: {
      title: 'Reveal the signing secret?',
      label: 'Reveal secret',
      message: (
        <>
          The secret of <b>{confirm?.webhook.url}</b> will be shown on screen. Make sure nobody is looking over your
          shoulder.
        </>
      ),
    },
    rotate: {
      title: 'Rotate the signing secret?',
      label: 'Rotate secret',
      message: (
        <>
          Deliveries to <b>{confirm?.webhook.url}</b> are signed with the new secret at once, so your endpoint will
          refuse them until it has the new secret. The old one stops working now.
        </>
      ),
    },
    delete: {
      title: 'Delete this webhook?',
      label: 'Delete webhook',
      message: (
        <>
          <b>{confirm?.webhook.url}</b> receives nothing more, its pending retries stop and its delivery log is deleted.
          This cannot be undone.
        </>
      ),
    },
  };
  const c = confirm ? confirmText[confirm.kind] : null;

  return (
    <>
      <PageHeader
        title="Webhooks"
        description="Rapport POSTs events to these URLs as they happen, signed and retried until accepted."
        actions={rows.length > 0 ? addButton : undefined}
      />
      <Card withBorder padding={0}>
        {list.isPending ? (
          <Skeleton h={120} m="md" />
        ) : rows.length === 0 ? (
          <NoWebhooks
            onAdd={
              <Button leftSection={<IconPlus size={16} />} onClick={() => setModal({ editing: null })}>
                Add your first webhook
              </Button>
            }
          />
        ) : (
          <Table.ScrollContainer minWidth={900}>
            <Table highlightOnHover data-testid="webhooks-table">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Endpoint</Table.Th>
                  <Table.Th>Events</Table.Th>
                  <Table.Th w={190}>Deliveries</Table.Th>
                  <Table.Th w={170}>Last delivery</Table.Th>
                  <Table.Th w={80}>Active</Table.Th>
                  <Table.Th w={50} />
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {rows.map((w) => (
                  <Table.Tr
                    key={w.id}
                    data-testid="webhook-row"
                    data-url={w.url}
                    style={{ cursor: 'pointer' }}
                    onClick={() => openEndpoint(w.id)}
                    opacity={w.active ? 1 : 0.65}
                  >
                    <Table.Td maw={340}>
                      <Anchor
                        component="button"
                        fz="sm"
                        fw={500}
                        ff="monospace"
                        maw="100%"
                        style={{ overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap', display: 'block' }}
                        onClick={() => openEndpoint(w.id)}
                      >
                        {w.url}
                      </Anchor>
                      <Text fz="xs" c="dimmed" truncate>
                        {w.description || `Secret ends in …${w.secretHint}`}
                      </Text>
                    </Table.Td>
                    <Table.Td maw={280}>
                      <EventTypeChips types={w.eventTypes} />
                    </Table.Td>
                    <Table.Td>
                      <Group gap={6} wrap="nowrap">
                        <Tooltip label="Deliveries still being retried">
                          <Text
                            fz="sm"
                            c={w.stats.pending ? 'yellow.8' : 'dimmed'}
                            style={{ whiteSpace: 'nowrap' }}
                            data-testid="webhook-pending"
                          >
                            {w.stats.pending} retrying
                          </Text>
                        </Tooltip>
                        <Text fz="sm" c="dimmed">
                          ·
                        </Text>
                        <Tooltip label="Deliveries given up on: open the endpoint to redeliver them">
                          <Text
                            fz="sm"
                            c={w.stats.failed ? 'red' : 'dimmed'}
                            style={{ whiteSpace: 'nowrap' }}
                            data-testid="webhook-failed"
                          >
                            {w.stats.failed} failed
                          </Text>
                        </Tooltip>
                      </Group>
                    </Table.Td>
                    <Table.Td>
                      {w.stats.lastDeliveryStatus ? (
                        <Group gap={6} wrap="nowrap">
                          <DeliveryStatusBadge status={w.stats.lastDeliveryStatus} />
                          <Tooltip label={formatDateTime(w.stats.lastDeliveryAt)}>
                            <Text fz="xs" c="dimmed" style={{ whiteSpace: 'nowrap' }}>
                              {relativeTime(w.stats.lastDeliveryAt)}
                            </Text>
                          </Tooltip>
                        </Group>
                      ) : (
                        <Text fz="sm" c="dimmed">
                          None yet
                        </Text>
                      )}
                    </Table.Td>
                    <Table.Td onClick={(e) => e.stopPropagation()}>
                      <Switch
                        size="sm"
                        checked={w.active}
                        aria-label={`Active: ${w.url}`}
                        onChange={(e) => setActive.mutate({ webhook: w, active: e.currentTarget.checked })}
                      />
                    </Table.Td>
                    <Table.Td ta="right">{actions(w, false)}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
      </Card>
      <WebhookDrawer webhook={open} onClose={() => openEndpoint(null)} actions={open ? actions(open, true) : null} />
      <EndpointModal opened={modal !== null} editing={modal?.editing ?? null} onClose={() => setModal(null)} />
      <TestResultModal result={testResult} onClose={() => setTestResult(null)} />
      <ConfirmModal
        opened={confirmOpened}
        onClose={() => setConfirm(null)}
        title={c?.title ?? ''}
        message={c?.message ?? ''}
        confirmLabel={c?.label ?? ''}
        danger={confirm?.kind !== 'reveal'}
        loading={act.isPending}
        onConfirm={() => confirmOpened && confirm && act.mutate(confirm)}
      />
      <Modal
        opened={secret !== null}
        onClose={() => setSecret(null)}
        title={secret?.rotated ? 'The new signing secret' : 'Signing secret'}
        size="lg"
      >
        {secret && (
          <Stack gap="md" data-testid="webhook-secret-modal">
            <Text fz="sm" ff="monospace" truncate>
              {secret.webhook.url}
            </Text>
            <SecretBox secret={secret.secret} />
            {secret.rotated && (
              <Text fz="sm" c="orange.8">
                Deliveries are signed with this secret from now on. Update your endpoint.
              </Text>
            )}
            <VerifyHint />
            <Group justify="flex-end">
              <Button onClick={() => setSecret(null)}>Done</Button>
            </Group>
          </Stack>
        )}
      </Modal>
    </>
  );
}
