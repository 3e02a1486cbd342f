import { useState } from 'react';
import { Badge, Button, Card, Center, Group, Select, Skeleton, Table, Text, Tooltip } from '@mantine/core';
import { IconActivity } from '@tabler/icons-react';
import { useInfiniteQuery } from '@tanstack/react-query';
import { api } from '../../api/client.ts';
import { keys } from '../../api/queries.ts';
import type { EventPage } from '../../api/types.ts';
import { ActorAvatar } from '../../components/ActivityItem.tsx';
import { Empty } from '../../components/Empty.tsx';
import { PageHeader } from '../../components/PageHeader.tsx';
import { useNames } from '../../components/useNames.ts';
import { actorName, describeEvent, eventColor, eventTypeOptions } from '../../lib/events.ts';
import { formatDateTime, relativeTime } from '../../lib/format.ts';

export function ActivityPage() {
  const names = useNames();
  const [type, setType] = useState('');
  const events = useInfiniteQuery({
    queryKey: [...keys.events, 'log', type],
    initialPageParam: undefined as number | undefined,
    queryFn: ({ pageParam }) =>
      api<EventPage>('/events', { query: { limit: 50, type: type || undefined, before: pageParam } }),
    getNextPageParam: (last) => last.page.nextBefore ?? undefined,
  });
  const rows = events.data?.pages.flatMap((p) => p.data) ?? [];

  return (
    <>
      <PageHeader
        title="Activity log"
        description="Who did what, and when. Every change in the workspace is recorded here and cannot be edited."
        actions={
          <Select
            aria-label="Filter by type of activity"
            label="Show"
            size="xs"
            w={220}
            data={eventTypeOptions}
            value={type}
            onChange={(v) => setType(v ?? '')}
            allowDeselect={false}
            data-testid="activity-type-filter"
          />
        }
      />
      <Card withBorder padding={0}>
        {events.isPending ? (
          <Skeleton h={200} m="md" />
        ) : rows.length === 0 ? (
          <Empty
            icon={<IconActivity size={22} />}
            title={type ? 'Nothing of this kind yet' : 'Nothing has happened yet'}
            description={
              type
                ? 'Choose “All activity” to see everything.'
                : 'Sign-ins, people, keys and settings changes appear here.'
            }
          />
        ) : (
          <Table.ScrollContainer minWidth={760}>
            <Table highlightOnHover data-testid="activity-table">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th w={150}>When</Table.Th>
                  <Table.Th w={200}>Who</Table.Th>
                  <Table.Th>What happened</Table.Th>
                  <Table.Th w={170}>Type</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {rows.map((e) => (
                  <Table.Tr key={e.id}>
                    <Table.Td>
                      <Tooltip label={formatDateTime(e.occurredAt)}>
                        <Text fz="sm" c="dimmed">
                          {relativeTime(e.occurredAt)}
                        </Text>
                      </Tooltip>
                    </Table.Td>
                    <Table.Td>
                      <Group gap={8} wrap="nowrap">
                        <ActorAvatar event={e} names={names} size={22} />
                        <Text fz="sm" truncate>
                          {actorName(e, names)}
                        </Text>
                      </Group>
                    </Table.Td>
                    <Table.Td>{describeEvent(e, names)}</Table.Td>
                    <Table.Td>
                      <Badge size="sm" variant="light" color={eventColor(e.type)} tt="none" ff="monospace">
                        {e.type}
                      </Badge>
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
      </Card>
      {rows.length > 0 && (
        <Center mt="md">
          {events.hasNextPage ? (
            <Button variant="default" loading={events.isFetchingNextPage} onClick={() => void events.fetchNextPage()}>
              Load more
            </Button>
          ) : (
            <Group gap={6}>
              <Text fz="xs" c="dimmed">
                That is everything: {rows.length} {rows.length === 1 ? 'event' : 'events'}.
              </Text>
            </Group>
          )}
        </Center>
      )}
    </>
  );
}
