import { Button, Card, Group, PasswordInput, SimpleGrid, Stack, Text, TextInput, Title } from '@mantine/core';
import { useForm } from '@mantine/form';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '../../api/client.ts';
import { keys, useMe } from '../../api/queries.ts';
import type { Me, User } from '../../api/types.ts';
import { minPasswordLength } from '../../auth/SetupPage.tsx';
import { PageHeader } from '../../components/PageHeader.tsx';
import { RoleBadge } from '../../components/RoleBadge.tsx';
import { formatDateTime } from '../../lib/format.ts';
import { notifyError, notifySuccess } from '../../lib/notify.ts';

export function ProfilePage() {
  const me = useMe();
  return <Profile key={me.user?.name ?? ''} />;
}

function Profile() {
  const me = useMe();
  const qc = useQueryClient();
  const user = me.user;
  const nameForm = useForm({
    initialValues: { name: user?.name ?? '' },
    validate: { name: (v) => (v.trim() ? null : 'Your name cannot be empty') },
  });

  const pwForm = useForm({
    initialValues: { currentPassword: '', newPassword: '', confirm: '' },
    validate: {
      currentPassword: (v) => (v ? null : 'Enter your current password'),
      newPassword: (v) => (v.length >= minPasswordLength ? null : `Use at least ${minPasswordLength} characters`),
      confirm: (v, all) => (v === all.newPassword ? null : 'The two new passwords differ'),
    },
  });

  const rename = useMutation({
    mutationFn: (name: string) => api<User>(`/users/${user?.id}`, { method: 'PATCH', body: { name } }),
    onSuccess: (u) => {
      qc.setQueryData<Me | null>(keys.me, (old) => (old ? { ...old, user: u } : old));
      void qc.invalidateQueries({ queryKey: keys.users });
      notifySuccess('Your name is saved');
    },
    onError: (e) => notifyError(e, 'Could not save your name'),
  });

  const changePassword = useMutation({
    mutationFn: (v: { currentPassword: string; newPassword: string }) =>
      api(`/users/${user?.id}/password`, { method: 'PUT', body: v }),
    onSuccess: () => {
      pwForm.reset();
      notifySuccess('Your password is changed. Other devices stay signed in until you sign them out.');
    },
    onError: (e) => notifyError(e, 'Could not change your password'),
  });

  if (!user) return <Text c="dimmed">This console is signed in with an API key, which has no profile.</Text>;

  return (
    <>
      <PageHeader title="My profile" description="How you appear to your team, and how you sign in." />
      <Stack gap="md" maw={640}>
        <Card withBorder padding="lg">
          <form onSubmit={nameForm.onSubmit((v) => rename.mutate(v.name.trim()))} data-testid="profile-form">
            <Stack gap="md">
              <Title order={2} fz="md">
                Profile
              </Title>
              <SimpleGrid cols={2}>
                <TextInput label="Name" autoComplete="name" {...nameForm.getInputProps('name')} />
                <TextInput label="Email" value={user.email} readOnly disabled />
              </SimpleGrid>
              <Group gap="xl">
                <Stack gap={2}>
                  <Text fz="xs" c="dimmed">
                    Role
                  </Text>
                  <RoleBadge role={user.role} />
                </Stack>
                <Stack gap={2}>
                  <Text fz="xs" c="dimmed">
                    Last sign-in
                  </Text>
                  <Text fz="sm">{formatDateTime(user.lastLoginAt)}</Text>
                </Stack>
              </Group>
              <Group justify="flex-end">
                <Button type="submit" loading={rename.isPending} disabled={!nameForm.isDirty()}>
                  Save name
                </Button>
              </Group>
            </Stack>
          </form>
        </Card>
        <Card withBorder padding="lg">
          <form
            onSubmit={pwForm.onSubmit((v) =>
              changePassword.mutate({ currentPassword: v.currentPassword, newPassword: v.newPassword }),
            )}
            data-testid="password-form"
          >
            <Stack gap="md">
              <Title order={2} fz="md">
                Change password
              </Title>
              <PasswordInput
                label="Current password"
                autoComplete="current-password"
                {...pwForm.getInputProps('currentPassword')}
              />
              <SimpleGrid cols={2}>
                <PasswordInput
                  label="New password"
                  description={`At least ${minPasswordLength} characters`}
                  autoComplete="new-password"
                  {...pwForm.getInputProps('newPassword')}
                />
                <PasswordInput
                  label="Repeat new password"
                  description="To catch typos"
                  autoComplete="new-password"
                  {...pwForm.getInputProps('confirm')}
                />
              </SimpleGrid>
              <Group justify="flex-end">
                <Button type="submit" loading={changePassword.isPending}>
                  Change password
                </Button>
              </Group>
            </Stack>
          </form>
        </Card>
      </Stack>
    </>
  );
}
