/**
 * The customer's predictions on their 360° page, per currency they bought in: predictive CLV, P(alive) in words,
 * expected purchases and spend, the RFM segment, and which model scored them when. Each number has its definition a
 * hover away. Below, for an active subscriber scored by the workspace's churn model, the churn risk and its reasons.
 */
import { ActionIcon, Anchor, Badge, Card, Group, HoverCard, SimpleGrid, Skeleton, Stack, Text } from '@mantine/core';
import { IconCrystalBall, IconInfoCircle } from '@tabler/icons-react';
import { Link } from 'react-router';
import { rfmSegmentLabels } from '../../api/metrics.ts';
import {
  usePersonPredictions,
  usePredictionModels,
  type PersonChurn,
  type Prediction,
  type PredictionModel,
} from '../../api/predictions.ts';
import { useCan } from '../../api/queries.ts';
import { Empty } from '../../components/Empty.tsx';
import { formatDate, formatDateTime, relativeTime } from '../../lib/format.ts';
import { formatMinor, formatShare } from '../analytics/format.ts';
import { SectionTitle } from '../customers/fields.tsx';
import { RefitButton } from './RefitButton.tsx';
import { aliveMeaning, defaultSettings, formatExpected, predictionDefs } from './definitions.ts';

export function PersonPredictions({ personId }: { personId: string }) {
  const can = useCan();
  const scores = usePersonPredictions(personId);
  const models = usePredictionModels();
  const current = (models.data?.data ?? []).filter((m) => m.status === 'current' && m.kind === 'purchase');
  const rows = scores.data?.data ?? [];

  return (
    <Card withBorder padding="md" data-testid="person-predictions">
      <SectionTitle
        right={
          <Anchor component={Link} to="/predictions" fz="xs">
            All predictions
          </Anchor>
        }
      >
        Predictions
      </SectionTitle>
      {scores.isPending || models.isPending ? (
        <Skeleton h={90} />
      ) : scores.isError || models.isError ? (
        <Text fz="sm" c="red">
          {((scores.error ?? models.error) as Error).message}
        </Text>
      ) : current.length === 0 ? (
        <Empty
          icon={<IconCrystalBall size={24} />}
          title="No predictions yet"
          description="Predictions appear after orders are imported and the daily model fit runs: a model per currency learns how often customers buy, whether they still do and how much they spend."
          action={can('workspace:manage') ? <RefitButton /> : undefined}
        />
      ) : rows.length === 0 ? (
        <Text fz="sm" c="dimmed" data-testid="person-predictions-none">
          No predictions for this customer: the models score customers with counted orders before the end of their data
          ({current.map((m) => `${m.currency} ${formatDate(m.asOf)}`).join(', ')}).
        </Text>
      ) : (
        <Stack gap="md">
          {rows.map((p) => (
            <CurrencyPredictions key={p.currency} p={p} model={current.find((m) => m.id === p.modelId) ?? null} />
          ))}
        </Stack>
      )}
      {scores.data?.churn ? <ChurnRisk churn={scores.data.churn} /> : null}
    </Card>
  );
}

function CurrencyPredictions({ p, model }: { p: Prediction; model: PredictionModel | null }) {
  const settings = {
    ...defaultSettings,
    ...model?.params.settings,
    ...(p.horizonDays === undefined ? {} : { horizonDays: p.horizonDays }),
  };
  const alive = aliveMeaning(p.probabilityAlive);
  // asOf is the day after the model's data; the last purchase day was (age − recency) days before that last day.
  const lastPurchase = model
    ? new Date(Date.parse(model.asOf) - (p.ageDays - p.recencyDays + 1) * 86_400_000).toISOString()
    : null;
  const segment = rfmSegmentLabels[p.rfm.segment as keyof typeof rfmSegmentLabels] ?? p.rfm.segment;
  return (
    <Stack gap="xs" data-currency={p.currency} data-testid="prediction-currency">
      <Group gap={6} wrap="wrap" data-testid="prediction-model">
        <Badge size="sm" variant="default">
          {p.currency}
        </Badge>
        <Text fz="xs" c="dimmed">
          Model v{p.modelVersion ?? model?.version ?? '?'}
          {model && ` · data up to ${formatDate(model.asOf)}`} · scored{' '}
          <span title={formatDateTime(p.scoredAt)}>{relativeTime(p.scoredAt)}</span>
        </Text>
      </Group>
      <SimpleGrid cols={{ base: 2, lg: 3 }} spacing="xs" verticalSpacing="xs">
        <Figure
          label={`Predictive CLV (${settings.clvMonths} months)`}
          definition={predictionDefs.clv(settings)}
          testId="prediction-clv"
          value={formatMinor(p.clvMinor, p.currency)}
        />
        <Figure
          label="P(alive)"
          definition={predictionDefs.probabilityAlive}
          testId="prediction-p-alive"
          value={formatShare(p.probabilityAlive)}
          note={
            <Badge size="xs" variant="light" color={alive.color} tt="none" data-testid="prediction-alive-meaning">
              {alive.label}
            </Badge>
          }
        />
        <Figure
          label={`Expected purchases, next ${settings.horizonDays} days`}
          definition={predictionDefs.expectedPurchases(settings)}
          testId="prediction-expected-purchases"
          value={formatExpected(p.expectedPurchases)}
        />
        <Figure
          label="Expected spend per purchase"
          definition={predictionDefs.expectedSpend}
          testId="prediction-expected-spend"
          value={formatMinor(p.expectedSpendMinor, p.currency)}
        />
        <Figure
          label="RFM segment"
          definition={predictionDefs.rfm}
          testId="prediction-rfm"
          value={segment}
          note={
            <Text span fz="xs" c="dimmed">
              R{p.rfm.r} F{p.rfm.f} M{p.rfm.m}
            </Text>
          }
        />
        <Figure
          label="Net so far"
          definition={predictionDefs.historicalNet}
          testId="prediction-net"
          value={formatMinor(p.historicalNetMinor, p.currency)}
          note={
            <Text span fz="xs" c="dimmed">
              {p.repeatPurchases + 1} purchase day{p.repeatPurchases ? 's' : ''}
              {lastPurchase ? `, the last ${formatDate(lastPurchase)}` : ''}
            </Text>
          }
        />
      </SimpleGrid>
    </Stack>
  );
}

function Figure(props: { label: string; definition: string; value: string; testId: string; note?: React.ReactNode }) {
  return (
    <Stack gap={0} p={8} bd="1px solid var(--mantine-color-default-border)" style={{ borderRadius: 6 }} miw={0}>
      <Group gap={2} wrap="nowrap" justify="space-between" align="flex-start">
        <Text fz="xs" c="dimmed" lh={1.3}>
          {props.label}
        </Text>
        <HoverCard width={280} shadow="md" withinPortal>
          <HoverCard.Target>
            <ActionIcon variant="subtle" size="xs" color="gray" aria-label={`What is ${props.label}?`}>
              <IconInfoCircle size={13} />
            </ActionIcon>
          </HoverCard.Target>
          <HoverCard.Dropdown>
            <Text fz="xs">{props.definition}</Text>
          </HoverCard.Dropdown>
        </HoverCard>
      </Group>
      <Text fz="lg" fw={700} lh={1.3} data-testid={props.testId}>
        {props.value}
      </Text>
      {props.note}
    </Stack>
  );
}

/**
 * The person's churn risk from the workspace's churn model (active subscribers only), with the columns raising and
 * lowering it in words. Nothing is shown without such a score: it is never guessed from P(alive).
 */
function ChurnRisk({ churn }: { churn: PersonChurn }) {
  const list = (title: string, reasons: PersonChurn['raising']) =>
    reasons.length ? (
      <Stack gap={2}>
        <Text fz="xs" c="dimmed">
          {title}
        </Text>
        {reasons.map((r) => (
          <Text key={r.column} fz="xs">
            • {r.text}
          </Text>
        ))}
      </Stack>
    ) : null;
  return (
    <Stack
      gap={6}
      pt="xs"
      style={{ borderTop: '1px dashed var(--mantine-color-default-border)' }}
      data-testid="person-churn"
    >
      <Group gap="xs">
        <Text fz="sm" fw={600}>
          Churn risk: {formatShare(churn.probability)}
        </Text>
        <Text fz="xs" c="dimmed">
          probability of cancelling (churn model v{churn.modelVersion}, scored {relativeTime(churn.scoredAt)})
        </Text>
      </Group>
      {list('What raises it', churn.raising)}
      {list('What lowers it', churn.lowering)}
    </Stack>
  );
}
