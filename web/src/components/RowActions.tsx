import { Button, Group } from '@mantine/core';

/** A list row's Edit and Remove buttons, named for the row (for screen readers and tests: "Edit Gold support"). */
export function RowActions({
  name,
  onEdit,
  onRemove,
}: {
  name: string;
  /** Absent: the row cannot be edited (only removed). */
  onEdit?: (() => void) | undefined;
  onRemove: () => void;
}) {
  return (
    <Group gap="xs" wrap="nowrap" justify="flex-end">
      {onEdit && (
        <Button size="xs" variant="default" aria-label={`Edit ${name}`} onClick={onEdit}>
          Edit
        </Button>
      )}
      <Button size="xs" variant="subtle" color="red" aria-label={`Remove ${name}`} onClick={onRemove}>
        Remove
      </Button>
    </Group>
  );
}
