import { Badge, Code, Group, Modal, SimpleGrid, Stack, Table, Text } from '@mantine/core';
import type { Execution, MetricDelta } from '../api/api-types.ts';
import { useExecutionComparison } from '../hooks/use-executions.ts';
import { formatCost, formatMs } from '../lib/format.ts';
import { diffText } from '../lib/line-diff.ts';
import { DiffView } from './diff-view.tsx';
import { ErrorAlert } from './error-alert.tsx';
import { TableSkeleton } from './table-skeleton.tsx';

const metricRows: Array<{ key: keyof ReturnType<typeof metricFormats>; label: string }> = [
  { key: 'latencyMs', label: 'Latency' },
  { key: 'timeToFirstTokenMs', label: 'First token' },
  { key: 'costUsd', label: 'Cost' },
  { key: 'inputTokens', label: 'Tokens in' },
  { key: 'outputTokens', label: 'Tokens out' },
  { key: 'retries', label: 'Retries' },
];

function metricFormats() {
  const count = (value: number | null) => (value === null ? '—' : String(value));
  return {
    latencyMs: formatMs,
    timeToFirstTokenMs: formatMs,
    costUsd: (value: number | null) => (value === null ? 'not priced' : formatCost(value)),
    inputTokens: count,
    outputTokens: count,
    retries: count,
  };
}

function outputText(execution: Execution): string {
  // A failed run with nothing from the model says so, rather than diffing as an empty text.
  return execution.output === null ? (execution.rawOutput ?? 'no output') : diffText(execution.output);
}

function signed(delta: MetricDelta, format: (value: number | null) => string): string {
  if (delta.delta === null) return '—';
  if (delta.delta === 0) return '±0';
  const magnitude = format(Math.abs(delta.delta));
  return delta.delta > 0 ? `+${magnitude}` : `−${magnitude}`;
}

/** Two runs side by side: outputs and their diff, the version diff, and metric deltas (b − a). */
export function RunComparison(props: {
  workspaceId: string;
  pair: [string, string] | null;
  onClose: () => void;
}) {
  const comparison = useExecutionComparison(props.workspaceId, props.pair);
  const data = comparison.data;
  const formats = metricFormats();
  return (
    <Modal opened={props.pair !== null} onClose={props.onClose} title="Compare runs" size="90%">
      <ErrorAlert error={comparison.error} />
      {!data ? (
        <TableSkeleton rows={4} />
      ) : (
        <Stack data-testid="run-comparison">
          <SimpleGrid cols={{ base: 1, sm: 2 }}>
            {[data.a, data.b].map((execution, index) => (
              <Stack key={execution.id} gap={4}>
                <Group gap="xs">
                  <Text fw={700}>{index === 0 ? 'A' : 'B'}</Text>
                  <Badge variant="outline">{execution.mode}</Badge>
                  <Text size="xs" c="dimmed">
                    v{execution.agentVersion} · {execution.model ?? '—'}
                  </Text>
                </Group>
                <Code block data-testid={`compare-output-${index === 0 ? 'a' : 'b'}`}>
                  {outputText(execution) || '—'}
                </Code>
              </Stack>
            ))}
          </SimpleGrid>
          <Text fw={600}>
            Output diff {data.sameOutput ? <Badge color="green">same output</Badge> : null}
          </Text>
          <DiffView before={outputText(data.a)} after={outputText(data.b)} testId="output-diff" />
          <Text fw={600}>Version diff</Text>
          {data.versionDiff.changes.length === 0 ? (
            <Text size="sm" c="dimmed" data-testid="version-diff">
              {data.versionDiff.sameVersion
                ? 'Both runs used the same version.'
                : 'The versions differ in no compared field.'}
            </Text>
          ) : (
            <Stack gap="xs" data-testid="version-diff">
              {data.versionDiff.changes.map((change) => (
                <div key={change.field}>
                  <Text size="sm">
                    {change.field}{' '}
                    <Text span c="dimmed" size="xs">
                      ({change.group})
                    </Text>
                  </Text>
                  <DiffView before={diffText(change.a)} after={diffText(change.b)} />
                </div>
              ))}
            </Stack>
          )}
          <Text fw={600}>Metrics</Text>
          <Table data-testid="metric-deltas">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Metric</Table.Th>
                <Table.Th>A</Table.Th>
                <Table.Th>B</Table.Th>
                <Table.Th>B − A</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {metricRows.map((row) => {
                const delta = data.metrics[row.key];
                const format = formats[row.key];
                return (
                  <Table.Tr key={row.key}>
                    <Table.Td>{row.label}</Table.Td>
                    <Table.Td>{format(delta.a)}</Table.Td>
                    <Table.Td>{format(delta.b)}</Table.Td>
                    <Table.Td>{signed(delta, format)}</Table.Td>
                  </Table.Tr>
                );
              })}
            </Table.Tbody>
          </Table>
        </Stack>
      )}
    </Modal>
  );
}
