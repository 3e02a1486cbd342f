import { EmptyState } from '@mantine/core';

/** An empty state that says what the thing is and offers the one next step. */
export function Empty(props: {
  icon: React.ReactNode;
  title: string;
  description: React.ReactNode;
  action?: React.ReactNode;
}) {
  return (
    <EmptyState
      py="xl"
      icon={props.icon}
      variant="light"
      title={props.title}
      description={props.description}
      data-testid="empty-state"
    >
      {props.action && <EmptyState.Actions>{props.action}</EmptyState.Actions>}
    </EmptyState>
  );
}
