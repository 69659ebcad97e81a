import { Badge, Button, Group, Select, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useState } from 'react';
import type { ExecutionFilters, ExecutionMode, ExecutionStatus } from '../api/api-types.ts';
import { EmptyState } from '../components/empty-state.tsx';
import { ErrorAlert } from '../components/error-alert.tsx';
import { ExecutionDrawer } from '../components/execution-drawer.tsx';
import { ExecutionStatsPanel } from '../components/execution-stats-panel.tsx';
import { StatusBadge } from '../components/status-badge.tsx';
import { TableSkeleton } from '../components/table-skeleton.tsx';
import { useAgents } from '../hooks/use-agents.ts';
import { useExecutions } from '../hooks/use-executions.ts';
import { formatCost, formatDateTime, formatMs } from '../lib/format.ts';

const pageSize = 25;

/** Every run in the workspace: filters, cursor pagination, a detail drawer and the 30-day charts. */
export function ExecutionsPage(props: { workspaceId: string }) {
  const [filters, setFilters] = useState<{
    agentId: string | null;
    status: string | null;
    mode: string | null;
    from: string;
    to: string;
  }>({
    agentId: null,
    status: null,
    mode: null,
    from: '',
    to: '',
  });
  const [cursors, setCursors] = useState<string[]>([]);
  // A link from a run's step opens its execution: `/executions?execution=<id>`.
  const [openId, setOpenId] = useState<string | null>(() =>
    new URLSearchParams(window.location.search).get('execution'),
  );
  const agents = useAgents(props.workspaceId, {});
  const query: ExecutionFilters = {
    limit: pageSize,
    cursor: cursors.at(-1),
    agentId: filters.agentId ?? undefined,
    status: (filters.status ?? undefined) as ExecutionStatus | undefined,
    mode: (filters.mode ?? undefined) as ExecutionMode | undefined,
    // Dates are whole local days: from the start of `from` to the end of `to`.
    from: filters.from ? new Date(`${filters.from}T00:00:00`).toISOString() : undefined,
    to: filters.to ? new Date(`${filters.to}T23:59:59.999`).toISOString() : undefined,
  };
  const executions = useExecutions(props.workspaceId, query);
  const agentNames = new Map((agents.data?.items ?? []).map((agent) => [agent.id, agent.name]));
  const setFilter = (change: Partial<typeof filters>) => {
    setFilters({ ...filters, ...change });
    setCursors([]);
  };
  const items = executions.data?.items ?? [];
  const filtered = Object.values(filters).some((value) => value !== null && value !== '');

  return (
    <Stack>
      <Title order={2}>Executions</Title>
      <ExecutionStatsPanel workspaceId={props.workspaceId} agentId={filters.agentId ?? undefined} />
      <Group wrap="wrap" align="flex-end" data-testid="execution-filters">
        <Select
          label="Agent"
          placeholder="All agents"
          clearable
          searchable
          data={(agents.data?.items ?? []).map((agent) => ({ value: agent.id, label: agent.name }))}
          value={filters.agentId}
          onChange={(value) => setFilter({ agentId: value })}
          w={200}
        />
        <Select
          label="Status"
          placeholder="Any"
          clearable
          data={['completed', 'failed', 'running', 'waiting_approval']}
          value={filters.status}
          onChange={(value) => setFilter({ status: value })}
          w={140}
        />
        <Select
          label="Mode"
          placeholder="Any"
          clearable
          data={['live', 'mock', 'replay']}
          value={filters.mode}
          onChange={(value) => setFilter({ mode: value })}
          w={120}
        />
        <TextInput
          label="From"
          type="date"
          value={filters.from}
          onChange={(event) => setFilter({ from: event.currentTarget.value })}
          w={160}
        />
        <TextInput
          label="To"
          type="date"
          value={filters.to}
          onChange={(event) => setFilter({ to: event.currentTarget.value })}
          w={160}
        />
      </Group>
      <ErrorAlert error={executions.error} />
      {executions.isPending ? (
        <TableSkeleton />
      ) : items.length === 0 ? (
        filtered ? (
          <EmptyState title="No execution matches">Clear a filter or widen the dates.</EmptyState>
        ) : (
          <EmptyState title="No executions yet">
            Runs from the test panel, the API and workflows appear here. Open an agent and press Run to make
            the first one.
          </EmptyState>
        )
      ) : (
        <Table.ScrollContainer minWidth={860}>
          <Table highlightOnHover data-testid="executions-table">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>When</Table.Th>
                <Table.Th>Agent</Table.Th>
                <Table.Th>Status</Table.Th>
                <Table.Th>Mode</Table.Th>
                <Table.Th>Model</Table.Th>
                <Table.Th>Tokens</Table.Th>
                <Table.Th>Cost</Table.Th>
                <Table.Th>Latency</Table.Th>
                <Table.Th />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {items.map((execution) => (
                <Table.Tr key={execution.id} data-testid="execution-row">
                  <Table.Td>{formatDateTime(execution.createdAt)}</Table.Td>
                  <Table.Td>
                    {agentNames.get(execution.agentId) ?? execution.agentId}
                    <Text size="xs" c="dimmed">
                      v{execution.agentVersion} · {execution.trigger}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <StatusBadge status={execution.status} />
                  </Table.Td>
                  <Table.Td>
                    <Badge variant="outline">{execution.mode}</Badge>
                  </Table.Td>
                  <Table.Td>{execution.model ?? '—'}</Table.Td>
                  <Table.Td>
                    {execution.usage.inputTokens} → {execution.usage.outputTokens}
                  </Table.Td>
                  <Table.Td>{formatCost(execution.costUsd, execution.costPriced)}</Table.Td>
                  <Table.Td>{formatMs(execution.latencyMs)}</Table.Td>
                  <Table.Td>
                    <Button size="xs" variant="subtle" onClick={() => setOpenId(execution.id)}>
                      Details
                    </Button>
                  </Table.Td>
                </Table.Tr>
              ))}
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
          disabled={!executions.data?.nextCursor}
          onClick={() => executions.data?.nextCursor && setCursors([...cursors, executions.data.nextCursor])}
        >
          Older
        </Button>
        <Text size="sm" c="dimmed">
          Page {cursors.length + 1}
        </Text>
      </Group>
      <ExecutionDrawer workspaceId={props.workspaceId} executionId={openId} onClose={() => setOpenId(null)} />
    </Stack>
  );
}
