import { Alert, Button, Code, CopyButton, Group, Modal, Stack, Text } from '@mantine/core';
import { useState } from 'react';
import { useRotateSigningSecret } from '../hooks/use-guardrails.ts';
import { ErrorAlert } from './error-alert.tsx';

/** Rotates the alert webhook signing secret after a confirmation, then shows the new one this once. */
export function RotateSigningSecretButton(props: { workspaceId: string }) {
  const [open, setOpen] = useState(false);
  const rotate = useRotateSigningSecret(props.workspaceId);
  const close = () => setOpen(false);
  const rotated = rotate.data;
  return (
    <>
      <Button variant="light" onClick={() => setOpen(true)}>
        Rotate signing secret
      </Button>
      <Modal
        opened={open}
        onClose={close}
        // Forget the secret once the dialog is gone: it is shown once, as the API returns it once.
        onExitTransitionEnd={() => rotate.reset()}
        title={rotated ? 'New signing secret' : 'Rotate the signing secret?'}
        size="lg"
      >
        {rotated ? (
          <Stack data-testid="signing-secret-result">
            <Alert color="yellow" title="Copy it now">
              This secret is shown only once. Deliveries from now on are signed with it.
            </Alert>
            <Group wrap="nowrap" align="flex-start">
              <Code block style={{ flex: 1, wordBreak: 'break-all' }} data-testid="signing-secret">
                {rotated.signingSecret}
              </Code>
              <CopyButton value={rotated.signingSecret}>
                {({ copied, copy }) => (
                  <Button color={copied ? 'teal' : undefined} onClick={copy} data-autofocus>
                    {copied ? 'Copied' : 'Copy'}
                  </Button>
                )}
              </CopyButton>
            </Group>
            <Text size="sm">Each delivery carries the signature in this header:</Text>
            <Code block style={{ wordBreak: 'break-all' }}>
              {rotated.header}
            </Code>
            <Text size="sm" c="dimmed">
              Recompute the HMAC-SHA256 of <Code>{'<t>.<body>'}</Code> with the secret, compare it to{' '}
              <Code>v1</Code>, and refuse timestamps older than five minutes.
            </Text>
            <Group justify="flex-end">
              <Button onClick={close}>Done</Button>
            </Group>
          </Stack>
        ) : (
          <Stack>
            <Text size="sm">
              The current secret stops working at once: update your webhook receiver with the new one.
            </Text>
            <ErrorAlert error={rotate.error} title="Could not rotate the secret" />
            <Group justify="flex-end">
              <Button variant="default" onClick={close}>
                Cancel
              </Button>
              <Button color="red" loading={rotate.isPending} onClick={() => rotate.mutate()}>
                Rotate
              </Button>
            </Group>
          </Stack>
        )}
      </Modal>
    </>
  );
}
