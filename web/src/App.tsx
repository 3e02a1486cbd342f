import { useEffect } from 'react';
import { Button, Center, Loader, Stack, Text, Title } from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import { errorMessage, setUnauthenticatedHandler } from './api/client.ts';
import { keys, useMeQuery, useSetupStatus } from './api/queries.ts';
import { LoginPage } from './auth/LoginPage.tsx';
import { SetupPage } from './auth/SetupPage.tsx';
import { Console } from './shell/Console.tsx';

function FullPage({ children }: { children: React.ReactNode }) {
  return <Center h="100vh">{children}</Center>;
}

function Unreachable({ error, retry }: { error: unknown; retry: () => void }) {
  return (
    <FullPage>
      <Stack align="center" gap="xs" maw={420} ta="center">
        <Title order={3}>Rapport is not answering</Title>
        <Text c="dimmed">{errorMessage(error)}</Text>
        <Button onClick={retry} variant="light">
          Try again
        </Button>
      </Stack>
    </FullPage>
  );
}

/** Decides what the visitor sees: first-run setup, the sign-in page, or the console. */
export function App() {
  const qc = useQueryClient();
  useEffect(() => {
    setUnauthenticatedHandler(() => qc.setQueryData(keys.me, null));
    return () => setUnauthenticatedHandler(null);
  }, [qc]);

  const setup = useSetupStatus();
  const me = useMeQuery(setup.data?.needed === false);

  if (setup.isPending)
    return (
      <FullPage>
        <Loader aria-label="Loading" />
      </FullPage>
    );
  if (setup.isError) return <Unreachable error={setup.error} retry={() => void setup.refetch()} />;
  if (setup.data.needed) return <SetupPage />;
  if (me.isPending)
    return (
      <FullPage>
        <Loader aria-label="Loading" />
      </FullPage>
    );
  if (me.isError) return <Unreachable error={me.error} retry={() => void me.refetch()} />;
  if (!me.data) return <LoginPage />;
  return <Console />;
}
