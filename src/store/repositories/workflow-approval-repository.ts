import { and, asc, desc, eq, lt, lte, sql } from 'drizzle-orm';
import type { Database } from '../database.ts';
import { jsonText } from '../json-text.ts';
import { queryRows } from '../query-rows.ts';
import { type ApprovalStatus, workflowApprovals, workflowArtifacts } from '../schema/index.ts';

export type WorkflowApprovalRow = typeof workflowApprovals.$inferSelect;
export type WorkflowArtifactRow = typeof workflowArtifacts.$inferSelect;

export interface ApprovalFilters {
  status?: ApprovalStatus;
  workflowId?: string;
  runId?: string;
  /** Created before this moment (the age filter: older than N minutes). */
  createdBefore?: Date;
}

/** A decision as it is applied: who, and what it does to the step and the run. */
export type ApprovalDecision =
  | { kind: 'approve'; comment: string | null; editedOutput: unknown; hasEdit: boolean }
  | { kind: 'reject'; feedback: string }
  | { kind: 'revise'; feedback: string };

/**
 * Approvals and artifacts. Requesting an approval moves the step to `waiting_approval` and appends
 * `approval-request` in one statement; a decision is one statement too (the approval, its step, the
 * run and `approval-end`), guarded by `status = 'pending'`, so exactly one decision ever lands.
 */
export function createWorkflowApprovalRepository(database: Database) {
  return {
    /**
     * Parks a claimed step attempt for a person: its output (or, for a cost cap, nothing yet) is kept,
     * the step waits, an approval and — when there is an output — an artifact version are written.
     * False when the attempt is no longer current (the step moved on).
     */
    async request(input: {
      approvalId: string;
      artifactId: string | null;
      runId: string;
      stepId: string;
      attempt: number;
      reason: string;
      output: unknown;
      executionId: string | null;
      costUsd: number;
      estimateUsd: number | null;
      artifactType: string;
      expiresAt: Date | null;
      onTimeout: string | null;
      now: Date;
    }): Promise<boolean> {
      const hasOutput = input.artifactId !== null;
      const rows = await queryRows<{ approval: string }>(
        database,
        // The run row is taken first, by the one update of it, as claims, commits and cancels do:
        // one lock order (run, then step), no deadlock.
        sql`with run as (
              update workflow_runs
                 set event_sequence = event_sequence + 1, cost_usd = cost_usd + ${input.costUsd}
               where id = ${input.runId}
                 and exists (select 1 from workflow_step_runs
                              where run_id = ${input.runId} and step_id = ${input.stepId}
                                and attempt = ${input.attempt} and status = 'running')
           returning workflow_id, event_sequence, workspace_id),
            parked as (
              update workflow_step_runs
                 set status = 'waiting_approval', output = ${jsonText(input.output)}::json,
                     execution_id = coalesce(${input.executionId}, execution_id),
                     execution_ids = case when ${input.executionId}::text is null then execution_ids
                                          else (execution_ids::jsonb || to_jsonb(${input.executionId}::text))::json end,
                     cost_usd = cost_usd + ${input.costUsd}
               where run_id = ${input.runId} and step_id = ${input.stepId} and attempt = ${input.attempt}
                 and status = 'running' and exists (select 1 from run)
           returning workspace_id, revisions),
            approval as (
              insert into workflow_approvals
                     (id, workspace_id, run_id, workflow_id, step_id, attempt, revision, status, reason, output,
                      estimate_usd, expires_at, on_timeout, created_at)
              select ${input.approvalId}, run.workspace_id, ${input.runId}, run.workflow_id, ${input.stepId},
                     ${input.attempt}, parked.revisions, 'pending', ${input.reason}, ${jsonText(input.output)}::json,
                     ${input.estimateUsd}::float8, ${input.expiresAt}::timestamptz, ${input.onTimeout}, ${input.now}
                from run, parked
           returning id),
            artifact as (
              insert into workflow_artifacts
                     (id, workspace_id, run_id, step_id, type, version, source, approval_id, execution_id, content, created_at)
              select ${input.artifactId ?? ''}, run.workspace_id, ${input.runId}, ${input.stepId}, ${input.artifactType},
                     coalesce((select max(version) from workflow_artifacts
                                where run_id = ${input.runId} and step_id = ${input.stepId}), 0) + 1,
                     'step', ${input.approvalId}, ${input.executionId}, ${jsonText(input.output)}::json, ${input.now}
                from run
               where ${hasOutput} and exists (select 1 from parked)
           returning id),
            event as (
              insert into workflow_run_events (run_id, sequence, workspace_id, type, step_id, data, created_at)
              select ${input.runId}, event_sequence, workspace_id, 'approval-request', ${input.stepId},
                     json_build_object('approvalId', ${input.approvalId}::text, 'stepId', ${input.stepId}::text,
                                       'reason', ${input.reason}::text),
                     ${input.now}
                from run
               where exists (select 1 from parked)
           returning sequence)
            select id as approval from approval`,
      );
      return rows.length > 0;
    },

    /** running → waiting_approval while a step waits and nothing runs: the run then holds no worker. */
    async pauseRun(runId: string): Promise<boolean> {
      const rows = await queryRows<{ id: string }>(
        database,
        sql`update workflow_runs set status = 'waiting_approval'
             where id = ${runId} and status = 'running'
               and exists (select 1 from workflow_step_runs where run_id = ${runId} and status = 'waiting_approval')
         returning id`,
      );
      return rows.length > 0;
    },

    /**
     * waiting_approval → running for a driver handed the run's job: a decision that landed while the
     * previous driver was pausing left work to do, and the job it queued is what brings us here.
     */
    async resumeRun(runId: string): Promise<boolean> {
      const rows = await queryRows<{ id: string }>(
        database,
        sql`update workflow_runs set status = 'running' where id = ${runId} and status = 'waiting_approval' returning id`,
      );
      return rows.length > 0;
    },

    /** Adds an artifact version for a committed step output (no approval involved). */
    async addArtifact(row: typeof workflowArtifacts.$inferInsert & { version?: number }): Promise<void> {
      await database.execute(
        sql`insert into workflow_artifacts
                   (id, workspace_id, run_id, step_id, type, version, source, approval_id, execution_id, content, created_by, created_at)
            values (${row.id}, ${row.workspaceId}, ${row.runId}, ${row.stepId}, ${row.type},
                    coalesce((select max(version) from workflow_artifacts where run_id = ${row.runId} and step_id = ${row.stepId}), 0) + 1,
                    ${row.source}, ${row.approvalId ?? null}, ${row.executionId ?? null}, ${jsonText(row.content)}::json,
                    ${row.createdBy ?? null}, ${row.createdAt ?? new Date()})`,
      );
    },

    /**
     * Applies a decision: the approval leaves `pending` (or nothing happens and undefined is
     * answered), the step moves on (approve → completed with the possibly edited output, or back to
     * pending for a cost cap; reject → failed; revise → pending with the feedback; a `tool_call`
     * approval sends the step back to pending whatever the decision, because the agent's loop
     * continues with it), the run goes back to `running`, and `approval-end` is appended — in one
     * statement.
     */
    async decide(
      workspaceId: string,
      approvalId: string,
      decision: ApprovalDecision,
      actor: { userId: string | null; tokenId: string | null },
      now: Date,
    ): Promise<WorkflowApprovalRow | undefined> {
      const status =
        decision.kind === 'approve'
          ? 'approved'
          : decision.kind === 'reject'
            ? 'rejected'
            : 'revision_requested';
      const comment = decision.kind === 'approve' ? decision.comment : null;
      const feedback = decision.kind === 'approve' ? null : decision.feedback;
      const edited = decision.kind === 'approve' && decision.hasEdit ? jsonText(decision.editedOutput) : null;
      const hasEdit = decision.kind === 'approve' && decision.hasEdit;
      const rows = await queryRows<{ id: string }>(
        database,
        // Lock order: the approval (one decision wins), then the run, then the step, as claims,
        // commits and cancels take run before step; the step update waits for the run's.
        sql`with decided as (
              update workflow_approvals
                 set status = ${status}, decided_by = ${actor.userId}, decided_by_token = ${actor.tokenId},
                     decided_at = ${now}, comment = ${comment}, feedback = ${feedback},
                     edited_output = ${edited}::json
               where workspace_id = ${workspaceId} and id = ${approvalId} and status = 'pending'
                 and exists (select 1 from workflow_runs r where r.id = workflow_approvals.run_id
                              and r.status in ('running', 'waiting_approval'))
           returning id, run_id, step_id, reason, estimate_usd, output),
            run as (
              update workflow_runs r
                 set status = 'running', event_sequence = r.event_sequence + 1,
                     cost_cap_usd = case when d.reason = 'cost_cap' and ${decision.kind}::text = 'approve'
                                         then coalesce(r.cost_cap_usd, 0) + coalesce(d.estimate_usd, 0)
                                         else r.cost_cap_usd end
                from decided d
               where r.id = d.run_id
           returning r.id, r.workspace_id, r.event_sequence),
            step as (
              update workflow_step_runs s
                 set status = case
                       when d.reason = 'tool_call' then 'pending'
                       when ${decision.kind}::text = 'reject' then 'failed'
                       when ${decision.kind}::text = 'revise' or d.reason = 'cost_cap' then 'pending'
                       else 'completed' end,
                     output = case when ${hasEdit}::boolean and d.reason <> 'tool_call' then ${edited}::json else s.output end,
                     error_code = case when ${decision.kind}::text = 'reject' and d.reason <> 'tool_call' then 'approval_rejected' else null end,
                     error_message = case when ${decision.kind}::text = 'reject' and d.reason <> 'tool_call' then ${`Rejected by a reviewer: ${feedback ?? ''}`}::text else null end,
                     revision_feedback = case when ${decision.kind}::text = 'revise' then ${feedback}::text else null end,
                     revisions = s.revisions + case when ${decision.kind}::text = 'revise' then 1 else 0 end,
                     finished_at = case when ${decision.kind}::text = 'revise' or d.reason in ('cost_cap', 'tool_call') then null else ${now}::timestamptz end
                from decided d
               where s.run_id = d.run_id and s.step_id = d.step_id and s.status = 'waiting_approval'
                 and exists (select 1 from run)
           returning s.step_id),
            artifact as (
              insert into workflow_artifacts
                     (id, workspace_id, run_id, step_id, type, version, source, approval_id, content, created_by, created_at)
              select ${`${approvalId}-edit`}::text, ${workspaceId}::text, d.run_id, d.step_id,
                     coalesce((select a.type from workflow_artifacts a where a.approval_id = d.id limit 1), 'generic_output'),
                     coalesce((select max(version) from workflow_artifacts a where a.run_id = d.run_id and a.step_id = d.step_id), 0) + 1,
                     'edit', d.id, ${edited}::json, ${actor.userId}::text, ${now}::timestamptz
                from decided d
               where ${hasEdit}::boolean and d.reason <> 'tool_call'
           returning id),
            event as (
              insert into workflow_run_events (run_id, sequence, workspace_id, type, step_id, data, created_at)
              select run.id, run.event_sequence, run.workspace_id, 'approval-end', d.step_id,
                     json_build_object('approvalId', d.id, 'stepId', d.step_id, 'decision', ${status}::text,
                                       'edited', ${hasEdit}::boolean),
                     ${now}::timestamptz
                from run, decided d
           returning sequence)
            select id from decided`,
      );
      if (rows.length === 0) return undefined;
      return this.find(workspaceId, approvalId);
    },

    async find(workspaceId: string, approvalId: string): Promise<WorkflowApprovalRow | undefined> {
      const [row] = await database
        .select()
        .from(workflowApprovals)
        .where(and(eq(workflowApprovals.workspaceId, workspaceId), eq(workflowApprovals.id, approvalId)));
      return row;
    },

    /** Newest first (pending ones are the inbox); `after` is the last row of the previous page. */
    async list(
      workspaceId: string,
      filters: ApprovalFilters,
      page: { limit: number; after?: { createdAt: Date; id: string } },
    ): Promise<WorkflowApprovalRow[]> {
      const conditions = [eq(workflowApprovals.workspaceId, workspaceId)];
      if (filters.status) conditions.push(eq(workflowApprovals.status, filters.status));
      if (filters.workflowId) conditions.push(eq(workflowApprovals.workflowId, filters.workflowId));
      if (filters.runId) conditions.push(eq(workflowApprovals.runId, filters.runId));
      if (filters.createdBefore) conditions.push(lt(workflowApprovals.createdAt, filters.createdBefore));
      if (page.after) {
        conditions.push(
          sql`(${workflowApprovals.createdAt}, ${workflowApprovals.id}) < (${page.after.createdAt}, ${page.after.id})`,
        );
      }
      return database
        .select()
        .from(workflowApprovals)
        .where(and(...conditions))
        .orderBy(desc(workflowApprovals.createdAt), desc(workflowApprovals.id))
        .limit(page.limit);
    },

    /** Pending approvals whose deadline passed, oldest first (for the timeout sweep). */
    async listExpired(now: Date, limit: number): Promise<WorkflowApprovalRow[]> {
      return database
        .select()
        .from(workflowApprovals)
        .where(and(eq(workflowApprovals.status, 'pending'), lte(workflowApprovals.expiresAt, now)))
        .orderBy(asc(workflowApprovals.expiresAt))
        .limit(limit);
    },

    /** Closes a cancelled run's open approvals so the inbox does not offer them. */
    async cancelPendingOfRun(runId: string, now: Date): Promise<void> {
      await database
        .update(workflowApprovals)
        .set({ status: 'cancelled', decidedAt: now })
        .where(and(eq(workflowApprovals.runId, runId), eq(workflowApprovals.status, 'pending')));
    },

    async listArtifacts(workspaceId: string, runId: string): Promise<WorkflowArtifactRow[]> {
      return database
        .select()
        .from(workflowArtifacts)
        .where(and(eq(workflowArtifacts.workspaceId, workspaceId), eq(workflowArtifacts.runId, runId)))
        .orderBy(asc(workflowArtifacts.stepId), asc(workflowArtifacts.version));
    },

    async findArtifact(workspaceId: string, artifactId: string): Promise<WorkflowArtifactRow | undefined> {
      const [row] = await database
        .select()
        .from(workflowArtifacts)
        .where(and(eq(workflowArtifacts.workspaceId, workspaceId), eq(workflowArtifacts.id, artifactId)));
      return row;
    },

    async listArtifactVersions(runId: string, stepId: string): Promise<WorkflowArtifactRow[]> {
      return database
        .select()
        .from(workflowArtifacts)
        .where(and(eq(workflowArtifacts.runId, runId), eq(workflowArtifacts.stepId, stepId)))
        .orderBy(asc(workflowArtifacts.version));
    },
  };
}

export type WorkflowApprovalRepository = ReturnType<typeof createWorkflowApprovalRepository>;
