import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  doublePrecision,
  index,
  integer,
  json,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';
import { workspaces } from './identity.ts';

const timestampColumn = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/**
 * An agent's identity; its configuration lives in the immutable version it points at.
 * Deleting an agent only hides it (executions keep pointing at its versions) and frees its slug.
 */
export const agents = pgTable(
  'agents',
  {
    id: text('id').primaryKey(),
    workspaceId: text('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    slug: text('slug').notNull(),
    currentVersionId: text('current_version_id').notNull(),
    /** The current version's number, incremented by every change. */
    version: integer('version').notNull(),
    /**
     * The version API, workflow and OpenAI-compatible callers run when they name none (the
     * `production` label). Saving makes a draft (`currentVersionId`); only a publish moves this.
     */
    publishedVersionId: text('published_version_id'),
    publishedVersion: integer('published_version'),
    /** Other labels callers can target (`staging`, your own): label → version number, in the order set. */
    labels: json('labels').$type<Record<string, number>>().notNull().default({}),
    createdBy: text('created_by'),
    createdAt: timestampColumn('created_at').notNull().defaultNow(),
    updatedAt: timestampColumn('updated_at').notNull().defaultNow(),
    deletedAt: timestampColumn('deleted_at'),
  },
  (table) => [
    uniqueIndex('agents_workspace_slug')
      .on(table.workspaceId, table.slug)
      .where(sql`${table.deletedAt} is null`),
    // Ascending columns: the newest-first list scans it backwards, which matches `desc` (nulls first).
    index('agents_workspace_created')
      .on(table.workspaceId, table.createdAt, table.id)
      .where(sql`${table.deletedAt} is null`),
  ],
);

/** An immutable snapshot of an agent's whole configuration; executions record the one they ran. */
export const agentVersions = pgTable(
  'agent_versions',
  {
    id: text('id').primaryKey(),
    workspaceId: text('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    agentId: text('agent_id')
      .notNull()
      .references(() => agents.id, { onDelete: 'cascade' }),
    number: integer('number').notNull(),
    /** `json`, not `jsonb`: schemas and templates come back with the key order the user wrote. */
    definition: json('definition').$type<Record<string, unknown>>().notNull(),
    changedFields: jsonb('changed_fields').$type<string[]>().notNull(),
    createdBy: text('created_by'),
    createdAt: timestampColumn('created_at').notNull().defaultNow(),
  },
  (table) => [uniqueIndex('agent_versions_agent_number').on(table.agentId, table.number)],
);

/** One provider call inside an execution, as stored in `executions.attempts`. */
export interface ExecutionAttemptColumn {
  provider: string;
  model: string;
  status: 'succeeded' | 'failed';
  statusCode: number | null;
  errorCode: string | null;
  latencyMs: number;
  /** `repair` for the one call that asks the model to fix an answer that failed the output schema. */
  purpose: 'answer' | 'repair';
}

/** One tool call the model asked for inside an execution, as stored in `executions.tool_calls`. */
export interface ExecutionToolCallColumn {
  /** The provider's id of the call (OpenAI `call_…`, Anthropic `toolu_…`). */
  id: string;
  tool: string;
  kind: string;
  /** The arguments the tool ran with (edited ones after an approval), secrets never included. */
  arguments: unknown;
  result: unknown;
  error: { code: string; message: string } | null;
  status: 'succeeded' | 'failed' | 'rejected' | 'waiting_approval';
  latencyMs: number;
  /** Which model turn asked for it (1 for the first answer). */
  turn: number;
  childExecutionId?: string;
  /** What the call cost (an agent tool's child execution), part of the caller's total. */
  costUsd?: number;
  approvalId?: string;
}

/** `waiting_approval`: the tool loop stopped for a person; the execution after the decision continues it. */
export const executionStatuses = ['running', 'completed', 'failed', 'waiting_approval'] as const;
export type ExecutionStatus = (typeof executionStatuses)[number];

/**
 * One run of one agent version. Written `running` before the provider call and finished after it,
 * so a process that dies mid-call leaves a row the next start can mark `interrupted`.
 */
export const executions = pgTable(
  'executions',
  {
    id: text('id').primaryKey(),
    workspaceId: text('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    agentId: text('agent_id').notNull(),
    agentVersionId: text('agent_version_id').notNull(),
    agentVersion: integer('agent_version').notNull(),
    status: text('status', { enum: executionStatuses }).notNull(),
    mode: text('mode').notNull(),
    trigger: text('trigger').notNull(),
    /** Inputs and outputs keep their key order (`json`): a structured answer reads as the model wrote it. */
    input: json('input'),
    output: json('output'),
    rawOutput: text('raw_output'),
    errorCode: text('error_code'),
    errorMessage: text('error_message'),
    inputTokens: integer('input_tokens').notNull().default(0),
    outputTokens: integer('output_tokens').notNull().default(0),
    totalTokens: integer('total_tokens').notNull().default(0),
    costUsd: doublePrecision('cost_usd'),
    costPriced: boolean('cost_priced').notNull().default(true),
    latencyMs: doublePrecision('latency_ms'),
    timeToFirstTokenMs: doublePrecision('time_to_first_token_ms'),
    retries: integer('retries').notNull().default(0),
    attempts: jsonb('attempts').$type<ExecutionAttemptColumn[]>().notNull().default([]),
    fallbackUsed: boolean('fallback_used').notNull().default(false),
    repaired: boolean('repaired').notNull().default(false),
    /** The provider and model that answered (a fallback's, when one was used). */
    provider: text('provider'),
    model: text('model'),
    idempotencyKey: text('idempotency_key'),
    /** SHA-256 of the request an idempotency key was first used with. */
    requestHash: text('request_hash'),
    /** The process that runs it, for logs and the interrupted-run sweep. */
    nodeId: text('node_id').notNull(),
    /** After this the running process has given up on the call; a still-running row is orphaned. */
    deadlineAt: timestampColumn('deadline_at').notNull(),
    createdBy: text('created_by'),
    tokenId: text('token_id'),
    /** Set when a workflow step made this execution: the run and the step id. */
    workflowRunId: text('workflow_run_id'),
    workflowStepId: text('workflow_step_id'),
    /** Tool calls in the order the model asked for them; `json` keeps argument key order as typed. */
    toolCalls: json('tool_calls').$type<ExecutionToolCallColumn[]>().notNull().default([]),
    /** Set on an execution an `agent` tool of another execution made. */
    parentExecutionId: text('parent_execution_id'),
    /**
     * The tool loop's conversation when it stopped for an approval (status `waiting_approval`), so
     * the execution that continues after the decision does not call the model again for done turns.
     */
    loopState: json('loop_state').$type<Record<string, unknown>>(),
    /**
     * The first model call as rendered and sent (system prompt, messages, parameters, the output
     * schema given as structured output, tools); never headers or keys. Null when the workspace
     * keeps no execution content, or once the retention period cleared it.
     */
    request: json('request').$type<Record<string, unknown>>(),
    /** Mode `replay`: the recorded execution this one answered from. */
    replayOf: text('replay_of'),
    /** Machine-readable facts of the failure, e.g. what differs from the recording (`replay_mismatch`). */
    errorDetails: json('error_details').$type<Record<string, unknown>>(),
    createdAt: timestampColumn('created_at').notNull().defaultNow(),
    finishedAt: timestampColumn('finished_at'),
  },
  (table) => [
    index('executions_workspace_created').on(table.workspaceId, table.createdAt, table.id),
    index('executions_workspace_agent_created').on(
      table.workspaceId,
      table.agentId,
      table.createdAt,
      table.id,
    ),
    uniqueIndex('executions_workspace_idempotency_key')
      .on(table.workspaceId, table.idempotencyKey)
      .where(sql`${table.idempotencyKey} is not null`),
    index('executions_running_deadline').on(table.deadlineAt).where(sql`${table.status} = 'running'`),
  ],
);

/**
 * Totals of finished executions for long stats windows: `hour` rows for all agents together
 * (`agent_id` is '') and `day` rows per agent, by UTC bucket of `created_at`, per mode and for all
 * modes together (`mode` is ''). Statement triggers on `executions` (migrations 0007, 0008) add every execution as it leaves `running` (or is
 * inserted finished), in the same statement, so the rollup never drifts from the rows. `latency`
 * is a histogram `{ bucket: count }` over fixed log-scale buckets (see execution-rollups.ts).
 */
export const executionRollups = pgTable(
  'execution_rollups',
  {
    workspaceId: text('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    grain: text('grain').notNull(),
    bucket: timestampColumn('bucket').notNull(),
    agentId: text('agent_id').notNull(),
    mode: text('mode').notNull(),
    count: bigint('count', { mode: 'number' }).notNull(),
    completed: bigint('completed', { mode: 'number' }).notNull(),
    failed: bigint('failed', { mode: 'number' }).notNull(),
    inputTokens: bigint('input_tokens', { mode: 'number' }).notNull(),
    outputTokens: bigint('output_tokens', { mode: 'number' }).notNull(),
    totalTokens: bigint('total_tokens', { mode: 'number' }).notNull(),
    costUsd: doublePrecision('cost_usd').notNull(),
    /** Finished executions whose model had no price (`cost_priced` false): `cost_usd` leaves them out. */
    unpriced: bigint('unpriced', { mode: 'number' }).notNull().default(0),
    latency: jsonb('latency').$type<Record<string, number>>().notNull(),
  },
  (table) => [
    primaryKey({
      columns: [table.workspaceId, table.grain, table.bucket, table.agentId, table.mode],
    }),
  ],
);
