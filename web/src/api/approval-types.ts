/** Approval, artifact and work-session shapes of the public HTTP API (see docs/approvals.md). Dates arrive as ISO strings. */
import type { ApprovalStrategy, RunMode } from './workflow-types.ts';

export const approvalStatuses = [
  'pending',
  'approved',
  'rejected',
  'revision_requested',
  'cancelled',
] as const;
export type ApprovalStatus = (typeof approvalStatuses)[number];

/** One checkpoint and, once decided, the immutable record of who decided what. */
export interface Approval {
  id: string;
  runId: string;
  workflowId: string;
  stepId: string;
  attempt: number;
  revision: number;
  status: ApprovalStatus;
  /** Why it waits: `checkpoint`, `cost_cap`, `risk`, … as the server names it. */
  reason: string;
  /** The output as proposed (before an approver's edit). */
  output: unknown;
  /** The approver's replacement output; null unless the approval carried an edit. */
  editedOutput: unknown;
  estimateUsd: number | null;
  decidedBy: string | null;
  decidedAt: string | null;
  comment: string | null;
  feedback: string | null;
  expiresAt: string | null;
  createdAt: string;
}

/** A typed, versioned output of a step: one version per attempt, revision and approver edit. */
export interface Artifact {
  id: string;
  runId: string;
  stepId: string;
  type: string;
  version: number;
  source: 'step' | 'edit' | (string & {});
  approvalId: string | null;
  executionId: string | null;
  content: unknown;
  createdBy: string | null;
  createdAt: string;
}

export interface ArtifactWithVersions extends Artifact {
  versions: Artifact[];
}

/** What a reviewer needs beside the proposal: the step input, earlier outputs, the run's spend so far. */
export interface ApprovalDetail extends Approval {
  stepInput: unknown;
  artifact: Artifact | null;
  earlierOutputs: Record<string, unknown>;
  runStatus: string | null;
  runCostUsd: number;
}

export interface ApprovalFilters {
  status?: ApprovalStatus;
  workflowId?: string;
  runId?: string;
  olderThanMinutes?: number;
  cursor?: string;
  limit?: number;
}

/** The body of `POST …/agents/{agentId}/runs`. */
export interface WorkSessionRequest {
  input: unknown;
  mode: RunMode;
  approvalStrategy: ApprovalStrategy;
}
