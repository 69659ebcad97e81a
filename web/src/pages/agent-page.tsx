import { Button, Grid, Group, Stack, Text, Title } from '@mantine/core';
import { AgentBudgetForm } from '../components/agent-budget-form.tsx';
import { AgentBuilder } from '../components/agent-builder.tsx';
import { ConfirmButton } from '../components/confirm-button.tsx';
import { ErrorAlert } from '../components/error-alert.tsx';
import { TableSkeleton } from '../components/table-skeleton.tsx';
import { TestPanel } from '../components/test-panel.tsx';
import { VersionHistory } from '../components/version-history.tsx';
import { useAgent, useAgentMutations } from '../hooks/use-agents.ts';
import { usePermission } from '../hooks/use-permission.ts';
import { Link } from '../router/link.tsx';
import { navigate } from '../router/navigation.ts';

/** The builder beside the test panel (stacked on a phone), with history, duplicate and delete. */
export function AgentPage(props: { workspaceId: string; agentId: string }) {
  const agent = useAgent(props.workspaceId, props.agentId);
  const mutations = useAgentMutations(props.workspaceId);
  const canManageSettings = usePermission(props.workspaceId, 'manage_settings');
  const agentsPath = `/w/${props.workspaceId}/agents`;
  if (agent.error) {
    return (
      <Stack>
        <ErrorAlert error={agent.error} />
        <Link href={agentsPath}>Back to agents</Link>
      </Stack>
    );
  }
  if (!agent.data) return <TableSkeleton rows={8} />;
  const current = agent.data;

  const duplicate = async () => {
    const {
      id: _id,
      version: _version,
      versionId: _versionId,
      publishedVersion: _publishedVersion,
      publishedVersionId: _publishedVersionId,
      labels: _labels,
      createdAt: _created,
      updatedAt: _updated,
      ...definition
    } = current;
    const copy = await mutations.create.mutateAsync({
      ...definition,
      name: `${current.name} (copy)`,
      slug: `${current.slug}-copy-${Date.now().toString(36)}`.slice(0, 63),
    });
    navigate(`/w/${props.workspaceId}/agents/${copy.id}`);
  };

  return (
    <Stack>
      <Group justify="space-between" wrap="wrap">
        <div>
          <Link href={agentsPath} size="sm">
            ← Agents
          </Link>
          <Title order={2}>{current.name}</Title>
          <Text size="sm" c="dimmed" data-testid="agent-version-state">
            {current.slug} · version {current.version}
            {current.publishedVersion === current.version
              ? ' · live'
              : current.publishedVersion === null
                ? ' · draft, never published'
                : ` · draft (live: version ${current.publishedVersion})`}
          </Text>
        </div>
        <Group gap="xs">
          {current.publishedVersion !== current.version ? (
            <Button
              size="xs"
              loading={mutations.publish.isPending}
              onClick={() => mutations.publish.mutate({ agentId: current.id })}
            >
              Publish version {current.version}
            </Button>
          ) : null}
          <Button
            variant="default"
            size="xs"
            loading={mutations.create.isPending}
            onClick={() => void duplicate().catch(() => undefined)}
          >
            Duplicate
          </Button>
          <ConfirmButton
            label="Delete"
            title={`Delete ${current.name}?`}
            message="Its executions and versions stay in the history; its slug becomes free."
            onConfirm={async () => {
              await mutations.remove.mutateAsync(current.id);
              navigate(agentsPath);
            }}
          />
        </Group>
      </Group>
      <ErrorAlert error={mutations.create.error} title="Could not duplicate" />
      <ErrorAlert
        error={mutations.publish.error ?? mutations.restore.error}
        title="Could not change the live version"
      />
      <Grid>
        <Grid.Col span={{ base: 12, lg: 7 }}>
          <Stack>
            <AgentBuilder workspaceId={props.workspaceId} agent={current} />
            {canManageSettings ? (
              <AgentBudgetForm workspaceId={props.workspaceId} agentId={current.id} />
            ) : null}
            <VersionHistory workspaceId={props.workspaceId} agent={current} />
          </Stack>
        </Grid.Col>
        <Grid.Col span={{ base: 12, lg: 5 }}>
          <TestPanel workspaceId={props.workspaceId} agent={current} />
        </Grid.Col>
      </Grid>
    </Stack>
  );
}
