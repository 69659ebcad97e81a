import { Badge } from '@mantine/core';
import type { ExecutionStatus } from '../api/api-types.ts';

const colors: Record<ExecutionStatus, string> = {
  completed: 'green',
  failed: 'red',
  running: 'blue',
  waiting_approval: 'yellow',
};

export function StatusBadge(props: { status: ExecutionStatus }) {
  return (
    <Badge color={colors[props.status]} variant="light" data-testid="status-badge">
      {props.status === 'waiting_approval' ? 'waiting for approval' : props.status}
    </Badge>
  );
}
