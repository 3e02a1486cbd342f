import { useState } from 'react';
import {
  Alert,
  Anchor,
  Badge,
  Button,
  Checkbox,
  Code,
  Divider,
  Group,
  Modal,
  Select,
  Skeleton,
  Stack,
  Switch,
  Table,
  Text,
  TextInput,
  Tooltip,
} from '@mantine/core';
import { IconExternalLink, IconForms, IconMail, IconMessage, IconPlus } from '@tabler/icons-react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '../../api/client.ts';
import { channelLabels, ticketKeys, useChannels, useTeams, type Channel } from '../../api/tickets.ts';
import { ConfirmModal } from '../../components/ConfirmModal.tsx';
import { Empty } from '../../components/Empty.tsx';
import { PageHeader } from '../../components/PageHeader.tsx';
import { notifyError, notifySuccess } from '../../lib/notify.ts';
import { ImapSection, imapBody, imapDraftOf, type ImapDraft } from './ImapSection.tsx';

type Draft = {
  name: string;
  address: string;
  smtpUrl: string;
  /** Drop the channel's own SMTP server and send through the server's RAPPORT_SMTP_URL again. */
  useDefaultSmtp: boolean;
  fromName: string;
  teamId: string | null;
};

function EmailChannelModal(props: { channel: Channel | null; opened: boolean; onClose: () => void }) {
  const qc = useQueryClient();
  const teams = useTeams();
  const c = props.channel;
  const [d, setD] = useState<Draft>({
    name: c?.name ?? 'Support',
    address: c?.address ?? '',
    smtpUrl: '',
    useDefaultSmtp: false,
    fromName: c?.settings.fromName ?? '',
    teamId: c?.teamId ?? null,
  });
  const [imap, setImap] = useState<ImapDraft>(() => imapDraftOf(c));
  const imapSettings = imapBody(imap, c);
  const save = useMutation({
    mutationFn: () =>
      api<Channel>(c ? `/channels/${c.id}` : '/channels', {
        method: c ? 'PATCH' : 'POST',
        body: {
          ...(c ? {} : { kind: 'email' }),
          name: d.name,
          address: d.address,
          teamId: d.teamId,
          settings: {
            fromName: d.fromName || null,
            ...(d.useDefaultSmtp
              ? { smtpUrl: null }
              : d.smtpUrl.trim() || !c
                ? { smtpUrl: d.smtpUrl.trim() || null }
                : {}),
            ...(imapSettings !== undefined ? { imap: imapSettings } : {}),
          },
        },
      }),
    onSuccess: (saved) => {
      notifySuccess(`${saved.address ?? saved.name} saved`);
      void qc.invalidateQueries({ queryKey: ticketKeys.channels });
      props.onClose();
    },
    onError: (e) => notifyError(e, 'Could not save the channel'),
  });
  const set = (k: keyof Draft) => (e: React.ChangeEvent<HTMLInputElement>) => {
    const value = e.currentTarget.value;
    setD((x) => ({ ...x, [k]: value }));
  };
  return (
    <Modal
      opened={props.opened}
      onClose={props.onClose}
      title={c ? 'E-mail channel' : 'Add a support mailbox'}
      size="lg"
    >
      <Stack gap="sm">
        <TextInput label="Name" value={d.name} onChange={set('name')} required />
        <TextInput
          label="Address customers write to"
          placeholder="support@yourcompany.com"
          value={d.address}
          onChange={set('address')}
          required
        />
        <TextInput
          label="Outgoing mail server (SMTP URL)"
          description={
            c?.settings.smtpUrl
              ? `Now: ${c.settings.smtpUrl}. Leave empty to keep it.`
              : 'e.g. smtps://user:password@smtp.provider.com:465 — empty uses RAPPORT_SMTP_URL'
          }
          value={d.smtpUrl}
          onChange={set('smtpUrl')}
          disabled={d.useDefaultSmtp}
        />
        {c?.settings.smtpUrl && (
          <Checkbox
            label="Send through the server's default instead (RAPPORT_SMTP_URL)"
            checked={d.useDefaultSmtp}
            onChange={(e) => {
              const on = e.currentTarget.checked;
              setD((x) => ({ ...x, useDefaultSmtp: on, smtpUrl: on ? '' : x.smtpUrl }));
            }}
          />
        )}
        <TextInput label="Sender name" placeholder="Acme Support" value={d.fromName} onChange={set('fromName')} />
        <Select
          label="New tickets go to team"
          clearable
          placeholder="No team"
          data={(teams.data?.data ?? []).map((t) => ({ value: t.id, label: t.name }))}
          value={d.teamId}
          onChange={(v) => setD((x) => ({ ...x, teamId: v }))}
        />
        <Divider my="xs" />
        <ImapSection channel={c} draft={imap} onChange={setImap} />
        <Group justify="flex-end">
          <Button variant="default" onClick={props.onClose}>
            Cancel
          </Button>
          <Button onClick={() => save.mutate()} loading={save.isPending} disabled={!d.name.trim() || !d.address.trim()}>
            Save
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

/**
 * A live chat, contact form, phone or API channel: its name and the team its new tickets go to (the e-mail channel
 * has its own modal, with addresses and servers). These could be made but not changed.
 */
function ChannelModal(props: { channel: Channel; onClose: () => void }) {
  const qc = useQueryClient();
  const teams = useTeams();
  const c = props.channel;
  const [name, setName] = useState(c.name);
  const [teamId, setTeamId] = useState<string | null>(c.teamId);
  const save = useMutation({
    mutationFn: () => api<Channel>(`/channels/${c.id}`, { method: 'PATCH', body: { name: name.trim(), teamId } }),
    onSuccess: (saved) => {
      notifySuccess(`${saved.name} saved`);
      void qc.invalidateQueries({ queryKey: ticketKeys.channels });
      props.onClose();
    },
    onError: (e) => notifyError(e, 'Could not save the channel'),
  });
  return (
    <Modal opened onClose={props.onClose} title={`${channelLabels[c.kind]} channel`}>
      <Stack gap="sm">
        <TextInput label="Name" value={name} onChange={(e) => setName(e.currentTarget.value)} required />
        <Select
          label="New tickets go to team"
          clearable
          placeholder="No team"
          data={(teams.data?.data ?? []).map((t) => ({ value: t.id, label: t.name }))}
          value={teamId}
          onChange={setTeamId}
        />
        <Group justify="flex-end">
          <Button variant="default" onClick={props.onClose}>
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

/** The snippet a site pastes, and how to sign a signed-in customer's identity. */
function LiveChatInstall(props: { channel: Channel; onClose: () => void }) {
  const c = props.channel;
  const snippet = `<script src="${location.origin}/widget.js" data-channel="${c.id}" async></script>`;
  const signed = `<script src="${location.origin}/widget.js" data-channel="${c.id}"
  data-user-id="CUSTOMER_ID" data-user-hash="HMAC_HEX" data-name="Their name" async></script>`;
  return (
    <Modal opened onClose={props.onClose} title={`Install ${c.name}`} size="lg">
      <Stack gap="sm">
        <Text fz="sm">
          Paste this before <Code>&lt;/body&gt;</Code> on every page of your site. The widget is one small script with
          no framework; it draws itself in a shadow root, so your CSS and its own stay apart.
        </Text>
        <Code block data-testid="chat-snippet">
          {snippet}
        </Code>
        <Text fz="sm" fw={600} mt="xs">
          Recognise signed-in customers
        </Text>
        <Text fz="sm">
          Your server computes <Code>HMAC-SHA256(userId, secret)</Code> in hex with this channel&apos;s secret and puts
          it beside the id. Rapport finds the customer by external id (or by e-mail when the id is an address); a wrong
          hash is refused. Never put the secret itself in a page.
        </Text>
        <Code block>{signed}</Code>
        {c.secret ? (
          <>
            <Code block data-testid="chat-secret-example">
              {`// Node.js
const hash = crypto.createHmac('sha256', '${c.secret}').update(userId).digest('hex');`}
            </Code>
          </>
        ) : (
          <Text fz="sm" c="dimmed">
            Owners and admins see the secret here.
          </Text>
        )}
        <Text fz="sm" c="dimmed">
          When no agent has the inbox open, the widget asks for an e-mail address and the conversation continues by
          e-mail (replies go through your support mailbox).
        </Text>
        <Group justify="flex-end">
          <Button onClick={props.onClose}>Done</Button>
        </Group>
      </Stack>
    </Modal>
  );
}

/** Where a contact form lives: its own page to link to, and the frame to put it in a page of the company's site. */
function ContactFormInstall(props: { channel: Channel; onClose: () => void }) {
  const c = props.channel;
  const url = `${location.origin}/forms/${c.id}`;
  const frame = `<iframe src="${url}" title="${c.name}" style="width:100%;min-height:620px;border:0"></iframe>`;
  return (
    <Modal opened onClose={props.onClose} title={`Install ${c.name}`} size="lg">
      <Stack gap="sm" data-testid="form-install">
        <Text fz="sm">
          Link to the form from your site or your e-mails. Each message sent with it becomes a ticket from the web form
          channel, with the sender as the customer (found by their e-mail address, or added).
        </Text>
        <Code block data-testid="form-link">
          {url}
        </Code>
        <Anchor href={url} target="_blank" rel="noreferrer" fz="sm">
          <Group gap={4}>
            Open the form <IconExternalLink size={12} />
          </Group>
        </Anchor>
        <Text fz="sm" fw={600} mt="xs">
          Put it in a page of your site
        </Text>
        <Code block data-testid="form-snippet">
          {frame}
        </Code>
        <Text fz="sm" c="dimmed">
          Your own form can post to the same address as JSON (<Code>name</Code>, <Code>email</Code>,{' '}
          <Code>subject</Code>, <Code>message</Code>): the answer gives the ticket&apos;s number.
        </Text>
        <Group justify="flex-end">
          <Button onClick={props.onClose}>Done</Button>
        </Group>
      </Stack>
    </Modal>
  );
}

export function ChannelsPage() {
  const qc = useQueryClient();
  const channels = useChannels();
  const teams = useTeams();
  const [editing, setEditing] = useState<Channel | 'new' | null>(null);
  const [removing, setRemoving] = useState<Channel | null>(null);
  const [installing, setInstalling] = useState<Channel | null>(null);
  const addChat = useMutation({
    mutationFn: () => api<Channel>('/channels', { method: 'POST', body: { kind: 'chat', name: 'Live chat' } }),
    onSuccess: (saved) => {
      void qc.invalidateQueries({ queryKey: ticketKeys.channels });
      setInstalling(saved);
    },
    onError: (e) => notifyError(e, 'Could not add live chat'),
  });
  const addForm = useMutation({
    mutationFn: () => api<Channel>('/channels', { method: 'POST', body: { kind: 'form', name: 'Contact form' } }),
    onSuccess: (saved) => {
      void qc.invalidateQueries({ queryKey: ticketKeys.channels });
      setInstalling(saved);
    },
    onError: (e) => notifyError(e, 'Could not add the contact form'),
  });
  const toggle = useMutation({
    mutationFn: (c: Channel) => api<Channel>(`/channels/${c.id}`, { method: 'PATCH', body: { active: !c.active } }),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ticketKeys.channels }),
    onError: (e) => notifyError(e, 'Could not change the channel'),
  });
  const remove = useMutation({
    mutationFn: (c: Channel) => api<void>(`/channels/${c.id}`, { method: 'DELETE' }),
    onSuccess: () => {
      setRemoving(null);
      void qc.invalidateQueries({ queryKey: ticketKeys.channels });
    },
    onError: (e) => notifyError(e, 'Could not remove the channel'),
  });
  const teamName = (id: string | null) => (teams.data?.data ?? []).find((t) => t.id === id)?.name ?? '—';
  const rows = channels.data?.data ?? [];
  return (
    <>
      <PageHeader
        title="Channels"
        description="Where customer conversations come from. Each becomes a ticket in the inbox."
        actions={
          <Group gap="xs">
            <Button
              variant="default"
              leftSection={<IconMessage size={16} />}
              onClick={() => addChat.mutate()}
              loading={addChat.isPending}
            >
              Add live chat
            </Button>
            <Button
              variant="default"
              leftSection={<IconForms size={16} />}
              onClick={() => addForm.mutate()}
              loading={addForm.isPending}
            >
              Add contact form
            </Button>
            <Button leftSection={<IconPlus size={16} />} onClick={() => setEditing('new')}>
              Add support mailbox
            </Button>
          </Group>
        }
      />
      <Alert variant="light" mb="md" icon={<IconMail size={16} />} title="How mail reaches Rapport">
        <Text fz="sm">
          Rapport receives mail itself on its SMTP port (<Code>RAPPORT_SMTP_PORT</Code>, 2525 unless changed). Forward
          your support address to it from your mail provider, or point an MX record or inbound route at this server.
          Mail for addresses not listed here is refused. Or let Rapport fetch from the mailbox over IMAP (edit the
          channel). Replies leave through the channel&apos;s SMTP server, threaded so the customer&apos;s answer returns
          to the same ticket.
        </Text>
      </Alert>
      {channels.isPending ? (
        <Skeleton h={120} />
      ) : rows.length === 0 ? (
        <Empty
          icon={<IconMail size={28} />}
          title="No channels yet"
          description="Add your support mailbox to turn customer e-mails into tickets. Calls and API tickets need no setup."
          action={<Button onClick={() => setEditing('new')}>Add support mailbox</Button>}
        />
      ) : (
        <Table striped highlightOnHover>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Channel</Table.Th>
              <Table.Th>Kind</Table.Th>
              <Table.Th>Address</Table.Th>
              <Table.Th>Team</Table.Th>
              <Table.Th>Active</Table.Th>
              <Table.Th />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rows.map((c) => (
              <Table.Tr key={c.id}>
                <Table.Td>{c.name}</Table.Td>
                <Table.Td>
                  <Badge variant="light">{channelLabels[c.kind]}</Badge>
                </Table.Td>
                <Table.Td>
                  <Group gap={6} wrap="nowrap">
                    <span>{c.address ?? '—'}</span>
                    {c.settings.imap && (
                      <Tooltip
                        label={
                          c.imapStatus?.lastError
                            ? `IMAP: ${c.imapStatus.lastError.message}`
                            : `Fetched from ${c.settings.imap.user} on ${c.settings.imap.host}${c.settings.imap.enabled ? '' : ' (paused)'}`
                        }
                      >
                        <Badge
                          size="xs"
                          variant="light"
                          color={c.imapStatus?.lastError ? 'red' : c.settings.imap.enabled ? 'teal' : 'gray'}
                        >
                          {c.imapStatus?.lastError ? 'IMAP error' : 'IMAP'}
                        </Badge>
                      </Tooltip>
                    )}
                  </Group>
                </Table.Td>
                <Table.Td>{teamName(c.teamId)}</Table.Td>
                <Table.Td>
                  <Switch
                    checked={c.active}
                    onChange={() => toggle.mutate(c)}
                    aria-label={`${c.name} receives messages`}
                  />
                </Table.Td>
                <Table.Td>
                  <Group gap="xs" justify="flex-end">
                    {(c.kind === 'chat' || c.kind === 'form') && (
                      <Button size="xs" variant="default" onClick={() => setInstalling(c)}>
                        Install
                      </Button>
                    )}
                    <Button size="xs" variant="default" onClick={() => setEditing(c)} aria-label={`Edit ${c.name}`}>
                      Edit
                    </Button>
                    <Button
                      size="xs"
                      variant="subtle"
                      color="red"
                      onClick={() => setRemoving(c)}
                      aria-label={`Remove ${c.name}`}
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
      {editing && editing !== 'new' && editing.kind !== 'email' && (
        <ChannelModal key={editing.id} channel={editing} onClose={() => setEditing(null)} />
      )}
      {editing && (editing === 'new' || editing.kind === 'email') && (
        <EmailChannelModal
          key={editing === 'new' ? 'new' : editing.id}
          channel={editing === 'new' ? null : (rows.find((r) => r.id === editing.id) ?? editing)}
          opened
          onClose={() => setEditing(null)}
        />
      )}
      {installing?.kind === 'chat' && <LiveChatInstall channel={installing} onClose={() => setInstalling(null)} />}
      {installing?.kind === 'form' && <ContactFormInstall channel={installing} onClose={() => setInstalling(null)} />}
      <ConfirmModal
        opened={Boolean(removing)}
        title="Remove this channel?"
        message="It stops receiving messages. Its tickets and conversations stay."
        confirmLabel="Remove"
        danger
        loading={remove.isPending}
        onConfirm={() => removing && remove.mutate(removing)}
        onClose={() => setRemoving(null)}
      />
    </>
  );
}
