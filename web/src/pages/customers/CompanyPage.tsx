import { useEffect, useState } from 'react';
import {
  ActionIcon,
  Anchor,
  Avatar,
  Breadcrumbs,
  Button,
  Card,
  Grid,
  Group,
  Menu,
  Select,
  Skeleton,
  Stack,
  Table,
  TagsInput,
  Text,
  Title,
} from '@mantine/core';
import { IconBuildingSkyscraper, IconDots, IconTrash, IconUserQuestion, IconWorld } from '@tabler/icons-react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Link, useNavigate, useParams } from 'react-router';
import { api, ApiError } from '../../api/client.ts';
import { customerKeys, useCompany, useCustomFields, type Company } from '../../api/customers.ts';
import { useAllUsers, useCan } from '../../api/queries.ts';
import { ConfirmModal } from '../../components/ConfirmModal.tsx';
import { Empty } from '../../components/Empty.tsx';
import { formatDate, initials } from '../../lib/format.ts';
import { notifyError, notifySuccess } from '../../lib/notify.ts';
import { AddressFields, EditableCustomField, EditableField, SectionTitle, type Save } from './fields.tsx';
import { Timeline } from './Timeline.tsx';

const companyTimelineTypes = [
  { value: '', label: 'Everything' },
  { value: 'company.updated', label: 'Field changes' },
  { value: 'company.created', label: 'Created' },
];

export function CompanyPage() {
  const { id = '' } = useParams();
  const navigate = useNavigate();
  const can = useCan();
  const qc = useQueryClient();
  const users = useAllUsers();
  const q = useCompany(id);
  const fields = useCustomFields('company');
  const [deleting, setDeleting] = useState(false);
  const [tags, setTags] = useState<string[]>([]);
  const canWrite = can('customers:write');
  useEffect(() => setTags(q.data?.tags ?? []), [q.data?.tags]);

  const save: Save = async (body) => {
    const c = await api<Company>(`/companies/${id}`, { method: 'PATCH', body });
    qc.setQueryData<Company>(customerKeys.company(id), (old) => ({ ...c, people: old?.people ?? c.people }));
    void qc.invalidateQueries({ queryKey: [...customerKeys.timeline, id] });
    void qc.invalidateQueries({ queryKey: ['companies', 'list'] });
    return c;
  };
  const remove = useMutation({
    mutationFn: () => api(`/companies/${id}`, { method: 'DELETE' }),
    onSuccess: () => {
      notifySuccess(`${q.data?.name ?? 'The company'} is deleted`);
      void qc.invalidateQueries({ queryKey: customerKeys.companies });
      navigate('/companies');
    },
    onError: (e) => notifyError(e, 'Could not delete'),
  });

  if (q.isPending) return <Skeleton h={400} />;
  if (q.isError)
    return (
      <Empty
        icon={<IconBuildingSkyscraper size={22} />}
        title={
          q.error instanceof ApiError && q.error.status === 404
            ? 'This company is not here'
            : 'This record cannot be shown'
        }
        description={
          q.error instanceof ApiError && q.error.status === 404
            ? 'It may have been deleted or merged.'
            : q.error.message
        }
        action={
          <Button component={Link} to="/companies" variant="light">
            Back to companies
          </Button>
        }
      />
    );
  const c = q.data;
  const a = c.address;
  const ro = !canWrite;
  const people = c.people ?? [];

  return (
    <div data-testid="company-page">
      <Group justify="space-between" mb="xs">
        <Breadcrumbs fz="sm">
          <Anchor component={Link} to="/companies" fz="sm">
            Companies
          </Anchor>
          <Text fz="sm" c="dimmed">
            {c.name}
          </Text>
        </Breadcrumbs>
        {canWrite && (
          <Menu position="bottom-end" shadow="md">
            <Menu.Target>
              <ActionIcon variant="subtle" color="gray" aria-label="More actions">
                <IconDots size={18} />
              </ActionIcon>
            </Menu.Target>
            <Menu.Dropdown>
              <Menu.Item color="red" leftSection={<IconTrash size={16} />} onClick={() => setDeleting(true)}>
                Delete company
              </Menu.Item>
            </Menu.Dropdown>
          </Menu>
        )}
      </Group>
      <Card withBorder padding="lg" mb="md">
        <Group justify="space-between" align="flex-start" gap="xl">
          <Group gap="md" wrap="nowrap" align="flex-start" miw={0} style={{ flex: '1 1 280px' }}>
            <Avatar size={56} radius="md" color="initials" name={c.name}>
              {initials(c.name)}
            </Avatar>
            <Stack gap={4}>
              <Title order={1} fz={24} lh={1.2} data-testid="company-name">
                {c.name}
              </Title>
              <Group gap="md">
                {c.domain && (
                  <Anchor href={`https://${c.domain}`} target="_blank" rel="noreferrer" fz="sm" c="dimmed">
                    <Group gap={4} wrap="nowrap">
                      <IconWorld size={14} />
                      {c.domain}
                    </Group>
                  </Anchor>
                )}
                <Text fz="sm" c="dimmed">
                  {[c.industry, c.size && `${c.size} people`].filter(Boolean).join(' · ')}
                </Text>
                <Text fz="sm" c="dimmed">
                  {people.length} {people.length === 1 ? 'person' : 'people'}
                </Text>
              </Group>
              <TagsInput
                size="xs"
                variant="unstyled"
                placeholder={canWrite ? '+ Add tag' : 'No tags'}
                value={tags}
                readOnly={!canWrite}
                onChange={(v) => {
                  setTags(v);
                  save({ tags: v }).catch((e: unknown) => {
                    setTags(c.tags);
                    notifyError(e, 'Could not save the tags');
                  });
                }}
                aria-label="Tags"
                maw={520}
              />
            </Stack>
          </Group>
          <Stack gap={4} w={220} style={{ flexShrink: 0 }}>
            <Text fz="xs" c="dimmed" fw={600} tt="uppercase" lts={0.4}>
              Owner
            </Text>
            <Select
              size="xs"
              aria-label="Owner"
              placeholder="Nobody yet"
              leftSection={<IconUserQuestion size={14} />}
              searchable
              clearable
              disabled={!canWrite}
              data={(users.data?.data ?? []).map((u) => ({ value: u.id, label: u.name }))}
              value={c.ownerId}
              onChange={(v) =>
                void save({ ownerId: v }).catch((e: unknown) => notifyError(e, 'Could not change the owner'))
              }
            />
            <Text fz="xs" c="dimmed" mt={4}>
              Added {formatDate(c.createdAt)}
            </Text>
          </Stack>
        </Group>
      </Card>
      <Grid gap="md">
        <Grid.Col span={{ base: 12, md: 5 }}>
          <Stack gap="md">
            <Card withBorder padding="md">
              <SectionTitle>Profile</SectionTitle>
              <EditableField
                label="Name"
                problemKey="name"
                value={c.name}
                toBody={(v) => ({ name: v })}
                save={save}
                readOnly={ro}
              />
              <EditableField
                label="Domain"
                problemKey="domain"
                value={c.domain}
                placeholder="acme.com"
                toBody={(v) => ({ domain: v || null })}
                save={save}
                readOnly={ro}
              />
              <EditableField
                label="Industry"
                problemKey="industry"
                value={c.industry}
                toBody={(v) => ({ industry: v || null })}
                save={save}
                readOnly={ro}
              />
              <EditableField
                label="Size"
                problemKey="size"
                value={c.size}
                placeholder="11-50"
                toBody={(v) => ({ size: v || null })}
                save={save}
                readOnly={ro}
              />
              <EditableField
                label="Emails"
                problemKey="emails"
                kind="list"
                value={c.emails}
                toBody={(v) => ({ emails: v })}
                save={save}
                readOnly={ro}
              />
              <EditableField
                label="Phones"
                problemKey="phones"
                kind="list"
                value={c.phones}
                toBody={(v) => ({ phones: v })}
                save={save}
                readOnly={ro}
              />
              <AddressFields address={a} save={save} readOnly={ro} />
              <EditableField
                label="Source"
                problemKey="source"
                value={c.source}
                toBody={(v) => ({ source: v || null })}
                save={save}
                readOnly={ro}
              />
              <EditableField
                label="External id"
                problemKey="externalId"
                value={c.externalId}
                toBody={(v) => ({ externalId: v || null })}
                save={save}
                readOnly={ro}
              />
            </Card>
            {(fields.data ?? []).some((d) => !d.archived) && (
              <Card withBorder padding="md">
                <SectionTitle>Custom fields</SectionTitle>
                {(fields.data ?? [])
                  .filter((d) => !d.archived)
                  .map((d) => (
                    <EditableCustomField key={d.id} def={d} value={c.custom[d.key]} save={save} readOnly={ro} />
                  ))}
              </Card>
            )}
          </Stack>
        </Grid.Col>
        <Grid.Col span={{ base: 12, md: 7 }}>
          <Stack gap="md">
            <Card withBorder padding={0} data-testid="company-people">
              <Group p="md" pb={6} justify="space-between">
                <SectionTitle>People</SectionTitle>
                {people.length > 0 && (
                  <Anchor
                    component={Link}
                    to={`/people?${new URLSearchParams({ filter: `company_id:eq:${c.id}` }).toString()}`}
                    fz="xs"
                    data-testid="company-people-list"
                  >
                    Open in the People list
                  </Anchor>
                )}
              </Group>
              {people.length === 0 ? (
                <Text fz="sm" c="dimmed" px="md" pb="md">
                  Nobody is linked yet. Open a person and use “Link company” to add them here with their title.
                </Text>
              ) : (
                <Table highlightOnHover>
                  <Table.Tbody>
                    {people.map((p) => (
                      <Table.Tr key={p.personId}>
                        <Table.Td>
                          <Group gap={8} wrap="nowrap">
                            <Avatar size={24} radius="xl" color="initials" name={p.name}>
                              {initials(p.name)}
                            </Avatar>
                            <Anchor component={Link} to={`/people/${p.personId}`} fz="sm" fw={500}>
                              {p.name}
                            </Anchor>
                          </Group>
                        </Table.Td>
                        <Table.Td>
                          <Text fz="sm" c="dimmed">
                            {p.title ?? '—'}
                          </Text>
                        </Table.Td>
                        <Table.Td>
                          <Text fz="sm" c="dimmed" truncate maw={240}>
                            {p.email ?? ''}
                          </Text>
                        </Table.Td>
                      </Table.Tr>
                    ))}
                  </Table.Tbody>
                </Table>
              )}
            </Card>
            <Card withBorder padding="md">
              <Timeline path={`/companies/${c.id}/timeline`} types={companyTimelineTypes} subjectId={c.id} />
            </Card>
          </Stack>
        </Grid.Col>
      </Grid>
      <ConfirmModal
        opened={deleting}
        onClose={() => setDeleting(false)}
        title={`Delete ${c.name}?`}
        message="The company goes; its people stay, without the link. This cannot be undone."
        confirmLabel="Delete company"
        danger
        loading={remove.isPending}
        onConfirm={() => remove.mutate()}
      />
    </div>
  );
}
