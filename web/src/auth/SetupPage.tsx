import { useState } from 'react';
import { Alert, Button, PasswordInput, Select, SimpleGrid, Stack, Text, TextInput } from '@mantine/core';
import { useForm } from '@mantine/form';
import { IconAlertCircle } from '@tabler/icons-react';
import { useQueryClient } from '@tanstack/react-query';
import { useNavigate } from 'react-router';
import { api, errorMessage } from '../api/client.ts';
import { keys } from '../api/queries.ts';
import type { Me } from '../api/types.ts';
import { browserTimeZone, timeZones } from '../lib/format.ts';
import { AuthLayout } from './AuthLayout.tsx';

export const minPasswordLength = 10;

export function SetupPage() {
  const qc = useQueryClient();
  const navigate = useNavigate();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const zone = browserTimeZone();
  const form = useForm({
    initialValues: { workspaceName: '', name: '', email: '', password: '', timezone: zone },
    validate: {
      workspaceName: (v) => (v.trim() ? null : 'Give your workspace a name, such as your company'),
      name: (v) => (v.trim() ? null : 'Tell us your name'),
      email: (v) => (/^\S+@\S+\.\S+$/.test(v.trim()) ? null : 'Enter an email address'),
      password: (v) => (v.length >= minPasswordLength ? null : `Use at least ${minPasswordLength} characters`),
      timezone: (v) => (v ? null : 'Pick a time zone'),
    },
  });

  const submit = form.onSubmit(async (values) => {
    setBusy(true);
    setError(null);
    try {
      const me = await api<Me>('/setup', { method: 'POST', body: values });
      qc.setQueryData(keys.me, me);
      qc.setQueryData(keys.setup, { needed: false });
      navigate('/', { replace: true });
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  });

  return (
    <AuthLayout
      width={520}
      title="Welcome to Rapport"
      subtitle="Set up your workspace. You will be its owner and can invite your team next."
    >
      <form onSubmit={submit} data-testid="setup-form" noValidate>
        <Stack gap="sm">
          {error && (
            <Alert color="red" icon={<IconAlertCircle size={18} />} role="alert">
              {error}
            </Alert>
          )}
          <TextInput
            label="Workspace name"
            placeholder="Northwind Outfitters"
            autoFocus
            required
            {...form.getInputProps('workspaceName')}
          />
          <SimpleGrid cols={2} spacing="sm">
            <TextInput
              label="Your name"
              placeholder="Amara Okafor"
              required
              autoComplete="name"
              {...form.getInputProps('name')}
            />
            <TextInput
              label="Email"
              type="email"
              placeholder="you@company.com"
              required
              autoComplete="email"
              {...form.getInputProps('email')}
            />
          </SimpleGrid>
          <PasswordInput
            label="Password"
            description={`At least ${minPasswordLength} characters. A short sentence is easy to remember.`}
            required
            autoComplete="new-password"
            {...form.getInputProps('password')}
          />
          <Select
            label="Time zone"
            description="Reports and schedules use it. You can change it later."
            data={timeZones(zone)}
            searchable
            allowDeselect={false}
            nothingFoundMessage="No time zone by that name"
            {...form.getInputProps('timezone')}
          />
          <Button type="submit" loading={busy} mt="xs" fullWidth>
            Create workspace
          </Button>
          <Text fz="xs" c="dimmed" ta="center">
            This page shows only once, while Rapport has no workspace.
          </Text>
        </Stack>
      </form>
    </AuthLayout>
  );
}
