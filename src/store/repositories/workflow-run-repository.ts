import { and, asc, desc, eq, gt, gte, inArray, lt, sql } from 'drizzle-orm';
import type { Database } from '../database.ts';
import { jsonText } from '../json-text.ts';
import { queryRows } from '../query-rows.ts';
import {
  executions,
  type RunStatus,
  workflowRunEvents,
  workflowRuns,
  workflowStepRuns,
} from '../schema/index.ts';
import type { ExecutionRow } from './execution-repository.ts';

export type WorkflowRunRow = typeof workflowRuns.$inferSelect;
export type WorkflowRunInsert = typeof workflowRuns.$inferInsert;
export type WorkflowStepRunRow = typeof workflowStepRuns.$inferSelect;
export type WorkflowStepRunInsert = typeof workflowStepRuns.$inferInsert;
export type WorkflowRunEventRow = typeof workflowRunEvents.$inferSelect;

export interface WorkflowRunFilters {
  workflowId?: string;
  status?: RunStatus;
  trigger?: string;
  mode?: string;
  from?: Date;
  to?: Date;
}

/** How a step attempt ended, as committed with its transition. */
export interface StepOutcome {
  /** `waiting_approval`: the agent's tool loop stopped at a call a person must approve (never committed). */
  status: 'completed' | 'failed' | 'waiting_approval';
  output: unknown;
  executionId: string | null;
  costUsd: number;
  errorCode: string | null;
  errorMessage: string | null;
}

/**
 * Why an execution of a step that was claimed again ended. Its worker lost the run's lease (it died,
 * or stopped heartbeating): without this the record stayed `running` until the interrupted sweep,
 * which on PostgreSQL waits for the agent's deadline plus a margin.
 */
const abandonedExecutionMessage =
  'The worker running this workflow step stopped before it finished (crash, restart or lost lease); the step was claimed again.';

/**
 * Runs, their steps and their events. Every transition is one conditional statement that also
 * bumps the run's event counter and appends the event, so state and history never disagree and
 * two workers can never both move the same step.
 */
export function createWorkflowRunRepository(database: Database) {
  return {
    /** Inserts a queued run with its pending steps; call inside a transaction. */
    async insert(run: WorkflowRunInsert, steps: WorkflowStepRunInsert[]): Promise<WorkflowRunRow> {
      const [row] = await database.insert(workflowRuns).values(run).returning();
      if (steps.length > 0) await database.insert(workflowStepRuns).values(steps);
      if (!row) throw new Error('insert returned no row');
      return row;
    },

    async find(workspaceId: string, runId: string): Promise<WorkflowRunRow | undefined> {
      const [row] = await database
        .select()
        .from(workflowRuns)
        .where(and(eq(workflowRuns.workspaceId, workspaceId), eq(workflowRuns.id, runId)));
      return row;
    },

    /** A run by id alone, for the worker that was handed its job. */
    async findById(runId: string): Promise<WorkflowRunRow | undefined> {
      const [row] = await database.select().from(workflowRuns).where(eq(workflowRuns.id, runId));
      return row;
    },

    /** Only the status, for the cancellation check of a worker with steps in flight. */
    async statusOf(runId: string): Promise<string | undefined> {
      const [row] = await database
        .select({ status: workflowRuns.status })
        .from(workflowRuns)
        .where(eq(workflowRuns.id, runId));
      return row?.status;
    },

    async listSteps(runId: string): Promise<WorkflowStepRunRow[]> {
      return database
        .select()
        .from(workflowStepRuns)
        .where(eq(workflowStepRuns.runId, runId))
        .orderBy(asc(workflowStepRuns.position));
    },

    /** Steps of several runs at once, for lists. */
    async listStepsOfRuns(runIds: string[]): Promise<WorkflowStepRunRow[]> {
      if (runIds.length === 0) return [];
      return database
        .select()
        .from(workflowStepRuns)
        .where(inArray(workflowStepRuns.runId, runIds))
        .orderBy(asc(workflowStepRuns.runId), asc(workflowStepRuns.position));
    },

    /** Newest first; `after` is the last row of the previous page. */
    async list(
      workspaceId: string,
      filters: WorkflowRunFilters,
      page: { limit: number; after?: { createdAt: Date; id: string } },
    ): Promise<WorkflowRunRow[]> {
      const conditions = [eq(workflowRuns.workspaceId, workspaceId)];
      if (filters.workflowId) conditions.push(eq(workflowRuns.workflowId, filters.workflowId));
      if (filters.status) conditions.push(eq(workflowRuns.status, filters.status));
      if (filters.trigger) conditions.push(eq(workflowRuns.trigger, filters.trigger));
      if (filters.mode) conditions.push(eq(workflowRuns.mode, filters.mode));
      if (filters.from) conditions.push(gte(workflowRuns.createdAt, filters.from));
      if (filters.to) conditions.push(lt(workflowRuns.createdAt, filters.to));
      if (page.after) {
        conditions.push(
          sql`(${workflowRuns.createdAt}, ${workflowRuns.id}) < (${page.after.createdAt}, ${page.after.id})`,
        );
      }
      return database
        .select()
        .from(workflowRuns)
        .where(and(...conditions))
        .orderBy(desc(workflowRuns.createdAt), desc(workflowRuns.id))
        .limit(page.limit);
    },

    /** queued → running, with `run-start`; false when the run was not queued. */
    async start(runId: string, now: Date): Promise<boolean> {
      const rows = await queryRows<{ sequence: number }>(
        database,
        sql`with started as (
              update workflow_runs
                 set status = 'running', started_at = coalesce(started_at, ${now}), event_sequence = event_sequence + 1
               where id = ${runId} and status = 'queued'
           returning id, workspace_id, event_sequence)
            insert into workflow_run_events (run_id, sequence, workspace_id, type, step_id, data, created_at)
            select id, event_sequence, workspace_id, 'run-start', null, json_build_object('runId', id), ${now}
              from started
         returning sequence`,
      );
      return rows.length > 0;
    },

    /**
     * Takes a step for one attempt: `pending`/`ready` (or `running` left by a lost lease) → `running`,
     * attempt + 1, the rendered input stored, `step-start` appended. Only while the run is running,
     * and with `attempt` only while the step is still on the attempt the caller saw: a claim of a
     * `running` step must name the attempt it takes over, or a driver that lost its lease could take
     * the step back from the one that now holds it. Executions of the step still `running` belong
     * to an attempt nobody will commit: they end `failed`/`interrupted` in the same statement.
     * Answers the attempt number, or undefined when another worker or a cancel got there first.
     * The run row is taken first, by the statement's one update of it (as cancel, finish and retry
     * take it): taking the step and then the run deadlocked with a cancel; a `for no key update` of
     * the run beside an update of the same row deadlocked parallel claims of one run.
     */
    async claimStep(
      runId: string,
      stepId: string,
      claim: {
        fromStatuses: readonly string[];
        attempt?: number;
        workerId: string;
        input: unknown;
        now: Date;
      },
    ): Promise<number | undefined> {
      const statuses = sql.join(
        claim.fromStatuses.map((status) => sql`${status}`),
        sql`, `,
      );
      const onAttempt = claim.attempt === undefined ? sql`` : sql`and attempt = ${claim.attempt}`;
      const rows = await queryRows<{ attempt: number }>(
        database,
        sql`with bumped as (
              update workflow_runs set event_sequence = event_sequence + 1
               where id = ${runId} and status = 'running'
                 and exists (select 1 from workflow_step_runs
                              where run_id = ${runId} and step_id = ${stepId} and status in (${statuses}) ${onAttempt})
           returning event_sequence, workspace_id),
            claimed as (
              update workflow_step_runs
                 set status = 'running', attempt = attempt + 1, worker_id = ${claim.workerId},
                     input = ${jsonText(claim.input)}::json, started_at = ${claim.now}, finished_at = null,
                     error_code = null, error_message = null
               where run_id = ${runId} and step_id = ${stepId} and status in (${statuses}) ${onAttempt}
                 and exists (select 1 from bumped)
           returning attempt),
            interrupted as (
              update executions
                 set status = 'failed', error_code = 'interrupted', error_message = ${abandonedExecutionMessage},
                     finished_at = ${claim.now}
               where workflow_run_id = ${runId} and workflow_step_id = ${stepId} and status = 'running'
                 and exists (select 1 from claimed)
           returning id),
            event as (
              insert into workflow_run_events (run_id, sequence, workspace_id, type, step_id, data, created_at)
              select ${runId}, bumped.event_sequence, bumped.workspace_id, 'step-start', ${stepId},
                     json_build_object('stepId', ${stepId}::text, 'attempt', claimed.attempt), ${claim.now}
                from bumped, claimed
           returning sequence)
            select claimed.attempt from claimed`,
      );
      return rows[0]?.attempt;
    },

    /**
     * The newest execution a step of the run made, any attempt or try: what a recovering attempt
     * looks at before calling the provider again. Bounded by the run's start (less an hour, for
     * clocks of other nodes running behind) so the (workspace, created_at) index serves it.
     */
    async latestStepExecution(
      run: { id: string; workspaceId: string; createdAt: Date },
      stepId: string,
    ): Promise<ExecutionRow | undefined> {
      const [row] = await database
        .select()
        .from(executions)
        .where(
          and(
            eq(executions.workspaceId, run.workspaceId),
            gte(executions.createdAt, new Date(run.createdAt.getTime() - 60 * 60 * 1000)),
            eq(executions.workflowRunId, run.id),
            eq(executions.workflowStepId, stepId),
          ),
        )
        .orderBy(desc(executions.createdAt), desc(executions.id))
        .limit(1);
      return row;
    },

    /**
     * Commits an attempt's outcome with its transition, adds its cost to the run and appends
     * `step-end`, in one statement. False when the attempt is no longer the step's current one.
     * Takes the run row before the step, by its one update of it, for the same reasons as `claimStep`.
     */
    async commitStep(runId: string, stepId: string, attempt: number, outcome: StepOutcome, now: Date) {
      const rows = await queryRows<{ committed: number }>(
        database,
        sql`with bumped as (
              update workflow_runs
                 set event_sequence = event_sequence + 1, cost_usd = cost_usd + ${outcome.costUsd}
               where id = ${runId}
                 and exists (select 1 from workflow_step_runs
                              where run_id = ${runId} and step_id = ${stepId} and attempt = ${attempt}
                                and status = 'running')
           returning event_sequence, workspace_id),
            committed as (
              update workflow_step_runs
                 set status = ${outcome.status}, output = ${jsonText(outcome.output)}::json,
                     execution_id = coalesce(${outcome.executionId}, execution_id),
                     execution_ids = case when ${outcome.executionId}::text is null then execution_ids
                                          else (execution_ids::jsonb || to_jsonb(${outcome.executionId}::text))::json end,
                     cost_usd = cost_usd + ${outcome.costUsd}, error_code = ${outcome.errorCode},
                     error_message = ${outcome.errorMessage}, finished_at = ${now}
               where run_id = ${runId} and step_id = ${stepId} and attempt = ${attempt} and status = 'running'
                 and exists (select 1 from bumped)
           returning step_id),
            event as (
              insert into workflow_run_events (run_id, sequence, workspace_id, type, step_id, data, created_at)
              select ${runId}, event_sequence, workspace_id, 'step-end', ${stepId},
                     json_build_object('stepId', ${stepId}::text, 'attempt', ${attempt}::int, 'status', ${outcome.status}::text,
                                       'costUsd', ${outcome.costUsd}::float8, 'errorCode', ${outcome.errorCode}::text),
                     ${now}
                from bumped
               where exists (select 1 from committed)
           returning sequence)
            select count(*)::int as committed from committed`,
      );
      return (rows[0]?.committed ?? 0) > 0;
    },

    /**
     * Ends a running run with `run-end`: steps that never ran become `skipped` (failure) or stay as
     * they are (success leaves none). False when the run was not running (cancelled meanwhile).
     */
    async finish(
      runId: string,
      end: {
        status: 'completed' | 'failed';
        output: unknown;
        errorCode: string | null;
        errorMessage: string | null;
      },
      now: Date,
    ): Promise<boolean> {
      const rows = await queryRows<{ id: string }>(
        database,
        sql`with ended as (
              update workflow_runs
                 set status = ${end.status}, output = ${jsonText(end.output)}::json, error_code = ${end.errorCode},
                     error_message = ${end.errorMessage}, finished_at = ${now}, event_sequence = event_sequence + 1
               where id = ${runId} and status = 'running'
           returning id, workspace_id, event_sequence, cost_usd),
            skipped as (
              update workflow_step_runs set status = 'skipped', finished_at = ${now}
               where run_id = ${runId} and status in ('pending', 'ready') and exists (select 1 from ended)
           returning step_id),
            event as (
              insert into workflow_run_events (run_id, sequence, workspace_id, type, step_id, data, created_at)
              select id, event_sequence, workspace_id, 'run-end', null,
                     json_build_object('status', ${end.status}::text, 'costUsd', cost_usd, 'errorCode', ${end.errorCode}::text),
                     ${now}
                from ended
           returning sequence)
            select id from ended`,
      );
      return rows.length > 0;
    },

    /**
     * Cancels an unfinished run: open steps become `cancelled`, `run-end` is appended. Answers the
     * run as it is now, and whether this call cancelled it.
     */
    async cancel(workspaceId: string, runId: string, now: Date): Promise<boolean> {
      const rows = await queryRows<{ id: string }>(
        database,
        sql`with ended as (
              update workflow_runs
                 set status = 'cancelled', finished_at = ${now}, event_sequence = event_sequence + 1,
                     error_code = 'run_cancelled', error_message = 'The run was cancelled.'
               where workspace_id = ${workspaceId} and id = ${runId}
                 and status in ('queued', 'running', 'waiting_approval')
           returning id, workspace_id, event_sequence, cost_usd),
            cancelled as (
              update workflow_step_runs set status = 'cancelled', finished_at = ${now}
               where run_id = ${runId} and status in ('pending', 'ready', 'running', 'waiting_approval')
                 and exists (select 1 from ended)
           returning step_id),
            event as (
              insert into workflow_run_events (run_id, sequence, workspace_id, type, step_id, data, created_at)
              select id, event_sequence, workspace_id, 'run-end', null,
                     json_build_object('status', 'cancelled', 'costUsd', cost_usd, 'errorCode', 'run_cancelled'), ${now}
                from ended
           returning sequence)
            select id from ended`,
      );
      return rows.length > 0;
    },

    /**
     * Failed or cancelled run → queued again: its failed, cancelled and skipped steps become pending,
     * completed ones are kept. False when the run is not failed or cancelled.
     */
    async requeueForRetry(workspaceId: string, runId: string, now: Date): Promise<boolean> {
      const rows = await queryRows<{ id: string }>(
        database,
        sql`with requeued as (
              update workflow_runs
                 set status = 'queued', finished_at = null, output = null, error_code = null,
                     error_message = null, event_sequence = event_sequence + 1
               where workspace_id = ${workspaceId} and id = ${runId} and status in ('failed', 'cancelled')
           returning id, workspace_id, event_sequence),
            reset as (
              update workflow_step_runs
                 set status = 'pending', finished_at = null, error_code = null, error_message = null
               where run_id = ${runId} and status in ('failed', 'cancelled', 'skipped')
                 and exists (select 1 from requeued)
           returning step_id),
            event as (
              insert into workflow_run_events (run_id, sequence, workspace_id, type, step_id, data, created_at)
              select id, event_sequence, workspace_id, 'run-retry', null,
                     json_build_object('steps', (select coalesce(json_agg(step_id), '[]'::json) from reset)), ${now}
                from requeued
           returning sequence)
            select id from requeued`,
      );
      return rows.length > 0;
    },

    /** Events after `afterSequence`, oldest first. */
    async listEvents(runId: string, afterSequence: number, limit: number): Promise<WorkflowRunEventRow[]> {
      return database
        .select()
        .from(workflowRunEvents)
        .where(and(eq(workflowRunEvents.runId, runId), gt(workflowRunEvents.sequence, afterSequence)))
        .orderBy(asc(workflowRunEvents.sequence))
        .limit(limit);
    },

    /**
     * Runs still `queued` that were created before `createdBefore`: recorded, but their job never made
     * it into the queue (the database failed between the two), so the sweep hands them to it again.
     */
    async listStaleQueuedIds(createdBefore: Date, limit: number): Promise<string[]> {
      const rows = await database
        .select({ id: workflowRuns.id })
        .from(workflowRuns)
        .where(and(eq(workflowRuns.status, 'queued'), lt(workflowRuns.createdAt, createdBefore)))
        .orderBy(asc(workflowRuns.createdAt))
        .limit(limit);
      return rows.map((row) => row.id);
    },
  };
}

export type WorkflowRunRepository = ReturnType<typeof createWorkflowRunRepository>;
