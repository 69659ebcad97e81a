import { Badge, Button, Group, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useState } from 'react';
import { EmptyState } from '../components/empty-state.tsx';
import { ErrorAlert } from '../components/error-alert.tsx';
import { RunWorkflowButton } from '../components/run-workflow-button.tsx';
import { TableSkeleton } from '../components/table-skeleton.tsx';
import { WorkflowTemplateButton } from '../components/workflow-template-button.tsx';
import { useAgents } from '../hooks/use-agents.ts';
import { usePermission } from '../hooks/use-permission.ts';
import { useWorkflows } from '../hooks/use-workflows.ts';
import { formatDateTime } from '../lib/format.ts';
import { Link } from '../router/link.tsx';
import { navigate } from '../router/navigation.ts';

function NewWorkflowButton(props: { workspaceId: string }) {
  const href = `/w/${props.workspaceId}/workflows/new`;
  return (
    <Button
      component="a"
      href={href}
      onClick={(event) => {
        event.preventDefault();
        navigate(href);
      }}
    >
      New workflow
    </Button>
  );
}

/** The workflows list: what each one runs, its triggers, and a Run button. */
export function WorkflowsPage(props: { workspaceId: string }) {
  const [search, setSearch] = useState('');
  const [debounced] = useDebouncedValue(search.trim(), 250);
  const workflows = useWorkflows(props.workspaceId, debounced);
  const agents = useAgents(props.workspaceId, { limit: 1 });
  const canEdit = usePermission(props.workspaceId, 'edit_agents');
  const canRun = usePermission(props.workspaceId, 'run_agents');
  const items = workflows.data?.items ?? [];
  const noAgents = agents.isSuccess && agents.data.items.length === 0;
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>Workflows</Title>
        {canEdit ? (
          <Group gap="xs">
            <WorkflowTemplateButton workspaceId={props.workspaceId} />
            <NewWorkflowButton workspaceId={props.workspaceId} />
          </Group>
        ) : null}
      </Group>
      <TextInput
        aria-label="Search workflows"
        placeholder="Search by name or slug"
        value={search}
        onChange={(event) => setSearch(event.currentTarget.value)}
        maw={360}
      />
      <ErrorAlert error={workflows.error} />
      {workflows.isPending ? (
        <TableSkeleton />
      ) : items.length === 0 ? (
        debounced ? (
          <EmptyState title="No workflow matches">Try another search.</EmptyState>
        ) : (
          <EmptyState
            title="No workflows yet"
            action={canEdit && !noAgents ? <NewWorkflowButton workspaceId={props.workspaceId} /> : null}
          >
            A workflow chains agents into a graph: each step runs an agent (or calls a URL) with inputs mapped
            from the run input and earlier steps' outputs, and steps that do not depend on each other run at
            the same time.{' '}
            {noAgents ? (
              <>
                Start by <Link href={`/w/${props.workspaceId}/agents`}>creating an agent</Link>, then come
                back and build the workflow.
              </>
            ) : (
              'Create one, add steps from the palette, connect them, and run it live or in mock mode.'
            )}
          </EmptyState>
        )
      ) : (
        <Table.ScrollContainer minWidth={640}>
          <Table striped highlightOnHover data-testid="workflows-table">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Workflow</Table.Th>
                <Table.Th>Steps</Table.Th>
                <Table.Th>Triggers</Table.Th>
                <Table.Th>Version</Table.Th>
                <Table.Th>Updated</Table.Th>
                <Table.Th />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {items.map((workflow) => (
                <Table.Tr key={workflow.id} data-testid="workflow-row">
                  <Table.Td>
                    <Link href={`/w/${props.workspaceId}/workflows/${workflow.id}`} fw={600}>
                      {workflow.name}
                    </Link>
                    <Text size="xs" c="dimmed">
                      {workflow.slug}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm">{workflow.steps.length}</Text>
                    <Text size="xs" c="dimmed" truncate maw={220}>
                      {workflow.steps.map((step) => step.id).join(', ')}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <Group gap={4}>
                      <Badge variant="outline" size="sm">
                        manual
                      </Badge>
                      {workflow.triggers.webhook ? (
                        <Badge variant="outline" size="sm" color="grape">
                          webhook
                        </Badge>
                      ) : null}
                      {workflow.triggers.schedule ? (
                        <Badge
                          variant="outline"
                          size="sm"
                          color="teal"
                          title={`Next: ${formatDateTime(workflow.nextScheduledAt)}`}
                        >
                          {workflow.triggers.schedule}
                        </Badge>
                      ) : null}
                    </Group>
                  </Table.Td>
                  <Table.Td>v{workflow.version}</Table.Td>
                  <Table.Td>{formatDateTime(workflow.updatedAt)}</Table.Td>
                  <Table.Td>
                    <Group gap={4} wrap="nowrap">
                      {canRun ? (
                        <RunWorkflowButton workspaceId={props.workspaceId} workflow={workflow} />
                      ) : null}
                      <Button
                        size="xs"
                        variant="subtle"
                        component="a"
                        href={`/w/${props.workspaceId}/runs?workflowId=${workflow.id}`}
                        onClick={(event) => {
                          event.preventDefault();
                          navigate(`/w/${props.workspaceId}/runs?workflowId=${workflow.id}`);
                        }}
                      >
                        Runs
                      </Button>
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
