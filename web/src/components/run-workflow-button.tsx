import { Alert, Button, type ButtonProps, Group, Modal, SegmentedControl, Stack, Text } from '@mantine/core';
import { useState } from 'react';
import { ApiError } from '../api/api-error.ts';
import type { RunMode, Workflow } from '../api/workflow-types.ts';
import { useRunMutations } from '../hooks/use-runs.ts';
import { runErrorHint } from '../lib/run-error-hints.ts';
import { navigate } from '../router/navigation.ts';
import { RunRefusedAlert } from './run-refused-alert.tsx';
import { type InputDraft, SchemaInputForm } from './schema-input-form.tsx';

/** Opens a form for the run input (generated from the workflow's input schema), live or mock, then the run page. */
export function RunWorkflowButton(
  props: ButtonProps & { workspaceId: string; workflow: Workflow; disabledReason?: string | null },
) {
  const { workspaceId, workflow, disabledReason, ...buttonProps } = props;
  const [open, setOpen] = useState(false);
  const [mode, setMode] = useState<RunMode>('live');
  const [input, setInput] = useState<InputDraft>({ value: {}, error: null });
  const { start } = useRunMutations(workspaceId);
  const error = start.error;
  const hint = ApiError.isInstance(error) ? runErrorHint(error.code) : null;
  return (
    <>
      <Button
        size="xs"
        {...buttonProps}
        disabled={Boolean(disabledReason)}
        title={disabledReason ?? undefined}
        onClick={() => {
          start.reset();
          setOpen(true);
        }}
        aria-label={`Run ${workflow.name}`}
      >
        Run
      </Button>
      <Modal opened={open} onClose={() => setOpen(false)} title={`Run ${workflow.name}`} size="lg">
        <form
          onSubmit={(event) => {
            event.preventDefault();
            start.mutate(
              { workflowId: workflow.id, input: input.value, mode },
              { onSuccess: (run) => navigate(`/w/${workspaceId}/runs/${run.id}`) },
            );
          }}
        >
          <Stack>
            <Text size="sm" c="dimmed">
              Version {workflow.version}
              {workflow.inputSchema
                ? ' · the form follows the run input schema'
                : ' · no input schema: any JSON object'}
            </Text>
            <SchemaInputForm key={workflow.versionId} schema={workflow.inputSchema} onChange={setInput} />
            {input.error ? <Alert color="red">{input.error}</Alert> : null}
            <SegmentedControl
              aria-label="Run mode"
              data={[
                { value: 'live', label: 'Live' },
                { value: 'mock', label: 'Mock (no provider calls, no cost)' },
              ]}
              value={mode}
              onChange={(value) => setMode(value as RunMode)}
            />
            {error ? <RunRefusedAlert error={error} workspaceId={workspaceId} /> : null}
            {hint ? (
              <Text size="sm" c="dimmed" data-testid="run-error-hint">
                {hint}
              </Text>
            ) : null}
            <Group justify="flex-end">
              <Button variant="default" onClick={() => setOpen(false)}>
                Cancel
              </Button>
              <Button type="submit" loading={start.isPending} disabled={input.error !== null}>
                Start {mode} run
              </Button>
            </Group>
          </Stack>
        </form>
      </Modal>
    </>
  );
}
