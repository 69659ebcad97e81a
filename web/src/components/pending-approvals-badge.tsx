import { Badge } from '@mantine/core';
import { pendingPageSize, usePendingApprovals } from '../hooks/use-approvals.ts';

/** The count of approvals waiting in this workspace, beside "Approvals" in the navigation; nothing when none wait. */
export function PendingApprovalsBadge(props: { workspaceId: string }) {
  const pending = usePendingApprovals(props.workspaceId);
  const count = pending.data?.items.length ?? 0;
  if (count === 0) return null;
  const full = count >= pendingPageSize && pending.data?.nextCursor;
  return (
    <Badge
      size="sm"
      color="yellow"
      variant="filled"
      data-testid="approvals-badge"
      aria-label={`${full ? `more than ${count}` : count} pending approvals`}
      c="dark"
    >
      {full ? `${count}+` : count}
    </Badge>
  );
}
