import { Paper, SimpleGrid, Skeleton, Text } from '@mantine/core';
import { useExecutionStats } from '../hooks/use-executions.ts';
import { formatCost, formatMs, formatNumber, formatPercent, formatPricedTotal } from '../lib/format.ts';
import { BarChart } from './bar-chart.tsx';
import { ErrorAlert } from './error-alert.tsx';

function Figure(props: { label: string; value: string; note?: string; testId?: string }) {
  return (
    <Paper withBorder p="sm" data-testid={props.testId}>
      {/* gray.7, not dimmed: small dimmed text misses the 4.5:1 contrast axe asks for. */}
      <Text size="xs" c="gray.7">
        {props.label}
      </Text>
      <Text fw={700} size="lg">
        {props.value}
      </Text>
      {props.note ? (
        <Text size="xs" c="gray.7">
          {props.note}
        </Text>
      ) : null}
    </Paper>
  );
}

const notPricedNote = (count: number) =>
  `${count.toLocaleString()} ${count === 1 ? 'execution' : 'executions'} of a model without a price ` +
  `${count === 1 ? 'is' : 'are'} not in this total. Set a price under Settings › Model prices.`;

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
        <Figure
          label="Cost"
          testId="stats-cost"
          value={formatPricedTotal(totals.costUsd, totals.unpricedCount, totals.count)}
          note={totals.unpricedCount > 0 ? notPricedNote(totals.unpricedCount) : undefined}
        />
        <Figure label="p95 latency" value={formatMs(totals.p95LatencyMs)} />
        <Figure label="Error rate" value={formatPercent(errorRate)} />
      </SimpleGrid>
      <SimpleGrid cols={{ base: 1, md: 3 }}>
        <BarChart
          title="Runs per day"
          unit="runs"
          points={series.map((point) => ({ label: day(point.bucket), value: point.count }))}
          format={(value) => formatNumber(value)}
        />
        <BarChart
          title={totals.unpricedCount > 0 ? 'Cost per day (priced executions)' : 'Cost per day'}
          unit="USD"
          points={series.map((point) => ({
            label: day(point.bucket),
            value: point.costUsd,
            note: point.unpricedCount > 0 ? `${point.unpricedCount} not priced` : undefined,
          }))}
          format={(value) => formatCost(value)}
          color="var(--mantine-color-teal-5)"
        />
        <BarChart
          title="p95 latency per day"
          unit="p95 latency"
          summary="peak"
          points={series.map((point) => ({ label: day(point.bucket), value: point.p95LatencyMs ?? 0 }))}
          format={(value) => formatMs(value)}
          color="var(--mantine-color-orange-5)"
        />
      </SimpleGrid>
    </>
  );
}
