import { useState } from 'react';
import { Button, Group, Modal, Select, SimpleGrid, Stack, TagsInput, TextInput } from '@mantine/core';
import { useForm } from '@mantine/form';
import { IconUserPlus } from '@tabler/icons-react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useNavigate } from 'react-router';
import { api } from '../../api/client.ts';
import { customerKeys, useStages, fieldProblems, type Company, type Person } from '../../api/customers.ts';
import { useAllUsers, useMe } from '../../api/queries.ts';
import { notifyError, notifySuccess } from '../../lib/notify.ts';

/** Maps the API's field names (emails[0], custom.plan) onto the form's. */
function applyProblems(setErrors: (e: Record<string, string>) => void, e: unknown, known: string[]): boolean {
  const problems = fieldProblems(e);
  const mapped: Record<string, string> = {};
  for (const [k, v] of Object.entries(problems)) {
    const key = k === 'emails' ? 'email' : k === 'phones' ? 'phone' : k;
    if (known.includes(key)) mapped[key] = v;
  }
  setErrors(mapped);
  return Object.keys(mapped).length > 0;
}

export function NewPersonModal({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  const me = useMe();
  const qc = useQueryClient();
  const navigate = useNavigate();
  const stages = useStages();
  const users = useAllUsers();
  const [openAfter, setOpenAfter] = useState(true);
  const form = useForm({
    initialValues: {
      firstName: '',
      lastName: '',
      email: '',
      phone: '',
      stage: stages[0]?.key ?? 'lead',
      ownerId: me.user?.id ?? '',
      tags: [] as string[],
    },
    validate: {
      firstName: (_v, all) =>
        all.firstName.trim() || all.lastName.trim() || all.email.trim() || all.phone.trim()
          ? null
          : 'Give at least a name, an email or a phone',
    },
  });
  const create = useMutation({
    mutationFn: (v: typeof form.values) =>
      api<Person>('/people', {
        method: 'POST',
        body: {
          firstName: v.firstName.trim() || null,
          lastName: v.lastName.trim() || null,
          emails: v.email.trim() ? [v.email.trim()] : [],
          phones: v.phone.trim() ? [v.phone.trim()] : [],
          stage: v.stage,
          ownerId: v.ownerId || null,
          tags: v.tags,
          source: 'console',
        },
      }),
    onSuccess: (p) => {
      void qc.invalidateQueries({ queryKey: customerKeys.people });
      notifySuccess(`${p.name} is added`);
      close();
      if (openAfter) navigate(`/people/${p.id}`);
    },
    onError: (e) => {
      if (!applyProblems(form.setErrors, e, Object.keys(form.values))) notifyError(e, 'Could not add the person');
    },
  });
  function close() {
    onClose();
    window.setTimeout(() => form.reset(), 200);
  }
  return (
    <Modal opened={opened} onClose={close} title="New person" size="lg">
      <form
        onSubmit={form.onSubmit((v) => {
          setOpenAfter(true);
          create.mutate(v);
        })}
        data-testid="new-person-form"
      >
        <Stack gap="sm">
          <SimpleGrid cols={2}>
            <TextInput label="First name" data-autofocus autoComplete="off" {...form.getInputProps('firstName')} />
            <TextInput label="Last name" autoComplete="off" {...form.getInputProps('lastName')} />
            <TextInput label="Email" type="email" autoComplete="off" {...form.getInputProps('email')} />
            <TextInput
              label="Phone"
              placeholder="+351 912 345 678"
              autoComplete="off"
              {...form.getInputProps('phone')}
            />
            <Select
              label="Stage"
              data={stages.map((s) => ({ value: s.key, label: s.label }))}
              allowDeselect={false}
              {...form.getInputProps('stage')}
            />
            <Select
              label="Owner"
              description="Who is responsible for them"
              searchable
              clearable
              data={(users.data?.data ?? []).map((u) => ({ value: u.id, label: u.name }))}
              {...form.getInputProps('ownerId')}
            />
          </SimpleGrid>
          <TagsInput
            label="Tags"
            description="Press Enter after each tag"
            placeholder="vip, newsletter…"
            {...form.getInputProps('tags')}
          />
          <Group justify="flex-end" gap="xs" mt="xs">
            <Button variant="default" onClick={close}>
              Cancel
            </Button>
            <Button
              variant="light"
              loading={create.isPending && !openAfter}
              onClick={() => {
                if (form.validate().hasErrors) return;
                setOpenAfter(false);
                create.mutate(form.values);
              }}
            >
              Add and stay here
            </Button>
            <Button type="submit" loading={create.isPending && openAfter} leftSection={<IconUserPlus size={16} />}>
              Add person
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

export function NewCompanyModal({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  const me = useMe();
  const qc = useQueryClient();
  const navigate = useNavigate();
  const users = useAllUsers();
  const form = useForm({
    initialValues: { name: '', domain: '', industry: '', size: '', ownerId: me.user?.id ?? '', tags: [] as string[] },
    validate: { name: (v) => (v.trim() ? null : 'Give the company a name') },
  });
  const create = useMutation({
    mutationFn: (v: typeof form.values) =>
      api<Company>('/companies', {
        method: 'POST',
        body: {
          name: v.name.trim(),
          domain: v.domain.trim() || null,
          industry: v.industry.trim() || null,
          size: v.size || null,
          ownerId: v.ownerId || null,
          tags: v.tags,
          source: 'console',
        },
      }),
    onSuccess: (c) => {
      void qc.invalidateQueries({ queryKey: customerKeys.companies });
      notifySuccess(`${c.name} is added`);
      onClose();
      window.setTimeout(() => form.reset(), 200);
      navigate(`/companies/${c.id}`);
    },
    onError: (e) => {
      if (!applyProblems(form.setErrors, e, Object.keys(form.values))) notifyError(e, 'Could not add the company');
    },
  });
  return (
    <Modal opened={opened} onClose={onClose} title="New company" size="lg">
      <form onSubmit={form.onSubmit((v) => create.mutate(v))} data-testid="new-company-form">
        <Stack gap="sm">
          <SimpleGrid cols={2}>
            <TextInput label="Name" data-autofocus autoComplete="off" {...form.getInputProps('name')} />
            <TextInput label="Domain" placeholder="acme.com" autoComplete="off" {...form.getInputProps('domain')} />
            <TextInput label="Industry" autoComplete="off" {...form.getInputProps('industry')} />
            <Select
              label="Size"
              clearable
              data={['1-10', '11-50', '51-200', '201-1000', '1000+']}
              {...form.getInputProps('size')}
            />
            <Select
              label="Owner"
              searchable
              clearable
              data={(users.data?.data ?? []).map((u) => ({ value: u.id, label: u.name }))}
              {...form.getInputProps('ownerId')}
            />
            <TagsInput label="Tags" {...form.getInputProps('tags')} />
          </SimpleGrid>
          <Group justify="flex-end" gap="xs" mt="xs">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit" loading={create.isPending}>
              Add company
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
