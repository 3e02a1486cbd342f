import { useMemo, useRef, useState } from 'react';
import { Avatar, Button, Card, Center, Group, Skeleton, Table, Text } from '@mantine/core';
import { IconBuildingSkyscraper, IconPlus, IconSearch } from '@tabler/icons-react';
import { keepPreviousData, useInfiniteQuery } from '@tanstack/react-query';
import { useNavigate } from 'react-router';
import { api } from '../../api/client.ts';
import { customerKeys, useCustomFields, type Company, type ListPage } from '../../api/customers.ts';
import { useAllUsers, useCan } from '../../api/queries.ts';
import { Empty } from '../../components/Empty.tsx';
import { PageHeader } from '../../components/PageHeader.tsx';
import { companyFilterFields } from '../../lib/customers.ts';
import { initials } from '../../lib/format.ts';
import { CustomValue, Dim, RecordLink, Tags, When } from './cells.tsx';
import {
  ColumnChooser,
  ExportMenu,
  FilterBar,
  SortableTh,
  useColumns,
  useListKeys,
  useListState,
  type Column,
} from './list.tsx';
import { KeysHint } from './PeopleListPage.tsx';
import { NewCompanyModal } from './PersonForm.tsx';
import { useActiveViewName, ViewActions } from './views.tsx';

const pageSize = 50;

export function CompaniesListPage() {
  const can = useCan();
  const navigate = useNavigate();
  const state = useListState('name');
  const viewName = useActiveViewName('company');
  const fieldsQ = useCustomFields('company');
  const custom = useMemo(() => fieldsQ.data ?? [], [fieldsQ.data]);
  const users = useAllUsers();
  const filterFields = useMemo(() => companyFilterFields(custom), [custom]);
  const searchRef = useRef<HTMLInputElement>(null);
  const [adding, setAdding] = useState(false);

  const list = useInfiniteQuery({
    queryKey: [...customerKeys.companies, 'list', state.apiQuery],
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) =>
      api<ListPage<Company>>('/companies', { query: { ...state.apiQuery, limit: pageSize, cursor: pageParam } }),
    getNextPageParam: (last) => last.page.nextCursor ?? undefined,
    placeholderData: keepPreviousData,
  });
  const rows = useMemo(() => list.data?.pages.flatMap((p) => p.data) ?? [], [list.data]);

  const columns: Column<Company>[] = useMemo(() => {
    const userName = (id: string) => users.data?.data.find((u) => u.id === id)?.name ?? '—';
    const text = (v: string | null | undefined) =>
      v ? (
        <Text fz="sm" truncate maw={220}>
          {v}
        </Text>
      ) : (
        <Dim>—</Dim>
      );
    return [
      { id: 'domain', label: 'Domain', shrink: 140, sortField: 'domain', render: (c) => text(c.domain) },
      { id: 'industry', label: 'Industry', shrink: 110, sortField: 'industry', render: (c) => text(c.industry) },
      { id: 'size', label: 'Size', sortField: 'size', w: 100, render: (c) => text(c.size) },
      {
        id: 'owner',
        shrink: 90,
        label: 'Owner',
        sortField: 'owner_id',
        render: (c) => (c.ownerId ? text(userName(c.ownerId)) : <Dim>Nobody</Dim>),
      },
      { id: 'tags', label: 'Tags', shrink: 120, render: (c) => <Tags tags={c.tags} max={2} width={180} /> },
      { id: 'city', label: 'City', sortField: 'city', render: (c) => text(c.address.city) },
      { id: 'country', label: 'Country', sortField: 'country', render: (c) => text(c.address.country) },
      { id: 'created', label: 'Added', sortField: 'created_at', w: 120, render: (c) => <When iso={c.createdAt} /> },
      ...custom
        .filter((d) => !d.archived)
        .map((d) => ({
          id: `custom.${d.key}`,
          label: d.label,
          sortField: d.type === 'multiselect' ? undefined : `custom.${d.key}`,
          render: (c: Company) => <CustomValue def={d} value={c.custom[d.key]} />,
        })),
    ];
  }, [custom, users.data]);
  const cols = useColumns('companies', columns, ['domain', 'industry', 'size', 'owner', 'tags', 'created']);
  const keys = useListKeys({
    count: rows.length,
    searchRef,
    onOpen: (i) => rows[i] && navigate(`/companies/${rows[i].id}`),
  });
  const filtered = state.filters.length > 0 || Boolean(state.apiQuery.q);

  return (
    <div data-testid="companies-page">
      <PageHeader
        title={viewName ?? 'Companies'}
        description="The organisations your people work for."
        actions={
          can('customers:write') && (
            <Button leftSection={<IconPlus size={16} />} onClick={() => setAdding(true)}>
              New company
            </Button>
          )
        }
      />
      <FilterBar
        state={state}
        fields={filterFields}
        placeholder="Search name, domain, tag…"
        searchRef={searchRef}
        right={
          <>
            <ViewActions entity="company" state={state} columns={cols.ids} setColumns={cols.setIds} />
            <ExportMenu path="/companies/export" query={state.apiQuery} />
            <ColumnChooser all={columns} ids={cols.ids} onChange={cols.setIds} />
          </>
        }
      />
      <Card withBorder padding={0}>
        {list.isPending ? (
          <Skeleton h={240} m="md" />
        ) : list.isError ? (
          <Empty icon={<IconSearch size={22} />} title="This list cannot be shown" description={list.error.message} />
        ) : rows.length === 0 ? (
          filtered ? (
            <Empty
              icon={<IconSearch size={22} />}
              title="No company matches"
              description="Try fewer words, or remove a filter."
              action={
                <Button variant="light" onClick={state.clear}>
                  Clear search and filters
                </Button>
              }
            />
          ) : (
            <Empty
              icon={<IconBuildingSkyscraper size={22} />}
              title="No companies yet"
              description="Add the organisations your customers work for, then link people to them with their job title."
              action={
                can('customers:write') && (
                  <Button leftSection={<IconPlus size={16} />} onClick={() => setAdding(true)}>
                    Add a company
                  </Button>
                )
              }
            />
          )
        ) : (
          <Table.ScrollContainer minWidth={860}>
            <Table
              highlightOnHover
              className="rapport-dense"
              data-testid="companies-table"
              opacity={list.isPlaceholderData ? 0.6 : 1}
            >
              <Table.Thead>
                <Table.Tr>
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
                {rows.map((c, i) => (
                  <Table.Tr
                    key={c.id}
                    data-row-index={i}
                    data-testid="company-row"
                    bg={keys.cursor === i ? 'var(--mantine-primary-color-light)' : undefined}
                    onMouseEnter={() => keys.setCursor(i)}
                  >
                    <Table.Td className="rapport-shrink">
                      <Group gap={8} wrap="nowrap">
                        <Avatar size={24} radius="sm" color="initials" name={c.name}>
                          {initials(c.name)}
                        </Avatar>
                        <RecordLink to={`/companies/${c.id}`}>{c.name}</RecordLink>
                      </Group>
                    </Table.Td>
                    {cols.shown.map((col) => (
                      <Table.Td key={col.id} className={col.shrink ? 'rapport-shrink' : undefined}>
                        {col.render(c)}
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
              That is every company{filtered ? ' that matches' : ''}. <KeysHint />
            </Text>
          )}
        </Center>
      )}
      <NewCompanyModal opened={adding} onClose={() => setAdding(false)} />
    </div>
  );
}
