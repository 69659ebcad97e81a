import { SimpleGrid, Text } from '@mantine/core';
import type { Execution } from '../api/api-types.ts';
import { formatCost, formatMs } from '../lib/format.ts';

function Metric(props: { label: string; value: string; name: string }) {
  return (
    <div data-testid={`metric-${props.name}`}>
      <Text size="xs" c="dimmed">
        {props.label}
      </Text>
      <Text size="sm" fw={600} data-testid={`metric-${props.name}-value`}>
        {props.value}
      </Text>
    </div>
  );
}

/** What a run cost and how it went, exactly as the execution record says. */
export function RunMetrics(props: { execution: Execution }) {
  const execution = props.execution;
  return (
    <SimpleGrid cols={{ base: 2, sm: 4 }} spacing="xs" data-testid="run-metrics">
      <Metric name="tokens-in" label="Tokens in" value={String(execution.usage.inputTokens)} />
      <Metric name="tokens-out" label="Tokens out" value={String(execution.usage.outputTokens)} />
      <Metric name="cost" label="Cost" value={formatCost(execution.costUsd, execution.costPriced)} />
      <Metric name="latency" label="Latency" value={formatMs(execution.latencyMs)} />
      <Metric name="ttft" label="First token" value={formatMs(execution.timeToFirstTokenMs)} />
      <Metric name="retries" label="Retries" value={String(execution.retries)} />
      <Metric name="fallback" label="Fallback" value={execution.fallbackUsed ? 'used' : 'not used'} />
      <Metric
        name="model"
        label="Provider / model"
        value={`${execution.provider ?? '—'} / ${execution.model ?? '—'}`}
      />
    </SimpleGrid>
  );
}
