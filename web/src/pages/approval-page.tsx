import { Accordion, Badge, Code, Group, Paper, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import type { ApprovalDetail } from '../api/approval-types.ts';
import { ApprovalDecisionPanel } from '../components/approval-decision-panel.tsx';
import { ApprovalStatusBadge } from '../components/approval-status-badge.tsx';
import { ArtifactView } from '../components/artifact-view.tsx';
import { ErrorAlert } from '../components/error-alert.tsx';
import { TableSkeleton } from '../components/table-skeleton.tsx';
import { useApproval } from '../hooks/use-approvals.ts';
import { usePermission } from '../hooks/use-permission.ts';
import { useMembers } from '../hooks/use-settings-resources.ts';
import { useStepAgent } from '../hooks/use-step-agent.ts';
import { useWorkflow } from '../hooks/use-workflows.ts';
import { approvalReasonLabel } from '../lib/approval-reasons.ts';
import { formatCost, formatDateTime, formatJson } from '../lib/format.ts';
import { formatAge } from '../lib/format-age.ts';
import { Link } from '../router/link.tsx';
import { navigate } from '../router/navigation.ts';

/** `/w/:ws/approvals/:id`: the proposal beside the step's input and the earlier outputs, and the decision. */
export function ApprovalPage(props: { workspaceId: string; approvalId: string }) {
  const approval = useApproval(props.workspaceId, props.approvalId);
  if (approval.error)
    return (
      <Stack>
        <ErrorAlert error={approval.error} />
        <Link href={`/w/${props.workspaceId}/approvals`}>Back to approvals</Link>
      </Stack>
    );
  if (!approval.data) return <TableSkeleton rows={6} />;
  return <ApprovalView workspaceId={props.workspaceId} approval={approval.data} />;
}

function ApprovalView(props: { workspaceId: string; approval: ApprovalDetail }) {
  const { approval, workspaceId } = props;
  const workflow = useWorkflow(workspaceId, approval.workflowId);
  const agent = useStepAgent(workspaceId, approval.workflowId, approval.stepId);
  const canDecide = usePermission(workspaceId, 'approve');
  const members = useMembers(workspaceId);
  const decider = members.data?.items.find((member) => member.userId === approval.decidedBy);
  const earlier = Object.entries(approval.earlierOutputs);
  const runPath = `/w/${workspaceId}/runs/${approval.runId}`;
  const artifactType = approval.artifact?.type ?? agent?.artifactType ?? 'generic_output';

  return (
    <Stack>
      <div>
        <Link href={`/w/${workspaceId}/approvals`} size="sm">
          ← Approvals
        </Link>
        <Title order={2}>
          {workflow.data?.name ?? 'Approval'} · step {approval.stepId}
        </Title>
        <Group gap="xs" mt={4}>
          <ApprovalStatusBadge status={approval.status} />
          <Badge variant="outline" size="sm">
            {approvalReasonLabel(approval.reason)}
          </Badge>
          <Text size="sm" c="dimmed">
            waiting since {formatDateTime(approval.createdAt)} ({formatAge(approval.createdAt)}) · run cost so
            far <span data-testid="approval-run-cost">{formatCost(approval.runCostUsd)}</span>
            {approval.estimateUsd !== null ? ` · next step ≈ ${formatCost(approval.estimateUsd)}` : ''} ·{' '}
          </Text>
          <Link href={runPath} size="sm">
            open the run
          </Link>
        </Group>
      </div>
      <SimpleGrid cols={{ base: 1, md: 2 }}>
        <Paper withBorder p="md">
          <Stack gap="xs">
            <Title order={3} size="h4">
              Proposed output
            </Title>
            {approval.reason === 'cost_cap' ? (
              <Text size="sm" c="dimmed">
                The step has not run yet: it waits because it would pass the run's cost cap.
              </Text>
            ) : (
              <div data-testid="approval-proposed-output">
                <ArtifactView type={artifactType} content={approval.output} />
              </div>
            )}
            {approval.editedOutput !== null ? (
              <>
                <Text size="sm" fw={600}>
                  Output as edited by the approver
                </Text>
                <Code block>{formatJson(approval.editedOutput)}</Code>
              </>
            ) : null}
          </Stack>
        </Paper>
        <Stack>
          <Paper withBorder p="md">
            <Title order={3} size="h4" mb="xs">
              Step input
            </Title>
            <Code block data-testid="approval-step-input">
              {formatJson(approval.stepInput)}
            </Code>
          </Paper>
          <Paper withBorder p="md">
            <Title order={3} size="h4" mb="xs">
              Earlier outputs
            </Title>
            {earlier.length === 0 ? (
              <Text size="sm" c="dimmed">
                No earlier step has completed in this run.
              </Text>
            ) : (
              <Accordion multiple variant="contained" data-testid="approval-earlier-outputs">
                {earlier.map(([stepId, output]) => (
                  <Accordion.Item key={stepId} value={stepId}>
                    <Accordion.Control>{stepId}</Accordion.Control>
                    <Accordion.Panel>
                      <Code block>{formatJson(output)}</Code>
                    </Accordion.Panel>
                  </Accordion.Item>
                ))}
              </Accordion>
            )}
          </Paper>
        </Stack>
      </SimpleGrid>
      {approval.status === 'pending' ? (
        canDecide ? (
          <ApprovalDecisionPanel
            key={approval.id}
            workspaceId={workspaceId}
            approval={approval}
            outputSchema={agent?.outputSchema ?? null}
            onDecided={() => navigate(runPath)}
          />
        ) : (
          <Text c="dimmed">
            Your role may read approvals but not decide them. Ask an owner, admin or member.
          </Text>
        )
      ) : (
        <Paper withBorder p="md" data-testid="approval-record">
          <Text size="sm">
            {approval.status.replace('_', ' ')}{' '}
            {approval.decidedBy
              ? `by ${decider?.name || decider?.email || approval.decidedBy}`
              : 'automatically'}{' '}
            at {formatDateTime(approval.decidedAt)}
          </Text>
          {approval.comment || approval.feedback ? (
            <Text size="sm" mt="xs">
              “{approval.feedback ?? approval.comment}”
            </Text>
          ) : null}
        </Paper>
      )}
    </Stack>
  );
}
