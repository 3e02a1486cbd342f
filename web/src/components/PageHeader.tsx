import { Group, Stack, Text, Title } from '@mantine/core';

export function PageHeader(props: { title: string; description?: React.ReactNode; actions?: React.ReactNode }) {
  return (
    // Wraps on a phone: the actions go under the title instead of squeezing it to a word per line.
    <Group justify="space-between" align="flex-end" mb="lg" style={{ rowGap: 'var(--mantine-spacing-sm)' }}>
      <Stack gap={2} miw={0} style={{ flex: '1 1 240px' }}>
        <Title order={1} fz={24} lh={1.25}>
          {props.title}
        </Title>
        {props.description && (
          <Text c="dimmed" fz="sm">
            {props.description}
          </Text>
        )}
      </Stack>
      {props.actions && (
        <Group gap="xs" wrap="nowrap">
          {props.actions}
        </Group>
      )}
    </Group>
  );
}
