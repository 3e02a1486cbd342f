/** Pieces shared by the people and companies lists: URL state, filter bar with chips, sortable headers, columns, keys. */
import { forwardRef, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import {
  ActionIcon,
  Button,
  Checkbox,
  CloseButton,
  Group,
  Kbd,
  Menu,
  NumberInput,
  Pill,
  Popover,
  ScrollArea,
  Select,
  Stack,
  Table,
  Text,
  TextInput,
  Tooltip,
  UnstyledButton,
} from '@mantine/core';
import { useDebouncedValue, useLocalStorage } from '@mantine/hooks';
import {
  IconChevronDown,
  IconChevronUp,
  IconColumns3,
  IconDownload,
  IconFilterPlus,
  IconSearch,
  IconSelector,
} from '@tabler/icons-react';
import { useSearchParams } from 'react-router';
import { keepPreviousData, useQueries, useQuery } from '@tanstack/react-query';
import { api, withQuery } from '../../api/client.ts';
import { customerKeys, type Company, type ListPage } from '../../api/customers.ts';
import { useAllUsers } from '../../api/queries.ts';
import {
  describeFilter,
  formatFilter,
  opsByKind,
  parseFilter,
  type FilterField,
  type FilterOp,
  type ListFilter,
} from '../../lib/customers.ts';
import { ignoreKey, listKeys } from '../../shell/keymap.ts';

/**
 * A filter field of a list. `record` marks a field whose values are another record's ids (a person's company): the
 * value is picked by searching those records and chips name the record, not its id.
 */
export type ListFilterField = FilterField & { record?: 'company' };

export type ListState = {
  q: string;
  filters: ListFilter[];
  sort: string;
  setQ: (q: string) => void;
  addFilter: (f: ListFilter) => void;
  removeFilter: (i: number) => void;
  clear: () => void;
  setSort: (s: string) => void;
  /** The API's query parameters for this state (q debounced). */
  apiQuery: { q?: string; filter: string[]; sort: string };
};

/** The list's query lives in the URL (?q=&filter=stage:eq:lead&sort=-created_at) so it can be shared and bookmarked. */
export function useListState(defaultSort: string): ListState {
  const [params, setParams] = useSearchParams();
  const urlQ = params.get('q') ?? '';
  const [q, setLocalQ] = useState(urlQ);
  const [debounced] = useDebouncedValue(q.trim(), 250);
  const filterStrings = params.getAll('filter');
  const filters = useMemo(
    () => filterStrings.map(parseFilter).filter((f): f is ListFilter => f !== null),
    [filterStrings.join('\n')],
  );
  const sort = params.get('sort') ?? defaultSort;

  const update = useCallback(
    (fn: (p: URLSearchParams) => void) =>
      setParams(
        (prev) => {
          const next = new URLSearchParams(prev);
          fn(next);
          return next;
        },
        { replace: true },
      ),
    [setParams],
  );

  // The search box writes to the URL once the typing settles.
  useEffect(() => {
    if (debounced === (params.get('q') ?? '')) return;
    update((p) => (debounced ? p.set('q', debounced) : p.delete('q')));
  }, [debounced, params, update]);
  // Back/forward or a shared link changes the URL: follow it.
  useEffect(() => {
    setLocalQ((cur) => (cur.trim() === urlQ ? cur : urlQ));
  }, [urlQ]);

  return {
    q,
    filters,
    sort,
    setQ: setLocalQ,
    addFilter: (f) =>
      update((p) => {
        const s = formatFilter(f);
        if (!p.getAll('filter').includes(s)) p.append('filter', s);
      }),
    removeFilter: (i) =>
      update((p) => {
        const all = p.getAll('filter');
        p.delete('filter');
        all.forEach((x, j) => j !== i && p.append('filter', x));
      }),
    clear: () => {
      setLocalQ('');
      update((p) => {
        p.delete('filter');
        p.delete('q');
      });
    },
    setSort: (s) => update((p) => (s === defaultSort ? p.delete('sort') : p.set('sort', s))),
    apiQuery: { q: urlQ || undefined, filter: filters.map(formatFilter), sort },
  };
}

/** Picks a company by name, searched on the server (a workspace may have thousands). */
function CompanyPicker(props: { value: string; onChange: (v: string) => void }) {
  const [search, setSearch] = useState('');
  const [debounced] = useDebouncedValue(search.trim(), 200);
  const [picked, setPicked] = useState<{ value: string; label: string } | null>(null);
  const found = useQuery({
    queryKey: [...customerKeys.companies, 'picker', debounced],
    queryFn: () =>
      api<ListPage<Company>>('/companies', { query: { q: debounced || undefined, sort: 'name', limit: 20 } }),
    placeholderData: keepPreviousData,
  });
  const options = (found.data?.data ?? []).map((c) => ({
    value: c.id,
    label: c.domain ? `${c.name} (${c.domain})` : c.name,
  }));
  if (picked && !options.some((o) => o.value === picked.value)) options.unshift(picked);
  return (
    <Select
      label="Company"
      size="xs"
      searchable
      placeholder="Type a company's name"
      data={options}
      value={props.value || null}
      // The server searched already (forgiving of typos): show what it found.
      filter={({ options: o }) => o}
      searchValue={search}
      onSearchChange={setSearch}
      onChange={(v, option) => {
        setPicked(v && option ? { value: v, label: option.label } : null);
        props.onChange(v ?? '');
      }}
      nothingFoundMessage={found.isFetching ? 'Searching…' : 'No company matches'}
      comboboxProps={{ withinPortal: false }}
      data-testid="filter-value"
    />
  );
}

/** The names of the companies the list is filtered by, for its chips. */
function useFilterCompanyNames(filters: ListFilter[], fields: ListFilterField[]): Map<string, string> {
  const ids = [
    ...new Set(
      filters
        .filter((f) => f.op !== 'exists' && fields.find((d) => d.field === f.field)?.record === 'company')
        .flatMap((f) => f.value.split(',')),
    ),
  ];
  const results = useQueries({
    queries: ids.map((id) => ({
      queryKey: customerKeys.company(id),
      queryFn: () => api<Company>(`/companies/${encodeURIComponent(id)}`),
      retry: false,
      staleTime: 60_000,
    })),
  });
  const names = new Map<string, string>();
  ids.forEach((id, i) => {
    const r = results[i];
    if (r?.data) names.set(id, r.data.name);
    else if (r?.isError) names.set(id, 'a deleted company');
  });
  return names;
}

function FilterValueInput(props: {
  def: ListFilterField;
  value: string;
  onChange: (v: string) => void;
  onSubmit: () => void;
}) {
  const users = useAllUsers(props.def.kind === 'user');
  const { def, value, onChange } = props;
  if (def.record === 'company') return <CompanyPicker value={value} onChange={onChange} />;
  if (def.kind === 'user')
    return (
      <Select
        label="Value"
        size="xs"
        searchable
        data={(users.data?.data ?? []).map((u) => ({ value: u.id, label: u.name }))}
        value={value || null}
        onChange={(v) => onChange(v ?? '')}
        comboboxProps={{ withinPortal: false }}
        data-testid="filter-value"
      />
    );
  if (def.kind === 'enum' && def.options?.length)
    return (
      <Select
        label="Value"
        size="xs"
        data={def.options}
        value={value || null}
        onChange={(v) => onChange(v ?? '')}
        comboboxProps={{ withinPortal: false }}
        data-testid="filter-value"
      />
    );
  if (def.kind === 'boolean')
    return (
      <Select
        label="Value"
        size="xs"
        data={[
          { value: 'true', label: 'Yes' },
          { value: 'false', label: 'No' },
        ]}
        value={value || null}
        onChange={(v) => onChange(v ?? '')}
        comboboxProps={{ withinPortal: false }}
        data-testid="filter-value"
      />
    );
  if (def.kind === 'number')
    return (
      <NumberInput
        label="Value"
        size="xs"
        value={value}
        onChange={(v) => onChange(String(v))}
        onKeyDown={(e) => e.key === 'Enter' && props.onSubmit()}
        data-testid="filter-value"
      />
    );
  return (
    <TextInput
      label="Value"
      size="xs"
      type={def.kind === 'date' ? 'date' : 'text'}
      value={value}
      onChange={(e) => onChange(e.currentTarget.value)}
      onKeyDown={(e) => e.key === 'Enter' && props.onSubmit()}
      data-testid="filter-value"
    />
  );
}

function AddFilter({ fields, onAdd }: { fields: ListFilterField[]; onAdd: (f: ListFilter) => void }) {
  const [opened, setOpened] = useState(false);
  const [field, setField] = useState<string | null>(null);
  const [op, setOp] = useState<FilterOp>('eq');
  const [value, setValue] = useState('');
  const def = fields.find((f) => f.field === field);
  const ops = def ? opsByKind[def.kind] : [];
  const groups = [...new Set(fields.map((f) => f.group))].map((g) => ({
    group: g,
    items: fields.filter((f) => f.group === g).map((f) => ({ value: f.field, label: f.label })),
  }));
  const ready = def && (op === 'exists' || value.trim() !== '');
  function submit() {
    if (!def || !ready) return;
    onAdd({ field: def.field, op, value: op === 'exists' ? 'true' : value.trim() });
    setOpened(false);
    setField(null);
    setValue('');
  }
  return (
    <Popover opened={opened} onChange={setOpened} position="bottom-start" width={300} shadow="md" trapFocus>
      <Popover.Target>
        <Button
          variant="default"
          size="xs"
          leftSection={<IconFilterPlus size={15} />}
          onClick={() => setOpened((o) => !o)}
          data-testid="add-filter"
        >
          Filter
        </Button>
      </Popover.Target>
      <Popover.Dropdown>
        <Stack gap="xs">
          <Select
            label="Field"
            size="xs"
            searchable
            data={groups}
            value={field}
            onChange={(v) => {
              setField(v);
              const d = fields.find((f) => f.field === v);
              setOp(d ? (opsByKind[d.kind][0]?.value ?? 'eq') : 'eq');
              setValue('');
            }}
            comboboxProps={{ withinPortal: false }}
            data-autofocus
            data-testid="filter-field"
          />
          {def && (
            <Select
              label="Condition"
              size="xs"
              data={ops}
              value={op}
              allowDeselect={false}
              onChange={(v) => v && setOp(v as FilterOp)}
              comboboxProps={{ withinPortal: false }}
            />
          )}
          {def && op !== 'exists' && <FilterValueInput def={def} value={value} onChange={setValue} onSubmit={submit} />}
          <Group justify="flex-end" gap="xs">
            <Button size="xs" variant="default" onClick={() => setOpened(false)}>
              Cancel
            </Button>
            <Button size="xs" disabled={!ready} onClick={submit} data-testid="apply-filter">
              Add filter
            </Button>
          </Group>
        </Stack>
      </Popover.Dropdown>
    </Popover>
  );
}

export const SearchBox = forwardRef<
  HTMLInputElement,
  { value: string; onChange: (v: string) => void; placeholder: string }
>(function SearchBox(props, ref) {
  return (
    <TextInput
      ref={ref}
      size="xs"
      w={280}
      miw={0}
      style={{ flexShrink: 1 }}
      placeholder={props.placeholder}
      aria-label="Search"
      leftSection={<IconSearch size={15} />}
      rightSection={
        props.value ? (
          <CloseButton size="sm" aria-label="Clear search" onClick={() => props.onChange('')} />
        ) : (
          <Kbd size="xs">/</Kbd>
        )
      }
      value={props.value}
      onChange={(e) => props.onChange(e.currentTarget.value)}
      onKeyDown={(e) => {
        if (e.key === 'Escape') e.currentTarget.blur();
      }}
      data-testid="list-search"
    />
  );
});

export function FilterChips(props: { state: ListState; fields: ListFilterField[] }) {
  const users = useAllUsers(props.state.filters.some((f) => f.field === 'owner_id'));
  const userName = (id: string) => users.data?.data.find((u) => u.id === id)?.name ?? null;
  const companyNames = useFilterCompanyNames(props.state.filters, props.fields);
  // A record field's chip names the record: its def gets the names as options.
  const fields = props.fields.map((d) =>
    d.record === 'company' ? { ...d, options: [...companyNames].map(([value, label]) => ({ value, label })) } : d,
  );
  if (!props.state.filters.length) return null;
  return (
    <Group gap={6} data-testid="filter-chips">
      {props.state.filters.map((f, i) => (
        <Pill
          key={formatFilter(f)}
          withRemoveButton
          onRemove={() => props.state.removeFilter(i)}
          removeButtonProps={{ 'aria-label': `Remove filter ${describeFilter(f, fields, userName)}` }}
          data-testid="filter-chip"
        >
          {describeFilter(f, fields, userName)}
        </Pill>
      ))}
      <Button size="compact-xs" variant="subtle" color="gray" onClick={props.state.clear}>
        Clear all
      </Button>
    </Group>
  );
}

export function FilterBar(props: {
  state: ListState;
  fields: ListFilterField[];
  placeholder: string;
  searchRef: React.Ref<HTMLInputElement>;
  right?: React.ReactNode;
}) {
  return (
    <Stack gap={8} mb="sm">
      <Group gap="xs" justify="space-between">
        <Group gap="xs" wrap="nowrap" miw={0} maw="100%">
          <SearchBox
            ref={props.searchRef}
            value={props.state.q}
            onChange={props.state.setQ}
            placeholder={props.placeholder}
          />
          <AddFilter fields={props.fields} onAdd={props.state.addFilter} />
        </Group>
        <Group gap="xs" wrap="nowrap">
          {props.right}
        </Group>
      </Group>
      <FilterChips state={props.state} fields={props.fields} />
    </Stack>
  );
}

export function SortableTh(props: {
  label: string;
  field?: string;
  sort: string;
  onSort: (s: string) => void;
  w?: number;
  /** The least width of a column whose cells give way (`Column.shrink`). */
  miw?: number | undefined;
}) {
  if (!props.field)
    return (
      <Table.Th w={props.w} miw={props.miw} style={{ whiteSpace: 'nowrap' }}>
        {props.label}
      </Table.Th>
    );
  const desc = props.sort.startsWith('-');
  const active = (desc ? props.sort.slice(1) : props.sort) === props.field;
  const Icon = !active ? IconSelector : desc ? IconChevronDown : IconChevronUp;
  return (
    <Table.Th
      w={props.w}
      miw={props.miw}
      aria-sort={active ? (desc ? 'descending' : 'ascending') : 'none'}
      className="rapport-sortable"
    >
      <UnstyledButton
        onClick={() => props.onSort(active && !desc ? `-${props.field}` : (props.field ?? ''))}
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

export type Column<T> = {
  id: string;
  label: string;
  sortField?: string;
  w?: number;
  /**
   * Text that may be cut on a narrow screen: the least width of the column, which gives way down to it (its cells
   * are `rapport-shrink`) before the table scrolls.
   */
  shrink?: number;
  render: (row: T) => React.ReactNode;
};

/** Which columns are shown, remembered per list in this browser. */
export function useColumns<T>(list: string, all: Column<T>[], defaults: string[]) {
  const [ids, setIds] = useLocalStorage<string[]>({ key: `rapport.columns.${list}`, defaultValue: defaults });
  const shown = all.filter((c) => ids.includes(c.id));
  return { shown, ids, setIds };
}

export function ColumnChooser<T>(props: { all: Column<T>[]; ids: string[]; onChange: (ids: string[]) => void }) {
  return (
    <Popover position="bottom-end" width={240} shadow="md">
      <Popover.Target>
        <Tooltip label="Columns">
          <ActionIcon variant="default" size={30} aria-label="Choose columns" data-testid="column-chooser">
            <IconColumns3 size={16} />
          </ActionIcon>
        </Tooltip>
      </Popover.Target>
      <Popover.Dropdown>
        <Text fz="xs" fw={600} c="dimmed" tt="uppercase" mb={6} lts={0.4}>
          Columns
        </Text>
        <ScrollArea.Autosize mah={360}>
          <Stack gap={6}>
            {props.all.map((c) => (
              <Checkbox
                key={c.id}
                size="xs"
                label={c.label}
                checked={props.ids.includes(c.id)}
                onChange={(e) =>
                  props.onChange(
                    e.currentTarget.checked
                      ? props.all.map((x) => x.id).filter((id) => id === c.id || props.ids.includes(id))
                      : props.ids.filter((x) => x !== c.id),
                  )
                }
              />
            ))}
          </Stack>
        </ScrollArea.Autosize>
      </Popover.Dropdown>
    </Popover>
  );
}

/** `/` focuses search, j/k move the cursor row, Enter opens it, x selects it. */
export function useListKeys(opts: {
  count: number;
  searchRef: React.RefObject<HTMLInputElement | null>;
  onOpen: (index: number) => void;
  onToggle?: (index: number) => void;
}) {
  const [cursor, setCursor] = useState(-1);
  const cursorRef = useRef(-1);
  const o = useRef(opts);
  useEffect(() => {
    o.current = opts;
    cursorRef.current = cursor;
  });
  useEffect(() => {
    setCursor((c) => Math.min(c, opts.count - 1));
  }, [opts.count]);
  useEffect(() => {
    function onKey(e: KeyboardEvent) {
      if (ignoreKey(e)) return;
      const n = o.current.count;
      if (e.key === listKeys.search.key) {
        e.preventDefault();
        o.current.searchRef.current?.focus();
      } else if (e.key === listKeys.next.key || e.key === 'ArrowDown') {
        if (!n) return;
        e.preventDefault();
        setCursor((c) => Math.min(n - 1, c + 1));
      } else if (e.key === listKeys.previous.key || e.key === 'ArrowUp') {
        if (!n) return;
        e.preventDefault();
        setCursor((c) => Math.max(0, c - 1));
      } else if (e.key === listKeys.open.key) {
        const c = cursorRef.current;
        if (c >= 0 && c < n) {
          e.preventDefault();
          o.current.onOpen(c);
        }
      } else if (e.key === listKeys.select.key) {
        const c = cursorRef.current;
        if (c >= 0 && c < n) o.current.onToggle?.(c);
      }
    }
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
  useEffect(() => {
    if (cursor >= 0) document.querySelector(`[data-row-index="${cursor}"]`)?.scrollIntoView({ block: 'nearest' });
  }, [cursor]);
  return { cursor, setCursor };
}

/** Downloads the list as it is filtered, sorted and searched (streamed by the server). */
export function ExportMenu(props: { path: string; query: { q?: string | undefined; filter: string[]; sort: string } }) {
  const href = (format: 'csv' | 'json') =>
    withQuery(`/api/v1${props.path}`, { format, q: props.query.q, filter: props.query.filter, sort: props.query.sort });
  return (
    <Menu position="bottom-end" shadow="md">
      <Menu.Target>
        <Tooltip label="Export this list">
          <ActionIcon variant="default" size={30} aria-label="Export" data-testid="export-menu">
            <IconDownload size={16} />
          </ActionIcon>
        </Tooltip>
      </Menu.Target>
      <Menu.Dropdown>
        <Menu.Label>Export what the list shows</Menu.Label>
        <Menu.Item component="a" href={href('csv')} download>
          CSV (spreadsheets)
        </Menu.Item>
        <Menu.Item component="a" href={href('json')} download>
          JSON
        </Menu.Item>
      </Menu.Dropdown>
    </Menu>
  );
}
