import { Avatar, Group, Menu, Text, UnstyledButton } from '@mantine/core';
import { IconChevronDown, IconKeyboard, IconLogout, IconMoon, IconSun, IconUserCircle } from '@tabler/icons-react';
import { useNavigate } from 'react-router';
import { useMe } from '../api/queries.ts';
import { initials } from '../lib/format.ts';
import { roleLabels } from '../lib/permissions.ts';
import { useSignOut } from './useSignOut.ts';
import { useThemeToggle } from './useThemeToggle.ts';

export function AccountMenu({ onShowShortcuts }: { onShowShortcuts: () => void }) {
  const me = useMe();
  const navigate = useNavigate();
  const signOut = useSignOut();
  const theme = useThemeToggle();
  const name = me.user?.name ?? 'API key';
  return (
    <Menu position="bottom-end" width={240} shadow="md" withinPortal>
      <Menu.Target>
        <UnstyledButton aria-label="Account menu" data-testid="account-menu" px={6} py={4} style={{ borderRadius: 8 }}>
          <Group gap={8} wrap="nowrap">
            <Avatar size={28} radius="xl" color="initials" name={name}>
              {initials(name)}
            </Avatar>
            <Text fz="sm" fw={500} visibleFrom="md" maw={140} truncate>
              {name}
            </Text>
            <IconChevronDown size={14} stroke={1.6} />
          </Group>
        </UnstyledButton>
      </Menu.Target>
      <Menu.Dropdown>
        <Menu.Label>
          <Text fz="sm" fw={600} c="var(--mantine-color-text)" truncate>
            {name}
          </Text>
          <Text fz="xs" c="dimmed" truncate>
            {me.user?.email} · {roleLabels[me.role]}
          </Text>
        </Menu.Label>
        <Menu.Divider />
        <Menu.Item leftSection={<IconUserCircle size={16} />} onClick={() => navigate('/settings/profile')}>
          My profile
        </Menu.Item>
        <Menu.Item
          leftSection={theme.scheme === 'dark' ? <IconSun size={16} /> : <IconMoon size={16} />}
          onClick={theme.toggle}
          closeMenuOnClick={false}
        >
          {theme.scheme === 'dark' ? 'Light theme' : 'Dark theme'}
        </Menu.Item>
        <Menu.Item leftSection={<IconKeyboard size={16} />} onClick={onShowShortcuts}>
          Keyboard shortcuts
        </Menu.Item>
        <Menu.Divider />
        <Menu.Item color="red" leftSection={<IconLogout size={16} />} onClick={() => void signOut()}>
          Sign out
        </Menu.Item>
      </Menu.Dropdown>
    </Menu>
  );
}
