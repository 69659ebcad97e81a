import { Badge, Button, Stack, Table, Text, Title } from '@mantine/core';
import { useMemo } from 'react';
import type { Approval } from '../api/approval-types.ts';
import { ApprovalStatusBadge } from '../components/approval-status-badge.tsx';
import { EmptyState } from '../components/empty-state.tsx';
import { ErrorAlert } from '../components/error-alert.tsx';
import { TableSkeleton } from '../components/table-skeleton.tsx';
import { useApprovals, usePendingApprovals } from '../hooks/use-approvals.ts';
import { useRuns } from '../hooks/use-runs.ts';
import { useWorkflows } from '../hooks/use-workflows.ts';
import { approvalReasonLabel } from '../lib/approval-reasons.ts';
import { formatCost, formatDateTime } from '../lib/format.ts';
import { formatAge } from '../lib/format-age.ts';
import { Link } from '../router/link.tsx';
import { navigate } from '../router/navigation.ts';

/** `/w/:ws/approvals`: the inbox — pending first (longest waiting on top) with age and spend, then recent decisions. */
export function ApprovalsPage(props: { workspaceId: string }) {
  const { workspaceId } = props;
  const pending = usePendingApprovals(workspaceId);
  const recent = useApprovals(workspaceId, { limit: 50 });
  const workflows = useWorkflows(workspaceId);
  // What each waiting run has spent so far: the runs waiting for a person, one page.
  const waitingRuns = useRuns(workspaceId, { status: 'waiting_approval', limit: 200 });
  const names = new Map((workflows.data?.items ?? []).map((workflow) => [workflow.id, workflow.name]));
  const runCost = new Map((waitingRuns.data?.items ?? []).map((run) => [run.id, run]));
  const pendingItems = useMemo(
    () => [...(pending.data?.items ?? [])].sort((a, b) => a.createdAt.localeCompare(b.createdAt)),
    [pending.data],
  );
  const decided = (recent.data?.items ?? []).filter((approval) => approval.status !== 'pending');
  const open = (approval: Approval) => navigate(`/w/${workspaceId}/approvals/${approval.id}`);
  const nameOf = (approval: Approval) => names.get(approval.workflowId) ?? 'Work session';

  return (
    <Stack>
      <Title order={2}>Approvals</Title>
      <ErrorAlert error={pending.error ?? recent.error} />
      <Title order={3} size="h4">
        Waiting for a decision{' '}
        <Badge color="yellow" variant="light" data-testid="inbox-pending-count">
          {pendingItems.length}
        </Badge>
      </Title>
      {pending.isPending ? (
        <TableSkeleton rows={3} />
      ) : pendingItems.length === 0 ? (
        <EmptyState title="Nothing waits for you">
          A step waits here when its workflow's approval strategy asks for a checkpoint (or a step sets{' '}
          <code>approval: "required"</code>), when a risk rule matches its output, or when the run would pass
          its cost cap. Set the strategy in the workflow builder's Settings tab, or start a work session from
          an agent.
        </EmptyState>
      ) : (
        <Table.ScrollContainer minWidth={620}>
          <Table highlightOnHover data-testid="approvals-pending">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Workflow · step</Table.Th>
                <Table.Th>Waiting</Table.Th>
                <Table.Th>Reason</Table.Th>
                <Table.Th>Run cost so far</Table.Th>
                <Table.Th />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {pendingItems.map((approval) => {
                const run = runCost.get(approval.runId);
                return (
                  <Table.Tr key={approval.id} data-testid="approval-row">
                    <Table.Td>
                      <Text fw={600} size="sm">
                        {nameOf(approval)}
                      </Text>
                      <Text size="xs" c="dimmed">
                        step {approval.stepId}
                        {approval.revision > 0 ? ` · revision ${approval.revision}` : ''}
                      </Text>
                    </Table.Td>
                    <Table.Td title={formatDateTime(approval.createdAt)} data-testid="approval-age">
                      {formatAge(approval.createdAt)}
                    </Table.Td>
                    <Table.Td>
                      <Badge variant="outline" size="sm">
                        {approvalReasonLabel(approval.reason)}
                      </Badge>
                      {approval.estimateUsd !== null ? (
                        <Text size="xs" c="dimmed">
                          next step ≈ {formatCost(approval.estimateUsd)}
                        </Text>
                      ) : null}
                    </Table.Td>
                    <Table.Td data-testid="approval-waiting-cost">
                      {run ? (run.mode === 'mock' ? '$0.00 (mock)' : formatCost(run.costUsd)) : '—'}
                    </Table.Td>
                    <Table.Td>
                      <Button
                        size="xs"
                        onClick={() => open(approval)}
                        aria-label={`Review ${nameOf(approval)} step ${approval.stepId}`}
                      >
                        Review
                      </Button>
                    </Table.Td>
                  </Table.Tr>
                );
              })}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      <Title order={3} size="h4" mt="md">
        Decided recently
      </Title>
      {recent.isPending ? (
        <TableSkeleton rows={3} />
      ) : decided.length === 0 ? (
        <Text c="dimmed" size="sm">
          No decisions yet.
        </Text>
      ) : (
        <Table.ScrollContainer minWidth={620}>
          <Table data-testid="approvals-decided">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Workflow · step</Table.Th>
                <Table.Th>Decision</Table.Th>
                <Table.Th>When</Table.Th>
                <Table.Th>Comment or feedback</Table.Th>
                <Table.Th />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {decided.map((approval) => (
                <Table.Tr key={approval.id}>
                  <Table.Td>
                    <Text size="sm" fw={600}>
                      {nameOf(approval)}
                    </Text>
                    <Text size="xs" c="dimmed">
                      step {approval.stepId}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <ApprovalStatusBadge status={approval.status} />
                    {approval.editedOutput !== null ? (
                      <Text size="xs" c="dimmed">
                        output edited
                      </Text>
                    ) : null}
                  </Table.Td>
                  <Table.Td>{formatDateTime(approval.decidedAt)}</Table.Td>
                  <Table.Td>
                    <Text size="sm" lineClamp={2}>
                      {approval.feedback ?? approval.comment ?? '—'}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <Link href={`/w/${workspaceId}/runs/${approval.runId}`} size="sm">
                      Run
                    </Link>
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
