import { Badge, Button, Code, CopyButton, Group, List, Stack, Text, Tooltip } from '@mantine/core';
import { IconCheck, IconCopy } from '@tabler/icons-react';
import type { DeliveryStatus, WebhookAttempt } from '../../api/webhooks.ts';

export const statusInfo: Record<DeliveryStatus, { label: string; color: string }> = {
  pending: { label: 'Retrying', color: 'yellow' },
  succeeded: { label: 'Succeeded', color: 'teal' },
  failed: { label: 'Failed', color: 'red' },
};

/** "Retrying" once an attempt failed; "Pending" before the first attempt. */
export function DeliveryStatusBadge({ status, attempts = 1 }: { status: DeliveryStatus; attempts?: number }) {
  const s = statusInfo[status];
  return (
    <Badge size="sm" variant="light" color={s.color} miw={78} data-testid="delivery-status" data-status={status}>
      {status === 'pending' && attempts === 0 ? 'Pending' : s.label}
    </Badge>
  );
}

export function EventTypeChips({ types, max = 4 }: { types: string[]; max?: number }) {
  const shown = types.slice(0, max);
  const rest = types.slice(max);
  return (
    <Group gap={4} wrap="wrap">
      {shown.map((t) => (
        <Badge key={t} size="xs" variant="default" tt="none" ff="monospace">
          {t === '*' ? '* (every event)' : t}
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

/** A secret in a code block with a copy button. */
export function SecretBox({ secret }: { secret: string }) {
  return (
    <Group gap="xs" wrap="nowrap" align="stretch">
      <Code
        block
        className="rapport-secret"
        style={{ flex: 1 }}
        data-testid="webhook-secret"
        aria-label="Signing secret"
      >
        {secret}
      </Code>
      <CopyButton value={secret}>
        {({ copied, copy }) => (
          <Button
            onClick={copy}
            color={copied ? 'teal' : undefined}
            leftSection={copied ? <IconCheck size={16} /> : <IconCopy size={16} />}
            aria-label="Copy signing secret"
          >
            {copied ? 'Copied' : 'Copy'}
          </Button>
        )}
      </CopyButton>
    </Group>
  );
}

export function VerifyHint() {
  return (
    <Stack gap={4}>
      <Text fz="sm" fw={500}>
        How to verify a delivery
      </Text>
      <List size="xs" spacing={2} c="dimmed">
        <List.Item>
          Each request carries <Code>Rapport-Timestamp</Code> (unix seconds) and <Code>Rapport-Signature: v1=…</Code>.
        </List.Item>
        <List.Item>
          Compute the hex HMAC-SHA256 of <Code>timestamp + "." + body</Code> with this secret, over the raw body bytes,
          and compare it in constant time with the value after <Code>v1=</Code>.
        </List.Item>
        <List.Item>
          Refuse timestamps more than a few minutes old. Details and a Node.js example: docs/webhooks.md.
        </List.Item>
      </List>
    </Stack>
  );
}

/** What one attempt got back: status code or error, how long it took. */
export function AttemptOutcome({ a }: { a: WebhookAttempt }) {
  return (
    <Group gap="xs" wrap="nowrap">
      <Badge size="sm" variant="light" color={a.succeeded ? 'teal' : 'red'} miw={78}>
        {a.statusCode !== null ? `HTTP ${a.statusCode}` : 'No answer'}
      </Badge>
      <Text fz="xs" c="dimmed">
        {a.durationMs} ms
      </Text>
    </Group>
  );
}

export function Excerpt({ text }: { text: string | null }) {
  if (!text) return null;
  return (
    <Code block fz="xs" mah={160} style={{ overflow: 'auto', whiteSpace: 'pre-wrap', wordBreak: 'break-all' }}>
      {text}
    </Code>
  );
}
