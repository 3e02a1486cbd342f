import { useEffect, useMemo, useRef, useState } from 'react';
import {
  Alert,
  Anchor,
  Badge,
  Breadcrumbs,
  Button,
  Card,
  Center,
  Group,
  List,
  Loader,
  Paper,
  Progress,
  SegmentedControl,
  Select,
  SimpleGrid,
  Skeleton,
  Stack,
  Stepper,
  Table,
  Text,
  ThemeIcon,
} from '@mantine/core';
import {
  IconAlertTriangle,
  IconArrowRight,
  IconCheck,
  IconDownload,
  IconFileSpreadsheet,
  IconPlayerPlay,
  IconRefresh,
  IconUpload,
  IconX,
} from '@tabler/icons-react';
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useSearchParams } from 'react-router';
import { api } from '../../api/client.ts';
import { customerKeys, useCustomFields } from '../../api/customers.ts';
import {
  entityInfo,
  targetGroup,
  targetLabel,
  uploadCsv,
  type Import,
  type ImportEntity,
  type ImportRowsPage,
  type MatchOn,
  type RowAction,
} from '../../api/imports.ts';
import { Empty } from '../../components/Empty.tsx';
import { PageHeader } from '../../components/PageHeader.tsx';
import { formatDateTime, relativeTime } from '../../lib/format.ts';
import { notifyError } from '../../lib/notify.ts';

const actionInfo: Record<RowAction, { label: string; done: string; color: string; will: string }> = {
  create: { label: 'Create', done: 'Created', color: 'teal', will: 'created' },
  update: { label: 'Update', done: 'Updated', color: 'brand', will: 'updated' },
  unchanged: { label: 'Unchanged', done: 'Unchanged', color: 'gray', will: 'unchanged' },
  reject: { label: 'Reject', done: 'Rejected', color: 'red', will: 'rejected' },
};

function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function stepOf(imp: Import | undefined): number {
  if (!imp) return 0;
  switch (imp.status) {
    case 'invalid':
      return 0;
    case 'ready':
      return 1;
    case 'dry_running':
    case 'dry_run_done':
      return 2;
    case 'importing':
    case 'failed':
      return 3;
    case 'done':
      return 4;
  }
}

function Upload({ onUploaded, initial }: { onUploaded: (imp: Import) => void; initial: ImportEntity }) {
  const input = useRef<HTMLInputElement>(null);
  const [entity, setEntity] = useState<ImportEntity>(initial);
  const [over, setOver] = useState(false);
  const upload = useMutation({
    mutationFn: (f: File) => uploadCsv(f, entity),
    onSuccess: onUploaded,
    onError: (e) => notifyError(e, 'Could not upload the file'),
  });
  function take(files: FileList | null) {
    const f = files?.[0];
    if (f) upload.mutate(f);
  }
  return (
    <Stack gap="md">
      <Group gap="sm">
        <Text fz="sm">Import</Text>
        <SegmentedControl
          size="xs"
          value={entity}
          onChange={(v) => setEntity(v as ImportEntity)}
          data={[
            { value: 'person', label: 'People' },
            { value: 'company', label: 'Companies' },
            { value: 'order', label: 'Orders' },
          ]}
          data-testid="import-entity"
        />
      </Group>
      {entity === 'order' && (
        <Text fz="sm" c="dimmed" data-testid="orders-hint">
          One row per order, or one per line item: rows with the same order id are the lines of one order (Shopify and
          WooCommerce exports work as they are). Each order needs its id, the customer&apos;s e-mail or customer id, and
          a total or priced lines. Without a currency column amounts are in USD; dates without a time zone are in the
          workspace&apos;s. Importing the same file again changes nothing.
        </Text>
      )}
      <Paper
        withBorder
        p="xl"
        radius="md"
        style={{
          borderStyle: 'dashed',
          borderWidth: 2,
          borderColor: over ? 'var(--mantine-primary-color-filled)' : undefined,
          background: over ? 'var(--mantine-primary-color-light)' : undefined,
          cursor: 'pointer',
        }}
        onClick={() => input.current?.click()}
        onDragOver={(e) => {
          e.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={(e) => {
          e.preventDefault();
          setOver(false);
          take(e.dataTransfer.files);
        }}
        data-testid="import-dropzone"
      >
        <Center>
          <Stack align="center" gap={6}>
            {upload.isPending ? <Loader size="md" /> : <IconUpload size={32} stroke={1.4} opacity={0.6} />}
            <Text fw={600}>
              {upload.isPending ? 'Reading the file…' : 'Drop a CSV file here, or click to choose one'}
            </Text>
            <Text fz="sm" c="dimmed" ta="center" maw={520}>
              Exports from spreadsheets and other CRMs work as they are: Rapport finds the separator and the encoding,
              and suggests which column goes where. Nothing changes until you have seen the dry run.
            </Text>
          </Stack>
        </Center>
        <input
          ref={input}
          type="file"
          accept=".csv,text/csv,.txt"
          hidden
          onChange={(e) => take(e.currentTarget.files)}
          data-testid="import-file"
        />
      </Paper>
    </Stack>
  );
}

function Invalid({ imp, onRestart }: { imp: Import; onRestart: () => void }) {
  return (
    <Stack gap="md" data-testid="import-invalid">
      <Alert color="red" icon={<IconAlertTriangle size={18} />} title={`${imp.fileName} cannot be imported`}>
        <List size="sm" spacing={4}>
          {imp.problems.map((p, i) => (
            <List.Item key={i}>
              {p.line ? <b>Line {p.line}: </b> : null}
              {p.message}
            </List.Item>
          ))}
        </List>
      </Alert>
      <Group>
        <Button variant="default" leftSection={<IconRefresh size={16} />} onClick={onRestart}>
          Choose another file
        </Button>
      </Group>
    </Stack>
  );
}

function Mapping({ imp, onChanged }: { imp: Import; onChanged: (i: Import) => void }) {
  const fields = useCustomFields(imp.entity === 'company' ? 'company' : 'person');
  const customLabel = (key: string) => fields.data?.find((f) => f.key === key)?.label;
  const [initial] = useState(() => imp.mapping);
  const patch = useMutation({
    mutationFn: (body: { mapping?: Record<string, string | null>; matchOn?: MatchOn }) =>
      api<Import>(`/imports/${imp.id}`, { method: 'PATCH', body }),
    onSuccess: onChanged,
    onError: (e) => notifyError(e, 'Could not change the mapping'),
  });
  const dry = useMutation({
    mutationFn: () => api<Import>(`/imports/${imp.id}/dry-run`, { method: 'POST' }),
    onSuccess: onChanged,
    onError: (e) => notifyError(e, 'Could not start the dry run'),
  });
  const options = useMemo(() => {
    const groups = new Map<string, Array<{ value: string; label: string }>>();
    for (const f of imp.fields) {
      const g = targetGroup(f, imp.entity);
      if (!groups.has(g)) groups.set(g, []);
      groups.get(g)?.push({ value: f, label: targetLabel(f, customLabel, imp.entity) });
    }
    return [
      { group: 'Skip', items: [{ value: '', label: 'Do not import' }] },
      ...[...groups.entries()].map(([group, items]) => ({ group, items })),
    ];
  }, [imp.fields, fields.data]);
  const matchOptions =
    imp.entity === 'order'
      ? [{ value: 'externalId', label: 'Order id: importing again updates the order' }]
      : imp.entity === 'person'
        ? [
            { value: 'email', label: 'Email: update people with the same email' },
            { value: 'externalId', label: 'External id: update by your own id' },
            { value: 'none', label: 'Nothing: always create new people' },
          ]
        : [
            { value: 'domain', label: 'Domain: update companies with the same domain' },
            { value: 'externalId', label: 'External id: update by your own id' },
            { value: 'none', label: 'Nothing: always create new companies' },
          ];
  const mapped = Object.values(imp.mapping).filter(Boolean).length;
  return (
    <Stack gap="md" data-testid="import-mapping">
      <Group justify="space-between" align="flex-end">
        <Text fz="sm">
          <b>{imp.fileName}</b> · {formatSize(imp.fileSize)} · {imp.encoding} · separator{' '}
          <b>{imp.delimiter === '\t' ? 'tab' : imp.delimiter}</b> · {mapped} of {imp.headers.length} columns mapped
        </Text>
        <Select
          label="Match existing records on"
          size="xs"
          w={340}
          data={matchOptions}
          value={imp.matchOn}
          onChange={(v) => v && patch.mutate({ matchOn: v as MatchOn })}
          allowDeselect={false}
        />
      </Group>
      {imp.warnings.length > 0 && (
        <Alert color="yellow" icon={<IconAlertTriangle size={18} />} p="xs">
          {imp.warnings.map((w) => (
            <Text key={w} fz="sm">
              {w}
            </Text>
          ))}
        </Alert>
      )}
      <Card withBorder padding={0}>
        <Table data-testid="mapping-table" verticalSpacing={4}>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Column in the file</Table.Th>
              <Table.Th w={30} />
              <Table.Th w={320}>Becomes</Table.Th>
              <Table.Th w={110} />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {imp.headers.map((h) => {
              const v = imp.mapping[h] ?? null;
              const suggested = v !== null && initial[h] === v;
              return (
                <Table.Tr key={h} data-testid="mapping-row" data-header={h}>
                  <Table.Td>
                    <Text fz="sm" ff="monospace">
                      {h}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <IconArrowRight size={14} opacity={0.5} />
                  </Table.Td>
                  <Table.Td>
                    <Select
                      size="xs"
                      aria-label={`Field for column ${h}`}
                      searchable
                      data={options}
                      value={v ?? ''}
                      onChange={(x) => patch.mutate({ mapping: { [h]: x || null } })}
                      allowDeselect={false}
                    />
                  </Table.Td>
                  <Table.Td>
                    {v === null ? (
                      <Badge size="xs" variant="light" color="gray" tt="none">
                        skipped
                      </Badge>
                    ) : suggested ? (
                      <Badge size="xs" variant="light" color="teal" tt="none">
                        suggested
                      </Badge>
                    ) : (
                      <Badge size="xs" variant="light" tt="none">
                        your choice
                      </Badge>
                    )}
                  </Table.Td>
                </Table.Tr>
              );
            })}
          </Table.Tbody>
        </Table>
      </Card>
      {imp.mappingProblems.length > 0 && (
        <Alert
          color="red"
          icon={<IconAlertTriangle size={18} />}
          title="Before the dry run"
          data-testid="mapping-problems"
        >
          {imp.mappingProblems.map((p) => (
            <Text key={`${p.field}${p.message}`} fz="sm">
              {targetLabel(p.field, customLabel, imp.entity)}: {p.message}
            </Text>
          ))}
        </Alert>
      )}
      <Group justify="flex-end">
        <Button
          leftSection={<IconPlayerPlay size={16} />}
          disabled={imp.mappingProblems.length > 0}
          loading={dry.isPending}
          onClick={() => dry.mutate()}
        >
          Dry run: show what would happen
        </Button>
      </Group>
    </Stack>
  );
}

function Counts({ imp, future }: { imp: Import; future: boolean }) {
  const p = imp.progress;
  const items: Array<[RowAction, number]> = [
    ['create', p.created],
    ['update', p.updated],
    ['unchanged', p.unchanged],
    ['reject', p.rejected],
  ];
  return (
    <SimpleGrid cols={4} spacing="sm" data-testid="import-counts">
      {items.map(([a, n]) => (
        <Card key={a} withBorder padding="sm">
          <Text fz={24} fw={650} c={n && a === 'reject' ? 'red' : undefined} data-testid={`count-${a}`}>
            {n.toLocaleString()}
          </Text>
          <Text fz="xs" c="dimmed">
            {imp.entity === 'order' ? (n === 1 ? 'order ' : 'orders ') : ''}
            {future ? `would be ${actionInfo[a].will}` : actionInfo[a].will}
          </Text>
        </Card>
      ))}
    </SimpleGrid>
  );
}

function ProgressBlock({ imp, label }: { imp: Import; label: string }) {
  const p = imp.progress;
  return (
    <Stack gap={6} data-testid="import-progress">
      <Group justify="space-between">
        <Text fz="sm" fw={500}>
          {label}
        </Text>
        <Text fz="sm" c="dimmed">
          {p.processedRows.toLocaleString()} of {p.totalRows ? p.totalRows.toLocaleString() : '…'} rows · {p.percent}%
        </Text>
      </Group>
      <Progress value={p.percent} size="lg" animated striped aria-label={label} />
    </Stack>
  );
}

/**
 * The row-by-row report of the dry run or of the run (what each row did, with its line in the file), filterable by
 * what happened, and downloadable as CSV. A run over 10,000 rows lists its other rows only when rejected.
 */
function RowReport({ imp, mode }: { imp: Import; mode: 'dry_run' | 'run' }) {
  // After a run with rejected rows, those come first: they are what needs fixing.
  const [action, setAction] = useState<string>(mode === 'run' && imp.progress.rejected > 0 ? 'reject' : '');
  const rows = useInfiniteQuery({
    queryKey: ['imports', imp.id, 'rows', mode, action],
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) =>
      api<ImportRowsPage>(`/imports/${imp.id}/rows`, {
        query: { mode, action: action || undefined, limit: 50, cursor: pageParam },
      }),
    getNextPageParam: (last) => last.page.nextCursor ?? undefined,
  });
  const data = rows.data?.pages.flatMap((p) => p.data) ?? [];
  const listedThrough = rows.data?.pages[0]?.listedThroughRow ?? null;
  const label = (a: RowAction) => (mode === 'run' ? actionInfo[a].done : actionInfo[a].label);
  const csvHref = `/api/v1/imports/${imp.id}/rows.csv?${new URLSearchParams({ mode, ...(action ? { action } : {}) }).toString()}`;
  return (
    <Stack gap="xs" data-testid="row-report">
      <Group justify="space-between">
        <Text fz="sm" fw={600}>
          {mode === 'dry_run' ? 'Row by row' : 'Row by row: what the import did'}
        </Text>
        <Group gap="xs">
          <SegmentedControl
            size="xs"
            value={action}
            onChange={setAction}
            data={[
              { value: '', label: 'All' },
              { value: 'create', label: label('create') },
              { value: 'update', label: label('update') },
              { value: 'unchanged', label: 'Unchanged' },
              { value: 'reject', label: 'Rejected' },
            ]}
          />
          <Button
            component="a"
            href={csvHref}
            download
            size="xs"
            variant="default"
            leftSection={<IconDownload size={14} />}
            data-testid="row-report-csv"
          >
            CSV
          </Button>
        </Group>
      </Group>
      {listedThrough !== null && (
        <Text fz="xs" c="dimmed" data-testid="row-report-bounded">
          Rows after row {listedThrough.toLocaleString()} are listed only when rejected; the counts above include every
          row.
        </Text>
      )}
      <Card withBorder padding={0}>
        {rows.isPending ? (
          <Skeleton h={120} m="md" />
        ) : data.length === 0 ? (
          <Text fz="sm" c="dimmed" p="md">
            {mode === 'run' && action === 'reject' ? 'Every row was imported.' : 'No rows of this kind.'}
          </Text>
        ) : (
          <Table verticalSpacing={4} className="rapport-dense" data-testid="row-report-table">
            <Table.Thead>
              <Table.Tr>
                <Table.Th w={90}>Row (line)</Table.Th>
                <Table.Th w={110}>What</Table.Th>
                <Table.Th>Details</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {data.map((r) => {
                const problems = (
                  Array.isArray(r.details.problems)
                    ? (r.details.problems as Array<{ field: string; message: string }>)
                    : []
                ).filter((p) => !r.summary.includes(p.message));
                return (
                  <Table.Tr key={`${r.row}`} data-testid="report-row" data-action={r.action}>
                    <Table.Td>
                      <Text fz="sm" c="dimmed" title={`Row ${r.row}, starting on line ${r.line} of the file`}>
                        {r.row}{' '}
                        <Text span fz="xs" c="dimmed">
                          ({r.line})
                        </Text>
                      </Text>
                    </Table.Td>
                    <Table.Td>
                      <Badge size="sm" variant="light" color={actionInfo[r.action].color} tt="none">
                        {label(r.action)}
                      </Badge>
                    </Table.Td>
                    <Table.Td style={{ whiteSpace: 'normal' }}>
                      <Text fz="sm">
                        {r.recordId && r.action !== 'reject' && mode === 'run' && imp.entity !== 'order' ? (
                          <Anchor
                            component={Link}
                            to={`/${imp.entity === 'person' ? 'people' : 'companies'}/${r.recordId}`}
                            fz="sm"
                          >
                            {r.summary}
                          </Anchor>
                        ) : (
                          r.summary
                        )}
                      </Text>
                      {problems.map((p) => (
                        <Text key={`${p.field}${p.message}`} fz="xs" c="red">
                          {p.field}: {p.message}
                        </Text>
                      ))}
                    </Table.Td>
                  </Table.Tr>
                );
              })}
            </Table.Tbody>
          </Table>
        )}
      </Card>
      {rows.hasNextPage && (
        <Center>
          <Button
            size="xs"
            variant="default"
            loading={rows.isFetchingNextPage}
            onClick={() => void rows.fetchNextPage()}
          >
            More rows
          </Button>
        </Center>
      )}
    </Stack>
  );
}

function PastImports() {
  const [, setParams] = useSearchParams();
  const q = useQuery({
    queryKey: ['imports', 'list'],
    queryFn: () => api<{ data: Import[] }>('/imports', { query: { limit: 10 } }),
  });
  const rows = q.data?.data ?? [];
  if (!rows.length) return null;
  return (
    <Stack gap="xs" mt="xl">
      <Text fz="xs" fw={700} c="dimmed" tt="uppercase" lts={0.5}>
        Recent imports
      </Text>
      <Card withBorder padding={0}>
        <Table highlightOnHover verticalSpacing={4}>
          <Table.Tbody>
            {rows.map((i) => (
              <Table.Tr key={i.id} style={{ cursor: 'pointer' }} onClick={() => setParams({ id: i.id })}>
                <Table.Td>
                  <Group gap={8} wrap="nowrap">
                    <IconFileSpreadsheet size={16} opacity={0.6} />
                    <Text fz="sm" fw={500}>
                      {i.fileName}
                    </Text>
                  </Group>
                </Table.Td>
                <Table.Td>
                  <Text fz="sm" c="dimmed">
                    {entityInfo[i.entity].plural} · {i.progress.totalRows.toLocaleString()} rows
                  </Text>
                </Table.Td>
                <Table.Td>
                  <Badge
                    size="sm"
                    variant="light"
                    tt="none"
                    color={
                      i.status === 'done' ? 'teal' : i.status === 'failed' || i.status === 'invalid' ? 'red' : 'gray'
                    }
                  >
                    {i.status.replace(/_/g, ' ')}
                  </Badge>
                </Table.Td>
                <Table.Td ta="right">
                  <Text fz="xs" c="dimmed" title={formatDateTime(i.createdAt)}>
                    {relativeTime(i.createdAt)}
                  </Text>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Card>
    </Stack>
  );
}

export function ImportPage({ entity = 'person' }: { entity?: ImportEntity } = {}) {
  const qc = useQueryClient();
  const [params, setParams] = useSearchParams();
  const id = params.get('id');
  const q = useQuery({
    queryKey: ['imports', id],
    enabled: Boolean(id),
    queryFn: () => api<Import>(`/imports/${id}`),
    refetchInterval: (query) => {
      const s = query.state.data?.status;
      return s === 'dry_running' || s === 'importing' ? 400 : false;
    },
  });
  const imp = id ? q.data : undefined;
  const set = (i: Import) => {
    qc.setQueryData(['imports', i.id], i);
    if (i.id !== id) setParams({ id: i.id });
  };
  const run = useMutation({
    mutationFn: () =>
      api<Import>(`/imports/${id}/${imp?.status === 'failed' && imp.mode === 'dry_run' ? 'dry-run' : 'run'}`, {
        method: 'POST',
      }),
    onSuccess: set,
    onError: (e) => notifyError(e, 'Could not start the import'),
  });
  const restart = () => setParams({});
  const step = stepOf(imp);
  const done = imp?.status === 'done';
  useEffect(() => {
    if (done) void qc.invalidateQueries({ queryKey: customerKeys.people });
    if (done && imp?.entity === 'order') void qc.invalidateQueries({ queryKey: ['orders'] });
  }, [done, qc, imp?.entity]);
  const shown = entityInfo[imp?.entity ?? entity];
  const list = shown.list;

  return (
    <div data-testid="import-page">
      <Breadcrumbs fz="sm" mb="xs">
        <Anchor component={Link} to={list} fz="sm">
          {shown.plural}
        </Anchor>
        <Text fz="sm" c="dimmed">
          Import
        </Text>
      </Breadcrumbs>
      <PageHeader
        title="Import a CSV"
        description="Upload, check the mapping, see a dry run row by row, then import. Re-running is safe: records are matched, not duplicated."
        actions={
          imp && (
            <Button variant="default" leftSection={<IconUpload size={16} />} onClick={restart}>
              New import
            </Button>
          )
        }
      />
      <Stepper active={step} size="sm" mb="lg" allowNextStepsSelect={false}>
        <Stepper.Step label="Upload" description={imp ? imp.fileName : 'A CSV file'} />
        <Stepper.Step label="Mapping" description="Columns to fields" />
        <Stepper.Step label="Dry run" description="What would happen" />
        <Stepper.Step label="Import" description="Records are written" />
        <Stepper.Completed>{null}</Stepper.Completed>
      </Stepper>
      {id && q.isPending ? (
        <Skeleton h={240} />
      ) : id && q.isError ? (
        <Empty
          icon={<IconX size={22} />}
          title="This import cannot be shown"
          description={q.error.message}
          action={<Button onClick={restart}>Start a new import</Button>}
        />
      ) : !imp ? (
        <>
          <Upload onUploaded={set} initial={entity} />
          <PastImports />
        </>
      ) : imp.status === 'invalid' ? (
        <Invalid imp={imp} onRestart={restart} />
      ) : imp.status === 'ready' ? (
        <Mapping imp={imp} onChanged={set} />
      ) : imp.status === 'dry_running' ? (
        <ProgressBlock imp={imp} label="Dry run: checking every row, changing nothing" />
      ) : imp.status === 'dry_run_done' ? (
        <Stack gap="md" data-testid="dry-run-report">
          <Alert color="brand" icon={<IconCheck size={18} />} title="Dry run finished: nothing has changed yet">
            This is what importing {imp.progress.totalRows.toLocaleString()} rows of {imp.fileName} would do.
          </Alert>
          <Counts imp={imp} future />
          <Group justify="space-between">
            <Button
              variant="default"
              onClick={() =>
                api<Import>(`/imports/${imp.id}`, { method: 'PATCH', body: {} }).then(set, (e: unknown) =>
                  notifyError(e, 'Could not go back'),
                )
              }
            >
              Back to the mapping
            </Button>
            <Button
              leftSection={<IconPlayerPlay size={16} />}
              loading={run.isPending}
              onClick={() => run.mutate()}
              disabled={imp.progress.created + imp.progress.updated === 0}
            >
              Import {(imp.progress.created + imp.progress.updated).toLocaleString()} {shown.counted}
            </Button>
          </Group>
          <RowReport imp={imp} mode="dry_run" />
        </Stack>
      ) : imp.status === 'importing' ? (
        <Stack gap="md">
          <ProgressBlock imp={imp} label="Importing" />
          <Counts imp={imp} future={false} />
          <Text fz="xs" c="dimmed">
            You can leave this page: the import carries on, and resumes by itself if Rapport restarts.
          </Text>
        </Stack>
      ) : (
        <Stack gap="md" data-testid="import-final">
          {imp.status === 'done' ? (
            <Alert
              color="teal"
              icon={
                <ThemeIcon size={20} color="teal" radius="xl">
                  <IconCheck size={14} />
                </ThemeIcon>
              }
              title={`Import finished: ${imp.progress.processedRows.toLocaleString()} rows`}
              data-testid="import-done"
            >
              {imp.finishedAt && `Finished ${relativeTime(imp.finishedAt)}. `}
              {imp.progress.rejected > 0
                ? 'The rows below were left out, each with its reason. Fix them in the file and import it again: rows already imported are matched, not duplicated.'
                : 'Every row made it in.'}
            </Alert>
          ) : (
            <Alert color="red" icon={<IconAlertTriangle size={18} />} title="The import stopped">
              {imp.lastError ?? 'Something went wrong.'} Rows done so far are kept; starting it again continues where it
              stopped.
              <Group mt="xs">
                <Button size="xs" color="red" variant="light" loading={run.isPending} onClick={() => run.mutate()}>
                  {imp.mode === 'dry_run' ? 'Try the dry run again' : 'Resume the import'}
                </Button>
              </Group>
            </Alert>
          )}
          <Counts imp={imp} future={false} />
          <Group>
            <Button component={Link} to={list} variant="light">
              See the {shown.plural.toLowerCase()}
            </Button>
          </Group>
          <RowReport imp={imp} mode="run" />
        </Stack>
      )}
    </div>
  );
}
