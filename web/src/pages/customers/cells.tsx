import { Anchor, Badge, Group, Text, Tooltip } from '@mantine/core';
import { Link } from 'react-router';
import type { CustomField } from '../../api/customers.ts';
import { stageColor, stageLabel } from '../../lib/customers.ts';
import { formatDate, formatDateTime, relativeTime } from '../../lib/format.ts';

export function StageBadge({ stage, days, size = 'sm' }: { stage: string; days?: number; size?: 'xs' | 'sm' | 'md' }) {
  return (
    <Badge size={size} variant="light" color={stageColor(stage)} tt="none" data-testid="stage-badge">
      {stageLabel(stage)}
      {days !== undefined && (
        <Text span fz="inherit" fw={400} opacity={0.75}>
          {' · '}
          {days === 0 ? 'today' : `${days}d`}
        </Text>
      )}
    </Badge>
  );
}

/**
 * A record's tags as badges: the first `max`, then "+N" (the rest in a tooltip). In a list (`width`), the cell keeps
 * to that width — long tags are cut with an ellipsis and the whole list is in the tooltip — so a row with three long
 * tags does not push the table past a laptop screen.
 */
export function Tags({ tags, max = 3, width }: { tags: string[]; max?: number; width?: number }) {
  if (!tags.length)
    return (
      <Text fz="sm" c="dimmed">
        —
      </Text>
    );
  const shown = tags.slice(0, max);
  const rest = tags.slice(max);
  const more = rest.length > 0 && (
    <Badge size="xs" variant="light" color="gray" tt="none" className="rapport-tags-more">
      +{rest.length}
    </Badge>
  );
  if (width === undefined)
    return (
      <Group gap={4} wrap="nowrap">
        {shown.map((t) => (
          <Badge key={t} size="xs" variant="default" tt="none">
            {t}
          </Badge>
        ))}
        {more && <Tooltip label={rest.join(', ')}>{more}</Tooltip>}
      </Group>
    );
  return (
    <Tooltip label={tags.join(', ')} multiline maw={320} openDelay={300}>
      <Group className="rapport-tags" gap={4} wrap="nowrap" maw={width} style={{ overflow: 'hidden' }}>
        {shown.map((t) => (
          <Badge key={t} size="xs" variant="default" tt="none">
            {t}
          </Badge>
        ))}
        {more}
      </Group>
    </Tooltip>
  );
}

export function When({ iso }: { iso: string }) {
  return (
    <Tooltip label={formatDateTime(iso)}>
      <Text fz="sm" c="dimmed" style={{ whiteSpace: 'nowrap' }}>
        {relativeTime(iso)}
      </Text>
    </Tooltip>
  );
}

export function Dim({ children }: { children: React.ReactNode }) {
  return (
    <Text fz="sm" c="dimmed">
      {children}
    </Text>
  );
}

/** A custom field value in a cell or a read-only field. */
export function CustomValue({ def, value }: { def: CustomField; value: unknown }) {
  if (value === undefined || value === null || value === '') return <Dim>—</Dim>;
  switch (def.type) {
    case 'boolean':
      return <Text fz="sm">{value ? 'Yes' : 'No'}</Text>;
    case 'multiselect':
      return <Tags tags={Array.isArray(value) ? value.map(String) : [String(value)]} />;
    case 'select':
      return (
        <Badge size="sm" variant="light" color="gray" tt="none">
          {String(value)}
        </Badge>
      );
    case 'date':
      return <Text fz="sm">{formatDate(`${String(value)}T12:00:00Z`)}</Text>;
    case 'url':
      return (
        <Anchor href={String(value)} target="_blank" rel="noreferrer" fz="sm" truncate maw={220} display="block">
          {String(value).replace(/^https?:\/\//, '')}
        </Anchor>
      );
    case 'number':
      return <Text fz="sm">{Number(value).toLocaleString()}</Text>;
    default:
      return (
        <Text fz="sm" truncate maw={240}>
          {String(value)}
        </Text>
      );
  }
}

export function RecordLink({ to, children }: { to: string; children: React.ReactNode }) {
  // Cut with an ellipsis where its cell gives way (a flex item, so it can be narrower than the name).
  return (
    <Anchor component={Link} to={to} fz="sm" fw={500} c="var(--mantine-color-text)" underline="hover" truncate>
      {children}
    </Anchor>
  );
}
