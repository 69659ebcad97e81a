import { Badge, Group, Stack, Table, Text, Title } from '@mantine/core';
import { AddProviderKeyForm } from '../components/add-provider-key-form.tsx';
import { ConfirmButton } from '../components/confirm-button.tsx';
import { DeleteProviderKeyButton } from '../components/delete-provider-key-button.tsx';
import { EmptyState } from '../components/empty-state.tsx';
import { ErrorAlert } from '../components/error-alert.tsx';
import { RotateKeyButton } from '../components/rotate-key-button.tsx';
import { TableSkeleton } from '../components/table-skeleton.tsx';
import { useProviderKeyMutations, useProviderKeys } from '../hooks/use-settings-resources.ts';
import { formatDateTime, formatMs } from '../lib/format.ts';

/** Provider keys: secrets go in once and are only ever shown by their last four characters. */
export function ProviderKeysPage(props: { workspaceId: string }) {
  const keys = useProviderKeys(props.workspaceId);
  const mutations = useProviderKeyMutations(props.workspaceId);
  const items = keys.data?.items ?? [];
  return (
    <Stack>
      <Title order={2}>Provider keys</Title>
      <Text c="dimmed" size="sm">
        Keys are encrypted at rest and never sent back; agents use the default key of their provider unless
        they name one.
      </Text>
      <AddProviderKeyForm workspaceId={props.workspaceId} />
      <ErrorAlert error={keys.error} />
      <ErrorAlert error={mutations.testSaved.error} title="Test failed" />
      {keys.isPending ? (
        <TableSkeleton rows={3} />
      ) : items.length === 0 ? (
        <EmptyState title="No provider keys yet">
          Add an OpenAI, Anthropic or OpenAI-compatible key above to run agents live. Until then, agents run
          in mock mode.
        </EmptyState>
      ) : (
        <Table.ScrollContainer minWidth={860}>
          <Table data-testid="provider-keys-table">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Label</Table.Th>
                <Table.Th>Provider</Table.Th>
                <Table.Th>Secret</Table.Th>
                <Table.Th>Last used</Table.Th>
                <Table.Th>Last test</Table.Th>
                <Table.Th>Actions</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {items.map((key) => (
                <Table.Tr key={key.id}>
                  <Table.Td>
                    <Text fw={600}>{key.label}</Text>
                    {key.isDefault ? (
                      <Badge size="xs" variant="light">
                        default
                      </Badge>
                    ) : null}
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm">{key.provider}</Text>
                    {key.baseUrl ? (
                      <Text size="xs" c="dimmed">
                        {key.baseUrl}
                      </Text>
                    ) : null}
                  </Table.Td>
                  <Table.Td>
                    <Text ff="monospace" size="sm">
                      ••••{key.lastFour}
                    </Text>
                  </Table.Td>
                  <Table.Td data-testid="key-last-used">
                    <Text size="sm" c={key.lastUsedAt ? undefined : 'dimmed'}>
                      {key.lastUsedAt ? formatDateTime(key.lastUsedAt) : 'never'}
                    </Text>
                  </Table.Td>
                  <Table.Td data-testid="key-last-test">
                    {key.lastTest ? (
                      <Group gap={6}>
                        <Badge color={key.lastTest.ok ? 'green' : 'red'} variant="light">
                          {key.lastTest.ok ? 'ok' : (key.lastTest.errorCode ?? 'failed')}
                        </Badge>
                        <Text size="xs" c="dimmed">
                          {formatMs(key.lastTest.latencyMs)} · {formatDateTime(key.lastTest.at)}
                        </Text>
                      </Group>
                    ) : (
                      <Text size="sm" c="dimmed">
                        not tested
                      </Text>
                    )}
                  </Table.Td>
                  <Table.Td>
                    <Group gap={6} wrap="nowrap">
                      <ConfirmButton
                        label="Test"
                        color="indigo"
                        title={`Test ${key.label}`}
                        message="Lists the provider's models with this key; no tokens are spent."
                        onConfirm={() => mutations.testSaved.mutateAsync(key.id)}
                      />
                      <RotateKeyButton workspaceId={props.workspaceId} providerKey={key} />
                      <DeleteProviderKeyButton workspaceId={props.workspaceId} providerKey={key} />
                    </Group>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </Stack>
  );
}
