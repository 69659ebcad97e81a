import { Badge, Button, Checkbox, Group, Stack, Table, Text } from '@mantine/core';
import { useState } from 'react';
import { useExecutions } from '../hooks/use-executions.ts';
import { formatCost, formatDateTime, formatMs } from '../lib/format.ts';
import { ErrorAlert } from './error-alert.tsx';
import { RunComparison } from './run-comparison.tsx';
import { StatusBadge } from './status-badge.tsx';
import { TableSkeleton } from './table-skeleton.tsx';

/** This agent's recent runs; tick two to compare them. */
export function TestHistory(props: { workspaceId: string; agentId: string }) {
  const history = useExecutions(props.workspaceId, { agentId: props.agentId, limit: 20 });
  const [selected, setSelected] = useState<string[]>([]);
  const [pair, setPair] = useState<[string, string] | null>(null);
  const items = history.data?.items ?? [];
  const toggle = (id: string, checked: boolean) =>
    setSelected((current) =>
      checked
        ? [...current.filter((other) => other !== id), id].slice(-2)
        : current.filter((other) => other !== id),
    );

  return (
    <Stack gap="xs">
      <Group justify="space-between">
        <Text fw={600}>Test history</Text>
        <Button
          size="xs"
          disabled={selected.length !== 2}
          onClick={() => {
            // Oldest first, so deltas read as "what changed since".
            const ordered = items.filter((item) => selected.includes(item.id)).reverse();
            if (ordered.length === 2) setPair([ordered[0]?.id ?? '', ordered[1]?.id ?? '']);
          }}
        >
          Compare selected ({selected.length}/2)
        </Button>
      </Group>
      <ErrorAlert error={history.error} />
      {history.isPending ? (
        <TableSkeleton rows={3} />
      ) : items.length === 0 ? (
        <Text size="sm" c="dimmed">
          No runs yet. Fill in the input and press Run.
        </Text>
      ) : (
        <Table.ScrollContainer minWidth={420}>
          <Table data-testid="test-history">
            <Table.Tbody>
              {items.map((execution) => (
                <Table.Tr key={execution.id} data-testid="history-row">
                  <Table.Td w={30}>
                    <Checkbox
                      aria-label={`Select run of ${formatDateTime(execution.createdAt)} for comparison`}
                      checked={selected.includes(execution.id)}
                      onChange={(event) => toggle(execution.id, event.currentTarget.checked)}
                    />
                  </Table.Td>
                  <Table.Td>
                    <StatusBadge status={execution.status} />
                  </Table.Td>
                  <Table.Td>
                    <Badge variant="outline" size="sm">
                      {execution.mode}
                    </Badge>
                  </Table.Td>
                  <Table.Td>v{execution.agentVersion}</Table.Td>
                  <Table.Td>{formatMs(execution.latencyMs)}</Table.Td>
                  <Table.Td>{formatCost(execution.costUsd, execution.costPriced)}</Table.Td>
                  <Table.Td>
                    <Text size="xs" c="dimmed">
                      {formatDateTime(execution.createdAt)}
                    </Text>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      <RunComparison workspaceId={props.workspaceId} pair={pair} onClose={() => setPair(null)} />
    </Stack>
  );
}
