import { useEffect, useMemo, useState } from 'react';
import {
  Anchor,
  Badge,
  Breadcrumbs,
  Button,
  Card,
  Center,
  Grid,
  Group,
  Radio,
  SegmentedControl,
  Skeleton,
  Stack,
  Table,
  Text,
  UnstyledButton,
} from '@mantine/core';
import { IconArrowsLeftRight, IconCopy, IconGitMerge, IconX } from '@tabler/icons-react';
import { useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query';
import { Link, useNavigate } from 'react-router';
import { api } from '../../api/client.ts';
import {
  customerKeys,
  useCustomFields,
  type Address,
  type Company,
  type Entity,
  type Person,
} from '../../api/customers.ts';
import { useAllUsers } from '../../api/queries.ts';
import { ConfirmModal } from '../../components/ConfirmModal.tsx';
import { Empty } from '../../components/Empty.tsx';
import { PageHeader } from '../../components/PageHeader.tsx';
import { stageLabel } from '../../lib/customers.ts';
import { formatDate } from '../../lib/format.ts';
import { notifyError, notifySuccess } from '../../lib/notify.ts';

type AnyRecord = Person | Company;
type Reason = { kind: 'email' | 'phone' | 'domain' | 'name'; value?: string; similarity?: number; companyId?: string };
type Pair = { a: AnyRecord; b: AnyRecord; score: number; reasons: Reason[] };
type Choice = 'this' | 'other' | 'both';
type FieldDef = { key: string; label: string; kind: 'scalar' | 'list' | 'object' };

const personFields: FieldDef[] = [
  { key: 'firstName', label: 'First name', kind: 'scalar' },
  { key: 'lastName', label: 'Last name', kind: 'scalar' },
  { key: 'emails', label: 'Emails', kind: 'list' },
  { key: 'phones', label: 'Phones', kind: 'list' },
  { key: 'stage', label: 'Stage', kind: 'scalar' },
  { key: 'ownerId', label: 'Owner', kind: 'scalar' },
  { key: 'tags', label: 'Tags', kind: 'list' },
  { key: 'address', label: 'Address', kind: 'object' },
  { key: 'language', label: 'Language', kind: 'scalar' },
  { key: 'timezone', label: 'Time zone', kind: 'scalar' },
  { key: 'source', label: 'Source', kind: 'scalar' },
  { key: 'externalId', label: 'External id', kind: 'scalar' },
];

const companyFields: FieldDef[] = [
  { key: 'name', label: 'Name', kind: 'scalar' },
  { key: 'domain', label: 'Domain', kind: 'scalar' },
  { key: 'industry', label: 'Industry', kind: 'scalar' },
  { key: 'size', label: 'Size', kind: 'scalar' },
  { key: 'emails', label: 'Emails', kind: 'list' },
  { key: 'phones', label: 'Phones', kind: 'list' },
  { key: 'ownerId', label: 'Owner', kind: 'scalar' },
  { key: 'tags', label: 'Tags', kind: 'list' },
  { key: 'address', label: 'Address', kind: 'object' },
  { key: 'source', label: 'Source', kind: 'scalar' },
  { key: 'externalId', label: 'External id', kind: 'scalar' },
];

function reasonText(r: Reason): string {
  switch (r.kind) {
    case 'email':
      return `same email ${r.value ?? ''}`;
    case 'phone':
      return `same phone ${r.value ?? ''}`;
    case 'domain':
      return `same domain ${r.value ?? ''}`;
    case 'name':
      return `similar name${r.similarity ? ` (${Math.round(r.similarity * 100)}%)` : ''}${r.companyId ? ', same company' : ''}`;
  }
}

function blank(v: unknown): boolean {
  if (v === null || v === undefined || v === '') return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object') return Object.values(v).every(blank);
  return false;
}

function addressText(a: Address): string {
  return [a.line1, a.line2, a.postalCode, a.city, a.region, a.country].filter(Boolean).join(', ');
}

function MergePanel({ entity, pair, onDone }: { entity: Entity; pair: Pair; onDone: () => void }) {
  const qc = useQueryClient();
  const navigate = useNavigate();
  const users = useAllUsers();
  const custom = useCustomFields(entity);
  const [swapped, setSwapped] = useState(false);
  const keep = swapped ? pair.b : pair.a;
  const other = swapped ? pair.a : pair.b;
  // Namesakes (the common duplicate) are told apart by when each was added, else by their part in the merge: "Merge
  // Ana Silva into Ana Silva?" does not say which record goes.
  const keptDate = formatDate(keep.createdAt);
  const otherDate = formatDate(other.createdAt);
  const namesake = keep.name === other.name;
  const keepName = !namesake
    ? keep.name
    : keptDate !== otherDate
      ? `${keep.name} (added ${keptDate})`
      : `${keep.name} (kept)`;
  const otherName = !namesake
    ? other.name
    : keptDate !== otherDate
      ? `${other.name} (added ${otherDate})`
      : `${other.name} (merged in)`;
  const [choices, setChoices] = useState<Record<string, Choice>>({});
  const [confirming, setConfirming] = useState(false);
  useEffect(() => setChoices({}), [pair, swapped]);
  const base = entity === 'person' ? personFields : companyFields;
  const fields: FieldDef[] = useMemo(
    () => [
      ...base,
      ...(custom.data ?? [])
        .filter((d) => !d.archived)
        .map((d) => ({ key: d.key, label: d.label, kind: 'scalar' as const })),
    ],
    [base, custom.data],
  );
  const isCustom = (key: string) => !base.some((f) => f.key === key);
  const valueOf = (r: AnyRecord, f: FieldDef): unknown =>
    isCustom(f.key) ? r.custom[f.key] : (r as unknown as Record<string, unknown>)[f.key];
  const show = (f: FieldDef, v: unknown): string => {
    if (blank(v)) return '—';
    if (f.key === 'ownerId') return users.data?.data.find((u) => u.id === v)?.name ?? 'a former user';
    if (f.key === 'stage') return stageLabel(String(v));
    if (f.kind === 'object') return addressText(v as Address);
    if (Array.isArray(v)) return v.map(String).join(', ');
    return String(v);
  };
  /** What the merge keeps when nothing is chosen: this record's value, blanks filled from the other, lists joined. */
  const defaultChoice = (f: FieldDef, a: unknown, b: unknown): Choice =>
    f.kind === 'list' ? 'both' : blank(a) && !blank(b) ? 'other' : 'this';
  const rows = fields
    .map((f) => ({ f, a: valueOf(keep, f), b: valueOf(other, f) }))
    .filter((r) => JSON.stringify(r.a ?? null) !== JSON.stringify(r.b ?? null));
  const merge = useMutation({
    mutationFn: () =>
      api<AnyRecord>(`/${entity === 'person' ? 'people' : 'companies'}/${keep.id}/merge`, {
        method: 'POST',
        body: { otherId: other.id, fields: choices },
      }),
    onSuccess: (r) => {
      notifySuccess(`Merged into ${r.name}. Every note, link and event of the other record moved here.`);
      void qc.invalidateQueries({ queryKey: ['duplicates'] });
      void qc.invalidateQueries({ queryKey: entity === 'person' ? customerKeys.people : customerKeys.companies });
      onDone();
      navigate(`/${entity === 'person' ? 'people' : 'companies'}/${r.id}`);
    },
    onError: (e) => notifyError(e, 'Could not merge'),
  });
  const dismiss = useMutation({
    mutationFn: () =>
      api(`/${entity === 'person' ? 'people' : 'companies'}/duplicates/dismissals`, {
        method: 'POST',
        body: { ids: [pair.a.id, pair.b.id] },
      }),
    onSuccess: () => {
      notifySuccess('Marked as different records; they will not be suggested again.');
      void qc.invalidateQueries({ queryKey: ['duplicates'] });
      onDone();
    },
    onError: (e) => notifyError(e, 'Could not dismiss the pair'),
  });
  const href = (r: AnyRecord) => `/${entity === 'person' ? 'people' : 'companies'}/${r.id}`;
  return (
    <Card withBorder padding="md" data-testid="merge-panel">
      <Table layout="fixed" verticalSpacing={6} data-testid="merge-table">
        <Table.Thead>
          <Table.Tr>
            <Table.Th w={130} />
            <Table.Th>
              <Group gap={6} wrap="nowrap">
                <Badge size="xs" color="teal" variant="light">
                  keep
                </Badge>
                <Anchor component={Link} to={href(keep)} fz="sm" fw={600} truncate>
                  {keep.name}
                </Anchor>
              </Group>
              <Text fz="xs" c="dimmed">
                added {formatDate(keep.createdAt)}
              </Text>
            </Table.Th>
            <Table.Th>
              <Group gap={6} wrap="nowrap">
                <Badge size="xs" color="red" variant="light">
                  merge in
                </Badge>
                <Anchor component={Link} to={href(other)} fz="sm" fw={600} truncate>
                  {other.name}
                </Anchor>
              </Group>
              <Text fz="xs" c="dimmed">
                added {formatDate(other.createdAt)}
              </Text>
            </Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {rows.length === 0 && (
            <Table.Tr>
              <Table.Td colSpan={3}>
                <Text fz="sm" c="dimmed">
                  Every field is the same: merging only joins their history.
                </Text>
              </Table.Td>
            </Table.Tr>
          )}
          {rows.map(({ f, a, b }) => {
            const value = choices[f.key] ?? defaultChoice(f, a, b);
            const set = (c: Choice) => setChoices((x) => ({ ...x, [f.key]: c }));
            return (
              <Table.Tr key={f.key}>
                <Table.Td>
                  <Text fz="sm" c="dimmed">
                    {f.label}
                  </Text>
                  {f.kind === 'list' && (
                    <Radio
                      size="xs"
                      mt={4}
                      label="keep both"
                      checked={value === 'both'}
                      onChange={() => set('both')}
                      name={`m-${f.key}`}
                    />
                  )}
                </Table.Td>
                {(['this', 'other'] as const).map((side) => {
                  const v = side === 'this' ? a : b;
                  return (
                    <Table.Td key={side}>
                      <Radio
                        size="xs"
                        name={`m-${f.key}`}
                        checked={value === side}
                        onChange={() => set(side)}
                        aria-label={`${f.label}: ${side === 'this' ? keepName : otherName}`}
                        label={
                          <Text fz="sm" c={blank(v) ? 'dimmed' : undefined} style={{ overflowWrap: 'anywhere' }}>
                            {show(f, v)}
                          </Text>
                        }
                      />
                    </Table.Td>
                  );
                })}
              </Table.Tr>
            );
          })}
        </Table.Tbody>
      </Table>
      <Group justify="space-between" mt="md">
        <Group gap="xs">
          <Button
            variant="default"
            leftSection={<IconArrowsLeftRight size={16} />}
            onClick={() => setSwapped((s) => !s)}
          >
            Keep the other one
          </Button>
          <Button
            variant="subtle"
            color="gray"
            leftSection={<IconX size={16} />}
            loading={dismiss.isPending}
            onClick={() => dismiss.mutate()}
          >
            Not the same
          </Button>
        </Group>
        <Button
          leftSection={<IconGitMerge size={16} />}
          loading={merge.isPending}
          onClick={() => setConfirming(true)}
          data-testid="merge-button"
        >
          Merge into {keepName}
        </Button>
      </Group>
      <Text fz="xs" c="dimmed" mt="xs">
        {otherName} is removed; its notes, company links, consent records and timeline move to {keepName}, and the merge
        is recorded on the timeline.
      </Text>
      {/* A merge cannot be undone: one question before it, naming both records. */}
      <ConfirmModal
        opened={confirming}
        title={`Merge ${otherName} into ${keepName}?`}
        message={`${otherName} is removed for good; everything of theirs moves to ${keepName}. This cannot be undone.`}
        confirmLabel="Merge"
        loading={merge.isPending}
        onConfirm={() => merge.mutate()}
        onClose={() => setConfirming(false)}
      />
    </Card>
  );
}

export function DuplicatesPage() {
  const [entity, setEntity] = useState<Entity>('person');
  const [selected, setSelected] = useState(0);
  const path = entity === 'person' ? '/people/duplicates' : '/companies/duplicates';
  const q = useInfiniteQuery({
    queryKey: ['duplicates', entity],
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) =>
      api<{ data: Pair[]; page: { nextCursor: string | null } }>(path, { query: { limit: 50, cursor: pageParam } }),
    getNextPageParam: (last) => last.page.nextCursor ?? undefined,
  });
  const pairs = q.data?.pages.flatMap((p) => p.data) ?? [];
  const pair = pairs[Math.min(selected, pairs.length - 1)];
  return (
    <div data-testid="duplicates-page">
      <Breadcrumbs fz="sm" mb="xs">
        <Anchor component={Link} to={entity === 'person' ? '/people' : '/companies'} fz="sm">
          {entity === 'person' ? 'People' : 'Companies'}
        </Anchor>
        <Text fz="sm" c="dimmed">
          Duplicates
        </Text>
      </Breadcrumbs>
      <PageHeader
        title="Likely duplicates"
        description="Records that share an email, a phone or a domain, or have very similar names. Merge them field by field, or mark them as different."
        actions={
          <SegmentedControl
            size="xs"
            value={entity}
            onChange={(v) => {
              setEntity(v as Entity);
              setSelected(0);
            }}
            data={[
              { value: 'person', label: 'People' },
              { value: 'company', label: 'Companies' },
            ]}
          />
        }
      />
      {q.isPending ? (
        <Skeleton h={300} />
      ) : pairs.length === 0 ? (
        <Card withBorder>
          <Empty
            icon={<IconCopy size={22} />}
            title="No likely duplicates"
            description="Rapport checks emails, phones, domains and similar names. Imports match on email or external id, so re-importing a file does not create duplicates."
          />
        </Card>
      ) : (
        <Grid gap="md">
          <Grid.Col span={4}>
            <Stack gap={6} data-testid="duplicate-pairs">
              {pairs.map((p, i) => (
                <UnstyledButton key={`${p.a.id}${p.b.id}`} onClick={() => setSelected(i)} data-testid="duplicate-pair">
                  <Card
                    withBorder
                    padding="xs"
                    bg={i === selected ? 'var(--mantine-primary-color-light)' : undefined}
                    style={{ borderColor: i === selected ? 'var(--mantine-primary-color-filled)' : undefined }}
                  >
                    <Group justify="space-between" wrap="nowrap">
                      <Text fz="sm" fw={500} truncate>
                        {p.a.name} · {p.b.name}
                      </Text>
                      <Badge
                        size="xs"
                        variant="light"
                        color={p.score >= 0.9 ? 'red' : p.score >= 0.7 ? 'orange' : 'gray'}
                      >
                        {Math.round(p.score * 100)}%
                      </Badge>
                    </Group>
                    <Text fz="xs" c="dimmed" truncate>
                      {p.reasons.map(reasonText).join(' · ')}
                    </Text>
                  </Card>
                </UnstyledButton>
              ))}
              {q.hasNextPage && (
                <Center>
                  <Button
                    size="xs"
                    variant="default"
                    loading={q.isFetchingNextPage}
                    onClick={() => void q.fetchNextPage()}
                  >
                    More pairs
                  </Button>
                </Center>
              )}
            </Stack>
          </Grid.Col>
          <Grid.Col span={8}>
            {pair && <MergePanel entity={entity} pair={pair} onDone={() => setSelected(0)} />}
          </Grid.Col>
        </Grid>
      )}
    </div>
  );
}
