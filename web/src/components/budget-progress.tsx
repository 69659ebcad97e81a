import { Box, Group, Progress, Text, Tooltip } from '@mantine/core';
import type { Usage } from '../api/api-types.ts';
import { formatUsd } from '../lib/format.ts';

const percentOf = (part: number, whole: number) => Math.min(100, Math.max(0, (part / whole) * 100));

/** Spent and reserved against the limit, with a tick at each alert threshold. */
export function BudgetProgress(props: { usage: Usage; thresholds: number[] }) {
  const { usage } = props;
  if (usage.limitUsd === null || usage.limitUsd <= 0) {
    return (
      <Text size="sm" c="dimmed" data-testid="budget-progress">
        {usage.limitUsd === null
          ? 'No monthly budget is set, so nothing is refused. Set one in the workspace settings.'
          : 'The monthly budget is $0: every live run is refused.'}
      </Text>
    );
  }
  const spentPercent = percentOf(usage.spentUsd, usage.limitUsd);
  const reservedPercent = Math.min(100 - spentPercent, percentOf(usage.reservedUsd, usage.limitUsd));
  const color = spentPercent >= 100 ? 'red' : spentPercent >= 80 ? 'orange' : 'blue';
  const thresholds = props.thresholds.filter((threshold) => threshold > 0 && threshold <= 100);
  return (
    <Box data-testid="budget-progress">
      <Box pos="relative" pb={22}>
        <Progress.Root
          size={18}
          aria-label={`${spentPercent.toFixed(1)}% of the monthly budget spent`}
          role="meter"
          aria-valuenow={Math.round(spentPercent)}
          aria-valuemin={0}
          aria-valuemax={100}
        >
          <Tooltip label={`Spent ${formatUsd(usage.spentUsd)}`}>
            <Progress.Section value={spentPercent} color={color} />
          </Tooltip>
          <Tooltip label={`Held by runs in progress ${formatUsd(usage.reservedUsd)}`}>
            <Progress.Section value={reservedPercent} color={color} striped />
          </Tooltip>
        </Progress.Root>
        {thresholds.map((threshold) => (
          <Box
            key={threshold}
            pos="absolute"
            top={0}
            style={{ left: `${threshold}%`, transform: tickShift(threshold), pointerEvents: 'none' }}
            data-testid="threshold-mark"
          >
            <Box
              w={2}
              h={18}
              bg="dark.6"
              ml={threshold >= 95 ? 'auto' : threshold <= 5 ? 0 : 'auto'}
              mr={threshold <= 5 ? 'auto' : threshold >= 95 ? 0 : 'auto'}
            />
            <Text size="xs" c="dimmed" ta={threshold >= 95 ? 'right' : threshold <= 5 ? 'left' : 'center'}>
              {threshold}%
            </Text>
          </Box>
        ))}
      </Box>
      <Group gap="lg" mt={4}>
        <Legend color={`var(--mantine-color-${color}-filled)`} label="Spent" />
        <Legend color={`var(--mantine-color-${color}-light)`} label="Reserved" />
        <Text size="xs" c="dimmed">
          Ticks: alert thresholds
        </Text>
      </Group>
    </Box>
  );
}

/** Centres a tick on its threshold, but keeps the ones at the ends inside the bar. */
function tickShift(threshold: number): string {
  if (threshold >= 95) return 'translateX(-100%)';
  if (threshold <= 5) return 'none';
  return 'translateX(-50%)';
}

function Legend(props: { color: string; label: string }) {
  return (
    <Group gap={6}>
      <Box w={12} h={12} style={{ background: props.color, borderRadius: 2 }} />
      <Text size="xs">{props.label}</Text>
    </Group>
  );
}
