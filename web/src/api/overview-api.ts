import type { HttpClient } from './http-client.ts';

/** `GET …/overview`: the home dashboard's counts (dates as ISO strings). */
export interface WorkspaceOverview {
  agents: number;
  providerKeys: number;
  workflows: number;
  members: number;
  executions: number;
  /** Runs (workflows and work sessions) started since `runsSinceAt`, the last seven days. */
  runsSince: number;
  failedRunsSince: number;
  runsSinceAt: string;
  pendingApprovals: number;
  spend: { periodStart: string; spentUsd: number; reservedUsd: number; limitUsd: number | null };
}

export function createOverviewApi(http: HttpClient) {
  return {
    getOverview: (workspaceId: string) =>
      http.request<WorkspaceOverview>('GET', `/api/workspaces/${encodeURIComponent(workspaceId)}/overview`),
  };
}
