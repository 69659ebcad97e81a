import { Badge, Drawer, Group, Stack, Table, Text, Timeline, Title } from '@mantine/core';
import { useExecution } from '../hooks/use-executions.ts';
import { formatCost, formatDateTime, formatMs } from '../lib/format.ts';
import { ErrorAlert } from './error-alert.tsx';
import { JsonBlock } from './json-block.tsx';
import { StatusBadge } from './status-badge.tsx';
import { TableSkeleton } from './table-skeleton.tsx';
import { ToolCallList } from './tool-call-list.tsx';

/** One execution: input, output, the attempts in order, and the error if any. */
export function ExecutionDrawer(props: {
  workspaceId: string;
  executionId: string | null;
  onClose: () => void;
}) {
  const execution = useExecution(props.workspaceId, props.executionId);
  const record = execution.data;
  return (
    <Drawer
      opened={props.executionId !== null}
      onClose={props.onClose}
      position="right"
      size="xl"
      title={<Title order={4}>Execution</Title>}
    >
      <ErrorAlert error={execution.error} />
      {!record ? (
        <TableSkeleton rows={6} />
      ) : (
        <Stack data-testid="execution-drawer">
          <Group>
            <StatusBadge status={record.status} />
            <Badge variant="outline">{record.mode}</Badge>
            <Badge variant="outline">{record.trigger}</Badge>
            <Text size="sm" c="dimmed">
              v{record.agentVersion} · {formatDateTime(record.createdAt)}
            </Text>
          </Group>
          <Table>
            <Table.Tbody>
              <Table.Tr>
                <Table.Td>Provider / model</Table.Td>
                <Table.Td>
                  {record.provider ?? '—'} / {record.model ?? '—'}
                </Table.Td>
              </Table.Tr>
              <Table.Tr>
                <Table.Td>Tokens in / out</Table.Td>
                <Table.Td>
                  {record.usage.inputTokens} / {record.usage.outputTokens}
                </Table.Td>
              </Table.Tr>
              <Table.Tr>
                <Table.Td>Cost</Table.Td>
                <Table.Td>{formatCost(record.costUsd, record.costPriced)}</Table.Td>
              </Table.Tr>
              <Table.Tr>
                <Table.Td>Latency / first token</Table.Td>
                <Table.Td>
                  {formatMs(record.latencyMs)} / {formatMs(record.timeToFirstTokenMs)}
                </Table.Td>
              </Table.Tr>
              <Table.Tr>
                <Table.Td>Retries / fallback</Table.Td>
                <Table.Td>
                  {record.retries} / {record.fallbackUsed ? 'used' : 'not used'}
                </Table.Td>
              </Table.Tr>
            </Table.Tbody>
          </Table>
          {record.error ? <ErrorAlert title={record.error.code} error={record.error.message} /> : null}
          <JsonBlock title="Input" value={record.input} empty="No input." />
          <JsonBlock
            title="Request as sent"
            value={record.request}
            empty="Not kept: the workspace stores no execution content, or its retention period cleared it."
            testId="execution-request"
          />
          {record.rawOutput !== null ? (
            <JsonBlock
              title="Raw model output"
              value={record.rawOutput}
              empty=""
              testId="execution-raw-output"
            />
          ) : null}
          <JsonBlock title="Output" value={record.output} empty="No output." testId="execution-output" />
          <ToolCallList calls={record.toolCalls ?? []} />
          <Text fw={600}>Attempts</Text>
          <Timeline bulletSize={16} lineWidth={2} active={record.attempts.length}>
            {record.attempts.map((attempt, index) => (
              <Timeline.Item
                // biome-ignore lint/suspicious/noArrayIndexKey: attempts are an ordered log
                key={index}
                color={attempt.status === 'succeeded' ? 'green' : 'red'}
                title={`${index + 1}. ${attempt.provider} / ${attempt.model}${attempt.purpose === 'repair' ? ' (repair)' : ''}`}
              >
                <Text size="xs" c="dimmed">
                  {attempt.status} · {formatMs(attempt.latencyMs)}
                  {attempt.statusCode ? ` · HTTP ${attempt.statusCode}` : ''}
                  {attempt.errorCode ? ` · ${attempt.errorCode}` : ''}
                </Text>
              </Timeline.Item>
            ))}
          </Timeline>
        </Stack>
      )}
    </Drawer>
  );
}
