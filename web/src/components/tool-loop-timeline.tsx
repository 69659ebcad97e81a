import { Badge, Code, Group, Paper, Stack, Text } from '@mantine/core';
import type { ExecutionToolCall } from '../api/tool-types.ts';
import type { RunTimelineEntry } from '../hooks/use-streamed-run.ts';
import { formatJson, formatMs } from '../lib/format.ts';

const statusColors: Record<ExecutionToolCall['status'], string> = {
  succeeded: 'green',
  failed: 'red',
  rejected: 'orange',
  waiting_approval: 'yellow',
};

/**
 * The tool loop as it streams: the model's text, each call it asked for, and the call's result
 * once it came back (matched by the call's id). Shown only when the run called a tool.
 */
export function ToolLoopTimeline(props: { timeline: RunTimelineEntry[] }) {
  const results = new Map<string, ExecutionToolCall>();
  for (const entry of props.timeline)
    if (entry.type === 'tool-result') results.set(entry.call.id, entry.call);
  if (!props.timeline.some((entry) => entry.type !== 'text')) return null;
  return (
    <Stack gap="xs" data-testid="tool-loop">
      <Text size="sm" fw={600}>
        Tool loop
      </Text>
      {props.timeline.map((entry, index) => {
        const key = `${entry.type}-${index}`;
        if (entry.type === 'text') {
          return (
            <Text key={key} size="sm" data-testid="loop-text" style={{ whiteSpace: 'pre-wrap' }}>
              {entry.text}
            </Text>
          );
        }
        if (entry.type === 'tool-result') return null;
        const result = results.get(entry.id);
        return (
          <Paper key={key} withBorder p="xs" data-testid="loop-tool-call">
            <Stack gap={4}>
              <Group gap={6}>
                <Badge variant="light" color="indigo" tt="none" ff="monospace">
                  {entry.tool}
                </Badge>
                {entry.type === 'tool-approval' ? (
                  <Badge color="yellow" variant="light">
                    waiting for approval
                  </Badge>
                ) : result ? (
                  <>
                    <Badge color={statusColors[result.status]} variant="light" data-testid="loop-tool-status">
                      {result.status}
                    </Badge>
                    <Text size="xs" c="dimmed">
                      {formatMs(result.latencyMs)}
                    </Text>
                  </>
                ) : (
                  <Badge color="gray" variant="light">
                    running…
                  </Badge>
                )}
              </Group>
              <Text size="xs" c="dimmed">
                Arguments
              </Text>
              <Code block>{formatJson(entry.arguments)}</Code>
              {result ? (
                <>
                  <Text size="xs" c="dimmed">
                    {result.error ? `Error: ${result.error.code}` : 'Result'}
                  </Text>
                  <Code block data-testid="loop-tool-result">
                    {result.error ? result.error.message : formatJson(result.result)}
                  </Code>
                </>
              ) : null}
            </Stack>
          </Paper>
        );
      })}
    </Stack>
  );
}
