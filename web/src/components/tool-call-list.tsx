import { Badge, Code, Group, Paper, Stack, Text } from '@mantine/core';
import type { ExecutionToolCall } from '../api/tool-types.ts';
import { formatCost, formatJson, formatMs } from '../lib/format.ts';

const statusColors: Record<ExecutionToolCall['status'], string> = {
  succeeded: 'green',
  failed: 'red',
  rejected: 'orange',
  waiting_approval: 'yellow',
};

/** An execution's recorded tool calls in order: tool, turn, status, arguments and result or error. */
export function ToolCallList(props: { calls: readonly ExecutionToolCall[] }) {
  if (props.calls.length === 0) return null;
  return (
    <Stack gap="xs" data-testid="execution-tool-calls">
      <Text fw={600}>Tool calls</Text>
      {props.calls.map((call) => (
        <Paper key={call.id} withBorder p="xs" data-testid="execution-tool-call">
          <Stack gap={4}>
            <Group gap={6}>
              <Badge variant="light" color="indigo" tt="none" ff="monospace">
                {call.tool}
              </Badge>
              <Badge variant="outline">{call.kind}</Badge>
              <Badge color={statusColors[call.status]} variant="light">
                {call.status}
              </Badge>
              <Text size="xs" c="dimmed">
                turn {call.turn} · {formatMs(call.latencyMs)}
                {call.costUsd !== undefined ? ` · ${formatCost(call.costUsd)}` : ''}
              </Text>
            </Group>
            <Code block>{formatJson(call.arguments)}</Code>
            {call.error ? (
              <Text size="sm" c="red">
                {call.error.code}: {call.error.message}
              </Text>
            ) : (
              <Code block>{formatJson(call.result)}</Code>
            )}
          </Stack>
        </Paper>
      ))}
    </Stack>
  );
}
