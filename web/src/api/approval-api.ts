import type { List } from './api-types.ts';
import type {
  Approval,
  ApprovalDetail,
  ApprovalFilters,
  Artifact,
  ArtifactWithVersions,
  WorkSessionRequest,
} from './approval-types.ts';
import type { HttpClient } from './http-client.ts';
import type { Run } from './workflow-types.ts';

/** The approvals inbox, decisions, artifacts and work sessions, as plain async functions. No React here. */
export function createApprovalApi(http: HttpClient) {
  const workspacePath = (workspaceId: string, rest: string) =>
    `/api/workspaces/${encodeURIComponent(workspaceId)}${rest}`;
  const approvalPath = (workspaceId: string, approvalId: string, rest = '') =>
    workspacePath(workspaceId, `/approvals/${encodeURIComponent(approvalId)}${rest}`);

  return {
    listApprovals: (workspaceId: string, filters: ApprovalFilters = {}) =>
      http.request<List<Approval>>('GET', workspacePath(workspaceId, '/approvals'), {
        query: { ...filters },
      }),
    getApproval: (workspaceId: string, approvalId: string) =>
      http.request<ApprovalDetail>('GET', approvalPath(workspaceId, approvalId)),
    /** `output`, when given, replaces the step output for every later step (checked against the agent's output schema). */
    approve: (workspaceId: string, approvalId: string, body: { comment?: string; output?: unknown }) =>
      http.request<Approval>('POST', approvalPath(workspaceId, approvalId, '/approve'), { body }),
    reject: (workspaceId: string, approvalId: string, feedback: string) =>
      http.request<Approval>('POST', approvalPath(workspaceId, approvalId, '/reject'), {
        body: { feedback },
      }),
    requestRevision: (workspaceId: string, approvalId: string, feedback: string) =>
      http.request<Approval>('POST', approvalPath(workspaceId, approvalId, '/request-revision'), {
        body: { feedback },
      }),

    listRunArtifacts: (workspaceId: string, runId: string) =>
      http.request<{ items: Artifact[] }>(
        'GET',
        workspacePath(workspaceId, `/runs/${encodeURIComponent(runId)}/artifacts`),
      ),
    getArtifact: (workspaceId: string, artifactId: string) =>
      http.request<ArtifactWithVersions>(
        'GET',
        workspacePath(workspaceId, `/artifacts/${encodeURIComponent(artifactId)}`),
      ),

    /** A work session: one agent task as a reviewed one-step run; answers the run (202). */
    startWorkSession: (workspaceId: string, agentId: string, body: WorkSessionRequest) =>
      http.request<Run>('POST', workspacePath(workspaceId, `/agents/${encodeURIComponent(agentId)}/runs`), {
        body,
      }),
  };
}

export type ApprovalApi = ReturnType<typeof createApprovalApi>;
