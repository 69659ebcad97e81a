import { Paper, Text } from '@mantine/core';

/** A small dependency-free SVG bar chart; a chart library would double the dashboard's download. */
export function BarChart(props: {
  title: string;
  /** `note` is added to a bar's tooltip (what its value leaves out). */
  points: Array<{ label: string; value: number; note?: string }>;
  format: (value: number) => string;
  color?: string;
}) {
  const width = 320;
  const height = 110;
  const max = Math.max(...props.points.map((point) => point.value), 0);
  const barWidth = props.points.length === 0 ? 0 : width / props.points.length;
  const total = props.points.reduce((sum, point) => sum + point.value, 0);
  return (
    <Paper withBorder p="sm">
      <Text size="sm" fw={600}>
        {props.title}
      </Text>
      <Text size="xs" c="dimmed" mb={4}>
        peak {props.format(max)} · total {props.format(total)}
      </Text>
      <svg
        viewBox={`0 0 ${width} ${height}`}
        width="100%"
        height={height}
        role="img"
        aria-label={props.title}
      >
        {props.points.map((point, index) => {
          const barHeight = max === 0 ? 0 : (point.value / max) * (height - 4);
          return (
            <rect
              key={point.label}
              x={index * barWidth + 1}
              y={height - barHeight}
              width={Math.max(barWidth - 2, 1)}
              height={barHeight}
              fill={props.color ?? 'var(--mantine-color-indigo-5)'}
            >
              <title>
                {point.label}: {props.format(point.value)}
                {point.note ? ` (${point.note})` : ''}
              </title>
            </rect>
          );
        })}
        <line x1={0} x2={width} y1={height - 0.5} y2={height - 0.5} stroke="var(--mantine-color-gray-4)" />
      </svg>
    </Paper>
  );
}
