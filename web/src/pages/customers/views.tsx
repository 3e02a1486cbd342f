/** Saved views: a named filter, sort, search and columns of a list, listed in the sidebar under the list. */
import { useEffect, useRef, useState } from 'react';
import { ActionIcon, Button, Checkbox, Group, Menu, Modal, NavLink, Stack, TextInput } from '@mantine/core';
import { IconBookmark, IconDeviceFloppy, IconDots, IconTrash, IconUsers } from '@tabler/icons-react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useLocation, useNavigate, useSearchParams } from 'react-router';
import { api, withQuery } from '../../api/client.ts';
import type { Entity } from '../../api/customers.ts';
import { useMe } from '../../api/queries.ts';
import { notifyError, notifySuccess } from '../../lib/notify.ts';
import type { ListState } from './list.tsx';

export type SavedView = {
  id: string;
  entity: Entity;
  name: string;
  query: { filter: string[]; sort?: string; q?: string; columns?: string[] };
  ownerId: string | null;
  shared: boolean;
  createdAt: string;
  updatedAt: string;
};

const listPath: Record<Entity, string> = { person: '/people', company: '/companies' };

export function useViews(entity: Entity, enabled = true) {
  return useQuery({
    queryKey: ['views', entity],
    enabled,
    queryFn: () => api<{ data: SavedView[] }>('/views', { query: { entity } }),
    staleTime: 30_000,
  });
}

export function viewHref(v: SavedView): string {
  return withQuery(listPath[v.entity], { view: v.id, filter: v.query.filter, sort: v.query.sort, q: v.query.q });
}

/** The views of a list, as indented links under its entry in the main navigation. */
export function ViewLinks({ entity }: { entity: Entity }) {
  const me = useMe();
  const { pathname, search } = useLocation();
  const views = useViews(entity, me.permissions.includes('customers:read'));
  const active = new URLSearchParams(search).get('view');
  return (
    <>
      {(views.data?.data ?? []).map((v) => (
        <NavLink
          key={v.id}
          component={Link}
          to={viewHref(v)}
          label={v.name}
          pl={40}
          py={4}
          fz="sm"
          active={pathname === listPath[entity] && active === v.id}
          leftSection={v.shared ? <IconUsers size={14} stroke={1.6} /> : <IconBookmark size={14} stroke={1.6} />}
          data-testid="view-link"
        />
      ))}
    </>
  );
}

/** "Save view" for a filtered list, or the menu of the view being looked at (save changes, rename, delete). */
export function ViewActions(props: {
  entity: Entity;
  state: ListState;
  columns: string[];
  setColumns: (ids: string[]) => void;
}) {
  const me = useMe();
  const qc = useQueryClient();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const viewId = params.get('view');
  const views = useViews(props.entity);
  const view = views.data?.data.find((v) => v.id === viewId) ?? null;
  const [naming, setNaming] = useState<'new' | 'rename' | null>(null);
  const [name, setName] = useState('');
  const [shared, setShared] = useState(false);
  const query = {
    filter: props.state.apiQuery.filter,
    sort: props.state.sort,
    q: props.state.apiQuery.q,
    columns: props.columns,
  };

  // Opening a view shows its columns.
  const applied = useRef<string | null>(null);
  const { setColumns } = props;
  useEffect(() => {
    if (!view || applied.current === view.id) return;
    applied.current = view.id;
    if (view.query.columns?.length) setColumns(view.query.columns);
  }, [view, setColumns]);

  const refresh = () => void qc.invalidateQueries({ queryKey: ['views'] });
  const create = useMutation({
    mutationFn: () =>
      api<SavedView>('/views', { method: 'POST', body: { entity: props.entity, name: name.trim(), query, shared } }),
    onSuccess: (v) => {
      refresh();
      setNaming(null);
      notifySuccess(`“${v.name}” is saved${v.shared ? ' for everyone' : ''}; it is in the sidebar.`);
      navigate(viewHref(v), { replace: true });
    },
    onError: (e) => notifyError(e, 'Could not save the view'),
  });
  const patch = useMutation({
    mutationFn: (body: Partial<Pick<SavedView, 'name' | 'shared'>> & { query?: typeof query }) =>
      api<SavedView>(`/views/${view?.id}`, { method: 'PATCH', body }),
    onSuccess: (v) => {
      refresh();
      setNaming(null);
      notifySuccess(`“${v.name}” is saved`);
    },
    onError: (e) => notifyError(e, 'Could not save the view'),
  });
  const remove = useMutation({
    mutationFn: () => api(`/views/${view?.id}`, { method: 'DELETE' }),
    onSuccess: () => {
      refresh();
      notifySuccess('The view is deleted');
      navigate(listPath[props.entity]);
    },
    onError: (e) => notifyError(e, 'Could not delete the view'),
  });

  const changed =
    view &&
    (JSON.stringify(view.query.filter) !== JSON.stringify(query.filter) ||
      (view.query.sort ?? '') !== (query.sort ?? '') ||
      (view.query.q ?? '') !== (query.q ?? ''));
  const mine = view && (view.ownerId === me.user?.id || me.permissions.includes('workspace:manage'));
  const filtered = props.state.filters.length > 0 || Boolean(props.state.apiQuery.q);

  return (
    <>
      {view ? (
        <Group gap={4} wrap="nowrap">
          {changed && mine && (
            <Button
              size="xs"
              variant="light"
              leftSection={<IconDeviceFloppy size={14} />}
              loading={patch.isPending}
              onClick={() => patch.mutate({ query })}
            >
              Save changes
            </Button>
          )}
          <Menu position="bottom-end" shadow="md">
            <Menu.Target>
              <ActionIcon variant="default" size={30} aria-label="View actions">
                <IconDots size={16} />
              </ActionIcon>
            </Menu.Target>
            <Menu.Dropdown>
              <Menu.Label>{view.name}</Menu.Label>
              <Menu.Item
                onClick={() => {
                  setName(`${view.name} (copy)`);
                  setShared(false);
                  setNaming('new');
                }}
              >
                Save as a new view
              </Menu.Item>
              {mine && (
                <>
                  <Menu.Item
                    onClick={() => {
                      setName(view.name);
                      setShared(view.shared);
                      setNaming('rename');
                    }}
                  >
                    Rename or share
                  </Menu.Item>
                  <Menu.Item color="red" leftSection={<IconTrash size={14} />} onClick={() => remove.mutate()}>
                    Delete view
                  </Menu.Item>
                </>
              )}
            </Menu.Dropdown>
          </Menu>
        </Group>
      ) : (
        filtered && (
          <Button
            size="xs"
            variant="light"
            leftSection={<IconBookmark size={14} />}
            onClick={() => {
              setName('');
              setShared(false);
              setNaming('new');
            }}
            data-testid="save-view"
          >
            Save view
          </Button>
        )
      )}
      <Modal
        opened={naming !== null}
        onClose={() => setNaming(null)}
        title={naming === 'rename' ? 'Rename view' : 'Save this view'}
        size="sm"
      >
        <form
          onSubmit={(e) => {
            e.preventDefault();
            if (!name.trim()) return;
            if (naming === 'rename') patch.mutate({ name: name.trim(), shared });
            else create.mutate();
          }}
        >
          <Stack gap="sm">
            <TextInput
              label="Name"
              placeholder="VIPs in Lisbon"
              value={name}
              onChange={(e) => setName(e.currentTarget.value)}
              data-autofocus
            />
            <Checkbox
              label="Share with the workspace"
              description="Everyone sees it in their sidebar; only you and admins can change it"
              checked={shared}
              onChange={(e) => setShared(e.currentTarget.checked)}
            />
            <Group justify="flex-end" gap="xs">
              <Button variant="default" onClick={() => setNaming(null)}>
                Cancel
              </Button>
              <Button type="submit" disabled={!name.trim()} loading={create.isPending || patch.isPending}>
                Save
              </Button>
            </Group>
          </Stack>
        </form>
      </Modal>
    </>
  );
}

export function useActiveViewName(entity: Entity): string | null {
  const [params] = useSearchParams();
  const views = useViews(entity);
  const id = params.get('view');
  return views.data?.data.find((v) => v.id === id)?.name ?? null;
}
