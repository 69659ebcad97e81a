import { Alert, Button, Code, CopyButton, Group, Modal, Stack, Switch, Text } from '@mantine/core';
import { useState } from 'react';
import type { Workflow } from '../api/workflow-types.ts';
import { useWorkflowMutations } from '../hooks/use-workflows.ts';
import { ErrorAlert } from './error-alert.tsx';

/** The webhook trigger: on or off in the draft; its URL (which holds the secret) made or rotated and shown once. */
export function WebhookPanel(props: {
  workspaceId: string;
  /** The saved workflow; null while the draft is new. */
  workflow: Workflow | null;
  enabled: boolean;
  onEnabledChange: (enabled: boolean) => void;
  canEdit: boolean;
}) {
  const [open, setOpen] = useState(false);
  const { rotateWebhookSecret: rotate } = useWorkflowMutations(props.workspaceId);
  const made = rotate.data;
  const close = () => setOpen(false);
  const hasSecret = props.workflow?.webhookSecretSet ?? false;
  return (
    <Stack gap="xs">
      <Switch
        label="Start runs from a webhook"
        description="A POST to the workflow's URL starts a run; its JSON body is the run input."
        checked={props.enabled}
        disabled={!props.canEdit}
        onChange={(event) => props.onEnabledChange(event.currentTarget.checked)}
      />
      {props.workflow ? (
        <Group gap="xs">
          <Button size="xs" variant="light" disabled={!props.canEdit} onClick={() => setOpen(true)}>
            {hasSecret ? 'Rotate webhook URL' : 'Make webhook URL'}
          </Button>
          <Text size="xs" c="dimmed">
            {hasSecret ? 'A URL exists; it was shown once when it was made.' : 'No URL yet.'}
          </Text>
        </Group>
      ) : (
        <Text size="xs" c="dimmed">
          Save the workflow to make its webhook URL.
        </Text>
      )}
      <Modal
        opened={open}
        onClose={close}
        // The URL holds the secret: forget it once the dialog is gone, as the API answers it once.
        onExitTransitionEnd={() => rotate.reset()}
        title={made ? 'Webhook URL' : hasSecret ? 'Rotate the webhook URL?' : 'Make a webhook URL?'}
        size="lg"
      >
        {made ? (
          <Stack data-testid="webhook-url-result">
            <Alert color="yellow" title="Copy it now">
              This URL is shown only once; it holds the secret. Rotating makes a new one and the old URL stops
              at once.
            </Alert>
            {!made.webhookEnabled ? (
              <Alert color="orange">
                Webhooks are off in the saved version: switch them on and save, or the URL answers 404.
              </Alert>
            ) : null}
            <Group wrap="nowrap" align="flex-start">
              <Code block style={{ flex: 1, wordBreak: 'break-all' }} data-testid="webhook-url">
                {made.url}
              </Code>
              <CopyButton value={made.url}>
                {({ copied, copy }) => (
                  <Button color={copied ? 'teal' : undefined} onClick={copy} data-autofocus>
                    {copied ? 'Copied' : 'Copy URL'}
                  </Button>
                )}
              </CopyButton>
            </Group>
            <Text size="sm" c="dimmed">
              <Code>curl -X POST -H 'content-type: application/json' -d '{'{…}'}' &lt;url&gt;</Code> answers
              202 with the run id.
            </Text>
            <Group justify="flex-end">
              <Button onClick={close}>Done</Button>
            </Group>
          </Stack>
        ) : (
          <Stack>
            <Text size="sm">
              {hasSecret
                ? 'The current URL stops working at once: update whatever calls it.'
                : 'The URL is shown once, right after it is made.'}
            </Text>
            <ErrorAlert error={rotate.error} title="Could not make the URL" />
            <Group justify="flex-end">
              <Button variant="default" onClick={close}>
                Cancel
              </Button>
              <Button
                color={hasSecret ? 'red' : undefined}
                loading={rotate.isPending}
                onClick={() => props.workflow && rotate.mutate(props.workflow.id)}
              >
                {hasSecret ? 'Rotate' : 'Make URL'}
              </Button>
            </Group>
          </Stack>
        )}
      </Modal>
    </Stack>
  );
}
