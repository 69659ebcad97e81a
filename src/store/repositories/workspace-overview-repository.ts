import { sql } from 'drizzle-orm';
import type { Database } from '../database.ts';
import { queryRows } from '../query-rows.ts';

/** What a workspace holds, counted for its home dashboard. */
export interface WorkspaceCounts {
  agents: number;
  providerKeys: number;
  /** The user's workflows (work sessions' hidden workflows are not counted). */
  workflows: number;
  members: number;
  /** Every agent execution ever recorded (test, API, workflow steps, OpenAI-compatible). */
  executions: number;
  runsSince: number;
  failedRunsSince: number;
  pendingApprovals: number;
}

/** Read-only counts for the dashboard: one statement, each count a subquery over its table's workspace index. */
export function createWorkspaceOverviewRepository(database: Database) {
  return {
    async counts(workspaceId: string, since: Date): Promise<WorkspaceCounts> {
      const [row] = await queryRows<WorkspaceCounts>(
        database,
        sql`select
              (select count(*)::int from agents where workspace_id = ${workspaceId} and deleted_at is null) as "agents",
              (select count(*)::int from provider_keys where workspace_id = ${workspaceId}) as "providerKeys",
              (select count(*)::int from workflows
                 where workspace_id = ${workspaceId} and deleted_at is null and kind = 'workflow') as "workflows",
              (select count(*)::int from memberships where workspace_id = ${workspaceId}) as "members",
              (select count(*)::int from executions where workspace_id = ${workspaceId}) as "executions",
              (select count(*)::int from workflow_runs
                 where workspace_id = ${workspaceId} and created_at >= ${since}) as "runsSince",
              (select count(*)::int from workflow_runs
                 where workspace_id = ${workspaceId} and created_at >= ${since} and status = 'failed') as "failedRunsSince",
              (select count(*)::int from workflow_approvals
                 where workspace_id = ${workspaceId} and status = 'pending') as "pendingApprovals"`,
      );
      if (!row) throw new Error('the overview query returned no row');
      return row;
    },
  };
}
