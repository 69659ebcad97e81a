import { Button, type ButtonProps, Group, Modal, Text } from '@mantine/core';
import { useState } from 'react';
import { ErrorAlert } from './error-alert.tsx';

/** A destructive action behind a confirmation dialog. */
export function ConfirmButton(
  props: ButtonProps & {
    label: string;
    title: string;
    message: string;
    confirmLabel?: string;
    onConfirm: () => Promise<unknown> | undefined;
    'aria-label'?: string;
  },
) {
  const { label, title, message, confirmLabel, onConfirm, ...buttonProps } = props;
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  return (
    <>
      <Button color="red" variant="light" size="xs" {...buttonProps} onClick={() => setOpen(true)}>
        {label}
      </Button>
      <Modal opened={open} onClose={() => setOpen(false)} title={title} centered>
        <Text mb="md">{message}</Text>
        <ErrorAlert error={error} />
        <Group justify="flex-end">
          <Button variant="default" onClick={() => setOpen(false)}>
            Cancel
          </Button>
          <Button
            color="red"
            loading={busy}
            onClick={async () => {
              setBusy(true);
              setError(null);
              try {
                await onConfirm();
                setOpen(false);
              } catch (failure) {
                setError(failure);
              } finally {
                setBusy(false);
              }
            }}
          >
            {confirmLabel ?? label}
          </Button>
        </Group>
      </Modal>
    </>
  );
}
