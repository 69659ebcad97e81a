import {
  Alert,
  Button,
  Code,
  Group,
  NumberInput,
  Paper,
  Select,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { type FormEvent, useState } from 'react';
import { roles } from '../api/api-types.ts';
import { fieldErrorsOf } from '../api/field-errors.ts';
import { ConfirmButton } from '../components/confirm-button.tsx';
import { EmptyState } from '../components/empty-state.tsx';
import { ErrorAlert } from '../components/error-alert.tsx';
import { TableSkeleton } from '../components/table-skeleton.tsx';
import { useTokenMutations, useTokens } from '../hooks/use-settings-resources.ts';
import { formatDate, formatDateTime } from '../lib/format.ts';

const tokenFields = ['name', 'role', 'rateLimitPerMinute'] as const;

export function TokensPage(props: { workspaceId: string }) {
  const tokens = useTokens(props.workspaceId);
  const mutations = useTokenMutations(props.workspaceId);
  const [name, setName] = useState('');
  const [role, setRole] = useState('member');
  const [rateLimit, setRateLimit] = useState<number | string>('');
  const created = mutations.create.data;
  const items = tokens.data?.items ?? [];
  const errors = fieldErrorsOf(mutations.create.error, tokenFields, {
    rateLimitPerMinute: 'Rate limit',
  }).fields;
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    await mutations.create.mutateAsync({
      name,
      role,
      rateLimitPerMinute: rateLimit === '' ? null : Number(rateLimit),
    });
    setName('');
    setRateLimit('');
  };
  return (
    <Stack>
      <Title order={2}>API tokens</Title>
      <Paper withBorder p="md">
        <form
          onSubmit={(event) => void submit(event).catch(() => undefined)}
          aria-label="Create an API token"
        >
          <Group align="flex-end" wrap="wrap">
            <TextInput
              label="Name"
              required
              value={name}
              error={errors.name}
              onChange={(event) => setName(event.currentTarget.value)}
              miw={220}
            />
            <Select
              label="Role"
              data={roles.map((value) => ({ value, label: value }))}
              value={role}
              allowDeselect={false}
              onChange={(value) => setRole(value ?? 'member')}
              error={errors.role}
              w={140}
            />
            <NumberInput
              label="Rate limit (requests per minute)"
              description="Empty: the workspace's limit"
              placeholder="workspace limit"
              min={1}
              allowDecimal={false}
              value={rateLimit}
              error={errors.rateLimitPerMinute}
              onChange={setRateLimit}
              w={240}
            />
            <Button type="submit" loading={mutations.create.isPending}>
              Create token
            </Button>
          </Group>
        </form>
        {created ? (
          <Alert mt="md" color="yellow" title="Copy the token now — it is shown only once">
            <Code block data-testid="created-token">
              {created.token}
            </Code>
            <Text size="xs" mt="xs">
              Use it as <Code>Authorization: Bearer …</Code>.
            </Text>
          </Alert>
        ) : null}
        <ErrorAlert error={mutations.create.error} title="Could not create the token" fields={tokenFields} />
      </Paper>
      <ErrorAlert error={tokens.error} />
      {tokens.isPending ? (
        <TableSkeleton rows={3} />
      ) : items.length === 0 ? (
        <EmptyState title="No API tokens">
          Tokens let scripts, CI and the OpenAI-compatible endpoint call this workspace. Create one above.
        </EmptyState>
      ) : (
        <Table.ScrollContainer minWidth={860}>
          <Table data-testid="tokens-table">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Name</Table.Th>
                <Table.Th>Prefix</Table.Th>
                <Table.Th>Role</Table.Th>
                <Table.Th>Rate limit</Table.Th>
                <Table.Th>Created</Table.Th>
                <Table.Th>Last used</Table.Th>
                <Table.Th>Actions</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {items.map((token) => (
                <Table.Tr key={token.id}>
                  <Table.Td>{token.name}</Table.Td>
                  <Table.Td>
                    <Code>{token.prefix}…</Code>
                  </Table.Td>
                  <Table.Td>{token.role}</Table.Td>
                  <Table.Td data-testid="token-rate-limit">
                    {token.rateLimitPerMinute === null ? (
                      <Text size="sm" c="dimmed">
                        workspace limit
                      </Text>
                    ) : (
                      `${token.rateLimitPerMinute.toLocaleString()} / min`
                    )}
                  </Table.Td>
                  <Table.Td data-testid="token-created">
                    <Text size="sm">{formatDate(token.createdAt)}</Text>
                    <Text size="xs" c="dimmed">
                      by {token.createdBy ? token.createdBy.name || token.createdBy.email : 'a deleted user'}
                    </Text>
                  </Table.Td>
                  <Table.Td>{token.lastUsedAt ? formatDateTime(token.lastUsedAt) : 'never'}</Table.Td>
                  <Table.Td>
                    <ConfirmButton
                      label="Revoke"
                      title={`Revoke ${token.name}?`}
                      message="It stops working on its next request."
                      onConfirm={() => mutations.revoke.mutateAsync(token.id)}
                    />
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
