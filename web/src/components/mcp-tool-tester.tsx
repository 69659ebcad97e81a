import { Badge, Button, Code, Group, Stack, Text } from '@mantine/core';
import { useState } from 'react';
import type { McpTool } from '../api/tool-types.ts';
import { useMcpToolTest } from '../hooks/use-mcp-servers.ts';
import { formatJson, formatMs } from '../lib/format.ts';
import { sampleArguments } from '../lib/sample-arguments.ts';
import { CodeEditor } from './code-editor.tsx';
import { ErrorAlert } from './error-alert.tsx';

/** "Test tool": sample arguments from the tool's schema, edited, sent to the server; its answer shown as is. */
export function McpToolTester(props: { workspaceId: string; serverId: string; tool: McpTool }) {
  const [text, setText] = useState(() => JSON.stringify(sampleArguments(props.tool.inputSchema), null, 2));
  const [parseError, setParseError] = useState<string | null>(null);
  const test = useMcpToolTest(props.workspaceId);
  const send = () => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text || '{}');
    } catch (error) {
      setParseError(`Not valid JSON: ${(error as Error).message}`);
      return;
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      setParseError('Arguments are a JSON object, e.g. { "city": "Paris" }.');
      return;
    }
    setParseError(null);
    test.mutate({ serverId: props.serverId, tool: props.tool.name, arguments: parsed });
  };
  const result = test.data;
  return (
    <Stack gap="xs" data-testid="tool-tester">
      <CodeEditor
        label={`Arguments for ${props.tool.name}`}
        language="json"
        value={text}
        minHeight={60}
        error={parseError}
        testId="tool-test-arguments"
        onChange={setText}
      />
      <Group>
        <Button size="xs" onClick={send} loading={test.isPending}>
          Test tool
        </Button>
      </Group>
      <ErrorAlert error={test.error} title="The test call failed" />
      {result ? (
        <Stack gap={4} data-testid="tool-test-result">
          <Group gap={6}>
            <Badge color={result.ok ? 'green' : 'red'} variant="light">
              {result.ok ? 'ok' : 'tool error'}
            </Badge>
            <Text size="xs" c="dimmed">
              {formatMs(result.latencyMs)}
            </Text>
          </Group>
          <Code block>{result.ok ? formatJson(result.result) : result.error}</Code>
        </Stack>
      ) : null}
    </Stack>
  );
}
