import { useState } from 'react';
import { Alert, Button, PasswordInput, Select, Stack, TextInput } from '@mantine/core';
import { useForm } from '@mantine/form';
import { IconAlertCircle } from '@tabler/icons-react';
import { useQueryClient } from '@tanstack/react-query';
import { api, ApiError, errorMessage } from '../api/client.ts';
import { keys } from '../api/queries.ts';
import type { Me } from '../api/types.ts';
import { AuthLayout } from './AuthLayout.tsx';

function workspacesIn(details: unknown): string[] {
  if (typeof details !== 'object' || details === null || !('workspaces' in details)) return [];
  const list = (details as { workspaces: unknown }).workspaces;
  return Array.isArray(list) ? list.filter((s): s is string => typeof s === 'string') : [];
}

export function LoginPage() {
  const qc = useQueryClient();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [choices, setChoices] = useState<string[]>([]);
  const form = useForm({
    initialValues: { email: '', password: '', workspace: '' },
    validate: {
      email: (v) => (v.trim() ? null : 'Enter your email'),
      password: (v) => (v ? null : 'Enter your password'),
      workspace: (v) => (choices.length && !v ? 'Choose the workspace to open' : null),
    },
  });

  const submit = form.onSubmit(async (values) => {
    setBusy(true);
    setError(null);
    try {
      const me = await api<Me>('/auth/login', {
        method: 'POST',
        quiet401: true,
        body: {
          email: values.email,
          password: values.password,
          ...(values.workspace ? { workspace: values.workspace } : {}),
        },
      });
      qc.removeQueries({ predicate: (q) => q.queryKey[0] !== keys.me[0] && q.queryKey[0] !== keys.setup[0] });
      qc.setQueryData(keys.me, me);
    } catch (e) {
      const several = e instanceof ApiError ? workspacesIn(e.details) : [];
      if (several.length > 1) {
        setChoices(several);
        setError('Your email is in several workspaces. Choose the one to open.');
      } else setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  });

  return (
    <AuthLayout title="Sign in" subtitle="Welcome back. Sign in to your Rapport workspace.">
      <form onSubmit={submit} data-testid="login-form" noValidate>
        <Stack gap="sm">
          {error && (
            <Alert color={choices.length ? 'blue' : 'red'} icon={<IconAlertCircle size={18} />} role="alert">
              {error}
            </Alert>
          )}
          <TextInput
            label="Email"
            type="email"
            autoComplete="username"
            autoFocus
            required
            {...form.getInputProps('email')}
          />
          <PasswordInput
            label="Password"
            autoComplete="current-password"
            required
            {...form.getInputProps('password')}
          />
          {choices.length > 0 && (
            <Select
              label="Workspace"
              placeholder="Choose a workspace"
              data={choices}
              required
              allowDeselect={false}
              {...form.getInputProps('workspace')}
            />
          )}
          <Button type="submit" loading={busy} mt="xs" fullWidth>
            Sign in
          </Button>
        </Stack>
      </form>
    </AuthLayout>
  );
}
