import { Button, Group, Modal, PasswordInput, Stack } from '@mantine/core';
import { type FormEvent, useId, useState } from 'react';
import type { ProviderKey } from '../api/api-types.ts';
import { useProviderKeyMutations } from '../hooks/use-settings-resources.ts';
import { ErrorAlert } from './error-alert.tsx';

/** Replaces a key's secret in place, so agents that name the key keep working. */
export function RotateKeyButton(props: { workspaceId: string; providerKey: ProviderKey }) {
  // Mantine 9's PasswordInput ties its label to the input only with an explicit id.
  const passwordId = useId();
  const [open, setOpen] = useState(false);
  const [secret, setSecret] = useState('');
  const { update } = useProviderKeyMutations(props.workspaceId);
  const close = () => {
    setOpen(false);
    setSecret('');
    update.reset();
  };
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    await update.mutateAsync({ keyId: props.providerKey.id, apiKey: secret });
    close();
  };
  return (
    <>
      <Button size="xs" variant="light" onClick={() => setOpen(true)}>
        Rotate
      </Button>
      <Modal opened={open} onClose={close} title={`Rotate ${props.providerKey.label}`}>
        <form onSubmit={(event) => void submit(event).catch(() => undefined)}>
          <Stack>
            <PasswordInput
              id={passwordId}
              label="New secret"
              required
              autoComplete="off"
              data-autofocus
              value={secret}
              onChange={(event) => setSecret(event.currentTarget.value)}
            />
            <ErrorAlert error={update.error} title="Could not rotate the key" />
            <Group justify="flex-end">
              <Button variant="default" onClick={close}>
                Cancel
              </Button>
              <Button type="submit" loading={update.isPending}>
                Replace secret
              </Button>
            </Group>
          </Stack>
        </form>
      </Modal>
    </>
  );
}
