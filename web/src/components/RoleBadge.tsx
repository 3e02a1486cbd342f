import { Badge } from '@mantine/core';
import type { Role } from '../api/types.ts';
import { roleColors, roleLabels } from '../lib/permissions.ts';

export function RoleBadge({ role }: { role: Role }) {
  return (
    <Badge size="sm" variant="light" color={roleColors[role]}>
      {roleLabels[role]}
    </Badge>
  );
}
