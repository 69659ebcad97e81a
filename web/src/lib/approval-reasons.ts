/** The server's approval reasons (core/workflow/approval-policy.ts, plus the cost cap), as a reviewer reads them. */
const reasonLabels: Record<string, string> = {
  required: 'approval required',
  checkpoint: 'checkpoint',
  final: 'final output',
  risk: 'risk rule matched',
  review_requested: 'output asked for review',
  cost_cap: 'cost cap',
};

export function approvalReasonLabel(reason: string): string {
  return reasonLabels[reason] ?? reason.replace(/_/g, ' ');
}
