import {
  Anchor,
  Badge,
  Button,
  Card,
  Group,
  Progress,
  SimpleGrid,
  Skeleton,
  Stack,
  Text,
  ThemeIcon,
  Title,
} from '@mantine/core';
import { IconActivity, IconCircleCheck, IconCircleDashed, IconClock, IconKey, IconUsers } from '@tabler/icons-react';
import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { api } from '../api/client.ts';
import { keys, useAllUsers, useApiKeys, useMe } from '../api/queries.ts';
import { roles, type EventPage, type Role } from '../api/types.ts';
import { ActivityItem } from '../components/ActivityItem.tsx';
import { Empty } from '../components/Empty.tsx';
import { useNames } from '../components/useNames.ts';
import { roleColors, roleLabels } from '../lib/permissions.ts';

function greeting(): string {
  const h = new Date().getHours();
  return h < 12 ? 'Good morning' : h < 18 ? 'Good afternoon' : 'Good evening';
}

function Tile(props: {
  label: string;
  value: React.ReactNode;
  hint: React.ReactNode;
  icon: React.ReactNode;
  testId: string;
}) {
  return (
    <Card withBorder padding="md" data-testid={props.testId}>
      <Group justify="space-between" align="flex-start" wrap="nowrap">
        <Stack gap={2}>
          <Text fz="xs" c="dimmed" tt="uppercase" fw={600} lts={0.4}>
            {props.label}
          </Text>
          <Text component="div" fz={26} fw={700} lh={1.2}>
            {props.value}
          </Text>
          <Text fz="xs" c="dimmed">
            {props.hint}
          </Text>
        </Stack>
        <ThemeIcon variant="light" size="lg" radius="md">
          {props.icon}
        </ThemeIcon>
      </Group>
    </Card>
  );
}

function localTime(tz: string): string {
  try {
    return new Intl.DateTimeFormat(undefined, { timeZone: tz, hour: '2-digit', minute: '2-digit' }).format(new Date());
  } catch {
    return '';
  }
}

export function HomePage() {
  const me = useMe();
  const can = (p: string) => me.permissions.some((x) => x === p);
  const users = useAllUsers(can('users:read'));
  const apiKeys = useApiKeys(false, can('apikeys:manage'));
  const names = useNames();
  const events = useQuery({
    queryKey: [...keys.events, 'home'],
    enabled: can('events:read'),
    queryFn: () => api<EventPage>('/events', { query: { limit: 12 } }),
  });

  const list = users.data?.data ?? [];
  const active = list.filter((u) => u.status === 'active');
  const byRole = new Map<Role, number>();
  for (const u of active) byRole.set(u.role, (byRole.get(u.role) ?? 0) + 1);
  const disabled = list.length - active.length;
  const maxCount = Math.max(1, ...byRole.values());
  const liveKeys = apiKeys.data?.data.length ?? 0;

  const steps = [
    {
      done: active.length > 1,
      label: 'Add your team',
      hint: 'Give agents, marketers and analysts their own sign-in and role.',
      to: '/settings/users?new=1',
      show: can('users:manage'),
    },
    {
      done: liveKeys > 0,
      label: 'Connect your shop or tools',
      hint: 'Create an API key with only the scopes the integration needs.',
      to: '/settings/api-keys?new=1',
      show: can('apikeys:manage'),
    },
    {
      done: false,
      label: 'Learn the shortcuts',
      hint: 'Press Ctrl/⌘ K anywhere to jump to a page or find a person.',
      to: null,
      show: true,
    },
  ].filter((s) => s.show);

  return (
    <Stack gap="lg" data-testid="home-page">
      <Stack gap={2}>
        <Title order={1} fz={24}>
          {greeting()}
          {me.user ? `, ${me.user.name.split(' ')[0]}` : ''}
        </Title>
        <Text c="dimmed" fz="sm">
          Here is what is happening in <b>{me.workspace.name}</b>.
        </Text>
      </Stack>

      <SimpleGrid cols={3} spacing="md">
        <Tile
          testId="tile-team"
          label="Team"
          value={users.isPending && can('users:read') ? <Skeleton h={30} w={40} /> : active.length}
          hint={disabled ? `${active.length} active · ${disabled} disabled` : 'active people'}
          icon={<IconUsers size={20} />}
        />
        <Tile
          testId="tile-keys"
          label="API keys"
          value={can('apikeys:manage') ? liveKeys : '—'}
          hint={
            can('apikeys:manage') ? (liveKeys ? 'in use by integrations' : 'none yet') : 'not available to your role'
          }
          icon={<IconKey size={20} />}
        />
        <Tile
          testId="tile-timezone"
          label="Workspace time"
          value={localTime(me.workspace.timezone)}
          hint={me.workspace.timezone}
          icon={<IconClock size={20} />}
        />
      </SimpleGrid>

      <SimpleGrid cols={{ base: 1, md: 5 }} spacing="md">
        <Card withBorder padding="md" style={{ gridColumn: 'span 3' }}>
          <Group justify="space-between" mb="xs">
            <Title order={2} fz="md">
              Recent activity
            </Title>
            {can('events:read') && (
              <Anchor component={Link} to="/settings/activity" fz="sm">
                Full log
              </Anchor>
            )}
          </Group>
          {!can('events:read') ? (
            <Text fz="sm" c="dimmed">
              Your role does not include the activity log. Ask an admin if you need it.
            </Text>
          ) : events.isPending ? (
            <Stack gap="xs">
              {Array.from({ length: 5 }, (_, i) => (
                <Skeleton key={i} h={28} />
              ))}
            </Stack>
          ) : events.data?.data.length ? (
            <Stack gap={0} data-testid="activity-feed">
              {events.data.data.map((e) => (
                <ActivityItem key={e.id} event={e} names={names} />
              ))}
            </Stack>
          ) : (
            <Empty
              icon={<IconActivity size={22} />}
              title="Nothing has happened yet"
              description="Changes to people, keys and settings appear here as they happen."
            />
          )}
        </Card>

        <Stack gap="md" style={{ gridColumn: 'span 2' }}>
          <Card withBorder padding="md" data-testid="team-by-role">
            <Group justify="space-between" mb="sm">
              <Title order={2} fz="md">
                Team by role
              </Title>
              {can('users:read') && (
                <Anchor component={Link} to="/settings/users" fz="sm">
                  Manage
                </Anchor>
              )}
            </Group>
            <Stack gap={8}>
              {roles
                .filter((r) => byRole.get(r))
                .map((r) => (
                  <Stack key={r} gap={3}>
                    <Group justify="space-between">
                      <Text fz="sm">{roleLabels[r]}</Text>
                      <Text fz="sm" fw={600} data-testid={`role-count-${r}`}>
                        {byRole.get(r)}
                      </Text>
                    </Group>
                    <Progress
                      value={((byRole.get(r) ?? 0) / maxCount) * 100}
                      color={roleColors[r]}
                      size="sm"
                      aria-label={`${roleLabels[r]}: ${byRole.get(r)}`}
                    />
                  </Stack>
                ))}
              {!users.isPending && active.length === 0 && (
                <Text fz="sm" c="dimmed">
                  No one yet.
                </Text>
              )}
            </Stack>
          </Card>

          <Card withBorder padding="md">
            <Title order={2} fz="md" mb="sm">
              Getting started
            </Title>
            <Stack gap="sm">
              {steps.map((s) => (
                <Group key={s.label} gap="sm" wrap="nowrap" align="flex-start">
                  {s.done ? (
                    <IconCircleCheck size={20} color="var(--mantine-color-teal-6)" aria-label="Done" />
                  ) : (
                    <IconCircleDashed size={20} color="var(--mantine-color-dimmed)" aria-label="To do" />
                  )}
                  <Stack gap={0} style={{ flex: 1 }}>
                    <Group gap={6}>
                      {s.to && !s.done ? (
                        <Anchor component={Link} to={s.to} fz="sm" fw={500}>
                          {s.label}
                        </Anchor>
                      ) : (
                        <Text
                          fz="sm"
                          fw={500}
                          td={s.done ? 'line-through' : undefined}
                          c={s.done ? 'dimmed' : undefined}
                        >
                          {s.label}
                        </Text>
                      )}
                    </Group>
                    <Text fz="xs" c="dimmed">
                      {s.hint}
                    </Text>
                  </Stack>
                </Group>
              ))}
            </Stack>
          </Card>
          <Card withBorder padding="md">
            <Group justify="space-between" mb={6}>
              <Title order={2} fz="md">
                On the way
              </Title>
              <Badge variant="light" color="gray" size="sm">
                soon
              </Badge>
            </Group>
            <Text fz="sm" c="dimmed">
              Campaigns and journeys, surveys and feedback, and loyalty arrive in the next releases, built on the
              customer record, the inbox and the analytics you have now.
            </Text>
            <Button mt="sm" size="xs" variant="light" component="a" href="/api/docs" target="_blank" rel="noreferrer">
              Explore the API
            </Button>
          </Card>
        </Stack>
      </SimpleGrid>
    </Stack>
  );
}
