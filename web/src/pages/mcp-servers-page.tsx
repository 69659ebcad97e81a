import { Badge, Button, Group, Paper, Stack, Table, Text, Title } from '@mantine/core';
import { Fragment, useState } from 'react';
import { AddMcpServerForm } from '../components/add-mcp-server-form.tsx';
import { ConfirmButton } from '../components/confirm-button.tsx';
import { EditMcpServerButton } from '../components/edit-mcp-server-button.tsx';
import { EmptyState } from '../components/empty-state.tsx';
import { ErrorAlert } from '../components/error-alert.tsx';
import { McpServerTools } from '../components/mcp-server-tools.tsx';
import { TableSkeleton } from '../components/table-skeleton.tsx';
import { useMcpServerMutations, useMcpServers } from '../hooks/use-mcp-servers.ts';
import { usePermission } from '../hooks/use-permission.ts';

/** MCP servers whose tools agents call: header values go in once and come back masked. */
export function McpServersPage(props: { workspaceId: string }) {
  const servers = useMcpServers(props.workspaceId);
  const { remove } = useMcpServerMutations(props.workspaceId);
  const canManage = usePermission(props.workspaceId, 'manage_keys');
  const [openServerId, setOpenServerId] = useState<string | null>(null);
  const items = servers.data?.items ?? [];
  return (
    <Stack>
      <Title order={2}>MCP servers</Title>
      <Text c="dimmed" size="sm">
        Model Context Protocol servers over streamable HTTP. Their tools can be given to agents in the
        builder's Tools section. Header values are encrypted at rest and never sent back.
      </Text>
      {canManage ? <AddMcpServerForm workspaceId={props.workspaceId} /> : null}
      <ErrorAlert error={servers.error} />
      {servers.isPending ? (
        <TableSkeleton rows={2} />
      ) : items.length === 0 ? (
        <EmptyState title="No MCP servers yet">
          Register a server above (owners and admins); agents can then call its tools.
        </EmptyState>
      ) : (
        <Paper withBorder>
          <Table.ScrollContainer minWidth={720}>
            <Table data-testid="mcp-servers-table">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Server</Table.Th>
                  <Table.Th>Headers</Table.Th>
                  <Table.Th>Tools</Table.Th>
                  <Table.Th>Actions</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {items.map((server) => (
                  <Fragment key={server.id}>
                    <Table.Tr data-testid="mcp-server-row">
                      <Table.Td>
                        <Text fw={600}>{server.name}</Text>
                        <Text size="xs" c="dimmed">
                          {server.url}
                        </Text>
                      </Table.Td>
                      <Table.Td>
                        <Group gap={4}>
                          {Object.entries(server.headers).map(([name, masked]) => (
                            <Badge key={name} variant="outline" tt="none" ff="monospace">
                              {name}: {masked}
                            </Badge>
                          ))}
                        </Group>
                      </Table.Td>
                      <Table.Td>
                        <Text size="sm">{server.toolCount ?? 'not listed yet'}</Text>
                      </Table.Td>
                      <Table.Td>
                        <Group gap={6} wrap="nowrap">
                          <Button
                            size="xs"
                            variant="light"
                            color="indigo"
                            aria-expanded={openServerId === server.id}
                            onClick={() => setOpenServerId(openServerId === server.id ? null : server.id)}
                          >
                            {openServerId === server.id ? 'Hide tools' : 'Tools'}
                          </Button>
                          {canManage ? (
                            <>
                              <EditMcpServerButton workspaceId={props.workspaceId} server={server} />
                              <ConfirmButton
                                label="Delete"
                                title={`Delete ${server.name}?`}
                                message="Agents with tools from this server will fail to start their runs until the tools are removed."
                                onConfirm={() => remove.mutateAsync(server.id)}
                              />
                            </>
                          ) : null}
                        </Group>
                      </Table.Td>
                    </Table.Tr>
                    {openServerId === server.id ? (
                      <Table.Tr>
                        <Table.Td colSpan={4} p="sm">
                          <McpServerTools workspaceId={props.workspaceId} serverId={server.id} />
                        </Table.Td>
                      </Table.Tr>
                    ) : null}
                  </Fragment>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        </Paper>
      )}
    </Stack>
  );
}
