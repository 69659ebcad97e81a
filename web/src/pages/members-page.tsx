import {
  Alert,
  Button,
  Code,
  Group,
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
import { ErrorAlert } from '../components/error-alert.tsx';
import { TableSkeleton } from '../components/table-skeleton.tsx';
import { useMemberMutations, useMembers } from '../hooks/use-settings-resources.ts';
import { formatDateTime } from '../lib/format.ts';

const roleOptions = roles.map((role) => ({ value: role, label: role }));

export function MembersPage(props: { workspaceId: string }) {
  const members = useMembers(props.workspaceId);
  const mutations = useMemberMutations(props.workspaceId);
  const [email, setEmail] = useState('');
  const [role, setRole] = useState('member');
  const invitation = mutations.add.data?.invitation;
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    await mutations.add.mutateAsync({ email, role });
    setEmail('');
  };
  const addFields = ['email', 'role'] as const;
  const addErrors = fieldErrorsOf(mutations.add.error, addFields).fields;
  return (
    <Stack>
      <Title order={2}>Members</Title>
      <Paper withBorder p="md">
        <form onSubmit={(event) => void submit(event).catch(() => undefined)} aria-label="Invite a member">
          <Group align="flex-end" wrap="wrap">
            <TextInput
              label="Email"
              type="email"
              required
              value={email}
              error={addErrors.email}
              onChange={(event) => setEmail(event.currentTarget.value)}
              miw={240}
            />
            <Select
              label="Role"
              data={roleOptions}
              value={role}
              allowDeselect={false}
              onChange={(value) => setRole(value ?? 'member')}
              w={140}
              error={addErrors.role}
            />
            <Button type="submit" loading={mutations.add.isPending}>
              Add or invite
            </Button>
          </Group>
        </form>
        {invitation?.delivery === 'email' ? (
          <Alert mt="md" color="blue" title="Invitation emailed">
            The new member gets a link by email; it expires {formatDateTime(invitation.expiresAt)}.
          </Alert>
        ) : null}
        {invitation?.delivery === 'link' ? (
          <Alert mt="md" color="blue" title="Invitation link (shown once)">
            {invitation.emailProblem ? `${invitation.emailProblem} ` : ''}Send this link to the new member; it
            expires {formatDateTime(invitation.expiresAt)}.
            <Code block mt="xs">
              {invitation.setPasswordUrl}
            </Code>
          </Alert>
        ) : null}
        {mutations.add.data?.member.status === 'pending' ? (
          <Alert mt="md" color="yellow" title="Waiting for them to accept">
            {mutations.add.data.member.email} already has an account whose address is not confirmed. They join
            when they sign in and accept the invitation; until then they have no access.
          </Alert>
        ) : null}
        <ErrorAlert error={mutations.add.error} title="Could not add the member" fields={addFields} />
      </Paper>
      <ErrorAlert error={members.error ?? mutations.changeRole.error} />
      {members.isPending ? (
        <TableSkeleton rows={3} />
      ) : (
        <Table.ScrollContainer minWidth={600}>
          <Table data-testid="members-table">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Member</Table.Th>
                <Table.Th>Role</Table.Th>
                <Table.Th>Status</Table.Th>
                <Table.Th>Actions</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {(members.data?.items ?? []).map((member) => (
                <Table.Tr key={member.userId}>
                  <Table.Td>
                    <Text fw={600}>{member.name}</Text>
                    <Text size="xs" c="dimmed">
                      {member.email}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <Select
                      aria-label={`Role of ${member.email}`}
                      size="xs"
                      w={120}
                      data={roleOptions}
                      value={member.role}
                      allowDeselect={false}
                      onChange={(value) =>
                        value && mutations.changeRole.mutate({ userId: member.userId, role: value })
                      }
                    />
                  </Table.Td>
                  <Table.Td>
                    {member.status}
                    <Text size="xs" c="dimmed">
                      {member.emailVerified ? 'address confirmed' : 'address not confirmed'}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <ConfirmButton
                      label="Remove"
                      title={`Remove ${member.email}?`}
                      message="They lose access to this workspace at once."
                      onConfirm={() => mutations.remove.mutateAsync(member.userId)}
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
