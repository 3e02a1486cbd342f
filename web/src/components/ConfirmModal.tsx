import { Button, Group, Modal, Stack, Text } from '@mantine/core';

/** A yes/no question before something that cannot be undone. */
export function ConfirmModal(props: {
  opened: boolean;
  title: string;
  message: React.ReactNode;
  confirmLabel: string;
  /** The way back, when "Cancel" would be unclear ("Keep editing"). */
  cancelLabel?: string;
  danger?: boolean;
  loading?: boolean;
  onConfirm: () => void;
  onClose: () => void;
}) {
  return (
    <Modal opened={props.opened} onClose={props.onClose} title={props.title} size="sm">
      <Stack gap="lg">
        <Text fz="sm">{props.message}</Text>
        <Group justify="flex-end" gap="xs">
          <Button variant="default" onClick={props.onClose}>
            {props.cancelLabel ?? 'Cancel'}
          </Button>
          <Button
            color={props.danger ? 'red' : undefined}
            loading={props.loading}
            onClick={props.onConfirm}
            data-autofocus
          >
            {props.confirmLabel}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
