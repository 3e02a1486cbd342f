import { useEffect, useRef, useState } from 'react';
import { Alert, Anchor, Badge, Box, Group, Select, Stack, Text, TextInput } from '@mantine/core';
import { IconExternalLink, IconPhoneIncoming, IconPhoneOutgoing } from '@tabler/icons-react';
import { ApiError } from '../../api/client.ts';
import { formatDateTime, formatDuration } from '../../lib/format.ts';

/** A phone call as the "New ticket" form holds it while the agent types. */
export type CallDraft = {
  /** A `datetime-local` value (local time, to the minute). */
  startedAt: string;
  /** minutes:seconds, h:mm:ss or whole minutes; empty when not known. */
  duration: string;
  outcome: string;
  recordingUrl: string;
};

/** The outcomes an agent picks from; the API reads answered/resolved as answered, voicemail/no answer as not. */
export const callOutcomes = [
  { value: 'answered', label: 'Answered' },
  { value: 'resolved', label: 'Resolved on the call' },
  { value: 'voicemail', label: 'Voicemail' },
  { value: 'no answer', label: 'Missed (no answer)' },
];

const maxCallSeconds = 86_400;
/** The form allows a minute of clock difference; the API refuses times more than 5 minutes ahead. */
const futureMarginMs = 60_000;

const pad = (n: number) => String(n).padStart(2, '0');

/** A date as a `datetime-local` input shows it: local time, to the minute. */
export function toLocalInput(d: Date): string {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function newCallDraft(now = new Date()): CallDraft {
  return { startedAt: toLocalInput(now), duration: '', outcome: 'answered', recordingUrl: '' };
}

/**
 * A call being typed into a form that opens and closes (`opened`). Until the agent sets its start, it is "the call
 * that just ended": the start is when the form opened, and a duration moves it back by as much (else a 5-minute call
 * started "now" would end in the future).
 */
export function useCallDraft(opened: boolean) {
  const [call, setCall] = useState<CallDraft>(() => newCallDraft());
  const startEdited = useRef(false);
  useEffect(() => {
    if (opened && !startEdited.current) setCall((c) => ({ ...c, startedAt: toLocalInput(new Date()) }));
  }, [opened]);
  const change = (field: keyof CallDraft, value: string) => {
    if (field === 'startedAt') startEdited.current = true;
    const seconds = field === 'duration' && !startEdited.current ? parseDuration(value) : null;
    const startedAt = seconds !== null ? { startedAt: toLocalInput(new Date(Date.now() - seconds * 1000)) } : {};
    setCall((c) => ({ ...c, [field]: value, ...startedAt }));
  };
  const reset = () => {
    setCall(newCallDraft());
    startEdited.current = false;
  };
  return { call, change, reset };
}

/** The form's problem keys a change of `field` settles: its own, and the end of the call for its start. */
export function callProblemKeys(field: keyof CallDraft): string[] {
  if (field === 'duration') return ['call.durationSeconds', 'call'];
  if (field === 'startedAt') return ['call.startedAt', 'call.durationSeconds', 'call'];
  return [`call.${field}`, 'call'];
}

/** Seconds from "4:30", "1:02:30" or "5" (minutes); null when the text is none of these. */
export function parseDuration(text: string): number | null {
  const s = text.trim();
  const minutes = /^(\d{1,4})$/.exec(s);
  if (minutes) return Number(minutes[1]) * 60;
  const ms = /^(\d{1,4}):([0-5]\d)$/.exec(s);
  if (ms) return Number(ms[1]) * 60 + Number(ms[2]);
  const hms = /^(\d{1,2}):([0-5]\d):([0-5]\d)$/.exec(s);
  if (hms) return Number(hms[1]) * 3600 + Number(hms[2]) * 60 + Number(hms[3]);
  return null;
}

function isWebLink(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}

/** What is wrong with the call as typed, by the field keys the API uses (call.startedAt, …). */
export function callProblems(call: CallDraft, now = Date.now()): Record<string, string> {
  const out: Record<string, string> = {};
  const started = call.startedAt ? new Date(call.startedAt) : null;
  if (!started || Number.isNaN(started.getTime())) out['call.startedAt'] = 'Say when the call started';
  else if (started.getTime() > now + futureMarginMs) out['call.startedAt'] = 'The call cannot start in the future';
  if (call.duration.trim()) {
    const seconds = parseDuration(call.duration);
    if (seconds === null)
      out['call.durationSeconds'] = 'Write the duration as minutes:seconds (4:30) or whole minutes (5)';
    else if (seconds > maxCallSeconds) out['call.durationSeconds'] = 'A call lasts at most 24 hours';
    else if (started && !out['call.startedAt'] && started.getTime() + seconds * 1000 > now + futureMarginMs)
      out['call.durationSeconds'] = 'The call would end in the future: check the start time and the duration';
  }
  const link = call.recordingUrl.trim();
  if (link && !isWebLink(link)) out['call.recordingUrl'] = 'Give a web link, starting with https://';
  else if (link.length > 2000) out['call.recordingUrl'] = 'The link is too long (2,000 characters at most)';
  return out;
}

/** The `call` object of POST /tickets for a checked draft. */
export function callBody(call: CallDraft): Record<string, unknown> {
  const seconds = call.duration.trim() ? parseDuration(call.duration) : null;
  return {
    startedAt: new Date(call.startedAt).toISOString(),
    outcome: call.outcome,
    ...(seconds !== null ? { durationSeconds: seconds } : {}),
    ...(call.recordingUrl.trim() ? { recordingUrl: call.recordingUrl.trim() } : {}),
  };
}

/** Where the API puts a refused field of POST /tickets, as the form's field keys. */
const formKeys: Record<string, string> = {
  requester: 'email',
  'requester.email': 'email',
  'requester.phone': 'phone',
  'requester.name': 'name',
  'call.answeredAt': 'call.startedAt',
};

/**
 * The fields a 4xx answer names, with its message for each: `details.field` (the service's checks) and
 * `details.problems[]` (schema problems by `path`, custom fields by `field`).
 */
export function refusedFields(e: unknown): Record<string, string> {
  if (!(e instanceof ApiError) || typeof e.details !== 'object' || e.details === null) return {};
  const details = e.details as { field?: unknown; problems?: unknown };
  const out: Record<string, string> = {};
  const add = (field: string, message: string) => {
    const key = formKeys[field] ?? field.replace(/\[\d+\]$/, '');
    out[key] = out[key] ? `${out[key]}; ${message}` : message;
  };
  if (typeof details.field === 'string') add(details.field, e.message);
  if (Array.isArray(details.problems))
    for (const p of details.problems as Array<{ field?: unknown; path?: unknown; message?: unknown }>) {
      const field = typeof p.field === 'string' ? p.field : typeof p.path === 'string' ? p.path : null;
      if (field && typeof p.message === 'string') add(field, p.message);
    }
  return out;
}

/** The call part of a form: of "New ticket" for the phone channel, and of "Log a call" on a ticket. */
export function CallFields({
  call,
  problems,
  onChange,
  title = 'Call from the customer',
  hint = 'An answered call counts as the ticket’s first response.',
}: {
  call: CallDraft;
  problems: Record<string, string>;
  onChange: (field: keyof CallDraft, value: string) => void;
  title?: string;
  hint?: string;
}) {
  return (
    <Box role="group" aria-label="Call">
      <Text fz="xs" fw={600} c="dimmed" tt="uppercase" mb={2}>
        {title}
      </Text>
      <Text fz="xs" c="dimmed" mb="xs">
        {hint}
      </Text>
      <Stack gap="sm">
        {problems.call && (
          <Alert color="red" p="xs">
            <Text fz="sm">{problems.call}</Text>
          </Alert>
        )}
        <Group grow align="flex-start">
          <TextInput
            type="datetime-local"
            label="Started at"
            required
            value={call.startedAt}
            onChange={(e) => onChange('startedAt', e.currentTarget.value)}
            error={problems['call.startedAt']}
          />
          <TextInput
            label="Duration"
            placeholder="4:30"
            description="minutes:seconds"
            value={call.duration}
            onChange={(e) => onChange('duration', e.currentTarget.value)}
            error={problems['call.durationSeconds']}
          />
        </Group>
        <Group grow align="flex-start">
          <Select
            label="Outcome"
            data={callOutcomes}
            value={call.outcome}
            onChange={(o) => o && onChange('outcome', o)}
            allowDeselect={false}
            error={problems['call.outcome']}
          />
          <TextInput
            label="Recording link"
            placeholder="https://…"
            value={call.recordingUrl}
            onChange={(e) => onChange('recordingUrl', e.currentTarget.value)}
            error={problems['call.recordingUrl']}
          />
        </Group>
      </Stack>
    </Box>
  );
}

const text = (x: unknown): string | null => (typeof x === 'string' && x.trim() ? x : null);

/** A message's call (`meta.call`, logged by hand or by a phone system): when, how long, the outcome, the recording. */
export function CallDetails({ call, at }: { call: Record<string, unknown>; at: string }) {
  const outbound = call.direction === 'outbound';
  const ended = call.event === 'ended';
  const started = text(call.startedAt) ?? (ended ? null : at);
  const seconds = typeof call.durationSeconds === 'number' ? call.durationSeconds : null;
  const answered = text(call.answeredAt) !== null;
  const outcome = text(call.outcome) ?? (answered ? 'answered' : null);
  const recording = text(call.recordingUrl);
  const Icon = outbound ? IconPhoneOutgoing : IconPhoneIncoming;
  return (
    <Group gap="xs" mb={6} data-testid="call-details" wrap="wrap">
      <Group gap={4} wrap="nowrap">
        <Icon size={14} />
        <Text fz="xs" fw={600}>
          {outbound ? 'Call to the customer' : 'Call from the customer'}
        </Text>
      </Group>
      <Text fz="xs" c="dimmed">
        {started ? `started ${formatDateTime(started)}` : `ended ${formatDateTime(at)}`}
      </Text>
      {seconds !== null && <Text fz="xs">lasted {formatDuration(seconds)}</Text>}
      {outcome && (
        <Badge size="xs" variant="light" color={answered ? 'teal' : 'orange'}>
          {outcome}
        </Badge>
      )}
      {recording && isWebLink(recording) && (
        <Anchor href={recording} target="_blank" rel="noopener noreferrer" fz="xs">
          <Group gap={2} wrap="nowrap">
            Recording
            <IconExternalLink size={12} />
          </Group>
        </Anchor>
      )}
    </Group>
  );
}
