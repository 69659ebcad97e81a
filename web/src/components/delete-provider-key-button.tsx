import { Button, Group, List, Loader, Modal, Text } from '@mantine/core';
import { useState } from 'react';
import type { ProviderKey } from '../api/api-types.ts';
import { useProviderKeyAgents, useProviderKeyMutations } from '../hooks/use-settings-resources.ts';
import { Link } from '../router/link.tsx';
import { ErrorAlert } from './error-alert.tsx';

/** Deleting a key first names the agents it would stop, read when the prompt opens (never stale). */
export function DeleteProviderKeyButton(props: { workspaceId: string; providerKey: ProviderKey }) {
  const [open, setOpen] = useState(false);
  const users = useProviderKeyAgents(props.workspaceId, props.providerKey.id, open);
  const { remove } = useProviderKeyMutations(props.workspaceId);
  const agents = users.data?.items ?? [];
  return (
    <>
      <Button
        color="red"
        variant="light"
        size="xs"
        onClick={() => {
          remove.reset();
          setOpen(true);
        }}
      >
        Delete
      </Button>
      <Modal
        opened={open}
        onClose={() => setOpen(false)}
        title={`Delete ${props.providerKey.label}?`}
        centered
      >
        {users.isPending ? (
          <Group gap="xs" mb="md" role="status">
            <Loader size="xs" />
            <Text size="sm">Looking for agents that use this key…</Text>
          </Group>
        ) : agents.length === 0 ? (
          <Text mb="md" data-testid="key-users">
            No agent's draft or published version uses this key.
          </Text>
        ) : (
          <div data-testid="key-users">
            <Text mb="xs">
              {agents.length === 1 ? 'This agent uses' : `These ${agents.length} agents use`} this key (as
              their key or a fallback); their live runs fail until they get another:
            </Text>
            <List size="sm" mb="md">
              {agents.map((agent) => (
                <List.Item key={agent.id}>
                  <Link href={`/w/${props.workspaceId}/agents/${agent.id}`} size="sm">
                    {agent.name}
                  </Link>{' '}
                  <Text span size="xs" c="dimmed">
                    ({agent.slug})
                  </Text>
                </List.Item>
              ))}
            </List>
          </div>
        )}
        <ErrorAlert error={users.error ?? remove.error} />
        <Group justify="flex-end">
          <Button variant="default" onClick={() => setOpen(false)}>
            Cancel
          </Button>
          <Button
            color="red"
            loading={remove.isPending}
            onClick={() => remove.mutate(props.providerKey.id, { onSuccess: () => setOpen(false) })}
          >
            Delete key
          </Button>
        </Group>
      </Modal>
    </>
  );
}
