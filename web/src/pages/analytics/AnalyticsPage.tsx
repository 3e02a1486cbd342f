/**
 * The relationship dashboard: KPI tiles for a period against the one before (each with its definition), monthly
 * trends, the cohort heat map and the RFM grid; every number opens the customers behind it where the API lists them,
 * and every chart's data downloads as CSV. The period, currency and segment live in the address.
 */
import { useState } from 'react';
import { LineChart } from '@mantine/charts';
import {
  ActionIcon,
  Anchor,
  Badge,
  Button,
  Card,
  Drawer,
  Group,
  HoverCard,
  Select,
  SimpleGrid,
  Skeleton,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
  Tooltip,
  UnstyledButton,
} from '@mantine/core';
import { IconArrowDownRight, IconArrowUpRight, IconChartBar, IconDownload, IconInfoCircle } from '@tabler/icons-react';
import { Link, useSearchParams } from 'react-router';
import {
  rfmSegmentGrid,
  rfmSegmentLabels,
  rfmSegments,
  useCohorts,
  useMetricPeople,
  useMetricsSummary,
  useMonthlyTrend,
  useRfm,
  useRfmPeople,
  type MetricKey,
  type MetricsScope,
  type MetricsSummary,
  type RfmSegment,
} from '../../api/metrics.ts';
import { Empty } from '../../components/Empty.tsx';
import { PageHeader } from '../../components/PageHeader.tsx';
import { downloadCsv } from '../../lib/csv.ts';
import { formatDate } from '../../lib/format.ts';
import { fromMinorUnits } from '../../../../src/domain/commerce.ts';
import { metricDefs, tileOrder } from './definitions.ts';
import { currencyDigits, formatCount, formatMetric, formatMinor, formatShare } from './format.ts';

const day = (d: Date) => d.toISOString().slice(0, 10);
const addDays = (iso: string, n: number) => day(new Date(Date.parse(`${iso}T00:00:00Z`) + n * 86_400_000));

/** Period presets, each [from, to) in UTC days ending today (to = tomorrow). */
const presets: Record<string, { label: string; from: (to: string) => string }> = {
  '30d': { label: 'Last 30 days', from: (to) => addDays(to, -30) },
  '90d': { label: 'Last 90 days', from: (to) => addDays(to, -90) },
  '365d': { label: 'Last 12 months', from: (to) => addDays(to, -365) },
  ytd: { label: 'This year', from: (to) => `${addDays(to, -1).slice(0, 4)}-01-01` },
};

function useDashboardState() {
  const [params, setParams] = useSearchParams();
  const today = day(new Date());
  const defaultTo = addDays(today, 1);
  const preset = params.get('preset') ?? (params.get('from') ? 'custom' : '90d');
  const to = params.get('to') ?? defaultTo;
  const from = params.get('from') ?? presets[preset]?.from(to) ?? addDays(to, -90);
  const scope: MetricsScope = {
    currency: params.get('currency') ?? undefined,
    filter: params.getAll('filter').length ? params.getAll('filter') : undefined,
  };
  const set = (changes: Record<string, string | string[] | null>) =>
    setParams(
      () => {
        // The address as it is now: two quick changes (react-router hands an updater the last render's) both stay.
        const next = new URLSearchParams(window.location.search);
        for (const [k, v] of Object.entries(changes)) {
          next.delete(k);
          if (Array.isArray(v)) for (const x of v) next.append(k, x);
          else if (v !== null) next.set(k, v);
        }
        return next;
      },
      { replace: true },
    );
  /** One end of a custom period; the other stays as the address has it (or as the preset had it). */
  const setBound = (key: 'from' | 'to', value: string) =>
    setParams(
      () => {
        // The address as it is now: two quick changes (react-router hands an updater the last render's) both stay.
        const next = new URLSearchParams(window.location.search);
        if (!next.get('from')) next.set('from', from);
        if (!next.get('to')) next.set('to', to);
        next.set('preset', 'custom');
        next.set(key, value);
        return next;
      },
      { replace: true },
    );
  return { from, to, preset, scope, set, setBound, defaultTo };
}

/** The trend's calendar months, and the months after acquisition the cohort heat map shows. */
const trendMonths = 12;
const cohortMonths = 12;

export function AnalyticsPage() {
  const state = useDashboardState();
  const { from, to, scope } = state;
  const summary = useMetricsSummary({ from, to, ...scope });
  // The charts' requests start with the summary's, not after it: with no currency chosen, each takes the workspace's
  // most ordered one (and says which), so none needs the summary's answer first. The charts below read the same
  // queries (same keys).
  useMonthlyTrend({ to, months: trendMonths, ...scope });
  useCohorts({ to, maxOffset: cohortMonths, ...scope });
  useRfm({ asOf: to, ...scope });
  const [drill, setDrill] = useState<Drill | null>(null);
  const s = summary.data;
  const currency = scope.currency ?? s?.currency ?? null;
  const scoped = scope;
  const noOrders = s && s.currencies.length === 0;

  return (
    <div data-testid="analytics-page">
      <PageHeader
        title="Analytics"
        description="How customers stay, buy again and are served: each number against the period before"
      />
      <Controls state={state} currencies={s?.currencies ?? []} currency={currency} />
      {summary.isError ? (
        <Text c="red" mt="md">
          {(summary.error as Error).message}
        </Text>
      ) : !s ? (
        <SimpleGrid cols={{ base: 1, sm: 2, lg: 4 }} mt="md">
          {Array.from({ length: 8 }, (_, i) => (
            <Skeleton key={i} h={110} />
          ))}
        </SimpleGrid>
      ) : noOrders ? (
        <Empty
          icon={<IconChartBar size={28} />}
          title="No orders yet"
          description="The dashboard is computed from orders: import them (Orders → Import CSV, or rapport import orders) or send them through the API. Orders that just arrived show here within a minute or two, once their roll-ups are built."
          action={
            <Button component={Link} to="/orders" variant="light">
              Orders
            </Button>
          }
        />
      ) : (
        <Stack gap="lg" mt="md">
          {s.currency !== null && !s.currencies.includes(s.currency) && (
            // A currency from an old link or a typed address: its zeros are real, but say why they are all zero.
            <Text c="orange.8" fz="sm" data-testid="currency-without-orders">
              No orders in {s.currency}: this workspace's orders are in {s.currencies.join(', ')}.
            </Text>
          )}
          <Tiles summary={s} currency={currency} onDrill={setDrill} />
          <Trends from={from} to={to} scope={scoped} currency={currency} />
          <SimpleGrid cols={{ base: 1, xl: 2 }}>
            <CohortHeatMap to={to} scope={scoped} currency={currency} onDrill={setDrill} />
            <RfmGrid asOf={to} scope={scoped} onDrill={setDrill} />
          </SimpleGrid>
        </Stack>
      )}
      <DrillDrawer
        drill={drill}
        onClose={() => setDrill(null)}
        from={from}
        asOf={to}
        scope={scoped}
        currency={currency}
      />
    </div>
  );
}

function Controls(props: {
  state: ReturnType<typeof useDashboardState>;
  currencies: string[];
  currency: string | null;
}) {
  const { state } = props;
  const [tag, setTag] = useState(
    state.scope.filter?.find((f) => f.startsWith('tag:eq:'))?.slice('tag:eq:'.length) ?? '',
  );
  const stage = state.scope.filter?.find((f) => f.startsWith('stage:eq:'))?.slice('stage:eq:'.length) ?? null;
  const setSegment = (next: { stage?: string | null; tag?: string }) => {
    const s = next.stage !== undefined ? next.stage : stage;
    const t = next.tag !== undefined ? next.tag : tag;
    const filter = [...(s ? [`stage:eq:${s}`] : []), ...(t.trim() ? [`tag:eq:${t.trim()}`] : [])];
    state.set({ filter });
  };
  return (
    <Group gap="sm" align="flex-end" wrap="wrap" aria-label="Dashboard settings">
      <Select
        label="Period"
        w={170}
        value={state.preset}
        allowDeselect={false}
        data={[
          ...Object.entries(presets).map(([value, p]) => ({ value, label: p.label })),
          { value: 'custom', label: 'Custom' },
        ]}
        onChange={(v) => {
          if (!v) return;
          if (v === 'custom') state.set({ preset: 'custom', from: state.from, to: state.to });
          else state.set({ preset: v, from: null, to: null });
        }}
      />
      <TextInput
        label="From"
        type="date"
        w={160}
        value={state.from}
        onChange={(e) => e.currentTarget.value && state.setBound('from', e.currentTarget.value)}
      />
      <TextInput
        label="Until (excluded)"
        type="date"
        w={160}
        value={state.to}
        onChange={(e) => e.currentTarget.value && state.setBound('to', e.currentTarget.value)}
      />
      <Select
        label="Currency"
        w={120}
        value={props.currency}
        data={
          props.currency && props.currencies.length && !props.currencies.includes(props.currency)
            ? [...props.currencies, props.currency]
            : props.currencies
        }
        allowDeselect={false}
        disabled={props.currencies.length < 2}
        onChange={(v) => state.set({ currency: v })}
      />
      <Select
        label="Segment: stage"
        w={170}
        clearable
        placeholder="Everyone"
        value={stage}
        data={['lead', 'prospect', 'customer', 'loyal', 'at_risk', 'churned']}
        onChange={(v) => setSegment({ stage: v })}
      />
      <TextInput
        label="Segment: tag"
        w={150}
        placeholder="Any tag"
        value={tag}
        onChange={(e) => setTag(e.currentTarget.value)}
        onBlur={() => setSegment({ tag })}
        onKeyDown={(e) => e.key === 'Enter' && setSegment({ tag })}
      />
    </Group>
  );
}

type Drill =
  | { kind: 'rfm'; title: string; segment?: RfmSegment; r?: number; f?: number }
  | {
      kind: 'metric';
      title: string;
      metric: MetricKey | 'newCustomers';
      part: 'numerator' | 'denominator' | 'returned' | 'lapsing';
      /** Another period than the dashboard's (a cohort cell's month), and a cohort (YYYY-MM). */
      from?: string;
      to?: string;
      cohort?: string;
    };

function Tiles(props: { summary: MetricsSummary; currency: string | null; onDrill: (d: Drill) => void }) {
  const s = props.summary;
  return (
    <SimpleGrid cols={{ base: 1, sm: 2, lg: 4, xl: 5 }} aria-label="Key figures">
      {tileOrder.map((key) => {
        const m = s.metrics[key];
        const def = metricDefs[key];
        const current = m.current as { value: number | null; numerator?: number; denominator?: number };
        const change = m.change;
        const up = (change.absolute ?? 0) > 0;
        const good = change.absolute === null || change.absolute === 0 ? null : up === def.higherIsBetter;
        return (
          <Card key={key} withBorder padding="sm" data-metric={key}>
            <Group justify="space-between" gap={4} wrap="nowrap">
              <Text fz="sm" c="dimmed" fw={500} truncate>
                {def.label}
              </Text>
              <HoverCard width={280} shadow="md" withinPortal>
                <HoverCard.Target>
                  <ActionIcon variant="subtle" size="sm" color="gray" aria-label={`What is ${def.label}?`}>
                    <IconInfoCircle size={14} />
                  </ActionIcon>
                </HoverCard.Target>
                <HoverCard.Dropdown>
                  <Text fz="xs">{def.definition}</Text>
                </HoverCard.Dropdown>
              </HoverCard>
            </Group>
            {drillable(key) ? (
              <Anchor
                component="button"
                fz={24}
                fw={700}
                lh={1.3}
                c="inherit"
                data-testid={`metric-${key}`}
                title="The customers behind this number"
                onClick={() =>
                  props.onDrill({
                    kind: 'metric',
                    title: `${def.label}: ${def.kind === 'share' ? 'counted' : 'customers'}`,
                    metric: key,
                    part: 'numerator',
                  })
                }
              >
                {formatMetric(current.value, def, props.currency)}
              </Anchor>
            ) : (
              <Text fz={24} fw={700} lh={1.3} data-testid={`metric-${key}`}>
                {formatMetric(current.value, def, props.currency)}
              </Text>
            )}
            <Text fz="xs" c="dimmed" lh={1.4}>
              {def.definition.split(';')[0]}
            </Text>
            <Group gap={6} mt={6} wrap="nowrap">
              {change.relative !== null ? (
                <Badge
                  size="sm"
                  variant="light"
                  color={good === null ? 'gray' : good ? 'teal' : 'red'}
                  leftSection={up ? <IconArrowUpRight size={12} /> : <IconArrowDownRight size={12} />}
                >
                  {formatShare(Math.abs(change.relative))}
                </Badge>
              ) : change.absolute !== null ? (
                // Up from nothing (or nothing both times): no share of 0 to state, but an earlier value there was.
                <Badge
                  size="sm"
                  variant="light"
                  color={good === null ? 'gray' : good ? 'teal' : 'red'}
                  leftSection={
                    change.absolute === 0 ? undefined : up ? (
                      <IconArrowUpRight size={12} />
                    ) : (
                      <IconArrowDownRight size={12} />
                    )
                  }
                >
                  {change.absolute === 0 ? 'no change' : up ? 'up from 0' : 'down from 0'}
                </Badge>
              ) : (
                <Badge size="sm" variant="light" color="gray">
                  no earlier value
                </Badge>
              )}
              <Text fz="xs" c="dimmed" truncate>
                before: {formatMetric(change.previous, def, props.currency)}
              </Text>
            </Group>
            {current.numerator !== undefined && current.denominator !== undefined && def.kind === 'share' && (
              <Text fz="xs" mt={4}>
                {drillable(key) ? (
                  <>
                    <Anchor
                      component="button"
                      fz="xs"
                      onClick={() =>
                        props.onDrill({
                          kind: 'metric',
                          title: `${def.label}: counted`,
                          metric: key,
                          part: 'numerator',
                        })
                      }
                    >
                      {formatCount(current.numerator)}
                    </Anchor>{' '}
                    of{' '}
                    <Anchor
                      component="button"
                      fz="xs"
                      onClick={() =>
                        props.onDrill({ kind: 'metric', title: `${def.label}: all`, metric: key, part: 'denominator' })
                      }
                    >
                      {formatCount(current.denominator)}
                    </Anchor>{' '}
                    customers
                  </>
                ) : (
                  `${formatCount(current.numerator)} of ${formatCount(current.denominator)}`
                )}
              </Text>
            )}
            {key === 'churnRate' && 'returned' in current && (
              <Text fz="xs">
                {(['returned', 'lapsing'] as const).map((part, i) => (
                  <span key={part}>
                    {i > 0 && ' · '}
                    <Anchor
                      component="button"
                      fz="xs"
                      onClick={() =>
                        props.onDrill({ kind: 'metric', title: `${def.label}: ${part}`, metric: key, part })
                      }
                    >
                      {formatCount((current as Record<string, number>)[part] ?? 0)}
                    </Anchor>{' '}
                    {part}
                  </span>
                ))}
              </Text>
            )}
          </Card>
        );
      })}
      {s.predictiveClv ? (
        <Card withBorder padding="sm" data-metric="predictiveClv">
          <Group justify="space-between" gap={4} wrap="nowrap">
            <Text fz="sm" c="dimmed" fw={500} truncate>
              Predictive CLV
            </Text>
            <HoverCard width={280} shadow="md" withinPortal>
              <HoverCard.Target>
                <ActionIcon variant="subtle" size="sm" color="gray" aria-label="What is Predictive CLV?">
                  <IconInfoCircle size={14} />
                </ActionIcon>
              </HoverCard.Target>
              <HoverCard.Dropdown>
                <Text fz="xs">
                  The mean expected net revenue per customer over the next 12 months (BG/NBD × Gamma-Gamma, discounted
                  1% a month), from the purchase model fitted on the data up to its end date. A forecast, so it is not
                  compared with the previous period.
                </Text>
              </HoverCard.Dropdown>
            </HoverCard>
          </Group>
          <Text fz={24} fw={700} lh={1.3} data-testid="metric-predictiveClv">
            {s.predictiveClv.value === null || !props.currency
              ? '—'
              : formatMinor(s.predictiveClv.value, props.currency)}
          </Text>
          <Text fz="xs" c="dimmed" lh={1.4}>
            per customer, next 12 months
          </Text>
          <Text fz="xs" c="dimmed" mt={6}>
            {formatCount(s.predictiveClv.customers)} customers · model v{s.predictiveClv.modelVersion}, data to{' '}
            {new Date(Date.parse(s.predictiveClv.asOf) - 86_400_000).toISOString().slice(0, 10)}
          </Text>
        </Card>
      ) : null}
    </SimpleGrid>
  );
}

/**
 * The numbers whose customers the API lists (GET /metrics/people): every customer-based one, and the totals made of
 * customers' orders (their customers). Subscriptions, tickets and surveys are not drilled to customers.
 */
const drillableKeys: ReadonlySet<MetricKey> = new Set<MetricKey>([
  'revenue',
  'activeCustomers',
  'orders',
  'averageOrderValue',
  'repeatPurchaseRate',
  'retentionRate',
  'churnRate',
  'historicalClv',
  'purchaseFrequency',
  'tenure',
]);
const drillable = (key: MetricKey) => drillableKeys.has(key);

function Trends(props: { from: string; to: string; scope: MetricsScope; currency: string | null }) {
  // The 12 calendar months ending with the month of the period's last day (`to` is excluded), the last one cut there.
  const q = useMonthlyTrend({ to: props.to, months: trendMonths, ...props.scope });
  // Months before the first counted order (the first cohort: the same scope and currency, the page's query) are
  // left out of the lines and the CSV: the shop was not selling yet, which is no data rather than a revenue of 0.
  const cohorts = useCohorts({ to: props.to, maxOffset: cohortMonths, ...props.scope });
  const firstMonth = cohorts.data?.cohorts[0];
  const rows = (q.data?.months ?? [])
    .map((m) => ({
      month: m.from.slice(0, 7),
      revenue: m.revenue.value,
      activeCustomers: m.activeCustomers.value,
      repeatPurchaseRate: m.repeatPurchaseRate.value,
    }))
    .filter((r) => firstMonth === undefined || r.month >= firstMonth);
  const trimmed = firstMonth !== undefined && rows.length < (q.data?.months.length ?? 0);
  const digits = 10 ** (props.currency ? currencyDigits(props.currency) : 2);
  // The currency the answer is in (the one asked for, else the workspace's most ordered).
  const trendCurrency = q.data?.currency ?? props.currency;
  return (
    <ChartCard
      title="Monthly trend"
      description={
        trimmed
          ? `Revenue and active customers per calendar month (UTC), the last 12 months since the first order (${firstMonth})`
          : 'Revenue and active customers per calendar month (UTC), the last 12 months'
      }
      loading={!q.data || !cohorts.data}
      csv={() => [
        ['month', 'currency', moneyHeader('revenue', trendCurrency), 'active customers', 'repeat purchase rate'],
        ...rows.map((r) => [
          r.month,
          trendCurrency,
          moneyCell(r.revenue, trendCurrency),
          r.activeCustomers,
          r.repeatPurchaseRate,
        ]),
      ]}
      csvName={csvName('monthly-trend', trendCurrency)}
    >
      <SimpleGrid cols={{ base: 1, md: 2 }}>
        <LineChart
          h={220}
          data={rows.map((r) => ({ month: r.month, Revenue: r.revenue / digits }))}
          dataKey="month"
          series={[{ name: 'Revenue', color: 'teal.6' }]}
          valueFormatter={(v) => formatMinor(v * digits, props.currency)}
          curveType="monotone"
          withLegend
        />
        <LineChart
          h={220}
          data={rows.map((r) => ({ month: r.month, 'Active customers': r.activeCustomers }))}
          dataKey="month"
          series={[{ name: 'Active customers', color: 'blue.6' }]}
          valueFormatter={(v) => formatCount(v)}
          curveType="monotone"
          withLegend
        />
      </SimpleGrid>
    </ChartCard>
  );
}

/**
 * The CSVs' money: a decimal amount in the currency's own digits ("1234.50" USD, "1234" JPY), the currency named in
 * the column's header and in a `currency` column (a spreadsheet that joins several exports keeps it), as the
 * API gives money (decimal strings in the currency's digits). Without a currency (no orders yet) the amount stays
 * in minor units and says so.
 */
function moneyHeader(name: string, currency: string | null): string {
  return currency ? `${name} (${currency})` : `${name} (minor units)`;
}

function moneyCell(minor: number, currency: string | null): string | number {
  return currency ? fromMinorUnits(minor, currency) : minor;
}

function csvName(base: string, currency: string | null): string {
  return currency ? `${base}-${currency}.csv` : `${base}.csv`;
}

function ChartCard(props: {
  title: string;
  description: string;
  loading: boolean;
  csv: () => Array<Array<string | number | null>>;
  csvName: string;
  children: React.ReactNode;
}) {
  return (
    <Card withBorder padding="md" aria-label={props.title}>
      <Group justify="space-between" mb="sm" wrap="nowrap">
        <div>
          <Title order={2} fz="md">
            {props.title}
          </Title>
          <Text fz="xs" c="dimmed">
            {props.description}
          </Text>
        </div>
        <Tooltip label="Download the data as CSV">
          <ActionIcon
            variant="subtle"
            aria-label={`Download ${props.title} as CSV`}
            disabled={props.loading}
            onClick={() => downloadCsv(props.csvName, props.csv())}
          >
            <IconDownload size={16} />
          </ActionIcon>
        </Tooltip>
      </Group>
      {props.loading ? <Skeleton h={220} /> : props.children}
    </Card>
  );
}

function CohortHeatMap(props: {
  to: string;
  scope: MetricsScope;
  currency: string | null;
  onDrill: (d: Drill) => void;
}) {
  const q = useCohorts({ to: props.to, maxOffset: cohortMonths, ...props.scope });
  const c = q.data;
  const offsets = c ? Array.from({ length: c.offsets }, (_, i) => i) : [];
  /** The month `k` months after a cohort's (YYYY-MM), as a period [from, to) cut at the heat map's `to`. */
  const monthPeriod = (cohort: string, k: number) => {
    const [y, m] = cohort.split('-').map(Number);
    const from = day(new Date(Date.UTC(y ?? 1970, (m ?? 1) - 1 + k, 1)));
    const next = day(new Date(Date.UTC(y ?? 1970, (m ?? 1) + k, 1)));
    return { from, to: next < props.to ? next : props.to };
  };
  return (
    <ChartCard
      title="Cohorts"
      description="Customers by month of first purchase: the share buying again N months later"
      loading={!c}
      csvName={csvName('cohorts', c?.currency ?? props.currency)}
      csv={() =>
        c
          ? [
              [
                'cohort',
                'currency',
                'size',
                ...offsets.map((o) => `month ${o} customers`),
                ...offsets.map((o) => moneyHeader(`month ${o} revenue`, c.currency)),
              ],
              ...c.cohorts.map((name, i) => [
                name,
                c.currency,
                c.sizes[i] ?? 0,
                ...offsets.map((o) => c.customers[i]?.[o] ?? null),
                ...offsets.map((o) => {
                  const minor = c.revenueMinor[i]?.[o];
                  return minor === undefined || minor === null ? null : moneyCell(minor, c.currency);
                }),
              ]),
            ]
          : []
      }
    >
      {c && c.cohorts.length ? (
        <Table.ScrollContainer minWidth={500} maxHeight={360}>
          <Table fz="xs" withColumnBorders data-testid="cohort-heatmap" stickyHeader>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Cohort</Table.Th>
                <Table.Th ta="right">Customers</Table.Th>
                {offsets.map((o) => (
                  <Table.Th key={o} ta="center">
                    {o}
                  </Table.Th>
                ))}
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {c.cohorts.map((name, i) => (
                <Table.Tr key={name}>
                  <Table.Td>{name}</Table.Td>
                  <Table.Td ta="right">
                    <Anchor
                      component="button"
                      fz="xs"
                      data-testid="cohort-size"
                      onClick={() =>
                        props.onDrill({
                          kind: 'metric',
                          title: `Cohort ${name}: customers acquired`,
                          metric: 'newCustomers',
                          part: 'numerator',
                          ...monthPeriod(name, 0),
                          cohort: name,
                        })
                      }
                    >
                      {formatCount(c.sizes[i] ?? 0)}
                    </Anchor>
                  </Table.Td>
                  {offsets.map((o) => {
                    const share = c.retention[i]?.[o] ?? null;
                    const customers = c.customers[i]?.[o] ?? 0;
                    return (
                      <Table.Td
                        key={o}
                        ta="center"
                        p={share === null ? undefined : 0}
                        data-testid={share === null ? undefined : 'cohort-cell'}
                        style={{
                          background:
                            share === null ? undefined : `rgba(18, 184, 134, ${Math.min(0.9, 0.08 + share * 0.9)})`,
                        }}
                        title={
                          share === null
                            ? 'not observed yet'
                            : `${formatCount(customers)} customers, ${formatMinor(c.revenueMinor[i]?.[o] ?? 0, props.currency)}`
                        }
                      >
                        {share === null ? (
                          ''
                        ) : (
                          // A button, as in the RFM grid: reached with Tab and named for screen readers.
                          <UnstyledButton
                            w="100%"
                            px={4}
                            py={6}
                            fz="xs"
                            ta="center"
                            aria-label={`Cohort ${name}, month ${o}: ${formatCount(customers)} of ${formatCount(c.sizes[i] ?? 0)} customers bought (${formatShare(share)})`}
                            onClick={() =>
                              props.onDrill({
                                kind: 'metric',
                                title: `Cohort ${name}, month ${o}: customers who bought`,
                                metric: 'activeCustomers',
                                part: 'numerator',
                                ...monthPeriod(name, o),
                                cohort: name,
                              })
                            }
                          >
                            {formatShare(share)}
                          </UnstyledButton>
                        )}
                      </Table.Td>
                    );
                  })}
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      ) : (
        <Text c="dimmed" fz="sm">
          No cohorts yet.
        </Text>
      )}
    </ChartCard>
  );
}

const segmentColors: Record<RfmSegment, string> = {
  champions: 'teal',
  loyal: 'green',
  potential_loyalists: 'lime',
  new: 'cyan',
  at_risk: 'orange',
  cant_lose: 'red',
  hibernating: 'gray',
  lost: 'dark',
};

function RfmGrid(props: { asOf: string; scope: MetricsScope; onDrill: (d: Drill) => void }) {
  const q = useRfm({ asOf: props.asOf, ...props.scope });
  const r = q.data;
  return (
    <ChartCard
      title="RFM"
      description="Customers by recency (rows, 5 = most recent) and frequency (columns, 5 = most orders), and their segments"
      loading={!r}
      csvName="rfm.csv"
      csv={() =>
        r
          ? [
              ['recency score', 'frequency score', 'segment', 'customers'],
              ...[5, 4, 3, 2, 1].flatMap((rs) =>
                [1, 2, 3, 4, 5].map((fs) => [
                  rs,
                  fs,
                  rfmSegmentGrid[rs - 1]?.[fs - 1] ?? '',
                  r.cells[rs - 1]?.[fs - 1] ?? 0,
                ]),
              ),
            ]
          : []
      }
    >
      {r && (
        <Stack gap="sm">
          <Table fz="xs" withColumnBorders data-testid="rfm-grid">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>R \ F</Table.Th>
                {[1, 2, 3, 4, 5].map((f) => (
                  <Table.Th key={f} ta="center">
                    F{f}
                  </Table.Th>
                ))}
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {[5, 4, 3, 2, 1].map((rs) => (
                <Table.Tr key={rs}>
                  <Table.Th>R{rs}</Table.Th>
                  {[1, 2, 3, 4, 5].map((fs) => {
                    const seg = rfmSegmentGrid[rs - 1]?.[fs - 1] as RfmSegment;
                    const n = r.cells[rs - 1]?.[fs - 1] ?? 0;
                    return (
                      <Table.Td key={fs} p={0} bg={`var(--mantine-color-${segmentColors[seg]}-light)`}>
                        <UnstyledButton
                          w="100%"
                          p={6}
                          ta="center"
                          disabled={!n}
                          aria-label={`R${rs} F${fs}: ${n} customers (${rfmSegmentLabels[seg]})`}
                          onClick={() =>
                            props.onDrill({
                              kind: 'rfm',
                              title: `R${rs} F${fs} · ${rfmSegmentLabels[seg]}`,
                              r: rs,
                              f: fs,
                            })
                          }
                        >
                          <Text fz="sm" fw={600}>
                            {formatCount(n)}
                          </Text>
                        </UnstyledButton>
                      </Table.Td>
                    );
                  })}
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
          <Group gap={6}>
            {rfmSegments.map((seg) => (
              <Badge
                key={seg}
                component="button"
                variant="light"
                color={segmentColors[seg]}
                style={{ cursor: 'pointer' }}
                onClick={() => props.onDrill({ kind: 'rfm', title: rfmSegmentLabels[seg], segment: seg })}
              >
                {rfmSegmentLabels[seg]}: {formatCount(r.segments[seg] ?? 0)}
              </Badge>
            ))}
          </Group>
        </Stack>
      )}
    </ChartCard>
  );
}

function DrillDrawer(props: {
  drill: Drill | null;
  onClose: () => void;
  from: string;
  asOf: string;
  scope: MetricsScope;
  currency: string | null;
}) {
  const d = props.drill;
  const rfm = useRfmPeople(
    d?.kind === 'rfm' ? { asOf: props.asOf, segment: d.segment, r: d.r, f: d.f, ...props.scope } : null,
  );
  const rows = rfm.data?.pages.flatMap((p) => p.data) ?? [];
  return (
    <Drawer opened={d !== null} onClose={props.onClose} position="right" size="lg" title={d?.title ?? ''}>
      {d?.kind === 'rfm' && (
        <Stack gap="xs" data-testid="drill-people">
          <Table fz="sm">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Customer</Table.Th>
                <Table.Th ta="right">Orders</Table.Th>
                <Table.Th ta="right">Spent</Table.Th>
                <Table.Th ta="right">Last order</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {rows.map((p) => (
                <Table.Tr key={p.personId}>
                  <Table.Td>
                    <Anchor component={Link} to={`/people/${p.personId}`}>
                      {p.name}
                    </Anchor>
                  </Table.Td>
                  <Table.Td ta="right">{p.frequency}</Table.Td>
                  <Table.Td ta="right">{formatMinor(p.monetaryMinor, props.currency)}</Table.Td>
                  <Table.Td ta="right">{p.recencyDays} days ago</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
          {rfm.hasNextPage && (
            <Button variant="light" loading={rfm.isFetchingNextPage} onClick={() => void rfm.fetchNextPage()}>
              More
            </Button>
          )}
        </Stack>
      )}
      {d?.kind === 'metric' && (
        <MetricPeople drill={d} from={props.from} to={props.asOf} scope={props.scope} currency={props.currency} />
      )}
    </Drawer>
  );
}

function MetricPeople(props: {
  drill: Extract<Drill, { kind: 'metric' }>;
  from: string;
  to: string;
  scope: MetricsScope;
  currency: string | null;
}) {
  const d = props.drill;
  const q = useMetricPeople({
    from: d.from ?? props.from,
    to: d.to ?? props.to,
    metric: d.metric,
    part: d.part,
    ...(d.cohort ? { cohort: d.cohort } : {}),
    ...props.scope,
  });
  const rows = q.data?.pages.flatMap((p) => p.data) ?? [];
  const allHistory = d.metric === 'historicalClv';
  // Churned and lapsing customers are those with no order in the period: their last order is what matters, and the
  // period's columns would read 0 on every row.
  const noneInPeriod = d.metric === 'churnRate' && (d.part === 'numerator' || d.part === 'lapsing');
  return (
    <Stack gap="xs" data-testid="drill-people">
      <Text fz="xs" c="dimmed">
        {d.metric === 'newCustomers'
          ? 'Customers whose first counted order was placed in the period.'
          : metricDefs[d.metric].definition}
        {d.from && d.to ? ` From ${d.from} to ${d.to} (excluded).` : ''}
      </Text>
      <Table fz="sm">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Customer</Table.Th>
            {!noneInPeriod && <Table.Th ta="right">Orders in the period</Table.Th>}
            {!noneInPeriod && (
              <Table.Th ta="right">{allHistory ? 'Net before the period ends' : 'Net in the period'}</Table.Th>
            )}
            <Table.Th ta="right">Last order</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {rows.map((p) => (
            <Table.Tr key={p.personId} data-testid="drill-person">
              <Table.Td>
                <Anchor component={Link} to={`/people/${p.personId}`}>
                  {p.name || '(no name)'}
                </Anchor>
              </Table.Td>
              {!noneInPeriod && <Table.Td ta="right">{formatCount(p.orders)}</Table.Td>}
              {!noneInPeriod && <Table.Td ta="right">{formatMinor(p.netMinor, props.currency)}</Table.Td>}
              <Table.Td ta="right">{formatDate(p.lastOrderAt)}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      {q.isLoading && <Skeleton h={120} />}
      {q.hasNextPage && (
        <Button variant="light" loading={q.isFetchingNextPage} onClick={() => void q.fetchNextPage()}>
          More
        </Button>
      )}
    </Stack>
  );
}
