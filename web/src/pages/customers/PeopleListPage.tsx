import { useEffect, useMemo, useRef, useState } from 'react';
import { Avatar, Button, Card, Center, Checkbox, Group, Skeleton, Table, Text } from '@mantine/core';
import { IconFileImport, IconPlus, IconSearch, IconUsersGroup } from '@tabler/icons-react';
import { keepPreviousData, useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { api } from '../../api/client.ts';
import { customerKeys, useCustomFields, useStages, type ListPage, type Person } from '../../api/customers.ts';
import { useAllUsers, useCan } from '../../api/queries.ts';
import { Empty } from '../../components/Empty.tsx';
import { PageHeader } from '../../components/PageHeader.tsx';
import { personFilterFields } from '../../lib/customers.ts';
import { initials } from '../../lib/format.ts';
import { BulkBar } from './BulkBar.tsx';
import { CustomValue, Dim, RecordLink, StageBadge, Tags, When } from './cells.tsx';
import {
  ColumnChooser,
  ExportMenu,
  FilterBar,
  SortableTh,
  useColumns,
  useListKeys,
  useListState,
  type Column,
  type ListFilterField,
} from './list.tsx';
import { NewPersonModal } from './PersonForm.tsx';
import { useActiveViewName, ViewActions } from './views.tsx';

const pageSize = 50;

export function PeopleListPage() {
  const can = useCan();
  const navigate = useNavigate();
  const [params, setParams] = useSearchParams();
  const state = useListState('-created_at');
  const viewName = useActiveViewName('person');
  const fieldsQ = useCustomFields('person');
  const custom = useMemo(() => fieldsQ.data ?? [], [fieldsQ.data]);
  const users = useAllUsers();
  const userName = (id: string | null) => (id ? (users.data?.data.find((u) => u.id === id)?.name ?? '—') : null);
  const stages = useStages();
  const filterFields: ListFilterField[] = useMemo(() => {
    const fields: ListFilterField[] = personFilterFields(custom);
    // People linked to a company (any of their companies, primary or not), picked by name.
    const company: ListFilterField = {
      field: 'company_id',
      label: 'Company',
      group: 'Record',
      kind: 'enum',
      record: 'company',
    };
    const at = fields.findIndex((f) => f.field === 'tag');
    fields.splice(at < 0 ? 0 : at + 1, 0, company);
    return fields;
  }, [custom, stages]);
  const searchRef = useRef<HTMLInputElement>(null);
  const [adding, setAdding] = useState(false);
  const [selected, setSelected] = useState<Map<string, Person>>(new Map());
  const [allMatching, setAllMatching] = useState(false);
  const clearSelection = () => {
    setSelected(new Map());
    setAllMatching(false);
  };

  useEffect(() => {
    if (params.get('new')) {
      setAdding(true);
      setParams(
        (p) => {
          const n = new URLSearchParams(p);
          n.delete('new');
          return n;
        },
        { replace: true },
      );
    }
  }, [params, setParams]);

  const list = useInfiniteQuery({
    queryKey: [...customerKeys.people, 'list', state.apiQuery],
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) =>
      api<ListPage<Person>>('/people', { query: { ...state.apiQuery, limit: pageSize, cursor: pageParam } }),
    getNextPageParam: (last) => last.page.nextCursor ?? undefined,
    placeholderData: keepPreviousData,
  });
  const count = useQuery({
    queryKey: [...customerKeys.people, 'count', { q: state.apiQuery.q, filter: state.apiQuery.filter }],
    queryFn: () =>
      api<{ count: number }>('/people/count', { query: { q: state.apiQuery.q, filter: state.apiQuery.filter } }),
    placeholderData: keepPreviousData,
  });
  const rows = useMemo(() => list.data?.pages.flatMap((p) => p.data) ?? [], [list.data]);

  const columns: Column<Person>[] = useMemo(
    () => [
      {
        id: 'email',
        shrink: 150,
        label: 'Email',
        render: (p) =>
          p.email ? (
            <Text fz="sm" truncate maw={240}>
              {p.email}
            </Text>
          ) : (
            <Dim>—</Dim>
          ),
      },
      {
        id: 'phone',
        label: 'Phone',
        render: (p) =>
          p.phone ? (
            <Text fz="sm" style={{ whiteSpace: 'nowrap' }}>
              {p.phone}
            </Text>
          ) : (
            <Dim>—</Dim>
          ),
      },
      {
        id: 'company',
        shrink: 130,
        label: 'Company',
        render: (p) => {
          const c = p.companies.find((x) => x.isPrimary) ?? p.companies[0];
          return c ? (
            <Text fz="sm" truncate maw={200}>
              {c.name}
            </Text>
          ) : (
            <Dim>—</Dim>
          );
        },
      },
      {
        id: 'stage',
        label: 'Stage',
        sortField: 'stage',
        w: 140,
        render: (p) => <StageBadge stage={p.stage} days={p.daysInStage} />,
      },
      {
        id: 'owner',
        shrink: 90,
        label: 'Owner',
        sortField: 'owner_id',
        render: (p) =>
          p.ownerId ? (
            <Text fz="sm" truncate maw={160}>
              {userName(p.ownerId)}
            </Text>
          ) : (
            <Dim>Nobody</Dim>
          ),
      },
      { id: 'tags', label: 'Tags', shrink: 120, render: (p) => <Tags tags={p.tags} max={2} width={180} /> },
      {
        id: 'source',
        label: 'Source',
        sortField: 'source',
        render: (p) => (p.source ? <Text fz="sm">{p.source}</Text> : <Dim>—</Dim>),
      },
      {
        id: 'city',
        label: 'City',
        sortField: 'city',
        render: (p) => (p.address.city ? <Text fz="sm">{p.address.city}</Text> : <Dim>—</Dim>),
      },
      {
        id: 'country',
        label: 'Country',
        sortField: 'country',
        render: (p) => (p.address.country ? <Text fz="sm">{p.address.country}</Text> : <Dim>—</Dim>),
      },
      { id: 'created', label: 'Added', sortField: 'created_at', w: 120, render: (p) => <When iso={p.createdAt} /> },
      { id: 'updated', label: 'Updated', sortField: 'updated_at', w: 120, render: (p) => <When iso={p.updatedAt} /> },
      ...custom
        .filter((d) => !d.archived)
        .map((d) => ({
          id: `custom.${d.key}`,
          label: d.label,
          sortField: d.type === 'multiselect' ? undefined : `custom.${d.key}`,
          render: (p: Person) => <CustomValue def={d} value={p.custom[d.key]} />,
        })),
    ],
    [custom, users.data],
  );
  const cols = useColumns('people', columns, ['email', 'company', 'stage', 'owner', 'tags', 'created']);

  const keys = useListKeys({
    count: rows.length,
    searchRef,
    onOpen: (i) => rows[i] && navigate(`/people/${rows[i].id}`),
    onToggle: (i) => rows[i] && toggle(rows[i]),
  });

  function toggle(p: Person) {
    setAllMatching(false);
    setSelected((s) => {
      const n = new Map(s);
      if (n.has(p.id)) n.delete(p.id);
      else n.set(p.id, p);
      return n;
    });
  }
  const allSelected = rows.length > 0 && rows.every((r) => selected.has(r.id));
  const filtered = state.filters.length > 0 || Boolean(state.apiQuery.q);
  const total = count.data?.count;

  return (
    <div data-testid="people-page">
      <PageHeader
        title={viewName ?? 'People'}
        description={
          total === undefined
            ? 'Everyone you know: customers, leads and the rest.'
            : filtered
              ? `${total.toLocaleString()} ${total === 1 ? 'person matches' : 'people match'}`
              : `${total.toLocaleString()} ${total === 1 ? 'person' : 'people'} in this workspace`
        }
        actions={
          can('customers:write') && (
            <>
              <Button variant="default" leftSection={<IconFileImport size={16} />} component={Link} to="/people/import">
                Import CSV
              </Button>
              <Button leftSection={<IconPlus size={16} />} onClick={() => setAdding(true)}>
                New person
              </Button>
            </>
          )
        }
      />
      <FilterBar
        state={state}
        fields={filterFields}
        placeholder="Search name, email, phone, company, tag…"
        searchRef={searchRef}
        right={
          <>
            <Text fz="xs" c="dimmed" data-testid="people-count">
              {total !== undefined && rows.length
                ? `${rows.length.toLocaleString()} of ${total.toLocaleString()} shown`
                : ''}
            </Text>
            <ViewActions entity="person" state={state} columns={cols.ids} setColumns={cols.setIds} />
            <ExportMenu path="/people/export" query={state.apiQuery} />
            <ColumnChooser all={columns} ids={cols.ids} onChange={cols.setIds} />
          </>
        }
      />
      {can('customers:write') && (
        <BulkBar
          count={allMatching ? (total ?? selected.size) : selected.size}
          selection={
            allMatching
              ? filtered
                ? { filter: state.apiQuery.filter, q: state.apiQuery.q }
                : { all: true }
              : { ids: [...selected.keys()] }
          }
          onDone={clearSelection}
          extra={
            allSelected &&
            total !== undefined &&
            total > rows.length &&
            (allMatching ? (
              <Button size="compact-xs" variant="subtle" onClick={() => setAllMatching(false)}>
                Only the {rows.length} shown
              </Button>
            ) : (
              <Button
                size="compact-xs"
                variant="subtle"
                onClick={() => setAllMatching(true)}
                data-testid="select-all-matching"
              >
                Select all {total.toLocaleString()} {filtered ? 'matching' : 'people'}
              </Button>
            ))
          }
        />
      )}
      <Card withBorder padding={0}>
        {list.isPending ? (
          <Skeleton h={240} m="md" />
        ) : list.isError ? (
          <Empty
            icon={<IconSearch size={22} />}
            title="This list cannot be shown"
            description={list.error.message}
            action={
              <Button variant="light" onClick={state.clear}>
                Clear filters
              </Button>
            }
          />
        ) : rows.length === 0 ? (
          filtered ? (
            <Empty
              icon={<IconSearch size={22} />}
              title="No one matches"
              description="Search is forgiving of typos, so try fewer words, or remove a filter."
              action={
                <Button variant="light" onClick={state.clear}>
                  Clear search and filters
                </Button>
              }
            />
          ) : (
            <Empty
              icon={<IconUsersGroup size={22} />}
              title="No people yet"
              description="Import a CSV from your old tool or spreadsheet, or add someone by hand. Everyone you add gets a 360° record with stage, consent, notes and a timeline."
              action={
                can('customers:write') && (
                  <Group gap="xs">
                    <Button
                      variant="default"
                      leftSection={<IconFileImport size={16} />}
                      component={Link}
                      to="/people/import"
                    >
                      Import a CSV
                    </Button>
                    <Button leftSection={<IconPlus size={16} />} onClick={() => setAdding(true)}>
                      Add someone
                    </Button>
                  </Group>
                )
              }
            />
          )
        ) : (
          <Table.ScrollContainer minWidth={900}>
            <Table
              highlightOnHover
              className="rapport-dense"
              data-testid="people-table"
              opacity={list.isPlaceholderData ? 0.6 : 1}
            >
              <Table.Thead>
                <Table.Tr>
                  <Table.Th w={36}>
                    <Checkbox
                      size="xs"
                      aria-label="Select all shown"
                      checked={allSelected}
                      indeterminate={!allSelected && rows.some((r) => selected.has(r.id))}
                      onChange={() =>
                        allSelected ? clearSelection() : setSelected(new Map(rows.map((r) => [r.id, r])))
                      }
                    />
                  </Table.Th>
                  <SortableTh label="Name" field="name" sort={state.sort} onSort={state.setSort} miw={170} />
                  {cols.shown.map((c) => (
                    <SortableTh
                      key={c.id}
                      label={c.label}
                      field={c.sortField}
                      sort={state.sort}
                      onSort={state.setSort}
                      w={c.w}
                      miw={c.shrink}
                    />
                  ))}
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {rows.map((p, i) => (
                  <Table.Tr
                    key={p.id}
                    data-row-index={i}
                    data-testid="person-row"
                    bg={
                      keys.cursor === i
                        ? 'var(--mantine-primary-color-light)'
                        : selected.has(p.id)
                          ? 'var(--mantine-color-default-hover)'
                          : undefined
                    }
                    onMouseEnter={() => keys.setCursor(i)}
                  >
                    <Table.Td>
                      <Checkbox
                        size="xs"
                        aria-label={`Select ${p.name}`}
                        checked={selected.has(p.id)}
                        onChange={() => toggle(p)}
                      />
                    </Table.Td>
                    <Table.Td className="rapport-shrink">
                      <Group gap={8} wrap="nowrap">
                        <Avatar size={24} radius="xl" color="initials" name={p.name}>
                          {initials(p.name)}
                        </Avatar>
                        <RecordLink to={`/people/${p.id}`}>{p.name}</RecordLink>
                      </Group>
                    </Table.Td>
                    {cols.shown.map((c) => (
                      <Table.Td key={c.id} className={c.shrink ? 'rapport-shrink' : undefined}>
                        {c.render(p)}
                      </Table.Td>
                    ))}
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
      </Card>
      {rows.length > 0 && (
        <Center mt="md">
          {list.hasNextPage ? (
            <Button variant="default" loading={list.isFetchingNextPage} onClick={() => void list.fetchNextPage()}>
              Load {pageSize} more
            </Button>
          ) : (
            <Text fz="xs" c="dimmed">
              That is everyone{filtered ? ' who matches' : ''}. <KeysHint />
            </Text>
          )}
        </Center>
      )}
      <NewPersonModal opened={adding} onClose={() => setAdding(false)} />
    </div>
  );
}

export function KeysHint() {
  return (
    <Text span fz="xs" c="dimmed">
      Keys: / search · j k move · Enter open · x select
    </Text>
  );
}
