import { Avatar, Group, Text, Tooltip } from '@mantine/core';
import { IconKey, IconRobot } from '@tabler/icons-react';
import type { EventEntry } from '../api/types.ts';
import { actorName, describeEvent, type Names } from '../lib/events.ts';
import { formatDateTime, initials, relativeTime } from '../lib/format.ts';

export function ActorAvatar({ event, names, size = 28 }: { event: EventEntry; names: Names; size?: number }) {
  if (event.actorType === 'system')
    return (
      <Avatar size={size} radius="xl" color="gray" aria-hidden>
        <IconRobot size={size * 0.55} />
      </Avatar>
    );
  if (event.actorType === 'apikey')
    return (
      <Avatar size={size} radius="xl" color="orange" aria-hidden>
        <IconKey size={size * 0.55} />
      </Avatar>
    );
  const name = actorName(event, names);
  return (
    <Avatar size={size} radius="xl" color="initials" name={name} aria-hidden>
      {initials(name)}
    </Avatar>
  );
}

export function ActivityItem({ event, names }: { event: EventEntry; names: Names }) {
  return (
    <Group className="rapport-feed-item" gap="sm" py={8} wrap="nowrap" align="flex-start" data-testid="activity-item">
      <ActorAvatar event={event} names={names} />
      <Text fz="sm" style={{ flex: 1 }} lh={1.45} pt={3}>
        {describeEvent(event, names)}
      </Text>
      <Tooltip label={formatDateTime(event.occurredAt)}>
        <Text fz="xs" c="dimmed" pt={5} style={{ whiteSpace: 'nowrap' }}>
          {relativeTime(event.occurredAt)}
        </Text>
      </Tooltip>
    </Group>
  );
}
