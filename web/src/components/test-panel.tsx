import {
  Alert,
  Button,
  Code,
  Group,
  Paper,
  SegmentedControl,
  Stack,
  Text,
  Title,
  Tooltip,
} from '@mantine/core';
import { useState } from 'react';
import type { Agent, ExecutionMode } from '../api/api-types.ts';
import { useProviderKeys } from '../hooks/use-settings-resources.ts';
import { useStreamedRun } from '../hooks/use-streamed-run.ts';
import { useTestMode } from '../hooks/use-test-mode.ts';
import { formatJson } from '../lib/format.ts';
import { Link } from '../router/link.tsx';
import { ErrorAlert } from './error-alert.tsx';
import { RunMetrics } from './run-metrics.tsx';
import { RunRefusedAlert } from './run-refused-alert.tsx';
import { type InputDraft, SchemaInputForm } from './schema-input-form.tsx';
import { TestHistory } from './test-history.tsx';
import { ToolLoopTimeline } from './tool-loop-timeline.tsx';

/** Runs the saved agent with a streamed answer, shows its metrics, and keeps this agent's history. */
export function TestPanel(props: { workspaceId: string; agent: Agent }) {
  const agent = props.agent;
  const keys = useProviderKeys(props.workspaceId);
  const matchingKeys = (keys.data?.items ?? []).filter((key) =>
    agent.providerKeyId ? key.id === agent.providerKeyId : key.provider === agent.provider,
  );
  const hasKey = agent.provider === 'mock' || matchingKeys.length > 0;
  // Usable: a key whose last test did not fail. A mock agent's "live" costs nothing either way, so mock stays first.
  const keyUsable = matchingKeys.some((key) => key.lastTest === null || key.lastTest.ok);
  const { mode, choose } = useTestMode(agent.id, hasKey, agent.provider !== 'mock' && keyUsable);
  const [input, setInput] = useState<InputDraft>({ value: {}, error: null });
  const { run, start } = useStreamedRun(props.workspaceId, agent.id);
  const effectiveMode: ExecutionMode = hasKey ? mode : 'mock';
  const execution = run.phase === 'done' ? run.execution : null;

  return (
    <Paper withBorder p="md">
      <Stack>
        <Title order={4}>Test panel</Title>
        <SchemaInputForm key={agent.versionId} schema={agent.inputSchema} onChange={setInput} />
        <Group justify="space-between" wrap="wrap">
          <Tooltip label="Add a provider key to run live" disabled={hasKey}>
            <SegmentedControl
              aria-label="Run mode"
              data={[
                { value: 'live', label: 'Live', disabled: !hasKey },
                { value: 'mock', label: 'Mock' },
              ]}
              value={effectiveMode}
              onChange={(value) => choose(value as ExecutionMode)}
            />
          </Tooltip>
          <Button
            // The version the builder shows, draft or not: the test panel never runs something else.
            onClick={() => void start(input.value, effectiveMode, agent.versionId)}
            loading={run.phase === 'streaming'}
            disabled={input.error !== null}
          >
            Run {effectiveMode}
          </Button>
        </Group>
        {!hasKey && keys.isSuccess ? (
          <Text size="xs" c="dimmed" data-testid="no-key-hint">
            Live runs need a {agent.provider} key.{' '}
            <Link href={`/w/${props.workspaceId}/settings/keys`} size="xs">
              Add one in provider keys
            </Link>
            .
          </Text>
        ) : null}
        {input.error ? <Alert color="red">{input.error}</Alert> : null}
        {run.phase !== 'idle' ? (
          <Stack gap="xs">
            <Text size="sm" fw={600}>
              Output {run.phase === 'streaming' ? '(streaming…)' : ''}
            </Text>
            <Code block data-testid="streamed-output" mih={40}>
              {run.text ||
                (execution ? (execution.output === null ? 'no output' : formatJson(execution.output)) : '')}
            </Code>
          </Stack>
        ) : null}
        {run.phase !== 'idle' ? <ToolLoopTimeline timeline={run.timeline} /> : null}
        {run.phase === 'error' ? <RunRefusedAlert error={run.error} workspaceId={props.workspaceId} /> : null}
        {execution?.error ? (
          <ErrorAlert title={`Run failed: ${execution.error.code}`} error={execution.error.message} />
        ) : null}
        {execution ? <RunMetrics execution={execution} /> : null}
        <TestHistory workspaceId={props.workspaceId} agentId={agent.id} />
      </Stack>
    </Paper>
  );
}
