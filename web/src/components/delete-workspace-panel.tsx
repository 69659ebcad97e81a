import { Button, Paper, Stack, Text, TextInput, Title } from '@mantine/core';
import { type FormEvent, useState } from 'react';
import { useMe } from '../hooks/use-session.ts';
import { useDeleteWorkspace } from '../hooks/use-settings-resources.ts';
import { navigate } from '../router/navigation.ts';
import { ErrorAlert } from './error-alert.tsx';

/**
 * Deleting a workspace removes everything in it, so the owner types its name first: a click
 * alone, or a workspace picked by mistake in the switcher, cannot do it.
 */
export function DeleteWorkspacePanel(props: { workspaceId: string; workspaceName: string }) {
  const [typed, setTyped] = useState('');
  const remove = useDeleteWorkspace(props.workspaceId);
  const me = useMe();
  const matches = typed === props.workspaceName;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!matches) return;
    remove.mutate(undefined, {
      onSuccess: () => {
        const next = me.data?.workspaces.find((workspace) => workspace.id !== props.workspaceId);
        navigate(next ? `/w/${next.id}/home` : '/', { replace: true });
      },
    });
  };
  return (
    <Paper withBorder p="md" maw={640} style={{ borderColor: 'var(--mantine-color-red-7)' }}>
      <form onSubmit={submit} aria-label="Delete this workspace">
        <Stack gap="sm">
          <Title order={4}>Delete this workspace</Title>
          <Text size="sm">
            Deletes its agents, workflows, runs, executions, keys, tokens and members' access, for good. It
            cannot be undone.
          </Text>
          <TextInput
            label={`To confirm, type: ${props.workspaceName}`}
            autoComplete="off"
            value={typed}
            onChange={(event) => setTyped(event.currentTarget.value)}
          />
          <ErrorAlert error={remove.error} title="Could not delete the workspace" />
          <Button type="submit" color="red" disabled={!matches} loading={remove.isPending} w="fit-content">
            Delete workspace
          </Button>
        </Stack>
      </form>
    </Paper>
  );
}
