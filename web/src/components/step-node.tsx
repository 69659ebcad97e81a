import { Badge, Group, Text } from '@mantine/core';
import { Handle, type Node, type NodeProps, Position } from '@xyflow/react';
import type { StepStatus } from '../api/workflow-types.ts';
import { statusColors } from './run-status-badge.tsx';

export interface StepNodeData extends Record<string, unknown> {
  stepId: string;
  kind: 'agent' | 'http';
  /** The agent's name, or the http step's method and URL. */
  detail: string;
  problemCount: number;
  /** In the run monitor: the step's status. */
  status?: StepStatus;
  /** In the run monitor: attempts and cost, shown small. */
  note?: string;
  editable: boolean;
}

export type StepNodeType = Node<StepNodeData, 'step'>;

/** One step on the canvas: id, kind, agent or URL; red when it has problems, coloured by status in a run. */
export function StepNode(props: NodeProps<StepNodeType>) {
  const { data, selected } = props;
  const color = data.status
    ? statusColors[data.status]
    : data.problemCount > 0
      ? 'red'
      : selected
        ? 'indigo'
        : 'gray';
  const running = data.status === 'running';
  return (
    <div
      data-testid={`step-node-${data.stepId}`}
      data-status={data.status}
      data-problems={data.problemCount}
      style={{
        width: 190,
        padding: '8px 10px',
        borderRadius: 8,
        background: data.status ? `var(--mantine-color-${color}-0)` : 'var(--mantine-color-white)',
        border: `${selected ? 3 : 2}px ${data.status === 'skipped' ? 'dashed' : 'solid'} var(--mantine-color-${color}-${selected ? 7 : 5})`,
        boxShadow: running ? `0 0 0 4px var(--mantine-color-blue-2)` : undefined,
      }}
    >
      <Handle
        type="target"
        position={Position.Left}
        isConnectable={data.editable}
        style={data.editable ? { width: 12, height: 12 } : { visibility: 'hidden' }}
        data-testid={`step-handle-in-${data.stepId}`}
      />
      <Group justify="space-between" gap={4} wrap="nowrap">
        <Text fw={700} size="sm" truncate>
          {data.stepId}
        </Text>
        <Badge size="xs" variant="outline" color={data.kind === 'http' ? 'grape' : 'indigo'}>
          {data.kind}
        </Badge>
      </Group>
      <Text size="xs" c="dimmed" truncate>
        {data.detail || (data.kind === 'http' ? 'no URL yet' : 'no agent picked')}
      </Text>
      {data.status ? (
        <Group gap={4} mt={4} wrap="nowrap">
          <Badge size="xs" color={color} variant="filled">
            {data.status.replace('_', ' ')}
          </Badge>
          {data.note ? (
            <Text size="xs" c="dimmed" truncate>
              {data.note}
            </Text>
          ) : null}
        </Group>
      ) : data.problemCount > 0 ? (
        <Badge size="xs" color="red" mt={4} data-testid={`step-problems-${data.stepId}`}>
          {data.problemCount} problem{data.problemCount === 1 ? '' : 's'}
        </Badge>
      ) : null}
      <Handle
        type="source"
        position={Position.Right}
        isConnectable={data.editable}
        style={data.editable ? { width: 12, height: 12 } : { visibility: 'hidden' }}
        data-testid={`step-handle-out-${data.stepId}`}
      />
    </div>
  );
}

export const stepNodeTypes = { step: StepNode };
