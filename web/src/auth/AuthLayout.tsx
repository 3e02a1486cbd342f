import { Box, Center, Group, Paper, Stack, Text, Title } from '@mantine/core';
import { Logo } from '../shell/Logo.tsx';

export function AuthLayout(props: { title: string; subtitle: string; children: React.ReactNode; width?: number }) {
  return (
    <Box className="rapport-auth-bg">
      <Center mih="100vh" p="md">
        <Stack w="100%" maw={props.width ?? 420} gap="lg">
          <Group gap={10} justify="center">
            <Logo size={34} />
            <Text fw={700} fz={22} lts={-0.3}>
              Rapport
            </Text>
          </Group>
          <Paper withBorder shadow="sm" p="xl" radius="lg">
            <Stack gap={4} mb="lg">
              <Title order={2} fz={22}>
                {props.title}
              </Title>
              <Text c="dimmed" fz="sm">
                {props.subtitle}
              </Text>
            </Stack>
            {props.children}
          </Paper>
        </Stack>
      </Center>
    </Box>
  );
}
