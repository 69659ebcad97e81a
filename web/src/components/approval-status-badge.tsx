import { Badge } from '@mantine/core';
import type { ApprovalStatus } from '../api/approval-types.ts';

const colors: Record<ApprovalStatus, string> = {
  pending: 'yellow',
  approved: 'green',
  rejected: 'red',
  revision_requested: 'violet',
  cancelled: 'gray',
};

export function ApprovalStatusBadge(props: { status: ApprovalStatus }) {
  return (
    <Badge color={colors[props.status] ?? 'gray'} variant="light" size="sm" data-testid="approval-status">
      {props.status.replace('_', ' ')}
    </Badge>
  );
}
