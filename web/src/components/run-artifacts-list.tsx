import { Badge, Button, Group, Paper, Stack, Text, Title } from '@mantine/core';
import type { Artifact } from '../api/approval-types.ts';
import { useRunArtifacts } from '../hooks/use-approvals.ts';
import { formatDateTime } from '../lib/format.ts';
import { navigate } from '../router/navigation.ts';

/** The run's artifacts, one line per step with its latest version; each opens the artifact viewer. */
export function RunArtifactsList(props: { workspaceId: string; runId: string; live: boolean }) {
  const artifacts = useRunArtifacts(props.workspaceId, props.runId, { poll: props.live });
  const latest = new Map<string, { artifact: Artifact; versions: number }>();
  for (const artifact of artifacts.data?.items ?? []) {
    const seen = latest.get(artifact.stepId);
    if (!seen || artifact.version > seen.artifact.version)
      latest.set(artifact.stepId, { artifact, versions: (seen?.versions ?? 0) + 1 });
    else seen.versions += 1;
  }
  if (latest.size === 0) return null;
  return (
    <Paper withBorder p="md" data-testid="run-artifacts">
      <Title order={3} size="h4" mb="sm">
        Artifacts
      </Title>
      <Stack gap="xs">
        {[...latest.values()].map(({ artifact, versions }) => (
          <Group key={artifact.stepId} justify="space-between" wrap="wrap" data-testid="run-artifact">
            <div>
              <Group gap="xs">
                <Text fw={600} size="sm">
                  {artifact.stepId}
                </Text>
                <Badge variant="outline" size="sm">
                  {artifact.type.replace(/_/g, ' ')}
                </Badge>
              </Group>
              <Text size="xs" c="dimmed">
                version {artifact.version} of {versions} ·{' '}
                {artifact.source === 'edit' ? 'edited by an approver' : 'from the step'} ·{' '}
                {formatDateTime(artifact.createdAt)}
              </Text>
            </div>
            <Button
              size="xs"
              variant="light"
              aria-label={`Open artifact of step ${artifact.stepId}`}
              onClick={() => navigate(`/w/${props.workspaceId}/artifacts/${artifact.id}`)}
            >
              Open artifact
            </Button>
          </Group>
        ))}
      </Stack>
    </Paper>
  );
}
