import { Badge, Button, Group, Select, Stack, Table, Text, Title } from '@mantine/core';
import { useState } from 'react';
import { isRunActive } from '../api/apply-run-event.ts';
import { type RunFilters, type RunMode, type RunStatus, runStatuses } from '../api/workflow-types.ts';
import { EmptyState } from '../components/empty-state.tsx';
import { ErrorAlert } from '../components/error-alert.tsx';
import { RunStatusBadge } from '../components/run-status-badge.tsx';
import { TableSkeleton } from '../components/table-skeleton.tsx';
import { useRuns } from '../hooks/use-runs.ts';
import { useWorkflows } from '../hooks/use-workflows.ts';
import { formatCost, formatDateTime } from '../lib/format.ts';
import { formatDuration } from '../lib/run-timing.ts';
import { Link } from '../router/link.tsx';
import { replaceSearchParams, useSearchParams } from '../router/navigation.ts';

const pageSize = 25;

/** Every workflow run: filters in the URL, live statuses (read again while any run is open), cursor pages. */
export function RunsPage(props: { workspaceId: string }) {
  const params = useSearchParams();
  const workflowId = params.get('workflowId');
  const status = params.get('status') as RunStatus | null;
  const mode = params.get('mode') as RunMode | null;
  const [cursors, setCursors] = useState<string[]>([]);
  const workflows = useWorkflows(props.workspaceId);
  const filters: RunFilters = {
    limit: pageSize,
    cursor: cursors.at(-1),
    workflowId: workflowId ?? undefined,
    status: status ?? undefined,
    mode: mode ?? undefined,
  };
  const runs = useRuns(props.workspaceId, filters);
  const names = new Map((workflows.data?.items ?? []).map((workflow) => [workflow.id, workflow.name]));
  const setFilter = (change: Record<string, string | null>) => {
    setCursors([]);
    replaceSearchParams(change);
  };
  const items = runs.data?.items ?? [];
  const filtered = Boolean(workflowId || status || mode);
  const live = items.some((run) => isRunActive(run.status));

  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>Runs</Title>
        {live ? (
          <Badge variant="dot" color="blue" data-testid="runs-live">
            updating live
          </Badge>
        ) : null}
      </Group>
      <Group wrap="wrap" align="flex-end" data-testid="run-filters">
        <Select
          label="Workflow"
          placeholder="All workflows"
          clearable
          searchable
          data={(workflows.data?.items ?? []).map((workflow) => ({
            value: workflow.id,
            label: workflow.name,
          }))}
          value={workflowId}
          onChange={(value) => setFilter({ workflowId: value })}
          w={220}
        />
        <Select
          label="Status"
          placeholder="Any"
          clearable
          data={runStatuses.map((value) => ({ value, label: value.replace('_', ' ') }))}
          value={status}
          onChange={(value) => setFilter({ status: value })}
          w={170}
        />
        <Select
          label="Mode"
          placeholder="Any"
          clearable
          data={['live', 'mock', 'replay']}
          value={mode}
          onChange={(value) => setFilter({ mode: value })}
          w={120}
        />
      </Group>
      <ErrorAlert error={runs.error} />
      {runs.isPending ? (
        <TableSkeleton />
      ) : items.length === 0 ? (
        filtered ? (
          <EmptyState title="No run matches">Clear a filter to see more runs.</EmptyState>
        ) : (
          <EmptyState title="No runs yet">
            Runs of workflows appear here, live. Open a workflow and press Run, call its webhook, or give it a
            schedule. <Link href={`/w/${props.workspaceId}/workflows`}>Go to workflows</Link>.
          </EmptyState>
        )
      ) : (
        <Table.ScrollContainer minWidth={720}>
          <Table highlightOnHover data-testid="runs-table">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Started</Table.Th>
                <Table.Th>Workflow</Table.Th>
                <Table.Th>Status</Table.Th>
                <Table.Th>Steps</Table.Th>
                <Table.Th>Cost</Table.Th>
                <Table.Th>Duration</Table.Th>
                <Table.Th />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {items.map((run) => {
                const done = run.steps.filter((step) => step.status === 'completed').length;
                return (
                  <Table.Tr key={run.id} data-testid="run-row" data-status={run.status}>
                    <Table.Td>{formatDateTime(run.createdAt)}</Table.Td>
                    <Table.Td>
                      {names.get(run.workflowId) ?? run.workflowId}
                      <Text size="xs" c="dimmed">
                        v{run.workflowVersion} · {run.trigger}
                      </Text>
                    </Table.Td>
                    <Table.Td>
                      <Group gap={4} wrap="nowrap">
                        <RunStatusBadge status={run.status} />
                        {run.mode === 'mock' ? (
                          <Badge size="sm" variant="outline" color="grape">
                            mock
                          </Badge>
                        ) : null}
                      </Group>
                    </Table.Td>
                    <Table.Td>
                      {done}/{run.steps.length}
                    </Table.Td>
                    <Table.Td>{run.mode === 'mock' ? '—' : formatCost(run.costUsd)}</Table.Td>
                    <Table.Td>{formatDuration(run.startedAt ?? run.createdAt, run.finishedAt)}</Table.Td>
                    <Table.Td>
                      <Link
                        href={`/w/${props.workspaceId}/runs/${run.id}`}
                        size="sm"
                        aria-label={`Open run ${run.id}`}
                      >
                        Open
                      </Link>
                    </Table.Td>
                  </Table.Tr>
                );
              })}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      <Group>
        <Button
          variant="default"
          disabled={cursors.length === 0}
          onClick={() => setCursors(cursors.slice(0, -1))}
        >
          Newer
        </Button>
        <Button
          variant="default"
          disabled={!runs.data?.nextCursor}
          onClick={() => runs.data?.nextCursor && setCursors([...cursors, runs.data.nextCursor])}
        >
          Older
        </Button>
        <Text size="sm" c="dimmed">
          Page {cursors.length + 1}
        </Text>
      </Group>
    </Stack>
  );
}
