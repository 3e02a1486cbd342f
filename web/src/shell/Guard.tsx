import { Box, Button, Stack, Text, ThemeIcon, Title } from '@mantine/core';
import { IconLock } from '@tabler/icons-react';
import { Link } from 'react-router';
import { useMe } from '../api/queries.ts';
import type { Permission } from '../api/types.ts';
import { permissionInfo, roleLabels } from '../lib/permissions.ts';

/**
 * Shows its page only to someone with the permission; anyone else who arrives there (an old link, a bookmark, a
 * colleague's shared address) is told what they may not see and why, at the address they asked for, rather than
 * being sent somewhere else without a word.
 */
export function Guard({
  permission,
  page,
  children,
}: {
  permission?: Permission | undefined;
  /** What the page shows, as the sentence names it: "Analytics", "this person". */
  page: string;
  children: React.ReactNode;
}) {
  const me = useMe();
  if (permission && !me.permissions.includes(permission))
    return <NoAccess permission={permission} page={page} role={roleLabels[me.role]} />;
  return <>{children}</>;
}

export function NoAccess({ permission, page, role }: { permission: Permission; page: string; role: string }) {
  const info = permissionInfo[permission];
  return (
    <Box role="alert" data-testid="no-access" data-permission={permission} maw={560} mx="auto" py={48} px="lg">
      <Stack align="center" gap="sm" ta="center">
        <ThemeIcon size={48} radius="xl" variant="light" color="gray">
          <IconLock size={24} />
        </ThemeIcon>
        <Title order={2} fz="lg">
          You don't have permission to view {page}
        </Title>
        <Text c="dimmed" fz="sm">
          It needs the “{info.label}” permission ({info.description}), which your role, {role}, does not have. An owner
          or admin of the workspace can change your role in Settings → Users &amp; roles.
        </Text>
        <Button component={Link} to="/" variant="light" mt="xs">
          Go home
        </Button>
      </Stack>
    </Box>
  );
}
