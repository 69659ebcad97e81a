import { Badge, Group, Paper, Select, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { useState } from 'react';
import type { Artifact, ArtifactWithVersions } from '../api/approval-types.ts';
import { ArtifactView } from '../components/artifact-view.tsx';
import { DiffView } from '../components/diff-view.tsx';
import { ErrorAlert } from '../components/error-alert.tsx';
import { TableSkeleton } from '../components/table-skeleton.tsx';
import { useArtifact } from '../hooks/use-approvals.ts';
import { formatDateTime } from '../lib/format.ts';
import { diffText } from '../lib/line-diff.ts';
import { Link } from '../router/link.tsx';

/** `/w/:ws/artifacts/:id`: one artifact rendered by type, its version history, and a diff between two versions. */
export function ArtifactPage(props: { workspaceId: string; artifactId: string }) {
  const artifact = useArtifact(props.workspaceId, props.artifactId);
  if (artifact.error) return <ErrorAlert error={artifact.error} />;
  if (!artifact.data) return <TableSkeleton rows={6} />;
  return <ArtifactDetail key={artifact.data.id} workspaceId={props.workspaceId} artifact={artifact.data} />;
}

const label = (artifact: Artifact) =>
  `v${artifact.version} · ${artifact.source === 'edit' ? 'edit' : 'step'} · ${formatDateTime(artifact.createdAt)}`;

function ArtifactDetail(props: { workspaceId: string; artifact: ArtifactWithVersions }) {
  const versions = [...props.artifact.versions].sort((a, b) => a.version - b.version);
  const [shown, setShown] = useState(String(props.artifact.version));
  const current = versions.find((version) => String(version.version) === shown) ?? props.artifact;
  const previous = versions.filter((version) => version.version < current.version).at(-1);
  const [base, setBase] = useState<string | null>(previous ? String(previous.version) : null);
  const baseVersion = versions.find((version) => String(version.version) === base) ?? null;
  const options = versions.map((version) => ({ value: String(version.version), label: label(version) }));

  return (
    <Stack>
      <div>
        <Link href={`/w/${props.workspaceId}/runs/${props.artifact.runId}`} size="sm">
          ← Run
        </Link>
        <Title order={2}>Artifact of step {props.artifact.stepId}</Title>
        <Group gap="xs">
          <Badge variant="outline">{props.artifact.type.replace(/_/g, ' ')}</Badge>
          <Text size="sm" c="dimmed">
            {versions.length} version{versions.length === 1 ? '' : 's'}
          </Text>
        </Group>
      </div>
      <SimpleGrid cols={{ base: 1, md: 3 }}>
        <Paper withBorder p="md" style={{ gridColumn: 'span 2' }} data-testid="artifact-current">
          <Stack>
            <Select
              label="Version"
              data={options}
              value={shown}
              allowDeselect={false}
              onChange={(value) => value && setShown(value)}
              maw={360}
            />
            <ArtifactView type={current.type} content={current.content} />
          </Stack>
        </Paper>
        <Paper withBorder p="md">
          <Title order={3} size="h5" mb="xs">
            History
          </Title>
          <Table data-testid="artifact-versions">
            <Table.Tbody>
              {versions.map((version) => (
                <Table.Tr key={version.id}>
                  <Table.Td>v{version.version}</Table.Td>
                  <Table.Td>{version.source === 'edit' ? 'approver edit' : 'step output'}</Table.Td>
                  <Table.Td>
                    <Text size="xs">{formatDateTime(version.createdAt)}</Text>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Paper>
      </SimpleGrid>
      {versions.length > 1 ? (
        <Paper withBorder p="md">
          <Group align="flex-end" mb="xs">
            <Title order={3} size="h5">
              Changes
            </Title>
            <Select
              label="Compared with"
              data={options.filter((option) => option.value !== shown)}
              value={base}
              onChange={setBase}
              maw={360}
            />
          </Group>
          {baseVersion ? (
            <DiffView
              before={diffText(baseVersion.content)}
              after={diffText(current.content)}
              testId="artifact-diff"
            />
          ) : (
            <Text size="sm" c="dimmed">
              Pick a version to compare with.
            </Text>
          )}
        </Paper>
      ) : null}
    </Stack>
  );
}
