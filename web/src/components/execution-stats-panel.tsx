import { Paper, SimpleGrid, Skeleton, Text } from '@mantine/core';
import { useExecutionStats } from '../hooks/use-executions.ts';
import { formatCost, formatMs, formatNumber, formatPercent } from '../lib/format.ts';
import { BarChart } from './bar-chart.tsx';
import { ErrorAlert } from './error-alert.tsx';

function Figure(props: { label: string; value: string }) {
  return (
    <Paper withBorder p="sm">
      <Text size="xs" c="dimmed">
        {props.label}
      </Text>
      <Text fw={700} size="lg">
        {props.value}
      </Text>
    </Paper>
  );
}

/** Runs and cost per day, p95 latency and error rate, from GET /executions/stats (last 30 days). */
export function ExecutionStatsPanel(props: { workspaceId: string; agentId?: string }) {
  const stats = useExecutionStats(props.workspaceId, { agentId: props.agentId });
  if (stats.error) return <ErrorAlert error={stats.error} />;
  if (!stats.data) return <Skeleton height={180} />;
  const { totals, series } = stats.data;
  const day = (bucket: string) => bucket.slice(0, 10);
  const errorRate = totals.count === 0 ? null : totals.failed / totals.count;
  return (
    <>
      <SimpleGrid cols={{ base: 2, md: 4 }} data-testid="stats-totals">
        <Figure label="Runs (30 days)" value={formatNumber(totals.count)} />
        <Figure label="Cost" value={formatCost(totals.costUsd)} />
        <Figure label="p95 latency" value={formatMs(totals.p95LatencyMs)} />
        <Figure label="Error rate" value={formatPercent(errorRate)} />
      </SimpleGrid>
      <SimpleGrid cols={{ base: 1, md: 3 }}>
        <BarChart
          title="Runs per day"
          points={series.map((point) => ({ label: day(point.bucket), value: point.count }))}
          format={(value) => formatNumber(value)}
        />
        <BarChart
          title="Cost per day"
          points={series.map((point) => ({ label: day(point.bucket), value: point.costUsd }))}
          format={(value) => formatCost(value)}
          color="var(--mantine-color-teal-5)"
        />
        <BarChart
          title="p95 latency per day"
          points={series.map((point) => ({ label: day(point.bucket), value: point.p95LatencyMs ?? 0 }))}
          format={(value) => formatMs(value)}
          color="var(--mantine-color-orange-5)"
        />
      </SimpleGrid>
    </>
  );
}
