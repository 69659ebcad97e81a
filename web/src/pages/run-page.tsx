import { Alert, Badge, Button, Group, Paper, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { ReactFlowProvider } from '@xyflow/react';
import { memo, useEffect, useMemo, useState } from 'react';
import { ApiError } from '../api/api-error.ts';
import { isRunActive } from '../api/apply-run-event.ts';
import type { RunConnection } from '../api/run-monitor.ts';
import type { Run, StepRun, WorkflowDefinition } from '../api/workflow-types.ts';
import { ConfirmButton } from '../components/confirm-button.tsx';
import { ErrorAlert } from '../components/error-alert.tsx';
import { RunArtifactsList } from '../components/run-artifacts-list.tsx';
import { RunDecisionTrail } from '../components/run-decision-trail.tsx';
import { RunGraph } from '../components/run-graph.tsx';
import { RunStatusBadge, statusColors } from '../components/run-status-badge.tsx';
import { StepRunDrawer } from '../components/step-run-drawer.tsx';
import { TableSkeleton } from '../components/table-skeleton.tsx';
import { useAgents } from '../hooks/use-agents.ts';
import { usePermission } from '../hooks/use-permission.ts';
import { useRunMonitor } from '../hooks/use-run-monitor.ts';
import { useRunMutations } from '../hooks/use-runs.ts';
import { useWorkflow, useWorkflowVersions } from '../hooks/use-workflows.ts';
import { formatCost, formatDateTime } from '../lib/format.ts';
import { runErrorHint } from '../lib/run-error-hints.ts';
import { formatDuration } from '../lib/run-timing.ts';
import { Link } from '../router/link.tsx';
import { navigate } from '../router/navigation.ts';

/** Re-renders every second while `active`, so a running duration counts up. */
function useNow(active: boolean): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) return;
    const timer = setInterval(() => setNow(Date.now()), 1_000);
    return () => clearInterval(timer);
  }, [active]);
  return now;
}

const connectionLabels: Record<RunConnection, { label: string; color: string }> = {
  connecting: { label: 'connecting…', color: 'gray' },
  live: { label: 'live', color: 'blue' },
  reconnecting: { label: 'reconnecting…', color: 'orange' },
  ended: { label: 'finished', color: 'gray' },
};

/** `/w/:ws/runs/:runId`: the run monitor, loaded on demand; its graph and steps follow the run's events. */
export function RunPage(props: { workspaceId: string; runId: string }) {
  const { run, error, connection, monitor } = useRunMonitor(props.workspaceId, props.runId);
  const runsPath = `/w/${props.workspaceId}/runs`;
  if (!run) {
    if (error)
      return (
        <Stack>
          <ErrorAlert error={error} />
          <Link href={runsPath}>Back to runs</Link>
        </Stack>
      );
    return <TableSkeleton rows={8} />;
  }
  return (
    <RunView
      workspaceId={props.workspaceId}
      run={run}
      connection={connection}
      onRestarted={(next) => {
        monitor.accept(next);
        monitor.resume();
      }}
      onChanged={(next) => monitor.accept(next)}
    />
  );
}

function RunView(props: {
  workspaceId: string;
  run: Run;
  connection: RunConnection;
  onRestarted: (run: Run) => void;
  onChanged: (run: Run) => void;
}) {
  const { run, workspaceId } = props;
  const [openStepId, setOpenStepId] = useState<string | null>(null);
  const workflow = useWorkflow(workspaceId, run.workflowId);
  const versions = useWorkflowVersions(workspaceId, run.workflowId);
  const agents = useAgents(workspaceId, { limit: 200 });
  const mutations = useRunMutations(workspaceId);
  const canRun = usePermission(workspaceId, 'run_agents');
  const active = isRunActive(run.status);
  const now = useNow(active);
  // The graph is the version this run pinned; the current one stands in while versions load.
  const definition = useMemo<WorkflowDefinition | null>(() => {
    const pinned = versions.data?.items.find((version) => version.id === run.workflowVersionId);
    if (pinned) return pinned.definition;
    if (workflow.data && workflow.data.versionId === run.workflowVersionId) return workflow.data;
    return null;
  }, [versions.data, workflow.data, run.workflowVersionId]);
  const openStep = run.steps.find((step) => step.stepId === openStepId) ?? null;
  const completed = run.steps.filter((step) => step.status === 'completed').length;
  const hint = run.error ? runErrorHint(run.error.code) : null;
  const actionError = mutations.cancel.error ?? mutations.retry.error ?? mutations.replay.error;
  const connectionLabel = connectionLabels[props.connection];
  const span = runSpan(run, now);

  return (
    <Stack>
      <Group justify="space-between" align="flex-start" wrap="wrap">
        <div>
          <Link href={`/w/${workspaceId}/runs`} size="sm">
            ← Runs
          </Link>
          <Title order={2}>
            {workflow.data ? (
              <Link href={`/w/${workspaceId}/workflows/${run.workflowId}`} inherit>
                {workflow.data.name}
              </Link>
            ) : (
              'Run'
            )}
          </Title>
          <Text size="sm" c="dimmed">
            Run {run.id} · version {run.workflowVersion} · {run.trigger} · started{' '}
            {formatDateTime(run.createdAt)}
          </Text>
        </div>
        <Group gap="xs">
          <RunStatusBadge status={run.status} size="lg" />
          {run.mode === 'mock' ? (
            <Badge size="lg" color="grape" variant="outline" data-testid="mock-badge">
              mock
            </Badge>
          ) : null}
          {run.mode === 'replay' ? (
            <Badge size="lg" color="teal" variant="outline" data-testid="replay-badge">
              replay
            </Badge>
          ) : null}
          <Badge variant="dot" color={connectionLabel.color} data-testid="run-connection">
            {connectionLabel.label}
          </Badge>
          {canRun && active ? (
            <ConfirmButton
              label="Cancel run"
              title="Cancel this run?"
              message="In-flight provider and HTTP calls are aborted; steps that have not finished become cancelled. Retry can run them again."
              onConfirm={async () => props.onChanged(await mutations.cancel.mutateAsync(run.id))}
            />
          ) : null}
          {canRun && (run.status === 'failed' || run.status === 'cancelled') ? (
            <Button
              size="xs"
              loading={mutations.retry.isPending}
              onClick={() => mutations.retry.mutate(run.id, { onSuccess: (next) => props.onRestarted(next) })}
            >
              Retry failed steps
            </Button>
          ) : null}
          {canRun && run.record && !active ? (
            <Button
              size="xs"
              variant="light"
              color="teal"
              loading={mutations.replay.isPending}
              data-testid="replay-run"
              onClick={() =>
                mutations.replay.mutate(run, {
                  onSuccess: (next) => navigate(`/w/${workspaceId}/runs/${next.id}`),
                })
              }
            >
              Replay (no cost)
            </Button>
          ) : null}
        </Group>
      </Group>
      {run.mode === 'mock' ? (
        <Alert color="grape" variant="light" data-testid="mock-notice">
          A mock run: every agent step answered from the schema-aware mock, with no provider call and no cost.
        </Alert>
      ) : null}
      {run.mode === 'replay' ? (
        <Alert color="teal" variant="light" data-testid="replay-notice">
          A replay of run {run.replayOf}: every step answered from that run's recording, with no provider call
          and no cost.
        </Alert>
      ) : null}
      {run.status === 'waiting_approval' ? (
        <Alert color="yellow" title="Waiting for approval" data-testid="waiting-approval">
          A step is waiting for a person to approve it (review it under Decisions below or in the{' '}
          <Link href={`/w/${workspaceId}/approvals`} inherit underline="always">
            approvals inbox
          </Link>
          ). The run holds no worker meanwhile.
        </Alert>
      ) : null}
      {run.error ? (
        <Alert
          color={run.status === 'cancelled' ? 'orange' : 'red'}
          title={run.error.code}
          data-testid="run-error"
        >
          <Text size="sm">{run.error.message}</Text>
          {hint ? (
            <Text size="sm" mt="xs" fw={500}>
              {hint}
            </Text>
          ) : null}
        </Alert>
      ) : null}
      <ErrorAlert error={actionError} title={ApiError.isInstance(actionError) ? 'Not done' : undefined} />
      <SimpleGrid cols={{ base: 2, sm: 4 }}>
        <Figure
          label="Total cost"
          value={run.mode === 'mock' ? '$0.00 (mock)' : formatCost(run.costUsd)}
          testId="run-cost"
        />
        <Figure
          label="Duration"
          value={formatDuration(run.startedAt ?? run.createdAt, run.finishedAt, now)}
          testId="run-duration"
        />
        <Figure label="Steps completed" value={`${completed} / ${run.steps.length}`} testId="run-progress" />
        <Figure label="Status" value={run.status.replace('_', ' ')} testId="run-status-figure" />
      </SimpleGrid>
      <Paper withBorder h={{ base: 320, sm: 420 }} data-testid="run-graph">
        <ReactFlowProvider>
          <RunGraph
            run={run}
            definition={definition}
            agents={agents.data?.items ?? []}
            onOpenStep={setOpenStepId}
            selectedStepId={openStepId}
          />
        </ReactFlowProvider>
      </Paper>
      <Table.ScrollContainer minWidth={560}>
        <Table data-testid="run-steps">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Step</Table.Th>
              <Table.Th>Status</Table.Th>
              <Table.Th>Timeline</Table.Th>
              <Table.Th>Duration</Table.Th>
              <Table.Th>Cost</Table.Th>
              <Table.Th />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {run.steps.map((step) => (
              <StepRow
                key={step.stepId}
                step={step}
                mock={run.mode === 'mock'}
                spanStart={span.start}
                spanEnd={span.end}
                now={step.finishedAt ? 0 : now}
                onOpen={setOpenStepId}
              />
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      <RunDecisionTrail workspaceId={workspaceId} runId={run.id} live={active} />
      <RunArtifactsList workspaceId={workspaceId} runId={run.id} live={active} />
      <StepRunDrawer
        workspaceId={workspaceId}
        step={openStep}
        mock={run.mode === 'mock'}
        onClose={() => setOpenStepId(null)}
      />
    </Stack>
  );
}

/** One row of the steps table; memoised, so an event redraws only the rows of the steps it changed. */
const StepRow = memo(function StepRow(props: {
  step: StepRun;
  mock: boolean;
  spanStart: number;
  spanEnd: number;
  now: number;
  onOpen: (stepId: string) => void;
}) {
  const { step } = props;
  return (
    <Table.Tr data-testid="run-step-row" data-status={step.status}>
      <Table.Td>
        <Text fw={600} size="sm">
          {step.stepId}
        </Text>
        <Text size="xs" c="dimmed">
          {step.kind}
          {step.attempts > 1 ? ` · ${step.attempts} attempts` : ''}
        </Text>
      </Table.Td>
      <Table.Td miw={120}>
        <RunStatusBadge status={step.status} />
      </Table.Td>
      <Table.Td w="30%">
        <TimelineBar
          span={{ start: props.spanStart, end: props.spanEnd }}
          start={step.startedAt}
          end={step.finishedAt}
          now={props.now}
          color={statusColors[step.status]}
        />
      </Table.Td>
      <Table.Td>{formatDuration(step.startedAt, step.finishedAt, props.now)}</Table.Td>
      <Table.Td>{props.mock ? '—' : formatCost(step.costUsd)}</Table.Td>
      <Table.Td>
        <Button
          size="xs"
          variant="subtle"
          onClick={() => props.onOpen(step.stepId)}
          aria-label={`Details of step ${step.stepId}`}
        >
          Details
        </Button>
      </Table.Td>
    </Table.Tr>
  );
});

function Figure(props: { label: string; value: string; testId: string }) {
  return (
    <Paper withBorder p="sm">
      <Text size="xs" c="dimmed" tt="uppercase" fw={600}>
        {props.label}
      </Text>
      <Text fw={700} size="lg" data-testid={props.testId}>
        {props.value}
      </Text>
    </Paper>
  );
}

/** The run's time span in ms since epoch, for placing step bars. */
function runSpan(run: Run, now: number): { start: number; end: number } {
  const start = Date.parse(run.startedAt ?? run.createdAt);
  const ends = run.steps.map((step) =>
    step.finishedAt ? Date.parse(step.finishedAt) : step.startedAt ? now : start,
  );
  const end = run.finishedAt ? Date.parse(run.finishedAt) : Math.max(now, ...ends);
  return { start, end: Math.max(end, start + 1) };
}

function TimelineBar(props: {
  span: { start: number; end: number };
  start: string | null;
  end: string | null;
  now: number;
  color: string;
}) {
  if (!props.start) return <div aria-hidden style={{ height: 8 }} />;
  const total = props.span.end - props.span.start;
  const from = Math.max(0, Date.parse(props.start) - props.span.start);
  const to = Math.max(from, (props.end ? Date.parse(props.end) : props.now) - props.span.start);
  return (
    <div
      aria-hidden
      style={{ position: 'relative', height: 8, background: 'var(--mantine-color-gray-1)', borderRadius: 4 }}
    >
      <div
        style={{
          position: 'absolute',
          left: `${(from / total) * 100}%`,
          width: `${Math.max(1, ((to - from) / total) * 100)}%`,
          top: 0,
          bottom: 0,
          borderRadius: 4,
          background: `var(--mantine-color-${props.color}-5)`,
        }}
      />
    </div>
  );
}
