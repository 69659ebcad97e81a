import { Alert, Button, Code, Group, Modal, SegmentedControl, Select, Stack, Text } from '@mantine/core';
import { useState } from 'react';
import type { Agent } from '../api/api-types.ts';
import type { ApprovalStrategy, RunMode } from '../api/workflow-types.ts';
import { useStartWorkSession } from '../hooks/use-approvals.ts';
import { useStreamedRun } from '../hooks/use-streamed-run.ts';
import { formatJson } from '../lib/format.ts';
import { Link } from '../router/link.tsx';
import { navigate } from '../router/navigation.ts';
import { ErrorAlert } from './error-alert.tsx';
import { RunMetrics } from './run-metrics.tsx';
import { RunRefusedAlert } from './run-refused-alert.tsx';
import { type InputDraft, SchemaInputForm } from './schema-input-form.tsx';

type Kind = 'once' | 'session';

const strategies: Array<{ value: ApprovalStrategy; label: string; description: string }> = [
  {
    value: 'checkpoint_required',
    label: 'Review every output',
    description: 'The output waits in the approvals inbox.',
  },
  {
    value: 'auto_approve_low_risk',
    label: 'Review only risky outputs',
    description: 'Waits when the output sets needsReview: true.',
  },
  { value: 'none', label: 'No review', description: 'The output is stored as an artifact straight away.' },
];

/**
 * The dialog behind the Run button (loaded on demand: it carries CodeMirror): runs an agent once
 * (an execution, streamed here) or as a work session (a reviewed run with artifacts, opened on the
 * run page). The form follows the agent's input schema.
 */
export function RunAgentDialog(props: {
  workspaceId: string;
  agent: Agent;
  open: boolean;
  onClose: () => void;
}) {
  const { workspaceId, agent } = props;
  const [kind, setKind] = useState<Kind>('once');
  const [mode, setMode] = useState<RunMode>(agent.provider === 'mock' ? 'mock' : 'live');
  const [strategy, setStrategy] = useState<ApprovalStrategy>('checkpoint_required');
  const [input, setInput] = useState<InputDraft>({ value: {}, error: null });
  const session = useStartWorkSession(workspaceId);
  const { run, start } = useStreamedRun(workspaceId, agent.id);
  const execution = run.phase === 'done' ? run.execution : null;
  const chosen = strategies.find((option) => option.value === strategy);

  const submit = () => {
    if (kind === 'session') {
      session.mutate(
        { agentId: agent.id, input: input.value, mode, approvalStrategy: strategy },
        { onSuccess: (started) => navigate(`/w/${workspaceId}/runs/${started.id}`) },
      );
    } else {
      void start(input.value, mode);
    }
  };

  return (
    <Modal opened={props.open} onClose={props.onClose} title={`Run ${agent.name}`} size="lg">
      <form
        onSubmit={(event) => {
          event.preventDefault();
          submit();
        }}
      >
        <Stack>
          <SegmentedControl
            aria-label="What to start"
            data={[
              { value: 'once', label: 'Run once' },
              { value: 'session', label: 'Work session (reviewed, with artifacts)' },
            ]}
            value={kind}
            onChange={(value) => setKind(value as Kind)}
          />
          <Text size="sm" c="dimmed">
            Version {agent.version}
            {agent.inputSchema ? ' · the form follows the input schema' : ' · no input schema: any JSON'}
          </Text>
          <SchemaInputForm key={agent.versionId} schema={agent.inputSchema} onChange={setInput} />
          {input.error ? <Alert color="red">{input.error}</Alert> : null}
          {kind === 'session' ? (
            <Select
              label="Review"
              description={chosen?.description}
              data={strategies.map((option) => ({ value: option.value, label: option.label }))}
              value={strategy}
              allowDeselect={false}
              onChange={(value) => setStrategy((value ?? 'checkpoint_required') as ApprovalStrategy)}
            />
          ) : null}
          <SegmentedControl
            aria-label="Run mode"
            data={[
              { value: 'live', label: 'Live' },
              { value: 'mock', label: 'Mock (no provider calls, no cost)' },
            ]}
            value={mode}
            onChange={(value) => setMode(value as RunMode)}
          />
          {session.error ? <RunRefusedAlert error={session.error} workspaceId={workspaceId} /> : null}
          {run.phase === 'error' ? <RunRefusedAlert error={run.error} workspaceId={workspaceId} /> : null}
          {kind === 'once' && run.phase !== 'idle' ? (
            <Stack gap="xs">
              <Text size="sm" fw={600}>
                Output {run.phase === 'streaming' ? '(streaming…)' : ''}
              </Text>
              <Code block data-testid="run-agent-output" mih={40}>
                {run.text || (execution ? formatJson(execution.output) : '')}
              </Code>
              {execution?.error ? (
                <ErrorAlert title={`Run failed: ${execution.error.code}`} error={execution.error.message} />
              ) : null}
              {execution ? <RunMetrics execution={execution} /> : null}
              {execution ? (
                <Link href={`/w/${workspaceId}/executions?agentId=${agent.id}`} size="sm">
                  See it in executions
                </Link>
              ) : null}
            </Stack>
          ) : null}
          <Group justify="flex-end">
            <Button variant="default" onClick={props.onClose}>
              Close
            </Button>
            <Button
              type="submit"
              loading={session.isPending || run.phase === 'streaming'}
              disabled={input.error !== null}
            >
              {kind === 'session' ? `Start ${mode} work session` : `Run ${mode}`}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
