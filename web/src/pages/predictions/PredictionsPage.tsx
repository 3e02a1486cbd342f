/**
 * The predictive lists — high value at risk, likely to buy, probably gone — each with its definition, a dense table
 * of the customers on it (a keyset page at a time), CSV of what is shown, and beside it the model card: which fit
 * scored them, on what data, with what parameters and how well it holds up. The list and currency live in the
 * address (?list=likely_to_buy&currency=EUR).
 */
import { useMemo } from 'react';
import {
  Alert,
  Badge,
  Button,
  Card,
  Center,
  Code,
  Grid,
  Group,
  List,
  Select,
  SimpleGrid,
  Skeleton,
  Stack,
  Table,
  Tabs,
  Text,
  Title,
  Tooltip,
  ActionIcon,
} from '@mantine/core';
import { IconAlertTriangle, IconCrystalBall, IconDownload, IconFileImport } from '@tabler/icons-react';
import { Link, useSearchParams } from 'react-router';
import { rfmSegmentLabels } from '../../api/metrics.ts';
import {
  predictionListNames,
  usePredictionList,
  usePredictionModels,
  type PredictionListName,
  type PredictionListRow,
  type PredictionModel,
} from '../../api/predictions.ts';
import { useCan } from '../../api/queries.ts';
import { Empty } from '../../components/Empty.tsx';
import { PageHeader } from '../../components/PageHeader.tsx';
import { downloadCsv } from '../../lib/csv.ts';
import { formatDate, formatDateTime } from '../../lib/format.ts';
import { currencyDigits, formatCount, formatMinor, formatShare } from '../analytics/format.ts';
import { Dim, RecordLink } from '../customers/cells.tsx';
import { RefitButton } from './RefitButton.tsx';
import {
  aliveMeaning,
  correlationWarning,
  defaultSettings,
  formatExpected,
  formatParam,
  formatRate,
  listPitches,
  predictionDefs,
} from './definitions.ts';

const pageSize = 50;

/**
 * A model summary's figure, or "–" when it has none: a version fitted before expected purchases were kept finite
 * stored NaN, which JSON keeps as null (it read as 0).
 */
function known(v: number | null, format: (v: number) => string): string {
  return typeof v === 'number' && Number.isFinite(v) ? format(v) : '–';
}
function usePredictionsState() {
  const [params, setParams] = useSearchParams();
  const raw = params.get('list');
  const list: PredictionListName = predictionListNames.find((n) => n === raw) ?? 'high_value_at_risk';
  const currency = params.get('currency') ?? undefined;
  const set = (k: string, v: string | null) => {
    // From the address itself, so two quick changes both stay.
    const next = new URLSearchParams(window.location.search);
    if (v) next.set(k, v);
    else next.delete(k);
    setParams(next, { replace: true });
  };
  return {
    list,
    currency,
    setList: (v: string) => set('list', v),
    setCurrency: (v: string | null) => set('currency', v),
  };
}

export function PredictionsPage() {
  const state = usePredictionsState();
  const can = useCan();
  const models = usePredictionModels();
  const q = usePredictionList(state.list, state.currency, pageSize);
  const first = q.data?.pages[0];
  const rows = useMemo(() => q.data?.pages.flatMap((p) => p.data) ?? [], [q.data]);
  const current = (models.data?.data ?? []).filter((m) => m.status === 'current' && m.kind === 'purchase');
  const currency = state.currency ?? first?.currency ?? current[0]?.currency ?? null;
  const currencies = [...new Set([...current.map((m) => m.currency), ...(currency ? [currency] : [])])].sort();
  const model = current.find((m) => m.currency === currency) ?? first?.model ?? null;
  const history = (models.data?.data ?? []).filter((m) => m.currency === currency && m.status === 'superseded');
  const noModel = models.data !== undefined && current.length === 0;

  return (
    <div data-testid="predictions-page">
      <PageHeader
        title="Predictions"
        description="Who is worth saving, who will buy again, who is gone — from a model of each customer's purchases"
        actions={
          currencies.length > 1 ? (
            <Select
              aria-label="Currency"
              w={110}
              value={currency}
              data={currencies}
              allowDeselect={false}
              onChange={(v) => state.setCurrency(v)}
            />
          ) : undefined
        }
      />
      {models.isError ? (
        <Text c="red">{models.error.message}</Text>
      ) : models.isPending ? (
        <Skeleton h={240} />
      ) : noModel ? (
        <Card withBorder>
          <Empty
            icon={<IconCrystalBall size={28} />}
            title="No predictions yet"
            description={
              <Stack gap={6} ta="left" maw={620} mx="auto">
                <Text fz="sm">
                  Rapport learns from your orders how often each customer buys, whether they still do, and how much they
                  spend (BG/NBD and Gamma-Gamma, one model per currency, refitted daily). From it come three lists:
                </Text>
                <List fz="sm" spacing={2}>
                  {predictionListNames.map((n) => (
                    <List.Item key={n}>
                      <b>{listPitches[n].label}</b>: {listPitches[n].pitch}.
                    </List.Item>
                  ))}
                </List>
                <Text fz="sm">
                  Import orders (a CSV export of your shop, or the API), or load the CDNOW demo with{' '}
                  <Code>rapport demo cdnow</Code>. A model needs at least 20 customers who bought on two different days.
                </Text>
              </Stack>
            }
            action={
              <Group gap="xs">
                {can('customers:write') && (
                  <Button component={Link} to="/orders/import" leftSection={<IconFileImport size={16} />}>
                    Import orders
                  </Button>
                )}
                {can('workspace:manage') && <RefitButton size="sm" />}
              </Group>
            }
          />
        </Card>
      ) : (
        <Grid gap="md">
          <Grid.Col span={{ base: 12, lg: 8, xl: 9 }}>
            <Tabs value={state.list} onChange={(v) => v && state.setList(v)} keepMounted={false}>
              <Tabs.List mb="sm">
                {predictionListNames.map((n) => (
                  <Tabs.Tab key={n} value={n}>
                    {listPitches[n].label}
                  </Tabs.Tab>
                ))}
              </Tabs.List>
              <Tabs.Panel value={state.list}>
                <Card withBorder padding={0} data-testid="prediction-list" data-list={state.list}>
                  <Group justify="space-between" align="flex-start" wrap="nowrap" p="md" pb="xs">
                    <div>
                      <Title order={2} fz="md">
                        {first?.title ?? listPitches[state.list].label}
                      </Title>
                      <Text fz="xs" c="dimmed" data-testid="prediction-list-definition">
                        {first?.definition ?? ''}
                      </Text>
                    </div>
                    <Tooltip label="Download the rows shown as CSV">
                      <ActionIcon
                        variant="subtle"
                        aria-label="Download the list as CSV"
                        disabled={!rows.length}
                        onClick={() => downloadCsv(`${state.list}-${currency ?? ''}.csv`, csvRows(rows, model))}
                      >
                        <IconDownload size={16} />
                      </ActionIcon>
                    </Tooltip>
                  </Group>
                  {q.isPending ? (
                    <Skeleton h={240} m="md" />
                  ) : q.isError ? (
                    <Text c="red" p="md">
                      {q.error.message}
                    </Text>
                  ) : !first?.model ? (
                    <Text fz="sm" c="dimmed" p="md">
                      No model for {currency} yet: it is fitted once at least 20 customers bought on two different days
                      in that currency.
                    </Text>
                  ) : rows.length === 0 ? (
                    <Text fz="sm" c="dimmed" p="md" data-testid="prediction-list-empty">
                      Nobody is on this list right now.
                    </Text>
                  ) : (
                    <ListTable rows={rows} model={model} faded={q.isPlaceholderData} />
                  )}
                </Card>
                {rows.length > 0 && (
                  <Center mt="md">
                    {q.hasNextPage ? (
                      <Button variant="default" loading={q.isFetchingNextPage} onClick={() => void q.fetchNextPage()}>
                        Load {pageSize} more
                      </Button>
                    ) : (
                      <Text fz="xs" c="dimmed">
                        That is everyone on the list ({formatCount(rows.length)}).
                      </Text>
                    )}
                  </Center>
                )}
              </Tabs.Panel>
            </Tabs>
          </Grid.Col>
          <Grid.Col span={{ base: 12, lg: 4, xl: 3 }}>
            {model ? (
              <ModelCard model={model} history={history} canRefit={can('workspace:manage')} />
            ) : (
              <Card withBorder>
                <Text fz="sm" c="dimmed">
                  No model for {currency} yet.
                </Text>
              </Card>
            )}
          </Grid.Col>
        </Grid>
      )}
    </div>
  );
}

function ListTable(props: { rows: PredictionListRow[]; model: PredictionModel | null; faded: boolean }) {
  const settings = { ...defaultSettings, ...props.model?.params.settings };
  return (
    <Table.ScrollContainer minWidth={680}>
      <Table
        highlightOnHover
        horizontalSpacing="xs"
        className="rapport-dense"
        opacity={props.faded ? 0.6 : 1}
        data-testid="prediction-rows"
      >
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Customer</Table.Th>
            <Th label={`CLV (${settings.clvMonths} mo)`} definition={predictionDefs.clv(settings)} />
            <Th label="P(alive)" definition={predictionDefs.probabilityAlive} />
            <Th
              label={`Purchases (${settings.horizonDays} d)`}
              definition={predictionDefs.expectedPurchases(settings)}
            />
            <Th label="Net so far" definition={predictionDefs.historicalNet} />
            <Th label="Quiet for" definition={predictionDefs.quiet} />
            <Table.Th>RFM segment</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {props.rows.map((r) => {
            const alive = aliveMeaning(r.probabilityAlive);
            return (
              <Table.Tr key={r.personId} data-testid="prediction-row">
                <Table.Td>
                  <RecordLink to={`/people/${r.personId}`}>{r.name || 'Unnamed'}</RecordLink>
                </Table.Td>
                <Table.Td ta="right">
                  <Text fz="sm" fw={500}>
                    {formatMinor(r.clvMinor, r.currency)}
                  </Text>
                </Table.Td>
                <Table.Td ta="right">
                  <Tooltip label={alive.label}>
                    <Text fz="sm" c={alive.color}>
                      {formatShare(r.probabilityAlive)}
                    </Text>
                  </Tooltip>
                </Table.Td>
                <Table.Td ta="right">
                  <Text fz="sm">{formatExpected(r.expectedPurchases)}</Text>
                </Table.Td>
                <Table.Td ta="right">
                  <Text fz="sm">{formatMinor(r.historicalNetMinor, r.currency)}</Text>
                </Table.Td>
                <Table.Td ta="right">
                  <Dim>{formatCount(r.ageDays - r.recencyDays)} days</Dim>
                </Table.Td>
                <Table.Td>
                  <Badge size="xs" variant="light" color="grape" tt="none">
                    {rfmSegmentLabels[r.rfm.segment as keyof typeof rfmSegmentLabels] ?? r.rfm.segment}
                  </Badge>
                </Table.Td>
              </Table.Tr>
            );
          })}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

function Th({ label, definition }: { label: string; definition: string }) {
  return (
    <Table.Th ta="right">
      <Tooltip label={definition} multiline w={280} withinPortal>
        <Text span fz="sm" fw={700} style={{ cursor: 'help', borderBottom: '1px dotted currentColor' }}>
          {label}
        </Text>
      </Tooltip>
    </Table.Th>
  );
}

/** The rows shown, as a spreadsheet reads them: money in the currency's major units, P(alive) as a fraction. */
function csvRows(rows: PredictionListRow[], model: PredictionModel | null): Array<Array<string | number | null>> {
  const settings = { ...defaultSettings, ...model?.params.settings };
  const major = (minor: number, currency: string) =>
    Number((minor / 10 ** currencyDigits(currency)).toFixed(currencyDigits(currency)));
  return [
    [
      'person id',
      'name',
      'currency',
      `clv ${settings.clvMonths} months`,
      'p alive',
      `expected purchases ${settings.horizonDays} days`,
      'expected spend per purchase',
      'net so far',
      'repeat purchase days',
      'days since last purchase',
      'rfm r',
      'rfm f',
      'rfm m',
      'rfm segment',
      'model version',
      'scored at',
    ],
    ...rows.map((r) => [
      r.personId,
      r.name,
      r.currency,
      major(r.clvMinor, r.currency),
      Number(r.probabilityAlive.toFixed(4)),
      Number(r.expectedPurchases.toFixed(4)),
      major(r.expectedSpendMinor, r.currency),
      major(r.historicalNetMinor, r.currency),
      r.repeatPurchases,
      r.ageDays - r.recencyDays,
      r.rfm.r,
      r.rfm.f,
      r.rfm.m,
      r.rfm.segment,
      model?.version ?? null,
      r.scoredAt,
    ]),
  ];
}

/** Pareto/NBD fitted to the same customers: which of the two purchase models describes them better. */
function ParetoComparison(props: { c: NonNullable<PredictionModel['summary']['paretoNbdComparison']> }) {
  const { c } = props;
  const diff = c.paretoNbdMeanLogLikelihood - c.bgNbdMeanLogLikelihood;
  // Both models have four parameters: the higher likelihood on the same customers is the better fit.
  const better = Math.abs(diff) * c.customers < 2 ? 'neither (about equal)' : diff > 0 ? 'Pareto/NBD' : 'BG/NBD';
  return (
    <>
      <ParamGroup
        title="Pareto/NBD (for comparison)"
        help="Purchase rate λ ~ Gamma(r, α) per day; lifetime exponential with rate μ ~ Gamma(s, β): customers may leave at any time, not only after a purchase"
        testId="model-pareto"
        params={[
          ['r', c.paretoNbd.r],
          ['α', c.paretoNbd.alpha],
          ['s', c.paretoNbd.s],
          ['β', c.paretoNbd.beta],
        ]}
      />
      <Text fz="xs" c="dimmed" mt={4} data-testid="model-pareto-verdict">
        Better fit on {formatCount(c.customers)} customers: {better} (mean log-likelihood{' '}
        {formatParam(c.bgNbdMeanLogLikelihood)} BG/NBD, {formatParam(c.paretoNbdMeanLogLikelihood)} Pareto/NBD
        {c.paretoNbdConverged ? '' : ', did not converge'}). Scores use BG/NBD.
      </Text>
    </>
  );
}

function ModelCard(props: { model: PredictionModel; history: PredictionModel[]; canRefit: boolean }) {
  const m = props.model;
  const { bgNbd, gammaGamma, settings } = m.params;
  const s = m.summary;
  const corr = s.frequencySpendCorrelation;
  return (
    <Card withBorder padding="md" data-testid="model-card">
      <Group justify="space-between" wrap="nowrap" mb={4}>
        <Title order={2} fz="md">
          Model
        </Title>
        <Badge variant="light" color="teal" data-testid="model-version">
          {m.currency} · v{m.version}
        </Badge>
      </Group>
      <Text fz="xs" c="dimmed" mb="sm">
        BG/NBD (how often customers buy and whether they still do) × Gamma-Gamma (how much they spend), fitted on whole
        purchase days.
      </Text>
      <Table fz="xs" verticalSpacing={3} withRowBorders={false}>
        <Table.Tbody>
          <Row label="Data up to" value={formatDate(m.asOf)} title="Histories are whole UTC days before this day" />
          <Row label="Customers" value={formatCount(m.customers)} testId="model-customers" />
          <Row label="Bought on 2+ days" value={formatCount(s.repeatCustomers)} />
          <Row label="Fitted" value={formatDateTime(m.createdAt)} title={`${formatCount(m.fitMs)} ms`} />
          <Row label="Mean P(alive)" value={known(s.meanProbabilityAlive, formatShare)} />
          <Row
            label={`Purchases, next ${settings.horizonDays} d`}
            value={known(s.expectedPurchases, formatCount)}
            testId="model-expected-purchases"
            title="Expected purchase days of all scored customers"
          />
          <Row
            label={`CLV, ${settings.clvMonths} months`}
            value={known(s.totalClv, (v) => formatMinor(v, m.currency))}
            testId="model-total-clv"
            title={`Sum of every customer's predictive CLV, discounted ${formatRate(settings.monthlyDiscountRate)} a month`}
          />
        </Table.Tbody>
      </Table>
      <ParamGroup
        title="BG/NBD"
        help="Purchase rate while alive λ ~ Gamma(r, α), per day; drop-out after each purchase p ~ Beta(a, b)"
        testId="model-bgnbd"
        params={[
          ['r', bgNbd.r],
          ['α', bgNbd.alpha],
          ['a', bgNbd.a],
          ['b', bgNbd.b],
        ]}
      />
      <ParamGroup
        title="Gamma-Gamma"
        help="Spend per purchase ~ Gamma(p, ν) around the customer's mean; ν ~ Gamma(q, γ) across customers"
        testId="model-gamma-gamma"
        params={[
          ['p', gammaGamma.p],
          ['q', gammaGamma.q],
          ['γ', gammaGamma.gamma],
        ]}
      />
      <Table fz="xs" verticalSpacing={3} withRowBorders={false} mt="xs">
        <Table.Tbody>
          <Row
            label="Log-likelihood"
            value={`${formatParam(s.logLikelihood)}${s.converged ? '' : ' (did not converge)'}`}
            title="BG/NBD's maximised log-likelihood: higher is a better fit (compare fits on the same data only)"
          />
          <Row
            label="Frequency–spend correlation"
            value={formatParam(corr)}
            title="Pearson correlation of repeat purchases and mean repeat spend; Gamma-Gamma assumes they are independent"
            testId="model-correlation"
          />
        </Table.Tbody>
      </Table>
      {s.paretoNbdComparison && <ParetoComparison c={s.paretoNbdComparison} />}
      {Math.abs(corr) > correlationWarning && (
        <Alert
          mt="sm"
          color="orange"
          variant="light"
          icon={<IconAlertTriangle size={16} />}
          title="Spend depends on frequency"
          data-testid="model-correlation-warning"
        >
          <Text fz="xs">
            Customers who buy more often also spend {corr > 0 ? 'more' : 'less'} per purchase (r = {formatParam(corr)}).
            Gamma-Gamma assumes the two are independent, so expected spend and CLV are less reliable here: read them as
            a ranking more than as amounts.
          </Text>
        </Alert>
      )}
      {props.history.length > 0 && (
        <Text fz="xs" c="dimmed" mt="sm">
          Earlier fits:{' '}
          {props.history
            .slice(0, 5)
            .map((h) => `v${h.version} (${formatDate(h.createdAt)})`)
            .join(', ')}
          {props.history.length > 5 ? '…' : ''}
        </Text>
      )}
      {props.canRefit && (
        <Stack gap={4} mt="md">
          <Text fz="xs" c="dimmed">
            Refitted every night at 03:40 UTC and after an order import.
          </Text>
          <RefitButton />
        </Stack>
      )}
    </Card>
  );
}

function ParamGroup(props: { title: string; help: string; testId: string; params: Array<[string, number]> }) {
  return (
    <Stack gap={2} mt="sm" data-testid={props.testId}>
      <Text fz="xs" c="dimmed" title={props.help}>
        {props.title}
      </Text>
      <SimpleGrid cols={4} spacing={4}>
        {props.params.map(([name, value]) => (
          <Stack key={name} gap={0} px={6} py={2} bg="var(--mantine-color-default-hover)" style={{ borderRadius: 4 }}>
            <Text fz={10} c="dimmed" ff="monospace">
              {name}
            </Text>
            <Text fz="xs" fw={600} data-param={name}>
              {formatParam(value)}
            </Text>
          </Stack>
        ))}
      </SimpleGrid>
    </Stack>
  );
}

function Row(props: { label: string; value: string; title?: string; testId?: string }) {
  return (
    <Table.Tr title={props.title}>
      <Table.Td c="dimmed" pl={0} style={{ whiteSpace: 'nowrap' }}>
        {props.label}
      </Table.Td>
      <Table.Td ta="right" pr={0} fw={500} data-testid={props.testId}>
        {props.value}
      </Table.Td>
    </Table.Tr>
  );
}
