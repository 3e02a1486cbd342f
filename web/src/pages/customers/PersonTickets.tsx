import { Anchor, Badge, Card, Group, Skeleton, Stack, Text } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { api } from '../../api/client.ts';
import { channelLabels, statusColors, statusLabels, ticketKeys, type TicketSummary } from '../../api/tickets.ts';
import { relativeTime } from '../../lib/format.ts';
import { SectionTitle } from './fields.tsx';

const shown = 10;

/**
 * The customer's tickets on their 360° page, newest first: what an agent opening the customer from a ticket wants to
 * see next (did they write before, is something else still open), each a link into the inbox.
 */
export function PersonTickets({ personId }: { personId: string }) {
  const q = useQuery({
    queryKey: [...ticketKeys.all, 'of-person', personId],
    queryFn: () =>
      api<{ data: TicketSummary[]; page: { nextCursor: string | null } }>('/tickets/summaries', {
        query: { limit: shown, queue: 'all', filter: [`person_id:eq:${personId}`], sort: '-created_at' },
      }),
  });
  const rows = q.data?.data ?? [];
  const open = rows.filter((t) => !['solved', 'closed'].includes(t.status)).length;
  return (
    <Card withBorder padding="md" data-testid="tickets-section">
      <SectionTitle
        right={
          rows.length > 0 && (
            <Text fz="xs" c="dimmed">
              {open} open{q.data?.page.nextCursor ? ` · the latest ${shown}` : ''}
            </Text>
          )
        }
      >
        Tickets
      </SectionTitle>
      {q.isPending ? (
        <Skeleton h={60} />
      ) : rows.length === 0 ? (
        <Text fz="sm" c="dimmed">
          No tickets yet. Their e-mails, chats, calls and form messages show up here.
        </Text>
      ) : (
        <Stack gap={4}>
          {rows.map((t) => (
            <Group key={t.id} gap="xs" wrap="nowrap" justify="space-between" data-testid="person-ticket">
              <Anchor component={Link} to={`/inbox/${t.id}`} fz="sm" truncate style={{ minWidth: 0 }}>
                #{t.number} {t.subject}
              </Anchor>
              <Group gap={6} wrap="nowrap" style={{ flexShrink: 0 }}>
                <Text fz="xs" c="dimmed">
                  {channelLabels[t.channel]} · {relativeTime(t.createdAt)}
                </Text>
                <Badge size="xs" variant="light" color={statusColors[t.status]}>
                  {statusLabels[t.status]}
                </Badge>
              </Group>
            </Group>
          ))}
        </Stack>
      )}
    </Card>
  );
}
