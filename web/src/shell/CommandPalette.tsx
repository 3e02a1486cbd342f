import { useMemo, useState } from 'react';
import { Avatar, Badge, Kbd } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import {
  Spotlight,
  type SpotlightActionData,
  type SpotlightActionGroupData,
  type SpotlightFilterFunction,
} from '@mantine/spotlight';
import {
  IconBuildingSkyscraper,
  IconKeyboard,
  IconKey,
  IconLogout,
  IconMoon,
  IconSearch,
  IconSun,
  IconUserPlus,
  IconWebhook,
} from '@tabler/icons-react';
import { useQuery } from '@tanstack/react-query';
import { useNavigate } from 'react-router';
import { api } from '../api/client.ts';
import { useMe } from '../api/queries.ts';
import type { Page, User } from '../api/types.ts';
import type { SearchHit } from '../api/customers.ts';
import { initials } from '../lib/format.ts';
import { roleLabels } from '../lib/permissions.ts';
import { allowed, customerPages, homePage, servicePages, settingsPages } from './pages.ts';
import { useSignOut } from './useSignOut.ts';
import { useThemeToggle } from './useThemeToggle.ts';

const peopleGroup = 'Team';
const customersGroup = 'Customers';

/** Keeps the actions whose label, description or keywords hold every word typed; people come pre-filtered. */
const filter: SpotlightFilterFunction = (query, actions) => {
  const words = query.toLowerCase().trim().split(/\s+/).filter(Boolean);
  const matches = (a: SpotlightActionData) => {
    const kw = Array.isArray(a.keywords) ? a.keywords.join(' ') : (a.keywords ?? '');
    const hay = `${a.label ?? ''} ${a.description ?? ''} ${kw}`.toLowerCase();
    return words.every((w) => hay.includes(w));
  };
  return actions
    .map((item) => {
      if ('actions' in item) {
        if (item.group === peopleGroup || item.group === customersGroup) return item;
        return { ...item, actions: item.actions.filter(matches) };
      }
      return matches(item) ? item : null;
    })
    .filter(
      (x): x is SpotlightActionData | SpotlightActionGroupData =>
        x !== null && (!('actions' in x) || x.actions.length > 0),
    );
};

async function searchPeople(q: string): Promise<User[]> {
  // Name and email are searched separately (filters combine with AND) and merged.
  const [byName, byEmail] = await Promise.all([
    api<Page<User>>('/users', { query: { filter: `name:contains:${q}`, limit: 6, sort: 'name' } }),
    api<Page<User>>('/users', { query: { filter: `email:contains:${q}`, limit: 6, sort: 'name' } }),
  ]);
  const seen = new Map<string, User>();
  for (const u of [...byName.data, ...byEmail.data]) seen.set(u.id, u);
  return [...seen.values()].slice(0, 8);
}

export function CommandPalette({ onShowShortcuts }: { onShowShortcuts: () => void }) {
  const me = useMe();
  const navigate = useNavigate();
  const signOut = useSignOut();
  const theme = useThemeToggle();
  const [query, setQuery] = useState('');
  const [debounced] = useDebouncedValue(query.trim(), 200);
  const canSeePeople = me.permissions.includes('users:read');
  const canSeeCustomers = me.permissions.includes('customers:read');

  const customers = useQuery({
    queryKey: ['palette-customers', debounced],
    enabled: canSeeCustomers && debounced.length >= 2,
    queryFn: () => api<{ data: SearchHit[] }>('/search', { query: { q: debounced, limit: 8 } }),
    staleTime: 15_000,
  });

  const people = useQuery({
    queryKey: ['palette-people', debounced],
    enabled: canSeePeople && debounced.length >= 2,
    queryFn: () => searchPeople(debounced),
    staleTime: 15_000,
  });

  const actions = useMemo<Array<SpotlightActionGroupData>>(() => {
    const pages: SpotlightActionData[] = [homePage, ...servicePages, ...customerPages, ...settingsPages]
      .filter((p) => allowed(p, me.permissions))
      .map((p) => {
        const Icon = p.icon;
        return {
          id: `page:${p.path}`,
          label: p.label,
          description: p.description,
          keywords: p.keywords,
          leftSection: <Icon size={18} stroke={1.6} />,
          rightSection: p.hotkey ? <Kbd size="xs">g {p.hotkey}</Kbd> : undefined,
          onClick: () => navigate(p.path),
        };
      });
    const can = (p: string) => me.permissions.some((x) => x === p);
    const commands: SpotlightActionData[] = [
      ...(can('customers:write')
        ? [
            {
              id: 'action:new-person',
              label: 'New person',
              description: 'Add a customer or a lead',
              keywords: ['add', 'create', 'contact', 'customer', 'lead'],
              leftSection: <IconUserPlus size={18} stroke={1.6} />,
              onClick: () => navigate('/people?new=1'),
            },
          ]
        : []),
      ...(can('apikeys:manage')
        ? [
            {
              id: 'action:new-api-key',
              label: 'Create API key',
              description: 'A key for a script or an integration',
              keywords: ['new', 'token', 'add'],
              leftSection: <IconKey size={18} stroke={1.6} />,
              onClick: () => navigate('/settings/api-keys?new=1'),
            },
          ]
        : []),
      ...(can('users:manage')
        ? [
            {
              id: 'action:add-user',
              label: 'Add user',
              description: 'Give a teammate access',
              keywords: ['invite', 'new', 'person', 'member'],
              leftSection: <IconUserPlus size={18} stroke={1.6} />,
              onClick: () => navigate('/settings/users?new=1'),
            },
          ]
        : []),
      ...(can('workspace:manage')
        ? [
            {
              id: 'action:add-webhook',
              label: 'Add webhook',
              description: 'Send events to a URL as they happen',
              keywords: ['new', 'create', 'endpoint', 'integration', 'callback'],
              leftSection: <IconWebhook size={18} stroke={1.6} />,
              onClick: () => navigate('/settings/webhooks?new=1'),
            },
          ]
        : []),
      {
        id: 'action:theme',
        label: theme.scheme === 'dark' ? 'Switch to light theme' : 'Switch to dark theme',
        description: 'Toggle light and dark',
        keywords: ['theme', 'dark', 'light', 'mode', 'appearance'],
        leftSection: theme.scheme === 'dark' ? <IconSun size={18} stroke={1.6} /> : <IconMoon size={18} stroke={1.6} />,
        rightSection: <Kbd size="xs">Shift T</Kbd>,
        onClick: theme.toggle,
      },
      {
        id: 'action:shortcuts',
        label: 'Keyboard shortcuts',
        description: 'Every shortcut on one page',
        keywords: ['keys', 'help', 'hotkeys'],
        leftSection: <IconKeyboard size={18} stroke={1.6} />,
        rightSection: <Kbd size="xs">?</Kbd>,
        onClick: onShowShortcuts,
      },
      {
        id: 'action:sign-out',
        label: 'Sign out',
        description: 'End this session',
        keywords: ['logout', 'log out', 'exit'],
        leftSection: <IconLogout size={18} stroke={1.6} />,
        onClick: () => void signOut(),
      },
    ];
    const groups: SpotlightActionGroupData[] = [];
    const hits = debounced.length >= 2 && query.trim() ? (customers.data?.data ?? []) : [];
    if (hits.length)
      groups.push({
        group: customersGroup,
        actions: hits.map((h) => ({
          id: `${h.type}:${h.id}`,
          label: h.title,
          description: h.subtitle ?? undefined,
          leftSection: (
            <Avatar size={24} radius={h.type === 'company' ? 'sm' : 'xl'} color="initials" name={h.title}>
              {h.type === 'company' ? <IconBuildingSkyscraper size={14} /> : initials(h.title)}
            </Avatar>
          ),
          rightSection: (
            <Badge size="xs" variant="light" color={h.type === 'company' ? 'cyan' : 'gray'}>
              {h.type === 'company' ? 'Company' : 'Person'}
            </Badge>
          ),
          onClick: () => navigate(h.type === 'company' ? `/companies/${h.id}` : `/people/${h.id}`),
        })),
      });
    groups.push({ group: 'Go to', actions: pages }, { group: 'Actions', actions: commands });
    const found = debounced.length >= 2 && query.trim() ? (people.data ?? []) : [];
    if (found.length)
      groups.push({
        group: peopleGroup,
        actions: found.map((u) => ({
          id: `user:${u.id}`,
          label: u.name,
          description: u.email,
          leftSection: (
            <Avatar size={24} radius="xl" color="initials" name={u.name}>
              {initials(u.name)}
            </Avatar>
          ),
          rightSection: (
            <Badge size="xs" variant="light" color={u.status === 'disabled' ? 'gray' : 'brand'}>
              {u.status === 'disabled' ? 'Disabled' : roleLabels[u.role]}
            </Badge>
          ),
          onClick: () => navigate(`/settings/users?q=${encodeURIComponent(u.email)}`),
        })),
      });
    return groups;
  }, [me.permissions, navigate, onShowShortcuts, signOut, theme, people.data, customers.data, debounced, query]);

  return (
    <Spotlight
      actions={actions}
      filter={filter}
      query={query}
      onQueryChange={setQuery}
      shortcut={['mod + K']}
      nothingFound={
        people.isFetching || customers.isFetching
          ? 'Searching…'
          : 'Nothing found. Try a page name, an action, or a customer’s name, email or company.'
      }
      highlightQuery
      centered={false}
      yOffset="12vh"
      scrollable
      maxHeight={440}
      searchProps={{
        leftSection: <IconSearch size={18} stroke={1.6} />,
        placeholder: 'Find a customer, go to a page, run an action…',
        'aria-label': 'Command palette search',
      }}
    />
  );
}
