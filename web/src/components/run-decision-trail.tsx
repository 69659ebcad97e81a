import { Button, Group, Paper, Stack, Text, Timeline, Title } from '@mantine/core';
import type { Approval } from '../api/approval-types.ts';
import { useApprovals } from '../hooks/use-approvals.ts';
import { useMembers } from '../hooks/use-settings-resources.ts';
import { approvalReasonLabel } from '../lib/approval-reasons.ts';
import { formatDateTime } from '../lib/format.ts';
import { diffText } from '../lib/line-diff.ts';
import { navigate } from '../router/navigation.ts';
import { ApprovalStatusBadge } from './approval-status-badge.tsx';
import { DiffView } from './diff-view.tsx';

/** Every checkpoint of one run, oldest first: who decided what and when, and what an edit changed. */
export function RunDecisionTrail(props: { workspaceId: string; runId: string; live: boolean }) {
  const approvals = useApprovals(props.workspaceId, { runId: props.runId, limit: 200 }, { poll: props.live });
  const members = useMembers(props.workspaceId);
  const names = new Map(
    (members.data?.items ?? []).map((member) => [member.userId, member.name || member.email]),
  );
  const items = [...(approvals.data?.items ?? [])].sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  if (items.length === 0) return null;
  const who = (approval: Approval) =>
    approval.decidedBy ? (names.get(approval.decidedBy) ?? approval.decidedBy) : 'the timeout rule';
  return (
    <Paper withBorder p="md" data-testid="decision-trail">
      <Title order={3} size="h4" mb="sm">
        Decisions
      </Title>
      <Timeline bulletSize={14} lineWidth={2}>
        {items.map((approval) => (
          <Timeline.Item key={approval.id} data-testid="decision-entry" data-status={approval.status}>
            <Stack gap={4}>
              <Group gap="xs">
                <Text size="sm" fw={600}>
                  {approval.stepId}
                  {approval.revision > 0 ? ` · revision ${approval.revision}` : ''}
                </Text>
                <ApprovalStatusBadge status={approval.status} />
                <Text size="xs" c="dimmed">
                  asked {formatDateTime(approval.createdAt)} · {approvalReasonLabel(approval.reason)}
                </Text>
              </Group>
              {approval.status === 'pending' ? (
                <Group>
                  <Button
                    size="xs"
                    onClick={() => navigate(`/w/${props.workspaceId}/approvals/${approval.id}`)}
                  >
                    Review step {approval.stepId}
                  </Button>
                </Group>
              ) : (
                <Text size="sm">
                  {approval.status.replace('_', ' ')} by {who(approval)} at{' '}
                  {formatDateTime(approval.decidedAt)}
                </Text>
              )}
              {approval.feedback || approval.comment ? (
                <Text size="sm" c="dimmed" data-testid="decision-feedback">
                  “{approval.feedback ?? approval.comment}”
                </Text>
              ) : null}
              {approval.editedOutput !== null ? (
                <DiffView
                  before={diffText(approval.output)}
                  after={diffText(approval.editedOutput)}
                  testId="decision-edit-diff"
                />
              ) : null}
            </Stack>
          </Timeline.Item>
        ))}
      </Timeline>
    </Paper>
  );
}
