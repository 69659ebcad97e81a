import { Button, Checkbox, Group, Modal, Stack, Text, TextInput } from '@mantine/core';
import { useState } from 'react';
import type { McpServer } from '../api/tool-types.ts';
import { useMcpServerMutations } from '../hooks/use-mcp-servers.ts';
import { ErrorAlert } from './error-alert.tsx';
import { type HeaderRow, headersFromRows, McpHeaderRows } from './mcp-header-rows.tsx';

/**
 * Rename, move or replace the headers of a server. Stored header values are never shown: replacing
 * them means typing them all again, which moving a server that has headers also requires.
 */
export function EditMcpServerButton(props: { workspaceId: string; server: McpServer }) {
  const [open, setOpen] = useState(false);
  const [name, setName] = useState(props.server.name);
  const [url, setUrl] = useState(props.server.url);
  const [replaceHeaders, setReplaceHeaders] = useState(false);
  const [rows, setRows] = useState<HeaderRow[]>([]);
  const { update } = useMcpServerMutations(props.workspaceId);
  const headerNames = Object.keys(props.server.headers);
  const openEditor = () => {
    setName(props.server.name);
    setUrl(props.server.url);
    setReplaceHeaders(false);
    setRows(headerNames.map((headerName) => ({ name: headerName, value: '' })));
    update.reset();
    setOpen(true);
  };
  const save = async () => {
    await update.mutateAsync({
      serverId: props.server.id,
      ...(name !== props.server.name ? { name } : {}),
      ...(url.trim() !== props.server.url ? { url: url.trim() } : {}),
      ...(replaceHeaders ? { headers: headersFromRows(rows) } : {}),
    });
    setRows([]);
    setOpen(false);
  };
  return (
    <>
      <Button size="xs" variant="light" onClick={openEditor} aria-label={`Edit ${props.server.name}`}>
        Edit
      </Button>
      <Modal
        opened={open}
        onClose={() => setOpen(false)}
        title={`Edit ${props.server.name}`}
        centered
        size="lg"
      >
        <Stack>
          <TextInput
            label="Server name"
            value={name}
            onChange={(event) => setName(event.currentTarget.value)}
          />
          <TextInput label="Server URL" value={url} onChange={(event) => setUrl(event.currentTarget.value)} />
          <Checkbox
            label="Replace the headers"
            description={
              headerNames.length > 0
                ? 'Stored values are never shown; type every header again. Moving the server needs them too.'
                : 'Add headers such as Authorization.'
            }
            checked={replaceHeaders}
            onChange={(event) => setReplaceHeaders(event.currentTarget.checked)}
          />
          {replaceHeaders ? (
            <McpHeaderRows rows={rows} onChange={setRows} label="New headers" />
          ) : (
            <Text size="xs" c="dimmed">
              {headerNames.length > 0 ? `Keeps ${headerNames.join(', ')}.` : 'No headers.'}
            </Text>
          )}
          <ErrorAlert error={update.error} title="Could not save the server" />
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setOpen(false)}>
              Cancel
            </Button>
            <Button onClick={() => void save().catch(() => undefined)} loading={update.isPending}>
              Save server
            </Button>
          </Group>
        </Stack>
      </Modal>
    </>
  );
}
