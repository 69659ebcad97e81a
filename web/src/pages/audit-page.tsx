import { Button, Code, Group, Stack, Table, Text, Title } from '@mantine/core';
import { useState } from 'react';
import { EmptyState } from '../components/empty-state.tsx';
import { ErrorAlert } from '../components/error-alert.tsx';
import { TableSkeleton } from '../components/table-skeleton.tsx';
import { useAuditEvents } from '../hooks/use-settings-resources.ts';
import { formatDateTime } from '../lib/format.ts';

export function AuditPage(props: { workspaceId: string }) {
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors.at(-1);
  const events = useAuditEvents(props.workspaceId, cursor);
  const items = events.data?.items ?? [];
  return (
    <Stack>
      <Title order={2}>Audit log</Title>
      <ErrorAlert error={events.error} />
      {events.isPending ? (
        <TableSkeleton />
      ) : items.length === 0 ? (
        <EmptyState title="Nothing recorded yet">
          Changes to keys, members, tokens and settings appear here with who made them and from where.
        </EmptyState>
      ) : (
        <Table.ScrollContainer minWidth={700}>
          <Table striped data-testid="audit-table">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>When</Table.Th>
                <Table.Th>Action</Table.Th>
                <Table.Th>Actor</Table.Th>
                <Table.Th>Target</Table.Th>
                <Table.Th>Details</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {items.map((event) => (
                <Table.Tr key={event.id}>
                  <Table.Td>{formatDateTime(event.createdAt)}</Table.Td>
                  <Table.Td>
                    <Code>{event.action}</Code>
                  </Table.Td>
                  <Table.Td>
                    {event.actor.email ?? (event.actor.tokenId ? `token ${event.actor.tokenId}` : '—')}
                  </Table.Td>
                  <Table.Td>{event.target.type}</Table.Td>
                  <Table.Td>
                    <Text size="xs" ff="monospace" style={{ wordBreak: 'break-all' }}>
                      {JSON.stringify(event.metadata)}
                    </Text>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      <Group>
        <Button
          variant="default"
          disabled={cursors.length === 0}
          onClick={() => setCursors(cursors.slice(0, -1))}
        >
          Newer
        </Button>
        <Button
          variant="default"
          disabled={!events.data?.nextCursor}
          onClick={() => events.data?.nextCursor && setCursors([...cursors, events.data.nextCursor])}
        >
          Older
        </Button>
      </Group>
    </Stack>
  );
}
