import { Button, Group, Paper, SimpleGrid, Stack, TextInput, Title } from '@mantine/core';
import { type FormEvent, useState } from 'react';
import { useMcpServerMutations } from '../hooks/use-mcp-servers.ts';
import { ErrorAlert } from './error-alert.tsx';
import { type HeaderRow, headersFromRows, McpHeaderRows } from './mcp-header-rows.tsx';

/** Registers a server; the header values are cleared from the form once the server has them. */
export function AddMcpServerForm(props: { workspaceId: string }) {
  const [name, setName] = useState('');
  const [url, setUrl] = useState('');
  const [rows, setRows] = useState<HeaderRow[]>([]);
  const { create } = useMcpServerMutations(props.workspaceId);
  const save = async (event: FormEvent) => {
    event.preventDefault();
    const headers = headersFromRows(rows);
    await create.mutateAsync({
      name,
      url: url.trim(),
      ...(Object.keys(headers).length > 0 ? { headers } : {}),
    });
    setName('');
    setUrl('');
    setRows([]);
  };
  return (
    <Paper withBorder p="md">
      <form aria-label="Add an MCP server" onSubmit={(event) => void save(event).catch(() => undefined)}>
        <Stack>
          <Title order={4}>Add a server</Title>
          <SimpleGrid cols={{ base: 1, sm: 2 }}>
            <TextInput
              label="Server name"
              required
              placeholder="GitHub tools"
              value={name}
              onChange={(event) => setName(event.currentTarget.value)}
            />
            <TextInput
              label="Server URL"
              description="The streamable HTTP endpoint, often ending in /mcp"
              required
              placeholder="https://mcp.example.com/mcp"
              value={url}
              onChange={(event) => setUrl(event.currentTarget.value)}
            />
          </SimpleGrid>
          <McpHeaderRows rows={rows} onChange={setRows} />
          <ErrorAlert error={create.error} title="Could not add the server" />
          <Group justify="flex-end">
            <Button type="submit" loading={create.isPending}>
              Add server
            </Button>
          </Group>
        </Stack>
      </form>
    </Paper>
  );
}
