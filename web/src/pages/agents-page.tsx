import { Badge, Group, Select, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useMemo, useState } from 'react';
import type { Execution } from '../api/api-types.ts';
import { EmptyState } from '../components/empty-state.tsx';
import { ErrorAlert } from '../components/error-alert.tsx';
import { NewAgentButton } from '../components/new-agent-button.tsx';
import { RunAgentButton } from '../components/run-agent-button.tsx';
import { StatusBadge } from '../components/status-badge.tsx';
import { TableSkeleton } from '../components/table-skeleton.tsx';
import { useAgents } from '../hooks/use-agents.ts';
import { useExecutions } from '../hooks/use-executions.ts';
import { usePermission } from '../hooks/use-permission.ts';
import { formatDateTime } from '../lib/format.ts';
import { Link } from '../router/link.tsx';

/** The agents list: search, tag filter, and each agent's last run. */
export function AgentsPage(props: { workspaceId: string }) {
  const [search, setSearch] = useState('');
  const [tag, setTag] = useState<string | null>(null);
  const [debouncedSearch] = useDebouncedValue(search.trim(), 250);
  const agents = useAgents(props.workspaceId, { q: debouncedSearch || undefined, tag: tag ?? undefined });
  // One page of recent runs tells each agent's last status without a request per agent.
  const recent = useExecutions(props.workspaceId, { limit: 200 });
  const lastRunByAgent = useMemo(() => {
    const found = new Map<string, Execution>();
    for (const execution of recent.data?.items ?? []) {
      if (!found.has(execution.agentId)) found.set(execution.agentId, execution);
    }
    return found;
  }, [recent.data]);
  const allTags = useMemo(
    () => [...new Set((agents.data?.items ?? []).flatMap((agent) => agent.tags))].sort(),
    [agents.data],
  );
  const canRun = usePermission(props.workspaceId, 'run_agents');
  const items = agents.data?.items ?? [];
  const filtering = debouncedSearch !== '' || tag !== null;

  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>Agents</Title>
        <NewAgentButton workspaceId={props.workspaceId} />
      </Group>
      <Group grow preventGrowOverflow={false} wrap="wrap">
        <TextInput
          aria-label="Search agents"
          placeholder="Search by name or slug"
          value={search}
          onChange={(event) => setSearch(event.currentTarget.value)}
          miw={200}
        />
        <Select
          aria-label="Filter by tag"
          placeholder="All tags"
          clearable
          data={tag && !allTags.includes(tag) ? [...allTags, tag] : allTags}
          value={tag}
          onChange={setTag}
          maw={240}
        />
      </Group>
      <ErrorAlert error={agents.error} />
      {agents.isPending ? (
        <TableSkeleton />
      ) : items.length === 0 ? (
        filtering ? (
          <EmptyState title="No agent matches">Try another search or clear the tag filter.</EmptyState>
        ) : (
          <EmptyState title="No agents yet" action={<NewAgentButton workspaceId={props.workspaceId} />}>
            An agent is a named LLM task: a model, a prompt template over its input, and optional JSON Schemas
            for input and output. Create one, then try it in the test panel — mock mode needs no provider key.
          </EmptyState>
        )
      ) : (
        <Table.ScrollContainer minWidth={640}>
          <Table striped highlightOnHover data-testid="agents-table">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Agent</Table.Th>
                <Table.Th>Tags</Table.Th>
                <Table.Th>Model</Table.Th>
                <Table.Th>Version</Table.Th>
                <Table.Th>Last run</Table.Th>
                <Table.Th />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {items.map((agent) => {
                const lastRun = lastRunByAgent.get(agent.id);
                return (
                  <Table.Tr key={agent.id}>
                    <Table.Td>
                      <Link href={`/w/${props.workspaceId}/agents/${agent.id}`} fw={600}>
                        {agent.name}
                      </Link>
                      <Text size="xs" c="dimmed">
                        {agent.slug}
                      </Text>
                    </Table.Td>
                    <Table.Td>
                      <Group gap={4}>
                        {agent.tags.map((name) => (
                          <Badge
                            key={name}
                            variant="outline"
                            size="sm"
                            style={{ cursor: 'pointer' }}
                            onClick={() => setTag(name)}
                          >
                            {name}
                          </Badge>
                        ))}
                      </Group>
                    </Table.Td>
                    <Table.Td>
                      <Text size="sm">{agent.model}</Text>
                      <Text size="xs" c="dimmed">
                        {agent.provider}
                      </Text>
                    </Table.Td>
                    <Table.Td>v{agent.version}</Table.Td>
                    <Table.Td>
                      {lastRun ? (
                        <Group gap="xs">
                          <StatusBadge status={lastRun.status} />
                          <Text size="xs" c="dimmed">
                            {formatDateTime(lastRun.createdAt)}
                          </Text>
                        </Group>
                      ) : (
                        <Text size="sm" c="dimmed">
                          never run
                        </Text>
                      )}
                    </Table.Td>
                    <Table.Td>
                      {canRun ? <RunAgentButton workspaceId={props.workspaceId} agent={agent} /> : null}
                    </Table.Td>
                  </Table.Tr>
                );
              })}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </Stack>
  );
}
