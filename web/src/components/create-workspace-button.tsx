import { ActionIcon, Button, Group, Modal, Stack, Text, TextInput, Tooltip } from '@mantine/core';
import { type FormEvent, useState } from 'react';
import { fieldErrorsOf } from '../api/field-errors.ts';
import { useCreateWorkspace } from '../hooks/use-settings-resources.ts';
import { navigate } from '../router/navigation.ts';
import { ErrorAlert } from './error-alert.tsx';

/** "+" beside the workspace switcher: a new workspace, owned by the caller, opened at once. */
export function CreateWorkspaceButton() {
  const [open, setOpen] = useState(false);
  const [name, setName] = useState('');
  const create = useCreateWorkspace();
  const errors = fieldErrorsOf(create.error, ['name'], { name: 'Workspace name' }).fields;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate(
      { name },
      {
        onSuccess: (workspace) => {
          setOpen(false);
          setName('');
          navigate(`/w/${workspace.id}/home`);
        },
      },
    );
  };
  return (
    <>
      <Tooltip label="New workspace">
        <ActionIcon
          variant="default"
          size="md"
          aria-label="New workspace"
          onClick={() => {
            create.reset();
            setOpen(true);
          }}
        >
          <span aria-hidden="true">+</span>
        </ActionIcon>
      </Tooltip>
      <Modal opened={open} onClose={() => setOpen(false)} title="New workspace" centered>
        <form onSubmit={submit} aria-label="Create a workspace">
          <Stack>
            <Text size="sm" c="dimmed">
              A workspace has its own agents, workflows, keys, members and budget. You will be its owner.
            </Text>
            <TextInput
              label="Workspace name"
              required
              data-autofocus
              value={name}
              error={errors.name}
              onChange={(event) => setName(event.currentTarget.value)}
            />
            <ErrorAlert error={create.error} title="Could not create the workspace" fields={['name']} />
            <Group justify="flex-end">
              <Button variant="default" onClick={() => setOpen(false)}>
                Cancel
              </Button>
              <Button type="submit" loading={create.isPending}>
                Create workspace
              </Button>
            </Group>
          </Stack>
        </form>
      </Modal>
    </>
  );
}
