import { Button, Code, Stack, Text, Title } from '@mantine/core';
import { Component, type ReactNode } from 'react';

/**
 * A page that fails to render shows what happened and a way on, instead of blanking the whole console: the side bar
 * and header stay. `resetKey` (the address) clears the error when the user goes to another page.
 */
export class ErrorBoundary extends Component<{ resetKey: string; children: ReactNode }, { error: Error | null }> {
  override state: { error: Error | null } = { error: null };

  static getDerivedStateFromError(error: Error) {
    return { error };
  }

  override componentDidUpdate(prev: { resetKey: string }) {
    if (prev.resetKey !== this.props.resetKey && this.state.error) this.setState({ error: null });
  }

  override render() {
    const { error } = this.state;
    if (!error) return this.props.children;
    return (
      <Stack p="xl" gap="sm" maw={640} data-testid="page-error">
        <Title order={2} fz="lg">
          This page could not be shown
        </Title>
        <Text c="dimmed" fz="sm">
          Something on it failed in your browser. Other pages still work; reloading may help. If it happens again, tell
          your administrator what you did and this message:
        </Text>
        <Code block>{error.message}</Code>
        <div>
          <Button variant="light" onClick={() => window.location.reload()}>
            Reload
          </Button>
        </div>
      </Stack>
    );
  }
}
