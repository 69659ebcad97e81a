import { Paper, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import type { ReactNode } from 'react';
import { BudgetProgress } from '../components/budget-progress.tsx';
import { ErrorAlert } from '../components/error-alert.tsx';
import { TableSkeleton } from '../components/table-skeleton.tsx';
import { type UsageRow, UsageTable } from '../components/usage-table.tsx';
import { useAgents } from '../hooks/use-agents.ts';
import { useUsage } from '../hooks/use-guardrails.ts';
import { useProviderKeys, useWorkspace } from '../hooks/use-settings-resources.ts';
import { formatDate, formatPricedTotal, formatUsd } from '../lib/format.ts';
import { Link } from '../router/link.tsx';

/** This month's spend against the workspace budget, by agent and by provider key. */
export function UsagePage(props: { workspaceId: string }) {
  const usage = useUsage(props.workspaceId);
  const workspace = useWorkspace(props.workspaceId);
  const agents = useAgents(props.workspaceId, {});
  const keys = useProviderKeys(props.workspaceId);
  const agentNames = new Map((agents.data?.items ?? []).map((agent) => [agent.id, agent.name]));
  const keyLabels = new Map(
    (keys.data?.items ?? []).map((key) => [key.id, `${key.label} (${key.provider}, ••••${key.lastFour})`]),
  );

  if (usage.error) return <ErrorAlert error={usage.error} />;
  if (!usage.data) return <TableSkeleton rows={6} />;
  const data = usage.data;

  const agentRows: UsageRow[] = data.byAgent.map((line) => ({
    ...line,
    key: line.agentId ?? 'none',
    name: line.agentId ? (agentNames.get(line.agentId) ?? `Deleted agent ${line.agentId}`) : 'No agent',
  }));
  const keyRows: UsageRow[] = data.byProviderKey.map((line) => ({
    ...line,
    key: line.providerKeyId ?? 'none',
    name: !line.providerKeyId
      ? 'No stored key'
      : line.providerKeyDeleted
        ? `${line.providerKeyLabel ?? line.providerKeyId} (deleted)`
        : (keyLabels.get(line.providerKeyId) ?? line.providerKeyLabel ?? line.providerKeyId),
  }));

  return (
    <Stack>
      <Title order={2}>Usage</Title>
      <Text size="sm" c="dimmed">
        Live spend since {formatDate(data.periodStart)} (UTC months). The budget resets on{' '}
        <span data-testid="usage-resets-at">{formatDate(data.resetsAt)}</span>. Mock runs cost nothing.{' '}
        <Link href={`/w/${props.workspaceId}/settings/workspace`} size="sm" underline="always">
          Change the budget and alerts
        </Link>
      </Text>
      <SimpleGrid cols={{ base: 2, sm: 4 }} data-testid="usage-totals">
        <Figure
          label="Spent"
          testId="usage-spent"
          value={formatPricedTotal(
            data.spentUsd,
            data.unpricedCalls,
            data.byAgent.reduce((sum, line) => sum + line.calls, 0),
          )}
        />
        <Figure label="Reserved" testId="usage-reserved" value={formatUsd(data.reservedUsd)} />
        <Figure
          label="Remaining"
          testId="usage-remaining"
          value={data.remainingUsd === null ? '—' : formatUsd(data.remainingUsd)}
        />
        <Figure label="Monthly limit" testId="usage-limit" value={formatUsd(data.limitUsd)} />
      </SimpleGrid>
      <Paper withBorder p="md">
        <BudgetProgress usage={data} thresholds={workspace.data?.settings.alertThresholds ?? []} />
      </Paper>
      <Paper withBorder p="md">
        <Title order={4} mb="sm">
          By agent
        </Title>
        <UsageTable
          caption="This month's spend by agent"
          nameHeader="Agent"
          rows={agentRows}
          testId="usage-by-agent"
        />
      </Paper>
      <Paper withBorder p="md">
        <Title order={4} mb="sm">
          By provider key
        </Title>
        <UsageTable
          caption="This month's spend by provider key"
          nameHeader="Provider key"
          rows={keyRows}
          testId="usage-by-key"
        />
      </Paper>
    </Stack>
  );
}

function Figure(props: { label: string; value: ReactNode; testId: string }) {
  return (
    <Paper withBorder p="sm">
      <Text size="xs" c="dimmed" tt="uppercase" fw={600}>
        {props.label}
      </Text>
      <Text size="xl" fw={700} data-testid={props.testId}>
        {props.value}
      </Text>
    </Paper>
  );
}
