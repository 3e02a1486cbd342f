import { useState } from 'react';
import {
  Alert,
  Button,
  Group,
  NumberInput,
  PasswordInput,
  SegmentedControl,
  Select,
  Stack,
  Switch,
  Text,
  TextInput,
} from '@mantine/core';
import { IconAlertTriangle, IconCircleCheck, IconRefresh } from '@tabler/icons-react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api, errorMessage } from '../../api/client.ts';
import {
  ticketKeys,
  type Channel,
  type ImapPollResult,
  type ImapSecurity,
  type ImapTestResult,
} from '../../api/tickets.ts';
import { formatDateTime, relativeTime } from '../../lib/format.ts';
import { notifyError, notifySuccess } from '../../lib/notify.ts';

/** The IMAP part of the e-mail channel form, as edited. */
export type ImapDraft = {
  on: boolean;
  enabled: boolean;
  host: string;
  port: number | '';
  security: ImapSecurity;
  user: string;
  password: string;
  mailbox: string;
  afterImport: 'seen' | 'move';
  moveTo: string;
  pollIntervalSeconds: number | '';
};

export function imapDraftOf(c: Channel | null): ImapDraft {
  const s = c?.settings.imap;
  return {
    on: Boolean(s),
    enabled: s?.enabled ?? true,
    host: s?.host ?? '',
    port: s?.port ?? '',
    security: s?.security ?? 'tls',
    user: s?.user ?? '',
    password: '',
    mailbox: s?.mailbox ?? 'INBOX',
    afterImport: s?.afterImport ?? 'seen',
    moveTo: s?.moveTo ?? '',
    pollIntervalSeconds: s?.pollIntervalSeconds ?? 60,
  };
}

/** The `settings.imap` the API takes: null removes it, undefined leaves it; a password left empty is kept. */
export function imapBody(d: ImapDraft, c: Channel | null): Record<string, unknown> | null | undefined {
  if (!d.on) return c?.settings.imap ? null : undefined;
  return {
    enabled: d.enabled,
    host: d.host.trim(),
    port: d.port === '' ? null : d.port,
    security: d.security,
    user: d.user,
    ...(d.password ? { password: d.password } : {}),
    mailbox: d.mailbox.trim() || 'INBOX',
    afterImport: d.afterImport,
    moveTo: d.afterImport === 'move' ? d.moveTo.trim() || null : null,
    ...(d.pollIntervalSeconds === '' ? {} : { pollIntervalSeconds: d.pollIntervalSeconds }),
  };
}

const defaultPort = (s: ImapSecurity) => (s === 'tls' ? 993 : 143);

export function ImapSection(props: { channel: Channel | null; draft: ImapDraft; onChange: (d: ImapDraft) => void }) {
  const qc = useQueryClient();
  const { channel: c, draft: d, onChange } = props;
  const [tested, setTested] = useState<{ ok: ImapTestResult } | { error: string } | null>(null);
  const set = <K extends keyof ImapDraft>(k: K, v: ImapDraft[K]) => {
    setTested(null);
    onChange({ ...d, [k]: v });
  };
  const test = useMutation({
    mutationFn: () =>
      api<ImapTestResult>(`/channels/${c?.id ?? ''}/imap/test`, { method: 'POST', body: imapBody(d, c) ?? {} }),
    onSuccess: (ok) => setTested({ ok }),
    onError: (e) => setTested({ error: errorMessage(e) }),
  });
  const poll = useMutation({
    mutationFn: () => api<ImapPollResult>(`/channels/${c?.id ?? ''}/imap/poll`, { method: 'POST' }),
    onSuccess: (r) => {
      notifySuccess(
        r.fetched
          ? `${r.fetched} message${r.fetched === 1 ? '' : 's'} fetched: ${r.created} new ticket${r.created === 1 ? '' : 's'}, ${r.appended} added to tickets, ${r.ignored} ignored`
          : 'No new mail',
      );
      void qc.invalidateQueries({ queryKey: ticketKeys.channels });
      void qc.invalidateQueries({ queryKey: ticketKeys.all });
    },
    onError: (e) => {
      notifyError(e, 'The mailbox could not be polled');
      void qc.invalidateQueries({ queryKey: ticketKeys.channels });
    },
  });
  const status = c?.imapStatus ?? null;
  const saved = Boolean(c?.settings.imap);

  return (
    <Stack gap="xs" data-testid="imap-section">
      <Switch
        label="Fetch from an IMAP mailbox"
        description="Rapport logs in to your mailbox, imports new mail as tickets, then marks it read or moves it."
        checked={d.on}
        onChange={(e) => set('on', e.currentTarget.checked)}
      />
      {d.on && (
        <>
          <Group grow align="flex-start">
            <TextInput
              label="IMAP server"
              placeholder="imap.yourprovider.com"
              value={d.host}
              onChange={(e) => set('host', e.currentTarget.value)}
              required
            />
            <NumberInput
              label="Port"
              placeholder={String(defaultPort(d.security))}
              min={1}
              max={65535}
              allowDecimal={false}
              value={d.port}
              onChange={(v) => set('port', typeof v === 'number' ? v : '')}
              maw={120}
            />
          </Group>
          <div>
            <Text fz="sm" fw={500} mb={4}>
              Security
            </Text>
            <SegmentedControl
              aria-label="Security"
              value={d.security}
              onChange={(v) => {
                const security = v as ImapSecurity;
                // A port that was the old default follows the new one.
                const port = d.port === '' || d.port === defaultPort(d.security) ? defaultPort(security) : d.port;
                setTested(null);
                onChange({ ...d, security, port });
              }}
              data={[
                { value: 'tls', label: 'TLS' },
                { value: 'starttls', label: 'STARTTLS' },
                { value: 'none', label: 'None' },
              ]}
            />
            {d.security === 'none' && (
              <Text fz="xs" c="orange" mt={4}>
                The password crosses the network unencrypted: only for a server on the same machine or network.
              </Text>
            )}
          </div>
          <Group grow align="flex-start">
            <TextInput
              label="User name"
              value={d.user}
              onChange={(e) => set('user', e.currentTarget.value)}
              required
              autoComplete="off"
            />
            <PasswordInput
              label="Password"
              placeholder={c?.settings.imap?.passwordSet ? 'Stored — leave empty to keep it' : ''}
              value={d.password}
              onChange={(e) => set('password', e.currentTarget.value)}
              required={!c?.settings.imap?.passwordSet}
              autoComplete="new-password"
            />
          </Group>
          <Group grow align="flex-start">
            <TextInput
              label="Folder to fetch from"
              value={d.mailbox}
              onChange={(e) => set('mailbox', e.currentTarget.value)}
            />
            <NumberInput
              label="Check every (seconds)"
              min={30}
              allowDecimal={false}
              value={d.pollIntervalSeconds}
              onChange={(v) => set('pollIntervalSeconds', typeof v === 'number' ? v : '')}
            />
          </Group>
          <Group grow align="flex-start">
            <Select
              label="After import"
              allowDeselect={false}
              data={[
                { value: 'seen', label: 'Mark as read' },
                { value: 'move', label: 'Move to a folder' },
              ]}
              value={d.afterImport}
              onChange={(v) => set('afterImport', v === 'move' ? 'move' : 'seen')}
            />
            {d.afterImport === 'move' ? (
              <TextInput
                label="Move to folder"
                placeholder="Rapport"
                description="Created when missing"
                value={d.moveTo}
                onChange={(e) => set('moveTo', e.currentTarget.value)}
                required
              />
            ) : (
              <div />
            )}
          </Group>
          <Switch
            label="Check on a schedule"
            checked={d.enabled}
            onChange={(e) => set('enabled', e.currentTarget.checked)}
          />
          <Group gap="xs">
            <Button
              variant="default"
              size="xs"
              onClick={() => test.mutate()}
              loading={test.isPending}
              disabled={!c || !d.host.trim() || !d.user}
            >
              Test connection
            </Button>
            {saved && (
              <Button
                variant="default"
                size="xs"
                leftSection={<IconRefresh size={14} />}
                onClick={() => poll.mutate()}
                loading={poll.isPending}
              >
                Check mail now
              </Button>
            )}
            {!c && (
              <Text fz="xs" c="dimmed">
                Save the channel to test the connection.
              </Text>
            )}
          </Group>
          {tested && 'ok' in tested && (
            <Alert color="teal" variant="light" icon={<IconCircleCheck size={16} />} data-testid="imap-test-result">
              Connected. {tested.ok.mailbox} holds {tested.ok.messages} message{tested.ok.messages === 1 ? '' : 's'}
              {tested.ok.unseen !== null ? ` (${tested.ok.unseen} unread)` : ''}.
              {tested.ok.moveToExists === false ? ` The folder ${d.moveTo} will be created at the first import.` : ''}
            </Alert>
          )}
          {tested && 'error' in tested && (
            <Alert color="red" variant="light" icon={<IconAlertTriangle size={16} />} data-testid="imap-test-result">
              {tested.error}
            </Alert>
          )}
          {saved && (
            <div data-testid="imap-status">
              <Text fz="sm" c="dimmed">
                {status?.polling
                  ? 'Checking the mailbox now…'
                  : status?.lastPollAt
                    ? `Last checked ${relativeTime(status.lastPollAt)} (${formatDateTime(status.lastPollAt)})`
                    : 'Not checked yet.'}
                {status?.lastSuccessAt && !status.lastError
                  ? ` — ${status.lastImported} message${status.lastImported === 1 ? '' : 's'} imported.`
                  : ''}
              </Text>
              {status?.lastError && (
                <Alert
                  color="red"
                  variant="light"
                  mt={4}
                  icon={<IconAlertTriangle size={16} />}
                  title="The last check failed"
                >
                  <Text fz="sm">{status.lastError.message}</Text>
                  <Text fz="xs" c="dimmed">
                    {status.lastError.code}
                    {status.lastError.at ? ` · ${formatDateTime(status.lastError.at)}` : ''} · retried at the next
                    interval
                  </Text>
                </Alert>
              )}
            </div>
          )}
        </>
      )}
    </Stack>
  );
}
