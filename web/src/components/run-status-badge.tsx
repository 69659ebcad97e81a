import { Badge } from '@mantine/core';
import type { RunStatus, StepStatus } from '../api/workflow-types.ts';

/** One colour per run and step status, shared by badges and graph nodes. */
export const statusColors: Record<RunStatus | StepStatus, string> = {
  queued: 'gray',
  pending: 'gray',
  ready: 'gray',
  running: 'blue',
  waiting_approval: 'yellow',
  completed: 'green',
  failed: 'red',
  skipped: 'gray',
  cancelled: 'orange',
};

export function RunStatusBadge(props: { status: RunStatus | StepStatus; size?: 'xs' | 'sm' | 'md' | 'lg' }) {
  return (
    <Badge
      color={statusColors[props.status] ?? 'gray'}
      variant={props.status === 'skipped' ? 'outline' : 'light'}
      size={props.size ?? 'sm'}
      data-testid="run-status"
    >
      {props.status.replace('_', ' ')}
    </Badge>
  );
}
