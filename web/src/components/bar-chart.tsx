import { Box, Paper, Text } from '@mantine/core';
import { useState } from 'react';

/** Geometry in the SVG's own units; the chart scales to its box, text with it. */
const width = 360;
const height = 170;
const plot = { left: 58, right: 8, top: 10, bottom: 30 };
const plotWidth = width - plot.left - plot.right;
const plotHeight = height - plot.top - plot.bottom;

/** `2026-12-02T00:00:00Z` → "Dec 2"; anything not a date is shown as it came. */
function shortDate(label: string): string {
  const date = new Date(label);
  if (Number.isNaN(date.getTime())) return label;
  return date.toLocaleDateString(undefined, { month: 'short', day: 'numeric', timeZone: 'UTC' });
}

/** Which bars get a date under them: first, last and a few between, never crowded. */
function labelledIndexes(count: number): Set<number> {
  if (count <= 7) return new Set(Array.from({ length: count }, (_, index) => index));
  const step = Math.ceil((count - 1) / 4);
  const indexes = new Set<number>([count - 1]);
  for (let index = 0; index < count - step / 2; index += step) indexes.add(index);
  return indexes;
}

/**
 * A small SVG bar chart with a value axis, date labels, units and a tooltip per bar on hover
 * (each bar's `<title>` too, for assistive technology). Hand-made on purpose: @mantine/charts exists only for Mantine 9.7.3 (its peer
 * dependency is exact) and the console is on 9.7.4; recharts alone would double the dashboard's download.
 */
export function BarChart(props: {
  title: string;
  /** What a value counts, shown as the axis title: "runs", "USD", "ms". */
  unit: string;
  /** `label` is the bucket's ISO date; `note` is added to its tooltip (what its value leaves out). */
  points: Array<{ label: string; value: number; note?: string }>;
  format: (value: number) => string;
  /** `total` for counts and money; `peak` alone for figures that do not add up (latency). */
  summary?: 'total' | 'peak';
  color?: string;
}) {
  const [active, setActive] = useState<number | null>(null);
  const max = Math.max(...props.points.map((point) => point.value), 0);
  const total = props.points.reduce((sum, point) => sum + point.value, 0);
  const count = props.points.length;
  const barWidth = count === 0 ? 0 : plotWidth / count;
  const ticks = max === 0 ? [0] : [0, max / 2, max];
  const dated = labelledIndexes(count);
  const yOf = (value: number) => plot.top + plotHeight - (max === 0 ? 0 : (value / max) * plotHeight);
  const activePoint = active === null ? undefined : props.points[active];
  const summary =
    (props.summary ?? 'total') === 'total'
      ? `peak ${props.format(max)} · total ${props.format(total)}`
      : `peak ${props.format(max)}`;

  return (
    <Paper withBorder p="sm">
      <Text size="sm" fw={600}>
        {props.title}
      </Text>
      <Text size="xs" c="gray.7" mb={4}>
        {summary}
      </Text>
      <Box pos="relative">
        {activePoint && active !== null ? (
          <Paper
            shadow="sm"
            withBorder
            px={6}
            py={2}
            pos="absolute"
            top={0}
            data-testid="chart-tooltip"
            style={{
              left: `${((plot.left + (active + 0.5) * barWidth) / width) * 100}%`,
              transform: 'translate(-50%, -100%)',
              pointerEvents: 'none',
              whiteSpace: 'nowrap',
              zIndex: 1,
            }}
          >
            <Text size="xs">
              <b>{shortDate(activePoint.label)}</b>: {props.format(activePoint.value)}
              {activePoint.note ? ` (${activePoint.note})` : ''}
            </Text>
          </Paper>
        ) : null}
        <svg
          viewBox={`0 0 ${width} ${height}`}
          width="100%"
          role="img"
          aria-label={`${props.title}, ${props.unit}, ${summary}`}
          onMouseLeave={() => setActive(null)}
          style={{ display: 'block', overflow: 'visible' }}
        >
          {ticks.map((tick) => (
            <g key={tick}>
              <line
                x1={plot.left}
                x2={width - plot.right}
                y1={yOf(tick)}
                y2={yOf(tick)}
                stroke="var(--mantine-color-gray-3)"
                strokeDasharray={tick === 0 ? undefined : '3 3'}
              />
              <text
                x={plot.left - 4}
                y={yOf(tick)}
                textAnchor="end"
                dominantBaseline="middle"
                fontSize={9}
                fill="var(--mantine-color-gray-7)"
              >
                {props.format(tick)}
              </text>
            </g>
          ))}
          <text
            x={10}
            y={plot.top + plotHeight / 2}
            transform={`rotate(-90 10 ${plot.top + plotHeight / 2})`}
            textAnchor="middle"
            fontSize={9}
            fill="var(--mantine-color-gray-7)"
          >
            {props.unit}
          </text>
          {props.points.map((point, index) => {
            const top = yOf(point.value);
            return (
              // biome-ignore lint/a11y/noStaticElementInteractions: hover only shows a tooltip; the chart's label and each bar's title carry the same data
              <g key={point.label} onMouseEnter={() => setActive(index)}>
                {/* A full-height hit area, so a zero day has a tooltip too. */}
                <rect
                  x={plot.left + index * barWidth}
                  y={plot.top}
                  width={barWidth}
                  height={plotHeight}
                  fill={active === index ? 'var(--mantine-color-gray-1)' : 'transparent'}
                />
                <rect
                  x={plot.left + index * barWidth + 1}
                  y={top}
                  width={Math.max(barWidth - 2, 1)}
                  height={plot.top + plotHeight - top}
                  fill={props.color ?? 'var(--mantine-color-indigo-5)'}
                >
                  <title>
                    {shortDate(point.label)}: {props.format(point.value)}
                    {point.note ? ` (${point.note})` : ''}
                  </title>
                </rect>
                {dated.has(index) ? (
                  <text
                    x={plot.left + (index + 0.5) * barWidth}
                    y={height - plot.bottom + 13}
                    textAnchor="middle"
                    fontSize={9}
                    fill="var(--mantine-color-gray-7)"
                  >
                    {shortDate(point.label)}
                  </text>
                ) : null}
              </g>
            );
          })}
          <text
            x={plot.left + plotWidth / 2}
            y={height - 2}
            textAnchor="middle"
            fontSize={9}
            fill="var(--mantine-color-gray-7)"
          >
            day (UTC)
          </text>
        </svg>
      </Box>
    </Paper>
  );
}
