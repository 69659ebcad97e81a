import { Badge, Button, Code, Group, SegmentedControl, Stack, Text } from '@mantine/core';
import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import type { JsonSchema } from '../api/api-types.ts';
import { api } from '../hooks/api.ts';
import { formatJson, formatMs } from '../lib/format.ts';
import { sampleArguments } from '../lib/sample-arguments.ts';
import { CodeEditor } from './code-editor.tsx';
import { ErrorAlert } from './error-alert.tsx';

/**
 * "Test tool" for a saved http tool: sample arguments from its schema, edited, called by the server
 * exactly as the tool loop would (live, or mock from its result schema); the answer shown as is.
 */
export function AgentToolTester(props: {
  workspaceId: string;
  agentId: string;
  toolName: string;
  parameters: JsonSchema;
}) {
  const [text, setText] = useState(() => JSON.stringify(sampleArguments(props.parameters), null, 2));
  const [mode, setMode] = useState<'live' | 'mock'>('live');
  const [parseError, setParseError] = useState<string | null>(null);
  const test = useMutation({
    mutationFn: (call: { arguments: unknown; mode: 'live' | 'mock' }) =>
      api.testAgentTool(props.workspaceId, props.agentId, props.toolName, call),
  });
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
    test.mutate({ arguments: parsed, mode });
  };
  const result = test.data;
  return (
    <Stack gap="xs" data-testid="agent-tool-tester">
      <CodeEditor
        label={`Test arguments for ${props.toolName} (saved version)`}
        language="json"
        value={text}
        minHeight={60}
        error={parseError}
        onChange={setText}
      />
      <Group>
        <SegmentedControl
          size="xs"
          value={mode}
          onChange={(value) => setMode(value === 'mock' ? 'mock' : 'live')}
          data={[
            { label: 'Live', value: 'live' },
            { label: 'Mock', value: 'mock' },
          ]}
          aria-label="Test mode"
        />
        <Button size="xs" onClick={send} loading={test.isPending}>
          Test tool
        </Button>
      </Group>
      <ErrorAlert error={test.error} title="The test call failed" />
      {result ? (
        <Stack gap={4} data-testid="agent-tool-test-result">
          <Group gap={6}>
            <Badge color={result.status === 'succeeded' ? 'green' : 'red'} variant="light">
              {result.status === 'succeeded' ? 'ok' : (result.error?.code ?? 'failed')}
            </Badge>
            <Text size="xs" c="dimmed">
              {formatMs(result.latencyMs)}
            </Text>
          </Group>
          <Code block>
            {result.status === 'succeeded' ? formatJson(result.result) : result.error?.message}
          </Code>
        </Stack>
      ) : null}
    </Stack>
  );
}
