import { useEffect, useMemo, useState } from 'react';
import {
  ActionIcon,
  Alert,
  Avatar,
  Badge,
  Button,
  Card,
  Code,
  CopyButton,
  Group,
  Menu,
  Modal,
  PasswordInput,
  Select,
  SimpleGrid,
  Skeleton,
  Stack,
  Table,
  Tabs,
  Text,
  TextInput,
  Tooltip,
  UnstyledButton,
  VisuallyHidden,
} from '@mantine/core';
import { useForm } from '@mantine/form';
import { useDebouncedValue } from '@mantine/hooks';
import {
  IconAlertTriangle,
  IconCheck,
  IconChevronDown,
  IconChevronUp,
  IconCopy,
  IconDots,
  IconKey,
  IconPlus,
  IconSearch,
  IconSelector,
  IconTrash,
  IconUserCheck,
  IconUserOff,
  IconUserPlus,
  IconUsers,
} from '@tabler/icons-react';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useSearchParams } from 'react-router';
import { api } from '../../api/client.ts';
import { keys, useMe, useRoles } from '../../api/queries.ts';
import { permissions, roles, type Page, type Role, type User } from '../../api/types.ts';
import { minPasswordLength } from '../../auth/SetupPage.tsx';
import { ConfirmModal } from '../../components/ConfirmModal.tsx';
import { Empty } from '../../components/Empty.tsx';
import { PageHeader } from '../../components/PageHeader.tsx';
import { RoleBadge } from '../../components/RoleBadge.tsx';
import { formatDate, formatDateTime, initials, relativeTime } from '../../lib/format.ts';
import { notifyError, notifySuccess } from '../../lib/notify.ts';
import { canAssignRole, permissionInfo, roleLabels } from '../../lib/permissions.ts';

type SortField = 'name' | 'email' | 'role' | 'status' | 'created_at';
type Sort = { field: SortField; desc: boolean };
type Filters = { q: string; role: string; status: string };

function strongPassword(): string {
  const alphabet = 'abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';
  const bytes = new Uint32Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => alphabet[b % alphabet.length]).join('');
}

function SecretOnce({ label, secret }: { label: string; secret: string }) {
  return (
    <Stack gap="sm">
      <Alert color="orange" icon={<IconAlertTriangle size={18} />} title="Shown only this once">
        {label}
      </Alert>
      <Group gap="xs" wrap="nowrap" align="stretch">
        <Code block className="rapport-secret" style={{ flex: 1 }} data-testid="temporary-password">
          {secret}
        </Code>
        <CopyButton value={secret}>
          {({ copied, copy }) => (
            <Button
              onClick={copy}
              color={copied ? 'teal' : undefined}
              leftSection={copied ? <IconCheck size={16} /> : <IconCopy size={16} />}
              aria-label="Copy password"
            >
              {copied ? 'Copied' : 'Copy'}
            </Button>
          )}
        </CopyButton>
      </Group>
    </Stack>
  );
}

function AddUserModal({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  const me = useMe();
  const qc = useQueryClient();
  const [result, setResult] = useState<{ user: User; temporaryPassword: string | null } | null>(null);
  const assignable = roles.filter((r) => canAssignRole(me.role, null, r));
  const form = useForm({
    initialValues: { name: '', email: '', role: 'agent' as string, password: '' },
    validate: {
      name: (v) => (v.trim() ? null : 'Enter their name'),
      email: (v) => (/^\S+@\S+\.\S+$/.test(v.trim()) ? null : 'Enter an email address'),
      password: (v) =>
        !v || v.length >= minPasswordLength ? null : `Use at least ${minPasswordLength} characters, or leave it empty`,
    },
  });
  const add = useMutation({
    mutationFn: (v: typeof form.values) =>
      api<{ user: User; temporaryPassword: string | null }>('/users', {
        method: 'POST',
        body: {
          name: v.name.trim(),
          email: v.email.trim(),
          role: v.role,
          ...(v.password ? { password: v.password } : {}),
        },
      }),
    onSuccess: (r) => {
      void qc.invalidateQueries({ queryKey: keys.users });
      void qc.invalidateQueries({ queryKey: keys.events });
      if (r.temporaryPassword) setResult(r);
      else {
        notifySuccess(`${r.user.name} can now sign in`);
        close();
      }
    },
    onError: (e) => notifyError(e, 'Could not add the user'),
  });
  function close() {
    onClose();
    window.setTimeout(() => {
      setResult(null);
      form.reset();
    }, 200);
  }
  return (
    <Modal opened={opened} onClose={close} title={result ? `${result.user.name} is added` : 'Add user'} size="md">
      {result?.temporaryPassword ? (
        <Stack gap="md">
          <SecretOnce
            label={`Send this temporary password to ${result.user.email} through a safe channel. They should change it after signing in from My profile.`}
            secret={result.temporaryPassword}
          />
          <Group justify="flex-end">
            <Button onClick={close}>Done</Button>
          </Group>
        </Stack>
      ) : (
        <form onSubmit={form.onSubmit((v) => add.mutate(v))} data-testid="add-user-form">
          <Stack gap="sm">
            <TextInput label="Name" data-autofocus autoComplete="off" {...form.getInputProps('name')} />
            <TextInput label="Email" type="email" autoComplete="off" {...form.getInputProps('email')} />
            <Select
              label="Role"
              description="You can change it later"
              data={assignable.map((r) => ({ value: r, label: roleLabels[r] }))}
              allowDeselect={false}
              {...form.getInputProps('role')}
            />
            <PasswordInput
              label="Password"
              description="Leave empty to get a one-time temporary password to pass on"
              autoComplete="new-password"
              {...form.getInputProps('password')}
            />
            <Group justify="flex-end" gap="xs" mt="xs">
              <Button variant="default" onClick={close}>
                Cancel
              </Button>
              <Button type="submit" loading={add.isPending} leftSection={<IconUserPlus size={16} />}>
                Add user
              </Button>
            </Group>
          </Stack>
        </form>
      )}
    </Modal>
  );
}

function ResetPasswordModal({ user, onClose }: { user: User | null; onClose: () => void }) {
  const [done, setDone] = useState<string | null>(null);
  const form = useForm({
    initialValues: { password: '' },
    validate: {
      password: (v) => (v.length >= minPasswordLength ? null : `Use at least ${minPasswordLength} characters`),
    },
  });
  const reset = useMutation({
    mutationFn: (password: string) =>
      api(`/users/${user?.id}/password`, { method: 'PUT', body: { newPassword: password } }),
    onSuccess: (_r, password) => setDone(password),
    onError: (e) => notifyError(e, 'Could not reset the password'),
  });
  function close() {
    onClose();
    window.setTimeout(() => {
      setDone(null);
      form.reset();
    }, 200);
  }
  return (
    <Modal opened={user !== null} onClose={close} title={`Reset password of ${user?.name ?? ''}`}>
      {done ? (
        <Stack gap="md">
          <SecretOnce
            label={`${user?.name} is signed out everywhere. Send them this password through a safe channel.`}
            secret={done}
          />
          <Group justify="flex-end">
            <Button onClick={close}>Done</Button>
          </Group>
        </Stack>
      ) : (
        <form onSubmit={form.onSubmit((v) => reset.mutate(v.password))}>
          <Stack gap="sm">
            <Text fz="sm">They will be signed out of every device and must use the new password.</Text>
            <Group gap="xs" align="flex-end" wrap="nowrap">
              <PasswordInput
                label="New password"
                style={{ flex: 1 }}
                autoComplete="new-password"
                data-autofocus
                {...form.getInputProps('password')}
              />
              <Button variant="default" onClick={() => form.setFieldValue('password', strongPassword())}>
                Generate
              </Button>
            </Group>
            <Group justify="flex-end" gap="xs" mt="xs">
              <Button variant="default" onClick={close}>
                Cancel
              </Button>
              <Button type="submit" color="red" loading={reset.isPending}>
                Reset password
              </Button>
            </Group>
          </Stack>
        </form>
      )}
    </Modal>
  );
}

function SortHeader(props: { field: SortField; label: string; sort: Sort; onSort: (s: Sort) => void; w?: number }) {
  const active = props.sort.field === props.field;
  const Icon = !active ? IconSelector : props.sort.desc ? IconChevronDown : IconChevronUp;
  return (
    <Table.Th
      w={props.w}
      aria-sort={active ? (props.sort.desc ? 'descending' : 'ascending') : 'none'}
      className="rapport-sortable"
    >
      <UnstyledButton
        onClick={() => props.onSort({ field: props.field, desc: active ? !props.sort.desc : false })}
        aria-label={`Sort by ${props.label}`}
        fz="sm"
        fw={700}
      >
        <Group gap={4} wrap="nowrap">
          {props.label}
          <Icon size={14} stroke={1.6} />
        </Group>
      </UnstyledButton>
    </Table.Th>
  );
}

function RolesPanel() {
  const rolesQ = useRoles();
  const data = rolesQ.data?.data ?? [];
  if (rolesQ.isPending) return <Skeleton h={300} />;
  return (
    <Stack gap="md" data-testid="roles-panel">
      <SimpleGrid cols={3} spacing="sm">
        {data.map((r) => (
          <Card key={r.name} withBorder padding="sm">
            <Group justify="space-between" mb={4}>
              <RoleBadge role={r.name} />
              <Text fz="xs" c="dimmed">
                {r.permissions.length} of {permissions.length}
              </Text>
            </Group>
            <Text fz="sm">{r.description}</Text>
          </Card>
        ))}
      </SimpleGrid>
      <Card withBorder padding={0}>
        <Table.ScrollContainer minWidth={760}>
          <Table striped withColumnBorders data-testid="permission-matrix">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Permission</Table.Th>
                {data.map((r) => (
                  <Table.Th key={r.name} ta="center" w={90}>
                    {roleLabels[r.name]}
                  </Table.Th>
                ))}
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {permissions.map((p) => (
                <Table.Tr key={p}>
                  <Table.Td>
                    <Text fz="sm" fw={500}>
                      {permissionInfo[p].label}{' '}
                      <Text span fz="xs" c="dimmed" ff="monospace">
                        {p}
                      </Text>
                    </Text>
                    <Text fz="xs" c="dimmed">
                      {permissionInfo[p].description}
                    </Text>
                  </Table.Td>
                  {data.map((r) => (
                    <Table.Td key={r.name} ta="center">
                      {r.permissions.includes(p) ? (
                        <IconCheck size={16} color="var(--mantine-color-teal-6)" aria-label={`${r.name} has ${p}`} />
                      ) : (
                        <Text span c="dimmed" aria-label={`${r.name} lacks ${p}`}>
                          ·
                        </Text>
                      )}
                    </Table.Td>
                  ))}
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      </Card>
    </Stack>
  );
}

export function UsersPage() {
  const me = useMe();
  const qc = useQueryClient();
  const canManage = me.permissions.includes('users:manage');
  const [params, setParams] = useSearchParams();
  const [tab, setTab] = useState<string | null>('people');
  const [adding, setAdding] = useState(false);
  const [resetting, setResetting] = useState<User | null>(null);
  const [deleting, setDeleting] = useState<User | null>(null);
  const [filters, setFilters] = useState<Filters>({ q: params.get('q') ?? '', role: '', status: '' });
  const [debouncedQ] = useDebouncedValue(filters.q.trim(), 250);
  const [sort, setSort] = useState<Sort>({ field: 'name', desc: false });
  const [limit, setLimit] = useState(25);
  // Cursor-based paging: remember the cursor of each page we have been to, so "Previous" works.
  const [cursors, setCursors] = useState<Array<string | null>>([null]);
  const pageIndex = cursors.length - 1;

  useEffect(() => {
    if (params.get('new') && canManage) setAdding(true);
    if (params.get('q') !== null) setFilters((f) => ({ ...f, q: params.get('q') ?? '' }));
    if (params.get('new') || params.get('q') !== null) setParams({}, { replace: true });
  }, [params, setParams, canManage]);

  useEffect(() => setCursors([null]), [debouncedQ, filters.role, filters.status, sort, limit]);

  const filterParams = useMemo(() => {
    const f: string[] = [];
    if (debouncedQ) f.push(debouncedQ.includes('@') ? `email:contains:${debouncedQ}` : `name:contains:${debouncedQ}`);
    if (filters.role) f.push(`role:eq:${filters.role}`);
    if (filters.status) f.push(`status:eq:${filters.status}`);
    return f;
  }, [debouncedQ, filters.role, filters.status]);

  const cursor = cursors[pageIndex] ?? null;
  const queryKey = [...keys.users, 'page', { filterParams, sort, limit, cursor }];
  const page = useQuery({
    queryKey,
    queryFn: () =>
      api<Page<User>>('/users', {
        query: {
          limit,
          sort: `${sort.desc ? '-' : ''}${sort.field}`,
          filter: filterParams,
          cursor: cursor ?? undefined,
        },
      }),
    placeholderData: keepPreviousData,
  });

  const update = useMutation({
    mutationFn: (v: { user: User; changes: { role?: Role; status?: 'active' | 'disabled' } }) =>
      api<User>(`/users/${v.user.id}`, { method: 'PATCH', body: v.changes }),
    onMutate: async (v) => {
      await qc.cancelQueries({ queryKey });
      const before = qc.getQueryData<Page<User>>(queryKey);
      qc.setQueryData<Page<User>>(queryKey, (old) =>
        old ? { ...old, data: old.data.map((u) => (u.id === v.user.id ? { ...u, ...v.changes } : u)) } : old,
      );
      return { before };
    },
    onError: (e, _v, ctx) => {
      if (ctx?.before) qc.setQueryData(queryKey, ctx.before);
      notifyError(e, 'Could not change the user');
    },
    onSuccess: (u, v) => {
      if (v.changes.role) notifySuccess(`${u.name} is now ${roleLabels[u.role].toLowerCase()}`);
      else
        notifySuccess(u.status === 'disabled' ? `${u.name} is disabled and signed out` : `${u.name} can sign in again`);
    },
    onSettled: () => {
      void qc.invalidateQueries({ queryKey: keys.users });
      void qc.invalidateQueries({ queryKey: keys.events });
    },
  });

  const remove = useMutation({
    mutationFn: (u: User) => api(`/users/${u.id}`, { method: 'DELETE' }),
    onSuccess: (_r, u) => {
      setDeleting(null);
      notifySuccess(`${u.name} is deleted`);
      void qc.invalidateQueries({ queryKey: keys.users });
      void qc.invalidateQueries({ queryKey: keys.events });
    },
    onError: (e) => notifyError(e, 'Could not delete the user'),
  });

  const rows = page.data?.data ?? [];
  const filtered = filterParams.length > 0;
  const first = pageIndex * limit + 1;

  return (
    <>
      <PageHeader
        title="Users & roles"
        description="Who can sign in to this workspace and what each of them may do."
        actions={
          canManage && (
            <Button leftSection={<IconPlus size={16} />} onClick={() => setAdding(true)}>
              Add user
            </Button>
          )
        }
      />
      <Tabs value={tab} onChange={setTab} keepMounted={false}>
        <Tabs.List mb="md">
          <Tabs.Tab value="people" leftSection={<IconUsers size={16} />}>
            People
          </Tabs.Tab>
          <Tabs.Tab value="roles" leftSection={<IconKey size={16} />}>
            Roles & permissions
          </Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="people">
          <Group gap="sm" mb="sm" align="flex-end">
            <TextInput
              label="Search"
              placeholder="Name, or email with @"
              leftSection={<IconSearch size={16} />}
              value={filters.q}
              onChange={(e) => {
                const q = e.currentTarget.value;
                setFilters((f) => ({ ...f, q }));
              }}
              w={260}
              size="sm"
            />
            <Select
              label="Role"
              data={[{ value: '', label: 'All roles' }, ...roles.map((r) => ({ value: r, label: roleLabels[r] }))]}
              value={filters.role}
              onChange={(v) => setFilters((f) => ({ ...f, role: v ?? '' }))}
              allowDeselect={false}
              w={150}
              size="sm"
            />
            <Select
              label="Status"
              data={[
                { value: '', label: 'Any status' },
                { value: 'active', label: 'Active' },
                { value: 'disabled', label: 'Disabled' },
              ]}
              value={filters.status}
              onChange={(v) => setFilters((f) => ({ ...f, status: v ?? '' }))}
              allowDeselect={false}
              w={150}
              size="sm"
            />
            {filtered && (
              <Button variant="subtle" size="sm" onClick={() => setFilters({ q: '', role: '', status: '' })}>
                Clear filters
              </Button>
            )}
          </Group>
          <Card withBorder padding={0}>
            {page.isPending ? (
              <Skeleton h={200} m="md" />
            ) : rows.length === 0 ? (
              filtered ? (
                <Empty
                  icon={<IconSearch size={22} />}
                  title="No one matches"
                  description="Try another name, or clear the filters to see everyone."
                  action={
                    <Button variant="light" onClick={() => setFilters({ q: '', role: '', status: '' })}>
                      Clear filters
                    </Button>
                  }
                />
              ) : (
                <Empty
                  icon={<IconUsers size={22} />}
                  title="Only you so far"
                  description="Add teammates so they can work the inbox, run campaigns or read analytics, each with a role that fits."
                  action={
                    canManage && (
                      <Button leftSection={<IconUserPlus size={16} />} onClick={() => setAdding(true)}>
                        Add user
                      </Button>
                    )
                  }
                />
              )
            ) : (
              <Table.ScrollContainer minWidth={900}>
                <Table highlightOnHover data-testid="users-table" opacity={page.isPlaceholderData ? 0.6 : 1}>
                  <Table.Thead>
                    <Table.Tr>
                      <SortHeader field="name" label="Name" sort={sort} onSort={setSort} />
                      <SortHeader field="email" label="Email" sort={sort} onSort={setSort} />
                      <SortHeader field="role" label="Role" sort={sort} onSort={setSort} w={150} />
                      <SortHeader field="status" label="Status" sort={sort} onSort={setSort} w={120} />
                      <Table.Th w={130}>Last sign-in</Table.Th>
                      <SortHeader field="created_at" label="Added" sort={sort} onSort={setSort} w={120} />
                      <Table.Th w={50}>
                        <VisuallyHidden>Actions</VisuallyHidden>
                      </Table.Th>
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {rows.map((u) => {
                      const self = u.id === me.user?.id;
                      const assignable = roles.filter((r) => r === u.role || canAssignRole(me.role, u.role, r));
                      const canChangeRole = canManage && !self && assignable.length > 1;
                      const canTouch = canManage && !self && (u.role !== 'owner' || me.role === 'owner');
                      return (
                        <Table.Tr key={u.id} data-testid="user-row" data-email={u.email}>
                          <Table.Td>
                            <Group gap={8} wrap="nowrap">
                              <Avatar size={26} radius="xl" color="initials" name={u.name}>
                                {initials(u.name)}
                              </Avatar>
                              <Text fz="sm" fw={500} truncate maw={200}>
                                {u.name}
                              </Text>
                              {self && (
                                <Badge size="xs" variant="outline" style={{ flexShrink: 0 }} miw={36}>
                                  You
                                </Badge>
                              )}
                            </Group>
                          </Table.Td>
                          <Table.Td>
                            <Text fz="sm" truncate maw={260} title={u.email}>
                              {u.email}
                            </Text>
                          </Table.Td>
                          <Table.Td>
                            {canChangeRole ? (
                              <Select
                                size="xs"
                                aria-label={`Role of ${u.name}`}
                                data={assignable.map((r) => ({ value: r, label: roleLabels[r] }))}
                                value={u.role}
                                allowDeselect={false}
                                onChange={(v) => {
                                  if (v && v !== u.role) update.mutate({ user: u, changes: { role: v as Role } });
                                }}
                                w={130}
                                comboboxProps={{ withinPortal: true }}
                              />
                            ) : (
                              <RoleBadge role={u.role} />
                            )}
                          </Table.Td>
                          <Table.Td>
                            <Badge
                              size="sm"
                              variant="dot"
                              miw={92}
                              tt="none"
                              color={u.status === 'active' ? 'teal' : 'gray'}
                            >
                              {u.status === 'active' ? 'Active' : 'Disabled'}
                            </Badge>
                          </Table.Td>
                          <Table.Td>
                            <Tooltip label={formatDateTime(u.lastLoginAt)} disabled={!u.lastLoginAt}>
                              <Text fz="sm" c={u.lastLoginAt ? undefined : 'dimmed'} style={{ whiteSpace: 'nowrap' }}>
                                {u.lastLoginAt ? relativeTime(u.lastLoginAt) : 'Never'}
                              </Text>
                            </Tooltip>
                          </Table.Td>
                          <Table.Td style={{ whiteSpace: 'nowrap' }}>{formatDate(u.createdAt)}</Table.Td>
                          <Table.Td>
                            {canTouch && (
                              <Menu position="bottom-end" withinPortal shadow="md">
                                <Menu.Target>
                                  <ActionIcon variant="subtle" color="gray" aria-label={`Actions for ${u.name}`}>
                                    <IconDots size={16} />
                                  </ActionIcon>
                                </Menu.Target>
                                <Menu.Dropdown>
                                  {u.status === 'active' ? (
                                    <Menu.Item
                                      leftSection={<IconUserOff size={16} />}
                                      onClick={() => update.mutate({ user: u, changes: { status: 'disabled' } })}
                                    >
                                      Disable
                                    </Menu.Item>
                                  ) : (
                                    <Menu.Item
                                      leftSection={<IconUserCheck size={16} />}
                                      onClick={() => update.mutate({ user: u, changes: { status: 'active' } })}
                                    >
                                      Enable
                                    </Menu.Item>
                                  )}
                                  <Menu.Item leftSection={<IconKey size={16} />} onClick={() => setResetting(u)}>
                                    Reset password
                                  </Menu.Item>
                                  <Menu.Divider />
                                  <Menu.Item
                                    color="red"
                                    leftSection={<IconTrash size={16} />}
                                    onClick={() => setDeleting(u)}
                                  >
                                    Delete
                                  </Menu.Item>
                                </Menu.Dropdown>
                              </Menu>
                            )}
                          </Table.Td>
                        </Table.Tr>
                      );
                    })}
                  </Table.Tbody>
                </Table>
              </Table.ScrollContainer>
            )}
          </Card>
          <Group justify="space-between" mt="sm">
            <Text fz="xs" c="dimmed" data-testid="users-range">
              {rows.length ? `Showing ${first}–${first + rows.length - 1}` : ''}
            </Text>
            <Group gap="xs">
              <Select
                aria-label="Rows per page"
                size="xs"
                w={120}
                data={['25', '50', '100'].map((v) => ({ value: v, label: `${v} per page` }))}
                value={String(limit)}
                onChange={(v) => setLimit(Number(v ?? 25))}
                allowDeselect={false}
              />
              <Button
                size="xs"
                variant="default"
                disabled={pageIndex === 0}
                onClick={() => setCursors((c) => c.slice(0, -1))}
              >
                Previous
              </Button>
              <Button
                size="xs"
                variant="default"
                disabled={!page.data?.page.nextCursor || page.isPlaceholderData}
                onClick={() => {
                  const next = page.data?.page.nextCursor;
                  if (next) setCursors((c) => [...c, next]);
                }}
              >
                Next
              </Button>
            </Group>
          </Group>
        </Tabs.Panel>
        <Tabs.Panel value="roles">
          <RolesPanel />
        </Tabs.Panel>
      </Tabs>
      <AddUserModal opened={adding} onClose={() => setAdding(false)} />
      <ResetPasswordModal user={resetting} onClose={() => setResetting(null)} />
      <ConfirmModal
        opened={deleting !== null}
        onClose={() => setDeleting(null)}
        title={`Delete ${deleting?.name ?? ''}?`}
        message={
          <>
            <b>{deleting?.email}</b> loses access at once and is removed from the workspace. Their past activity stays
            in the log. If they may come back, disable them instead.
          </>
        }
        confirmLabel="Delete user"
        danger
        loading={remove.isPending}
        onConfirm={() => deleting && remove.mutate(deleting)}
      />
    </>
  );
}
