import { useMemo, useState } from 'react';
import { Button, Center, Group, Select, Skeleton, Stack, Text, ThemeIcon, Tooltip } from '@mantine/core';
import {
  IconArrowRight,
  IconBuilding,
  IconGitMerge,
  IconNote,
  IconPencil,
  IconMessage,
  IconPhone,
  IconPlus,
  IconShieldCheck,
  IconShieldX,
  IconStairs,
  IconTimeline,
  IconTrash,
  IconBolt,
  IconReceipt,
  IconReceiptRefund,
  IconRepeat,
} from '@tabler/icons-react';
import { useInfiniteQuery } from '@tanstack/react-query';
import { api } from '../../api/client.ts';
import { customerKeys, useCustomFields, type TimelinePage } from '../../api/customers.ts';
import { useCan } from '../../api/queries.ts';
import { useTeams } from '../../api/tickets.ts';
import type { EventEntry } from '../../api/types.ts';
import { Empty } from '../../components/Empty.tsx';
import { useNames } from '../../components/useNames.ts';
import { describeCustomerEvent, eventChanges, mergedFrom, type ChangeNames } from '../../lib/customers.ts';
import { formatDateTime, relativeTime } from '../../lib/format.ts';
import { SectionTitle } from './fields.tsx';

function eventIcon(type: string): { icon: React.ReactNode; color: string } {
  const s = 15;
  if (type === 'order.refunded') return { icon: <IconReceiptRefund size={s} />, color: 'orange' };
  if (type === 'order.canceled') return { icon: <IconReceipt size={s} />, color: 'gray' };
  if (type.startsWith('order.')) return { icon: <IconReceipt size={s} />, color: 'green' };
  if (type.startsWith('subscription.'))
    return { icon: <IconRepeat size={s} />, color: type.endsWith('canceled') ? 'gray' : 'violet' };
  if (type === 'ticket.call_logged') return { icon: <IconPhone size={s} />, color: 'teal' };
  if (type === 'ticket.message_received' || type === 'ticket.replied')
    return { icon: <IconMessage size={s} />, color: 'blue' };
  if (type.endsWith('.created')) return { icon: <IconPlus size={s} />, color: 'teal' };
  if (type.endsWith('.stage_changed')) return { icon: <IconStairs size={s} />, color: 'brand' };
  if (type.endsWith('consent_granted')) return { icon: <IconShieldCheck size={s} />, color: 'teal' };
  if (type.endsWith('consent_withdrawn')) return { icon: <IconShieldX size={s} />, color: 'orange' };
  if (type.includes('.note_')) return { icon: <IconNote size={s} />, color: 'yellow' };
  if (type.includes('company_')) return { icon: <IconBuilding size={s} />, color: 'cyan' };
  if (type.endsWith('.merged')) return { icon: <IconGitMerge size={s} />, color: 'grape' };
  if (type.endsWith('.deleted')) return { icon: <IconTrash size={s} />, color: 'red' };
  if (type.endsWith('.updated')) return { icon: <IconPencil size={s} />, color: 'gray' };
  return { icon: <IconBolt size={s} />, color: 'gray' };
}

function Detail(props: { event: EventEntry; userName: (id: string) => string | null; more: ChangeNames }) {
  const { event } = props;
  const p = event.payload;
  if (event.type.endsWith('.updated')) {
    const ch = eventChanges(event, props.userName, props.more);
    if (!ch.length) return null;
    return (
      <Stack gap={2} mt={2}>
        {ch.slice(0, 6).map((c) => (
          <Group key={c.field} gap={6} wrap="nowrap" fz="xs">
            <Text fz="xs" c="dimmed" w={96} truncate style={{ flexShrink: 0 }}>
              {c.field}
            </Text>
            <Text fz="xs" td="line-through" c="dimmed" truncate maw={220}>
              {c.from}
            </Text>
            <IconArrowRight size={12} style={{ flexShrink: 0 }} />
            <Text fz="xs" truncate maw={260}>
              {c.to}
            </Text>
          </Group>
        ))}
      </Stack>
    );
  }
  if (event.type.endsWith('.stage_changed') && typeof p.reason === 'string' && p.reason)
    return (
      <Text fz="xs" c="dimmed" mt={2}>
        “{p.reason}”
      </Text>
    );
  if ((event.type.endsWith('note_added') || event.type.endsWith('note_edited')) && typeof p.excerpt === 'string')
    return (
      <Text fz="xs" c="dimmed" mt={2} lineClamp={2}>
        {p.excerpt}
      </Text>
    );
  return null;
}

/**
 * Under an event a merge brought over from a duplicate: whose it was. A creation says it in its sentence already.
 */
function MergedOrigin(props: { event: EventEntry }) {
  const m = mergedFrom(props.event);
  if (!m || props.event.type.endsWith('.created')) return null;
  return (
    <Text fz="xs" c="dimmed" mt={2} data-testid="timeline-merged-from">
      On {m.name ?? 'the merged record'}, before the merge
    </Text>
  );
}

/** Team names and custom field labels, so that a change reads "team: Returns", not a key and an id. */
function useChangeNames(): ChangeNames {
  const can = useCan();
  // Teams are for those who see tickets; without that a change of team reads "a removed team".
  const teams = useTeams(can('tickets:read'));
  const fields = useCustomFields();
  return useMemo(() => {
    const team = new Map((teams.data?.data ?? []).map((t) => [t.id, t.name]));
    const label = new Map((fields.data ?? []).map((f) => [`${f.entity}:${f.key}`, f.label]));
    return {
      team: (id) => team.get(id) ?? null,
      field: (entity, key) => label.get(`${entity}:${key}`) ?? null,
    };
  }, [teams.data, fields.data]);
}

export function Timeline(props: { path: string; types: Array<{ value: string; label: string }>; subjectId: string }) {
  const names = useNames();
  const more = useChangeNames();
  const [type, setType] = useState('');
  const q = useInfiniteQuery({
    queryKey: [...customerKeys.timeline, props.subjectId, type],
    initialPageParam: undefined as number | undefined,
    queryFn: ({ pageParam }) =>
      api<TimelinePage>(props.path, { query: { limit: 30, type: type || undefined, before: pageParam } }),
    getNextPageParam: (last) => last.page.nextBefore ?? undefined,
  });
  const rows = q.data?.pages.flatMap((p) => p.data) ?? [];
  return (
    <Stack gap="xs" data-testid="timeline">
      <SectionTitle
        right={
          <Select
            size="xs"
            w={170}
            data={props.types}
            value={type}
            onChange={(v) => setType(v ?? '')}
            allowDeselect={false}
            aria-label="Show on the timeline"
            data-testid="timeline-type"
          />
        }
      >
        Timeline
      </SectionTitle>
      {q.isPending ? (
        <Skeleton h={160} />
      ) : rows.length === 0 ? (
        <Empty
          icon={<IconTimeline size={22} />}
          title={type ? 'Nothing of this kind yet' : 'Nothing on the timeline yet'}
          description="Every change, stage move, consent and note shows up here as it happens."
        />
      ) : (
        <Stack gap={0}>
          {rows.map((e) => {
            const ic = eventIcon(e.type);
            return (
              <Group
                key={e.id}
                className="rapport-feed-item"
                gap="sm"
                py={8}
                wrap="nowrap"
                align="flex-start"
                data-testid="timeline-item"
                data-type={e.type}
              >
                <ThemeIcon size={26} radius="xl" variant="light" color={ic.color}>
                  {ic.icon}
                </ThemeIcon>
                <Stack gap={0} style={{ flex: 1 }} miw={0} pt={3}>
                  <Text fz="sm" lh={1.4}>
                    {describeCustomerEvent(e, names, more)}
                  </Text>
                  <Detail event={e} userName={names.user} more={more} />
                  <MergedOrigin event={e} />
                </Stack>
                <Tooltip label={formatDateTime(e.occurredAt)}>
                  <Text fz="xs" c="dimmed" pt={5} style={{ whiteSpace: 'nowrap' }}>
                    {relativeTime(e.occurredAt)}
                  </Text>
                </Tooltip>
              </Group>
            );
          })}
          {q.hasNextPage && (
            <Center pt="xs">
              <Button size="xs" variant="default" loading={q.isFetchingNextPage} onClick={() => void q.fetchNextPage()}>
                Load older events
              </Button>
            </Center>
          )}
        </Stack>
      )}
    </Stack>
  );
}
