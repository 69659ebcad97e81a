import { sql } from 'drizzle-orm';
import type { Database } from './database.ts';
import { queryRows } from './query-rows.ts';

/** The pg-boss queue that leases workflow runs (see queue/create-pg-boss-run-queue.ts). */
export const workflowRunQueueName = 'workflow-run';

export interface WorkspaceLabelRow {
  id: string;
  name: string;
  createdAt: Date;
}

export interface EndedRun {
  workspaceId: string;
  workflowId: string;
  status: string;
  mode: string;
  /** When it started running, or was queued if it never started. */
  startedAt: Date;
  finishedAt: Date | null;
}

/** What the state gauges show: counts and ages read from the database, the same on every node. */
export interface TelemetryState {
  activeRuns: Array<{ workspaceId: string; workflow: string; status: string; count: number }>;
  pendingApprovals: Array<{ workspaceId: string; workflow: string; count: number; oldestSeconds: number }>;
  budgets: Array<{ workspaceId: string; spentUsd: number; limitUsd: number }>;
  queue: { waiting: number; active: number; stale: number; oldestWaitingSeconds: number };
}

const number = (value: unknown) => (value === null || value === undefined ? 0 : Number(value));

/**
 * Read-only queries for metrics: one statement per figure, aggregated in SQL so a scrape costs the
 * same with a thousand runs as with ten. The queue figures read pg-boss's job table directly (the
 * run queue port has no age); before the queue first started, they are zero.
 */
export function createTelemetryReadings(database: Database) {
  return {
    async listWorkspaces(): Promise<WorkspaceLabelRow[]> {
      const rows = await queryRows<{ id: string; name: string; created_at: Date | string }>(
        database,
        sql`select id, name, created_at from workspaces order by created_at, id`,
      );
      return rows.map((row) => ({ id: row.id, name: row.name, createdAt: new Date(row.created_at) }));
    },

    /** Slugs by id, deleted rows included (their runs and executions still end). */
    async agentSlug(agentId: string): Promise<string | undefined> {
      const [row] = await queryRows<{ slug: string }>(
        database,
        sql`select slug from agents where id = ${agentId}`,
      );
      return row?.slug;
    },
    async workflowSlug(workflowId: string): Promise<string | undefined> {
      const [row] = await queryRows<{ slug: string }>(
        database,
        sql`select slug from workflows where id = ${workflowId}`,
      );
      return row?.slug;
    },

    /** Whether the workspace lets prompts and outputs onto trace spans (settings.traceContent). */
    async traceContent(workspaceId: string): Promise<boolean> {
      const [row] = await queryRows<{ allowed: boolean | null }>(
        database,
        sql`select (settings->>'traceContent')::boolean as allowed from workspaces where id = ${workspaceId}`,
      );
      return row?.allowed === true;
    },

    /** What the end of a run is counted with. */
    async endedRun(runId: string): Promise<EndedRun | undefined> {
      const [row] = await queryRows<{
        workspace_id: string;
        workflow_id: string;
        status: string;
        mode: string;
        created_at: Date | string;
        started_at: Date | string | null;
        finished_at: Date | string | null;
      }>(
        database,
        sql`select workspace_id, workflow_id, status, mode, created_at, started_at, finished_at
              from workflow_runs where id = ${runId}`,
      );
      if (!row) return undefined;
      const finishedAt = row.finished_at === null ? null : new Date(row.finished_at);
      return {
        workspaceId: row.workspace_id,
        workflowId: row.workflow_id,
        status: row.status,
        mode: row.mode,
        startedAt: new Date(row.started_at ?? row.created_at),
        finishedAt,
      };
    },

    async state(now: Date, budgetPeriodStart: Date): Promise<TelemetryState> {
      const activeRuns = await queryRows<{
        workspace_id: string;
        workflow: string;
        status: string;
        count: number;
      }>(
        database,
        sql`select r.workspace_id, coalesce(w.slug, 'unknown') as workflow, r.status, count(*)::int as count
              from workflow_runs r left join workflows w on w.id = r.workflow_id
             where r.status in ('queued', 'running', 'waiting_approval')
             group by 1, 2, 3`,
      );
      const pendingApprovals = await queryRows<{
        workspace_id: string;
        workflow: string;
        count: number;
        oldest_seconds: number | string;
      }>(
        database,
        sql`select a.workspace_id, coalesce(w.slug, 'unknown') as workflow, count(*)::int as count,
                   extract(epoch from (${now}::timestamptz - min(a.created_at)))::float8 as oldest_seconds
              from workflow_approvals a left join workflows w on w.id = a.workflow_id
             where a.status = 'pending'
             group by 1, 2`,
      );
      const budgets = await queryRows<{
        workspace_id: string;
        limit_usd: number | string;
        spent_usd: number | string;
      }>(
        database,
        sql`select ws.id as workspace_id, (ws.settings->>'monthlyBudgetUsd')::float8 as limit_usd,
                   coalesce(p.spent_usd, 0)::float8 as spent_usd
              from workspaces ws
              left join budget_periods p
                on p.workspace_id = ws.id and p.scope = 'workspace' and p.period_start = ${budgetPeriodStart}
             where jsonb_typeof(ws.settings->'monthlyBudgetUsd') = 'number'
               and (ws.settings->>'monthlyBudgetUsd')::float8 > 0`,
      );
      return {
        activeRuns: activeRuns.map((row) => ({
          workspaceId: row.workspace_id,
          workflow: row.workflow,
          status: row.status,
          count: number(row.count),
        })),
        pendingApprovals: pendingApprovals.map((row) => ({
          workspaceId: row.workspace_id,
          workflow: row.workflow,
          count: number(row.count),
          oldestSeconds: Math.max(0, number(row.oldest_seconds)),
        })),
        budgets: budgets.map((row) => ({
          workspaceId: row.workspace_id,
          spentUsd: number(row.spent_usd),
          limitUsd: number(row.limit_usd),
        })),
        queue: await this.queue(),
      };
    },

    /** Waiting (due) jobs, active ones, active ones whose heartbeat lapsed, and the oldest wait. */
    async queue(): Promise<TelemetryState['queue']> {
      const [present] = await queryRows<{ present: boolean }>(
        database,
        sql`select to_regclass('pgboss.job') is not null as present`,
      );
      if (!present?.present) return { waiting: 0, active: 0, stale: 0, oldestWaitingSeconds: 0 };
      // pg-boss stamps its jobs with the database clock, so ages are measured on it too.
      const [row] = await queryRows<{
        waiting: number;
        active: number;
        stale: number;
        oldest_seconds: number | string | null;
      }>(
        database,
        sql`select count(*) filter (where state in ('created', 'retry') and start_after <= now())::int as waiting,
                   count(*) filter (where state = 'active')::int as active,
                   count(*) filter (where state = 'active' and heartbeat_on is not null
                                      and heartbeat_on + heartbeat_seconds * interval '1 second' < now())::int as stale,
                   extract(epoch from (now() - min(created_on) filter (
                     where state in ('created', 'retry') and start_after <= now())))::float8 as oldest_seconds
              from pgboss.job where name = ${workflowRunQueueName}`,
      );
      return {
        waiting: number(row?.waiting),
        active: number(row?.active),
        stale: number(row?.stale),
        oldestWaitingSeconds: Math.max(0, number(row?.oldest_seconds)),
      };
    },
  };
}

export type TelemetryReadings = ReturnType<typeof createTelemetryReadings>;
