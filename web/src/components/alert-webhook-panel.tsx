import { Badge, Group, Paper, Stack, Table, Text, Title } from '@mantine/core';
import { useWebhookDeliveries } from '../hooks/use-guardrails.ts';
import { formatDateTime } from '../lib/format.ts';
import { ErrorAlert } from './error-alert.tsx';
import { RotateSigningSecretButton } from './rotate-signing-secret-button.tsx';
import { TableSkeleton } from './table-skeleton.tsx';

const statusColors: Record<string, string> = { delivered: 'green', pending: 'blue', failed: 'red' };

/** The alert webhook's recent deliveries with their last outcome, and the signing secret's rotation. */
export function AlertWebhookPanel(props: { workspaceId: string }) {
  const deliveries = useWebhookDeliveries(props.workspaceId);
  const items = deliveries.data?.items ?? [];
  return (
    <Paper withBorder p="md" data-testid="alert-webhook-panel">
      <Stack>
        <Group justify="space-between" wrap="wrap">
          <div>
            <Title order={4}>Alert webhook</Title>
            <Text size="sm" c="dimmed">
              Signed with <code>Flightdeck-Signature: t=…,v1=…</code>; failed deliveries are retried with
              backoff.
            </Text>
          </div>
          <RotateSigningSecretButton workspaceId={props.workspaceId} />
        </Group>
        <ErrorAlert error={deliveries.error} />
        {deliveries.isPending ? (
          <TableSkeleton rows={3} />
        ) : items.length === 0 ? (
          <Text size="sm" c="dimmed">
            No deliveries yet. Set a webhook URL above; alerts are sent as spend crosses the thresholds.
          </Text>
        ) : (
          <Table.ScrollContainer minWidth={720}>
            <Table striped data-testid="webhook-deliveries">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Created</Table.Th>
                  <Table.Th>Event</Table.Th>
                  <Table.Th>Status</Table.Th>
                  <Table.Th ta="right">Attempts</Table.Th>
                  <Table.Th>Last answer</Table.Th>
                  <Table.Th>Delivered or next try</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {items.map((delivery) => (
                  <Table.Tr key={delivery.id}>
                    <Table.Td>{formatDateTime(delivery.createdAt)}</Table.Td>
                    <Table.Td>
                      <Text size="sm">{delivery.event}</Text>
                      <Text size="xs" c="dimmed" style={{ wordBreak: 'break-all' }}>
                        {delivery.url}
                      </Text>
                    </Table.Td>
                    <Table.Td>
                      <Badge variant="light" color={statusColors[delivery.status] ?? 'gray'}>
                        {delivery.status}
                      </Badge>
                    </Table.Td>
                    <Table.Td ta="right">{delivery.attempts}</Table.Td>
                    <Table.Td>
                      {delivery.lastStatusCode ?? '—'}
                      {delivery.lastError ? (
                        <Text size="xs" c="red">
                          {delivery.lastError}
                        </Text>
                      ) : null}
                    </Table.Td>
                    <Table.Td>
                      {delivery.deliveredAt
                        ? formatDateTime(delivery.deliveredAt)
                        : delivery.status === 'pending'
                          ? `next ${formatDateTime(delivery.nextAttemptAt)}`
                          : '—'}
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
      </Stack>
    </Paper>
  );
}
