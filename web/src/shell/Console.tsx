import { Fragment, useCallback, useEffect, useState } from 'react';
import {
  ActionIcon,
  AppShell,
  Badge,
  Box,
  Burger,
  Group,
  Kbd,
  NavLink,
  ScrollArea,
  Stack,
  Text,
  Tooltip,
  UnstyledButton,
} from '@mantine/core';
import { spotlight } from '@mantine/spotlight';
import { IconKeyboard, IconMoon, IconSearch, IconSettings, IconSun } from '@tabler/icons-react';
import { Link, Navigate, Route, Routes, useLocation, useNavigate } from 'react-router';
import { ErrorBoundary } from './ErrorBoundary.tsx';
import { Guard } from './Guard.tsx';
import { useMe } from '../api/queries.ts';
import type { Permission } from '../api/types.ts';
import { HomePage } from '../pages/HomePage.tsx';
import { InboxPage } from '../pages/inbox/InboxPage.tsx';
import { AnalyticsPage } from '../pages/analytics/AnalyticsPage.tsx';
import { PredictionsPage } from '../pages/predictions/PredictionsPage.tsx';
import { KnowledgeBasePage } from '../pages/kb/KnowledgeBasePage.tsx';
import { ActivityPage } from '../pages/settings/ActivityPage.tsx';
import { ApiKeysPage } from '../pages/settings/ApiKeysPage.tsx';
import { ProfilePage } from '../pages/settings/ProfilePage.tsx';
import { SessionsPage } from '../pages/settings/SessionsPage.tsx';
import { UsersPage } from '../pages/settings/UsersPage.tsx';
import { WebhooksPage } from '../pages/settings/WebhooksPage.tsx';
import { ChannelsPage } from '../pages/settings/ChannelsPage.tsx';
import { TeamsPage } from '../pages/settings/TeamsPage.tsx';
import { SlaPage } from '../pages/settings/SlaPage.tsx';
import { RulesPage } from '../pages/settings/RulesPage.tsx';
import { MacrosPage } from '../pages/settings/MacrosPage.tsx';
import { SopChecklistsPage } from '../pages/settings/SopChecklistsPage.tsx';
import { WorkspacePage } from '../pages/settings/WorkspacePage.tsx';
import { NotFoundPage } from '../pages/NotFoundPage.tsx';
import { CompaniesListPage } from '../pages/customers/CompaniesListPage.tsx';
import { CompanyPage } from '../pages/customers/CompanyPage.tsx';
import { DuplicatesPage } from '../pages/customers/DuplicatesPage.tsx';
import { ImportPage } from '../pages/customers/ImportPage.tsx';
import { PeopleListPage } from '../pages/customers/PeopleListPage.tsx';
import { PersonPage } from '../pages/customers/PersonPage.tsx';
import { OrdersPage } from '../pages/commerce/OrdersPage.tsx';
import { CustomFieldsPage } from '../pages/settings/CustomFieldsPage.tsx';
import { ViewLinks } from '../pages/customers/views.tsx';
import { AccountMenu } from './AccountMenu.tsx';
import { CommandPalette } from './CommandPalette.tsx';
import { Logo } from './Logo.tsx';
import { allowed, comingSoon, customerPages, homePage, servicePages, settingsPages } from './pages.ts';
import { modKey, ShortcutsModal, useGlobalShortcuts } from './shortcuts.tsx';
import { useThemeToggle } from './useThemeToggle.ts';

function Navigation() {
  const me = useMe();
  const { pathname, search } = useLocation();
  const inSettings = pathname.startsWith('/settings');
  const [settingsOpen, setSettingsOpen] = useState(true);
  const HomeIcon = homePage.icon;
  return (
    <Stack gap={2} component="nav" aria-label="Main">
      <NavLink
        component={Link}
        to="/"
        label="Home"
        active={pathname === '/'}
        leftSection={<HomeIcon size={18} stroke={1.6} />}
      />
      {servicePages
        .filter((p) => allowed(p, me.permissions))
        .map((p) => {
          const Icon = p.icon;
          return (
            <NavLink
              key={p.path}
              component={Link}
              to={p.path}
              label={p.label}
              active={pathname === p.path || pathname.startsWith(`${p.path}/`)}
              leftSection={<Icon size={18} stroke={1.6} />}
            />
          );
        })}
      {customerPages.some((p) => allowed(p, me.permissions)) && (
        <>
          <Text fz={11} fw={600} c="dimmed" tt="uppercase" px="sm" pt="md" pb={4} lts={0.4}>
            Customers
          </Text>
          {customerPages
            .filter((p) => allowed(p, me.permissions))
            .map((p) => {
              const Icon = p.icon;
              return (
                <Fragment key={p.path}>
                  <NavLink
                    component={Link}
                    to={p.path}
                    label={p.label}
                    active={
                      pathname === p.path
                        ? !search.includes('view=')
                        : pathname.startsWith(`${p.path}/`) &&
                          !customerPages.some((o) => o.path.length > p.path.length && pathname.startsWith(o.path))
                    }
                    leftSection={<Icon size={18} stroke={1.6} />}
                  />
                  {p.path === '/people' && <ViewLinks entity="person" />}
                  {p.path === '/companies' && <ViewLinks entity="company" />}
                </Fragment>
              );
            })}
        </>
      )}
      <Text fz={11} fw={600} c="dimmed" tt="uppercase" px="sm" pt="md" pb={4} lts={0.4}>
        Coming soon
      </Text>
      {comingSoon.map((area) => {
        const Icon = area.icon;
        return (
          <Tooltip key={area.label} label={area.description} position="right">
            <NavLink
              component="div"
              role="link"
              aria-disabled="true"
              disabled
              label={area.label}
              leftSection={<Icon size={18} stroke={1.6} />}
              rightSection={
                <Badge size="xs" variant="light" color="gray">
                  soon
                </Badge>
              }
            />
          </Tooltip>
        );
      })}
      <Box pt="md" />
      <NavLink
        label="Settings"
        leftSection={<IconSettings size={18} stroke={1.6} />}
        opened={settingsOpen || inSettings}
        onChange={setSettingsOpen}
        active={inSettings && !settingsOpen}
        childrenOffset={18}
      >
        {settingsPages
          .filter((p) => allowed(p, me.permissions))
          .map((p) => (
            <NavLink key={p.path} component={Link} to={p.path} label={p.label} active={pathname === p.path} />
          ))}
      </NavLink>
    </Stack>
  );
}

export function Console() {
  const me = useMe();
  const navigate = useNavigate();
  const location = useLocation();
  const theme = useThemeToggle();
  const [shortcutsOpen, setShortcutsOpen] = useState(false);
  // Below the `sm` breakpoint (phones) the navigation is a drawer behind the burger, closed again on every navigation.
  const [navOpen, setNavOpen] = useState(false);
  useEffect(() => setNavOpen(false), [location.pathname, location.search]);
  const showShortcuts = useCallback(() => setShortcutsOpen(true), []);
  useGlobalShortcuts({ go: navigate, showShortcuts, toggleTheme: theme.toggle });

  const perm = (path: string) => settingsPages.find((p) => p.path === path)?.permission;

  return (
    <AppShell
      header={{ height: 52 }}
      navbar={{ width: 232, breakpoint: 'sm', collapsed: { mobile: !navOpen } }}
      padding={0}
    >
      <AppShell.Header>
        <Group h="100%" px={{ base: 'xs', sm: 'md' }} gap="xs" justify="space-between" wrap="nowrap">
          <Group gap={10} wrap="nowrap" w={{ base: 'auto', sm: 216 }} style={{ flexShrink: 0 }}>
            <Burger
              opened={navOpen}
              onClick={() => setNavOpen((o) => !o)}
              hiddenFrom="sm"
              size="sm"
              aria-label={navOpen ? 'Close navigation' : 'Open navigation'}
              aria-expanded={navOpen}
              data-testid="nav-burger"
            />
            <Logo size={26} />
            <Box miw={0} visibleFrom="sm">
              <Text fw={700} fz="sm" lh={1.1}>
                Rapport
              </Text>
              <Text fz="xs" c="dimmed" lh={1.2} truncate data-testid="workspace-name">
                {me.workspace.name}
              </Text>
            </Box>
          </Group>
          <UnstyledButton
            onClick={() => spotlight.open()}
            aria-label="Open the command palette"
            data-testid="palette-button"
            style={{
              flex: '0 1 420px',
              border: '1px solid var(--mantine-color-default-border)',
              borderRadius: 8,
              background: 'var(--mantine-color-default)',
            }}
            px="sm"
            py={6}
          >
            <Group gap={8} wrap="nowrap">
              <IconSearch size={16} stroke={1.6} color="var(--mantine-color-dimmed)" />
              <Text fz="sm" c="dimmed" style={{ flex: 1 }} truncate>
                Search or jump to…
              </Text>
              <Kbd size="xs" visibleFrom="sm">
                {modKey} K
              </Kbd>
            </Group>
          </UnstyledButton>
          <Group gap={6} wrap="nowrap">
            <Tooltip label="Keyboard shortcuts (?)">
              <ActionIcon
                variant="subtle"
                color="gray"
                size="lg"
                visibleFrom="sm"
                aria-label="Keyboard shortcuts"
                onClick={showShortcuts}
              >
                <IconKeyboard size={19} stroke={1.6} />
              </ActionIcon>
            </Tooltip>
            <Tooltip label={theme.scheme === 'dark' ? 'Light theme' : 'Dark theme'}>
              <ActionIcon
                variant="subtle"
                color="gray"
                size="lg"
                aria-label={theme.scheme === 'dark' ? 'Switch to light theme' : 'Switch to dark theme'}
                onClick={theme.toggle}
                data-testid="theme-toggle"
              >
                {theme.scheme === 'dark' ? <IconSun size={19} stroke={1.6} /> : <IconMoon size={19} stroke={1.6} />}
              </ActionIcon>
            </Tooltip>
            <AccountMenu onShowShortcuts={showShortcuts} />
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs">
        <AppShell.Section grow component={ScrollArea}>
          <Navigation />
        </AppShell.Section>
        <AppShell.Section>
          <Text fz="xs" c="dimmed" px="sm" py={6}>
            Press <Kbd size="xs">?</Kbd> for shortcuts
          </Text>
        </AppShell.Section>
      </AppShell.Navbar>
      <AppShell.Main className="rapport-main">
        <ErrorBoundary resetKey={location.pathname}>
          <Routes>
            {/* The inbox uses the whole width: queues, list and ticket side by side. */}
            <Route
              path="/inbox/:ticketId?"
              element={
                <Guard page="the Inbox" permission="tickets:read">
                  <InboxPage />
                </Guard>
              }
            />
            <Route path="*" element={<PaddedPages perm={perm} />} />
          </Routes>
        </ErrorBoundary>
      </AppShell.Main>
      <CommandPalette onShowShortcuts={showShortcuts} />
      <ShortcutsModal opened={shortcutsOpen} onClose={() => setShortcutsOpen(false)} />
    </AppShell>
  );
}

/** Every page but the inbox: centred, padded, at most 1240 px wide. */
function PaddedPages({ perm }: { perm: (path: string) => Permission | undefined }) {
  return (
    <Box p="lg" maw={1240} mx="auto">
      <Routes>
        <Route path="/" element={<HomePage />} />
        <Route
          path="/people"
          element={
            <Guard page="People" permission="customers:read">
              <PeopleListPage />
            </Guard>
          }
        />
        <Route
          path="/people/import"
          element={
            <Guard page="Import people" permission="customers:write">
              <ImportPage />
            </Guard>
          }
        />
        <Route
          path="/people/duplicates"
          element={
            <Guard page="Duplicates" permission="customers:write">
              <DuplicatesPage />
            </Guard>
          }
        />
        <Route
          path="/people/:id"
          element={
            <Guard page="this person" permission="customers:read">
              <PersonPage />
            </Guard>
          }
        />
        <Route
          path="/companies"
          element={
            <Guard page="Companies" permission="customers:read">
              <CompaniesListPage />
            </Guard>
          }
        />
        <Route
          path="/companies/:id"
          element={
            <Guard page="this company" permission="customers:read">
              <CompanyPage />
            </Guard>
          }
        />
        <Route
          path="/orders"
          element={
            <Guard page="Orders" permission="customers:read">
              <OrdersPage />
            </Guard>
          }
        />
        <Route
          path="/orders/import"
          element={
            <Guard page="Import orders" permission="customers:write">
              <ImportPage entity="order" />
            </Guard>
          }
        />
        <Route
          path="/settings/custom-fields"
          element={
            <Guard page="Custom fields" permission={perm('/settings/custom-fields')}>
              <CustomFieldsPage />
            </Guard>
          }
        />
        <Route
          path="/analytics"
          element={
            <Guard page="Analytics" permission="analytics:read">
              <AnalyticsPage />
            </Guard>
          }
        />
        <Route
          path="/predictions"
          element={
            <Guard page="Predictions" permission="analytics:read">
              <PredictionsPage />
            </Guard>
          }
        />
        <Route
          path="/kb"
          element={
            <Guard page="the Knowledge base" permission="tickets:read">
              <KnowledgeBasePage />
            </Guard>
          }
        />
        <Route path="/settings" element={<Navigate to="/settings/workspace" replace />} />
        <Route path="/settings/workspace" element={<WorkspacePage />} />
        <Route
          path="/settings/users"
          element={
            <Guard page="Users & roles" permission={perm('/settings/users')}>
              <UsersPage />
            </Guard>
          }
        />
        <Route
          path="/settings/api-keys"
          element={
            <Guard page="API keys" permission={perm('/settings/api-keys')}>
              <ApiKeysPage />
            </Guard>
          }
        />
        <Route
          path="/settings/webhooks"
          element={
            <Guard page="Webhooks" permission={perm('/settings/webhooks')}>
              <WebhooksPage />
            </Guard>
          }
        />
        <Route
          path="/settings/channels"
          element={
            <Guard page="Channels" permission={perm('/settings/channels')}>
              <ChannelsPage />
            </Guard>
          }
        />
        <Route
          path="/settings/macros"
          element={
            <Guard page="Macros" permission={perm('/settings/macros')}>
              <MacrosPage />
            </Guard>
          }
        />
        <Route
          path="/settings/sop-checklists"
          element={
            <Guard page="SOP checklists" permission={perm('/settings/sop-checklists')}>
              <SopChecklistsPage />
            </Guard>
          }
        />
        <Route
          path="/settings/teams"
          element={
            <Guard page="Teams" permission={perm('/settings/teams')}>
              <TeamsPage />
            </Guard>
          }
        />
        <Route
          path="/settings/sla"
          element={
            <Guard page="Service levels" permission={perm('/settings/sla')}>
              <SlaPage />
            </Guard>
          }
        />
        <Route
          path="/settings/rules"
          element={
            <Guard page="Rules & escalation" permission={perm('/settings/rules')}>
              <RulesPage />
            </Guard>
          }
        />
        <Route path="/settings/sessions" element={<SessionsPage />} />
        <Route
          path="/settings/activity"
          element={
            <Guard page="the Activity log" permission={perm('/settings/activity')}>
              <ActivityPage />
            </Guard>
          }
        />
        <Route path="/settings/profile" element={<ProfilePage />} />
        <Route path="*" element={<NotFoundPage />} />
      </Routes>
    </Box>
  );
}
