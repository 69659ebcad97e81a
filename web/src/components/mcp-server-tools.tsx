import { Accordion, Badge, Button, Code, Group, Stack, Text } from '@mantine/core';
import { useMcpServerMutations, useMcpTools } from '../hooks/use-mcp-servers.ts';
import { usePermission } from '../hooks/use-permission.ts';
import { formatDateTime, formatJson } from '../lib/format.ts';
import { ErrorAlert } from './error-alert.tsx';
import { McpToolTester } from './mcp-tool-tester.tsx';

/** A server's tools with their schemas, refreshed on demand, each testable with sample arguments. */
export function McpServerTools(props: { workspaceId: string; serverId: string }) {
  const tools = useMcpTools(props.workspaceId, props.serverId);
  const { refreshTools } = useMcpServerMutations(props.workspaceId);
  const canRun = usePermission(props.workspaceId, 'run_agents');
  const list = tools.data;
  return (
    <Stack gap="xs" data-testid="mcp-server-tools">
      <Group justify="space-between">
        <Text size="sm" c="dimmed">
          {list
            ? `${list.items.length} tools, listed ${formatDateTime(list.listedAt)}${list.cached ? ' (cached)' : ''}`
            : tools.isPending
              ? 'Asking the server for its tools…'
              : ''}
        </Text>
        <Button
          size="xs"
          variant="light"
          loading={refreshTools.isPending}
          onClick={() => refreshTools.mutate(props.serverId)}
        >
          Refresh tools
        </Button>
      </Group>
      <ErrorAlert error={tools.error ?? refreshTools.error} title="Could not list the tools" />
      {list && list.items.length > 0 ? (
        <Accordion variant="separated" chevronPosition="left">
          {list.items.map((tool) => (
            <Accordion.Item key={tool.name} value={tool.name} data-testid="mcp-tool">
              <Accordion.Control>
                <Group gap={6}>
                  <Text ff="monospace" size="sm" fw={600}>
                    {tool.name}
                  </Text>
                  {tool.outputSchema ? (
                    <Badge size="xs" variant="light">
                      structured
                    </Badge>
                  ) : null}
                  <Text size="xs" c="dimmed" lineClamp={1}>
                    {tool.description ?? tool.title ?? ''}
                  </Text>
                </Group>
              </Accordion.Control>
              <Accordion.Panel>
                <Stack gap="xs">
                  <Text size="xs" fw={500}>
                    Input schema
                  </Text>
                  <Code block>{formatJson(tool.inputSchema)}</Code>
                  {canRun ? (
                    <McpToolTester workspaceId={props.workspaceId} serverId={props.serverId} tool={tool} />
                  ) : null}
                </Stack>
              </Accordion.Panel>
            </Accordion.Item>
          ))}
        </Accordion>
      ) : null}
    </Stack>
  );
}
