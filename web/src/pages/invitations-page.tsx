import { Alert, Button, Group, Paper, Stack, Text, Title } from '@mantine/core';
import { useEffect } from 'react';
import { ApiError } from '../api/api-error.ts';
import { ErrorAlert } from '../components/error-alert.tsx';
import { TableSkeleton } from '../components/table-skeleton.tsx';
import { useInvitationAnswers, useInvitations } from '../hooks/use-invitations.ts';
import { useMe } from '../hooks/use-session.ts';
import { formatDateTime } from '../lib/format.ts';
import { navigate } from '../router/navigation.ts';

/** `/invitations`: workspaces that invited the signed-in user; nothing is joined until accepted. */
export function InvitationsPage() {
  // The session answer also carries the CSRF token the accept and decline requests need.
  const me = useMe();
  const signedOut = me.isSuccess && me.data === null;
  useEffect(() => {
    if (signedOut) navigate('/login?next=/invitations', { replace: true });
  }, [signedOut]);
  const invitations = useInvitations();
  const answers = useInvitationAnswers();
  const unverified =
    ApiError.isInstance(answers.accept.error) && answers.accept.error.code === 'email_unverified';
  return (
    <Stack maw={720} mx="auto" p="md">
      <Title order={2}>Invitations</Title>
      <Text c="dimmed" size="sm">
        A workspace you were invited to gets no access to your account until you accept.
      </Text>
      {unverified ? (
        <Alert color="yellow" title="Confirm your email address first">
          <Stack gap="xs">
            <Text size="sm">We email you a link; open it, then accept again.</Text>
            <Group>
              <Button
                size="xs"
                loading={answers.requestVerification.isPending}
                onClick={() => answers.requestVerification.mutate()}
              >
                Email me a confirmation link
              </Button>
              {answers.requestVerification.isSuccess ? (
                <Text size="sm">Sent. Check your mailbox.</Text>
              ) : null}
            </Group>
            <ErrorAlert error={answers.requestVerification.error} title="Could not send the link" />
          </Stack>
        </Alert>
      ) : (
        <ErrorAlert error={answers.accept.error} title="Could not accept the invitation" />
      )}
      <ErrorAlert error={invitations.error ?? answers.decline.error} />
      {invitations.isPending ? <TableSkeleton rows={2} /> : null}
      {invitations.data?.items.length === 0 ? <Text>No invitations are waiting for you.</Text> : null}
      {(invitations.data?.items ?? []).map((invitation) => (
        <Paper key={invitation.id} withBorder p="md">
          <Group justify="space-between" wrap="wrap">
            <div>
              <Text fw={600}>{invitation.workspaceName}</Text>
              <Text size="sm" c="dimmed">
                As {invitation.role}
                {invitation.invitedBy
                  ? `, invited by ${invitation.invitedBy.name} (${invitation.invitedBy.email})`
                  : ''}{' '}
                on {formatDateTime(invitation.createdAt)}
              </Text>
            </div>
            <Group>
              <Button
                variant="default"
                loading={answers.decline.isPending && answers.decline.variables === invitation.id}
                onClick={() => answers.decline.mutate(invitation.id)}
              >
                Decline
              </Button>
              <Button
                loading={answers.accept.isPending && answers.accept.variables === invitation.id}
                onClick={() =>
                  answers.accept.mutate(invitation.id, {
                    onSuccess: () => navigate(`/w/${invitation.workspaceId}/home`),
                  })
                }
              >
                Accept
              </Button>
            </Group>
          </Group>
        </Paper>
      ))}
    </Stack>
  );
}
