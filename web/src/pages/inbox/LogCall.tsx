import { useEffect, useState } from 'react';
import { Button, Group, Modal, SegmentedControl, Select, Stack, Text, Textarea } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '../../api/client.ts';
import {
  statusLabels,
  ticketKeys,
  ticketStatuses,
  type Message,
  type Ticket,
  type TicketDetail,
} from '../../api/tickets.ts';
import { notifyError, notifySuccess } from '../../lib/notify.ts';
import {
  CallFields,
  callBody,
  callProblemKeys,
  callProblems,
  refusedFields,
  useCallDraft,
  type CallDraft,
} from './CallFields.tsx';

type Direction = 'inbound' | 'outbound';

/** The fields of "Log a call" a refusal can be shown next to; anything else comes as a notification. */
const shownFields = new Set([
  'call',
  'call.startedAt',
  'call.durationSeconds',
  'call.outcome',
  'call.recordingUrl',
  'text',
]);

/**
 * "Log a call" on a ticket: the customer called about it, or the agent called them. The call goes on the ticket's
 * thread with its details and the agent's notes; the SLA counts it as the message of its direction would count.
 */
export function LogCallModal(props: { ticket: TicketDetail; opened: boolean; onClose: () => void }) {
  const { ticket } = props;
  const qc = useQueryClient();
  const { call, change, reset } = useCallDraft(props.opened);
  const [direction, setDirection] = useState<Direction>('outbound');
  const [text, setText] = useState('');
  const [status, setStatus] = useState<string>('');
  const [problems, setProblems] = useState<Record<string, string>>({});
  useEffect(() => {
    if (!props.opened) setProblems({});
  }, [props.opened]);
  const name = ticket.person?.displayName ?? 'the customer';
  const log = useMutation({
    mutationFn: () =>
      api<{ ticket: Ticket; message: Message }>(`/tickets/${ticket.id}/calls`, {
        method: 'POST',
        body: { direction, call: callBody(call), text, ...(status ? { status } : {}) },
      }),
    onSuccess: () => {
      notifySuccess(`Call logged on #${ticket.number}`);
      reset();
      setText('');
      setStatus('');
      void qc.invalidateQueries({ queryKey: ticketKeys.all });
      props.onClose();
    },
    onError: (e) => {
      const p = refusedFields(e);
      if (!Object.keys(p).length || !Object.keys(p).every((k) => shownFields.has(k)))
        notifyError(e, 'Could not log the call');
      setProblems(p);
    },
  });
  const submit = () => {
    const found = callProblems(call);
    setProblems(found);
    if (!Object.keys(found).length) log.mutate();
  };
  const onChange = (field: keyof CallDraft, value: string) => {
    change(field, value);
    setProblems((p) => Object.fromEntries(Object.entries(p).filter(([k]) => !callProblemKeys(field).includes(k))));
  };
  const inbound = direction === 'inbound';
  return (
    <Modal opened={props.opened} onClose={props.onClose} title={`Log a call on #${ticket.number}`} size="lg">
      <Stack gap="sm" data-testid="log-call">
        <SegmentedControl
          aria-label="Who called"
          value={direction}
          onChange={(d) => setDirection(d as Direction)}
          data={[
            { value: 'outbound', label: `You called ${name}` },
            { value: 'inbound', label: `${name} called` },
          ]}
        />
        <CallFields
          call={call}
          problems={problems}
          onChange={onChange}
          title={inbound ? 'Call from the customer' : 'Call to the customer'}
          hint={
            inbound
              ? 'The customer getting in touch: a pending or solved ticket opens again. Answered, it is a response.'
              : 'Your call counts as a reply to the customer.'
          }
        />
        <Textarea
          label="Notes"
          description="What was said: shown on the ticket with the call"
          autosize
          minRows={3}
          value={text}
          onChange={(e) => {
            setText(e.currentTarget.value);
            setProblems(({ text: _, ...rest }) => rest);
          }}
          error={problems.text}
        />
        <Select
          label="Status after the call"
          placeholder={inbound ? 'As a message from the customer leaves it' : 'As a reply leaves it'}
          data={ticketStatuses
            .filter((s) => s !== 'new' && s !== 'closed')
            .map((s) => ({ value: s, label: statusLabels[s] }))}
          value={status || null}
          onChange={(s) => setStatus(s ?? '')}
          clearable
        />
        <Text fz="xs" c="dimmed">
          The call is added to the ticket&apos;s thread and to {name}&apos;s timeline; nothing is sent to them.
        </Text>
        <Group justify="flex-end" gap="xs">
          <Button variant="default" onClick={props.onClose}>
            Cancel
          </Button>
          <Button onClick={submit} loading={log.isPending}>
            Log call
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
