import { Badge, Button, Group, Paper, Select, Stack, Table, Text, Title } from '@mantine/core';
import { useState } from 'react';
import type { Agent } from '../api/api-types.ts';
import { useAgentMutations, useAgentVersions } from '../hooks/use-agents.ts';
import { formatDateTime } from '../lib/format.ts';
import { DiffView } from './diff-view.tsx';
import { ErrorAlert } from './error-alert.tsx';
import { TableSkeleton } from './table-skeleton.tsx';

/**
 * Every saved version with the fields it changed, which one is live and which labels point where;
 * publish or roll back to any version, restore an old one as the new draft, and diff any two.
 */
export function VersionHistory(props: { workspaceId: string; agent: Agent }) {
  const { agent } = props;
  const versions = useAgentVersions(props.workspaceId, agent.id);
  const mutations = useAgentMutations(props.workspaceId);
  const labelsOf = (number: number) =>
    Object.entries(agent.labels).flatMap(([label, version]) => (version === number ? [label] : []));
  const items = versions.data?.items ?? [];
  const [from, setFrom] = useState<string | null>(null);
  const [to, setTo] = useState<string | null>(null);
  const options = items.map((version) => ({ value: version.id, label: `v${version.number}` }));
  // Default: the latest version against the one before it.
  const toVersion = items.find((version) => version.id === to) ?? items[0];
  const fromVersion = items.find((version) => version.id === from) ?? items[1];

  return (
    <Paper withBorder p="md">
      <Stack gap="xs">
        <Title order={4}>Version history</Title>
        <ErrorAlert error={versions.error} />
        {versions.isPending ? (
          <TableSkeleton rows={2} />
        ) : (
          <Table data-testid="version-history">
            <Table.Tbody>
              {items.map((version) => (
                <Table.Tr key={version.id}>
                  <Table.Td w={50}>v{version.number}</Table.Td>
                  <Table.Td>
                    <Group gap={4}>
                      {version.number === 1 ? (
                        <Text size="xs" c="dimmed">
                          created
                        </Text>
                      ) : (
                        version.changedFields.map((field) => (
                          <Badge key={field} size="xs" variant="light" tt="none">
                            {field}
                          </Badge>
                        ))
                      )}
                    </Group>
                  </Table.Td>
                  <Table.Td>
                    <Text size="xs" c="dimmed">
                      {formatDateTime(version.createdAt)}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <Group gap={4} justify="flex-end" wrap="nowrap">
                      {version.number === agent.publishedVersion ? (
                        <Badge size="xs" color="green" tt="none">
                          live
                        </Badge>
                      ) : null}
                      {labelsOf(version.number).map((label) => (
                        <Badge key={label} size="xs" variant="outline" tt="none">
                          {label}
                        </Badge>
                      ))}
                      {version.number !== agent.publishedVersion ? (
                        <Button
                          size="compact-xs"
                          variant="subtle"
                          onClick={() =>
                            mutations.publish.mutate({
                              agentId: agent.id,
                              version: version.number,
                              rollback:
                                agent.publishedVersion !== null && version.number < agent.publishedVersion,
                            })
                          }
                        >
                          {agent.publishedVersion !== null && version.number < agent.publishedVersion
                            ? 'Roll back'
                            : 'Publish'}
                        </Button>
                      ) : null}
                      {version.number !== agent.version ? (
                        <Button
                          size="compact-xs"
                          variant="subtle"
                          onClick={() =>
                            mutations.restore.mutate({ agentId: agent.id, version: version.number })
                          }
                        >
                          Restore as draft
                        </Button>
                      ) : null}
                    </Group>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
        {items.length > 1 && fromVersion && toVersion ? (
          <>
            <Group gap="xs">
              <Text size="sm">Diff</Text>
              <Select
                aria-label="Older version"
                size="xs"
                w={90}
                data={options}
                value={fromVersion.id}
                onChange={setFrom}
                allowDeselect={false}
              />
              <Text size="sm">→</Text>
              <Select
                aria-label="Newer version"
                size="xs"
                w={90}
                data={options}
                value={toVersion.id}
                onChange={setTo}
                allowDeselect={false}
              />
            </Group>
            <DiffView
              testId="version-diff-view"
              before={JSON.stringify(fromVersion.definition, null, 2)}
              after={JSON.stringify(toVersion.definition, null, 2)}
            />
          </>
        ) : null}
      </Stack>
    </Paper>
  );
}
