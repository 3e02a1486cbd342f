import { useEffect, useState } from 'react';
import { Alert, Button, Checkbox, Group, Loader, Modal, Stack, Text, TextInput } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useNavigate } from 'react-router';
import { api } from '../../api/client.ts';
import {
  statusLabels,
  ticketKeys,
  type Message,
  type Ticket,
  type TicketDetail,
  type TicketSummary,
} from '../../api/tickets.ts';
import { relativeTime } from '../../lib/format.ts';
import { notifyError, notifySuccess } from '../../lib/notify.ts';

/**
 * "Merge tickets": the same customer's other tickets that are not closed, to fold into the open one (their
 * conversations move here and they close). A customer who wrote twice about one thing is one ticket.
 */
export function MergeTicketsModal(props: { ticket: TicketDetail; opened: boolean; onClose: () => void }) {
  const { ticket } = props;
  const qc = useQueryClient();
  const [chosen, setChosen] = useState<string[]>([]);
  useEffect(() => {
    if (!props.opened) setChosen([]);
  }, [props.opened]);
  const others = useQuery({
    queryKey: [...ticketKeys.all, 'same-customer', ticket.personId],
    enabled: props.opened && Boolean(ticket.personId),
    queryFn: () =>
      api<{ data: TicketSummary[] }>('/tickets/summaries', {
        query: { limit: 50, queue: 'all', filter: [`person_id:eq:${ticket.personId}`], sort: '-created_at' },
      }),
    select: (r) => r.data.filter((t) => t.id !== ticket.id && t.status !== 'closed'),
  });
  const merge = useMutation({
    mutationFn: () => api<Ticket>(`/tickets/${ticket.id}/merge`, { method: 'POST', body: { ticketIds: chosen } }),
    onSuccess: () => {
      const numbers = (others.data ?? []).filter((t) => chosen.includes(t.id)).map((t) => `#${t.number}`);
      notifySuccess(`Merged ${numbers.join(', ')} into #${ticket.number}`);
      void qc.invalidateQueries({ queryKey: ticketKeys.all });
      props.onClose();
    },
    onError: (e) => notifyError(e, 'Could not merge'),
  });
  const name = ticket.person?.displayName ?? 'this customer';
  return (
    <Modal opened={props.opened} onClose={props.onClose} title={`Merge into #${ticket.number}`} size="lg">
      <Stack gap="sm" data-testid="merge-tickets">
        {!ticket.personId ? (
          <Text fz="sm">This ticket has no known customer, so there are no tickets of theirs to merge.</Text>
        ) : others.isPending ? (
          <Loader size="sm" aria-label="Loading tickets" />
        ) : others.isError ? (
          <Alert color="red">{(others.error as Error).message}</Alert>
        ) : !others.data?.length ? (
          <Text fz="sm">{name} has no other open tickets.</Text>
        ) : (
          <>
            <Text fz="sm">
              Choose {name}&apos;s tickets about the same thing. Their messages move into #{ticket.number}, and they
              close with a link here. This cannot be undone.
            </Text>
            <Checkbox.Group value={chosen} onChange={setChosen}>
              <Stack gap={6}>
                {others.data.map((t) => (
                  <Checkbox
                    key={t.id}
                    value={t.id}
                    wrapperProps={{ 'data-testid': 'merge-candidate' }}
                    label={`#${t.number} ${t.subject} · ${statusLabels[t.status]} · opened ${relativeTime(t.createdAt)}`}
                  />
                ))}
              </Stack>
            </Checkbox.Group>
          </>
        )}
        <Group justify="flex-end" gap="xs">
          <Button variant="default" onClick={props.onClose}>
            Cancel
          </Button>
          <Button onClick={() => merge.mutate()} disabled={!chosen.length} loading={merge.isPending}>
            {chosen.length > 1 ? `Merge ${chosen.length} tickets` : 'Merge ticket'}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

/** "Split into a new ticket": one message (a second question in the same e-mail thread) becomes its own ticket. */
export function SplitMessageModal(props: { ticket: TicketDetail; message: Message | null; onClose: () => void }) {
  const { ticket, message } = props;
  const qc = useQueryClient();
  const navigate = useNavigate();
  const [subject, setSubject] = useState('');
  useEffect(() => {
    if (message) setSubject(`Split from #${ticket.number}: ${ticket.subject}`.slice(0, 300));
  }, [message, ticket.number, ticket.subject]);
  const split = useMutation({
    mutationFn: () =>
      api<Ticket>(`/tickets/${ticket.id}/split`, {
        method: 'POST',
        body: { messageIds: message ? [message.id] : [], ...(subject.trim() ? { subject: subject.trim() } : {}) },
      }),
    onSuccess: (t) => {
      notifySuccess(`Ticket #${t.number} opened from the message`);
      void qc.invalidateQueries({ queryKey: ticketKeys.all });
      props.onClose();
      navigate(`/inbox/${t.id}`);
    },
    onError: (e) => notifyError(e, 'Could not split'),
  });
  return (
    <Modal opened={message !== null} onClose={props.onClose} title="Split into a new ticket">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          split.mutate();
        }}
      >
        <Stack gap="sm">
          <Text fz="sm">
            The message moves to a new ticket for the same customer; #{ticket.number} keeps the rest of the
            conversation.
          </Text>
          {message && (
            <Text fz="xs" c="dimmed" lineClamp={3}>
              “{message.bodyText}”
            </Text>
          )}
          <TextInput
            label="Subject of the new ticket"
            required
            value={subject}
            onChange={(e) => setSubject(e.currentTarget.value)}
            data-autofocus
          />
          <Group justify="flex-end" gap="xs">
            <Button variant="default" onClick={props.onClose}>
              Cancel
            </Button>
            <Button type="submit" loading={split.isPending} disabled={!subject.trim()}>
              Split
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
