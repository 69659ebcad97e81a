import { Code, Select, SimpleGrid, Stack, Text } from '@mantine/core';
import type { McpToolEntry } from '../api/tool-types.ts';
import { useMcpServers, useMcpTools } from '../hooks/use-mcp-servers.ts';
import { usePermission } from '../hooks/use-permission.ts';
import { formatJson } from '../lib/format.ts';
import { modelNameFor } from '../lib/tool-entries.ts';
import { Link } from '../router/link.tsx';
import { ErrorAlert } from './error-alert.tsx';
import { McpToolTester } from './mcp-tool-tester.tsx';

/** An mcp tool: a registered server and one of its tools; the parameters are the server's own. */
export function McpToolFields(props: {
  workspaceId: string;
  entry: McpToolEntry;
  onChange: (entry: McpToolEntry) => void;
}) {
  const servers = useMcpServers(props.workspaceId);
  const serverId = props.entry.server === '' ? null : props.entry.server;
  const tools = useMcpTools(props.workspaceId, serverId);
  const canRun = usePermission(props.workspaceId, 'run_agents');
  const serverItems = servers.data?.items ?? [];
  const listed = tools.data?.items.find((tool) => tool.name === props.entry.tool) ?? null;
  return (
    <Stack gap="xs">
      {servers.isSuccess && serverItems.length === 0 ? (
        <Text size="sm" c="dimmed">
          No MCP servers are registered.{' '}
          <Link href={`/w/${props.workspaceId}/settings/mcp-servers`} size="sm">
            Add one in MCP servers
          </Link>
          .
        </Text>
      ) : null}
      <SimpleGrid cols={{ base: 1, sm: 2 }}>
        <Select
          label="MCP server"
          placeholder="Pick a server"
          data={serverItems.map((server) => ({ value: server.id, label: server.name }))}
          value={serverId}
          onChange={(value) => props.onChange({ ...props.entry, server: value ?? '', tool: '' })}
        />
        <Select
          label="Server tool"
          placeholder={serverId ? 'Pick one of its tools' : 'Pick a server first'}
          disabled={!serverId}
          searchable
          data={(tools.data?.items ?? []).map((tool) => ({ value: tool.name, label: tool.name }))}
          value={props.entry.tool === '' ? null : props.entry.tool}
          onChange={(value) => {
            const tool = value ?? '';
            // The model-facing name follows the tool until the user renames it.
            const followsTool =
              /^mcp_tool_\d+$/.test(props.entry.name) || props.entry.name === modelNameFor(props.entry.tool);
            props.onChange({
              ...props.entry,
              tool,
              ...(followsTool && tool ? { name: modelNameFor(tool) } : {}),
            });
          }}
        />
      </SimpleGrid>
      <ErrorAlert error={tools.error} title="Could not list the server's tools" />
      {listed ? (
        <Stack gap={4}>
          <Text size="xs" c="dimmed">
            {listed.description ?? listed.title ?? 'The server gives no description.'} The model sees this
            unless you write your own description above.
          </Text>
          <Text size="xs" fw={500}>
            Parameters (from the server)
          </Text>
          <Code block data-testid="mcp-tool-parameters">
            {formatJson(listed.inputSchema)}
          </Code>
          {canRun && serverId ? (
            <McpToolTester
              key={`${serverId}/${listed.name}`}
              workspaceId={props.workspaceId}
              serverId={serverId}
              tool={listed}
            />
          ) : null}
        </Stack>
      ) : null}
    </Stack>
  );
}
