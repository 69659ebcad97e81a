import { sql } from 'drizzle-orm';
import {
  boolean,
  doublePrecision,
  index,
  integer,
  json,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';
import { workspaces } from './identity.ts';

const at = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/*
 * User-authored documents (definitions, run inputs, step outputs) are `json`, not `jsonb`: `json`
 * keeps the text as sent, so keys come back in the order the user wrote them.
 */

/**
 * A workflow's identity and trigger state; its steps live in the immutable version it points at.
 * Deleting hides it (runs keep their version) and frees the slug.
 */
export const workflows = pgTable(
  'workflows',
  {
    id: text('id').primaryKey(),
    workspaceId: text('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    slug: text('slug').notNull(),
    /** `workflow`, or `session`: the one-step workflow behind an agent's work sessions (not listed). */
    kind: text('kind').notNull().default('workflow'),
    currentVersionId: text('current_version_id').notNull(),
    version: integer('version').notNull(),
    /** SHA-256 of the webhook secret (shown once); null until one is made. */
    webhookSecretHash: text('webhook_secret_hash'),
    /** The next schedule tick not yet started; advanced by whichever node claims it. */
    scheduleNextAt: at('schedule_next_at'),
    createdBy: text('created_by'),
    createdAt: at('created_at').notNull().defaultNow(),
    updatedAt: at('updated_at').notNull().defaultNow(),
    deletedAt: at('deleted_at'),
  },
  (table) => [
    uniqueIndex('workflows_workspace_slug')
      .on(table.workspaceId, table.slug)
      .where(sql`${table.deletedAt} is null`),
    index('workflows_workspace_created')
      .on(table.workspaceId, table.createdAt, table.id)
      .where(sql`${table.deletedAt} is null`),
    index('workflows_schedule_due')
      .on(table.scheduleNextAt)
      .where(sql`${table.scheduleNextAt} is not null and ${table.deletedAt} is null`),
  ],
);

/** An immutable snapshot of a workflow definition; runs pin the one they started on. */
export const workflowVersions = pgTable(
  'workflow_versions',
  {
    id: text('id').primaryKey(),
    workspaceId: text('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    workflowId: text('workflow_id')
      .notNull()
      .references(() => workflows.id, { onDelete: 'cascade' }),
    number: integer('number').notNull(),
    definition: json('definition').$type<Record<string, unknown>>().notNull(),
    createdBy: text('created_by'),
    createdAt: at('created_at').notNull().defaultNow(),
  },
  (table) => [uniqueIndex('workflow_versions_workflow_number').on(table.workflowId, table.number)],
);

export const runStatuses = [
  'queued',
  'running',
  'waiting_approval',
  'completed',
  'failed',
  'cancelled',
] as const;
export type RunStatus = (typeof runStatuses)[number];
export const stepStatuses = [
  'pending',
  'ready',
  'running',
  'waiting_approval',
  'completed',
  'failed',
  'skipped',
  'cancelled',
] as const;
export type StepStatus = (typeof stepStatuses)[number];
/** `cancelled`: the run ended (cancelled or failed elsewhere) while the approval still waited. */
export const approvalStatuses = [
  'pending',
  'approved',
  'rejected',
  'revision_requested',
  'cancelled',
] as const;
export type ApprovalStatus = (typeof approvalStatuses)[number];

/**
 * One run of a workflow version. `status` moves only by conditional updates:
 * queued → running → waiting_approval ⇄ running → completed | failed | cancelled.
 * `eventSequence` numbers the run's events (one counter per run, bumped in the same statement).
 */
export const workflowRuns = pgTable(
  'workflow_runs',
  {
    id: text('id').primaryKey(),
    workspaceId: text('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    workflowId: text('workflow_id').notNull(),
    workflowVersionId: text('workflow_version_id').notNull(),
    workflowVersion: integer('workflow_version').notNull(),
    status: text('status', { enum: runStatuses }).notNull(),
    mode: text('mode').notNull(),
    trigger: text('trigger').notNull(),
    input: json('input'),
    output: json('output'),
    errorCode: text('error_code'),
    errorMessage: text('error_message'),
    costUsd: doublePrecision('cost_usd').notNull().default(0),
    eventSequence: integer('event_sequence').notNull().default(0),
    createdBy: text('created_by'),
    tokenId: text('token_id'),
    /** The role the run acts with (the starter's, or `member` for webhooks and schedules). */
    actingRole: text('acting_role').notNull(),
    /** The context documents the run hands its agents, with the versions it pinned at start. */
    context: json('context').$type<Array<{ documentId: string; name: string; version: number }>>(),
    /** The run's cost cap (the workflow's `costCapUsd` plus what approvers added); null without one. */
    costCapUsd: doublePrecision('cost_cap_usd'),
    /** Every agent step's provider exchanges are recorded (`record: true` or the workspace setting). */
    record: boolean('record').notNull().default(false),
    /** Mode `replay`: the recorded run whose steps' exchanges answer this run's provider calls. */
    replayOf: text('replay_of'),
    createdAt: at('created_at').notNull().defaultNow(),
    startedAt: at('started_at'),
    finishedAt: at('finished_at'),
  },
  (table) => [
    index('workflow_runs_workspace_created').on(table.workspaceId, table.createdAt, table.id),
    index('workflow_runs_workflow_created').on(
      table.workspaceId,
      table.workflowId,
      table.createdAt,
      table.id,
    ),
    index('workflow_runs_active').on(table.status).where(sql`${table.status} in ('queued', 'running')`),
  ],
);

/**
 * One step of one run: pending → ready → running → waiting_approval → completed | failed | skipped | cancelled.
 * `attempt` grows with every claim, so a worker that lost its lease cannot commit over a newer attempt.
 */
export const workflowStepRuns = pgTable(
  'workflow_step_runs',
  {
    runId: text('run_id')
      .notNull()
      .references(() => workflowRuns.id, { onDelete: 'cascade' }),
    stepId: text('step_id').notNull(),
    workspaceId: text('workspace_id').notNull(),
    /** The step's place in the definition, for listing in the order the user wrote. */
    position: integer('position').notNull(),
    kind: text('kind').notNull(),
    status: text('status', { enum: stepStatuses }).notNull(),
    attempt: integer('attempt').notNull().default(0),
    input: json('input'),
    output: json('output'),
    executionId: text('execution_id'),
    /** Every execution this step made, oldest first (one per attempt). */
    executionIds: json('execution_ids').$type<string[]>().notNull().default([]),
    costUsd: doublePrecision('cost_usd').notNull().default(0),
    errorCode: text('error_code'),
    errorMessage: text('error_message'),
    /** A reviewer's feedback the next attempt appends to its prompt (set by request-revision). */
    revisionFeedback: text('revision_feedback'),
    revisions: integer('revisions').notNull().default(0),
    workerId: text('worker_id'),
    startedAt: at('started_at'),
    finishedAt: at('finished_at'),
  },
  (table) => [primaryKey({ columns: [table.runId, table.stepId] })],
);

/** A run's stored events, numbered per run for SSE `Last-Event-ID` resume. */
export const workflowRunEvents = pgTable(
  'workflow_run_events',
  {
    runId: text('run_id')
      .notNull()
      .references(() => workflowRuns.id, { onDelete: 'cascade' }),
    sequence: integer('sequence').notNull(),
    workspaceId: text('workspace_id').notNull(),
    type: text('type').notNull(),
    stepId: text('step_id'),
    data: json('data').$type<Record<string, unknown>>().notNull(),
    createdAt: at('created_at').notNull().defaultNow(),
  },
  (table) => [primaryKey({ columns: [table.runId, table.sequence] })],
);

/**
 * A secret a user names for http steps and tools (`{{ secrets.NAME }}`), encrypted like provider
 * keys. (`workspace_secrets` is the system's own: webhook signing secrets.)
 */
export const userSecrets = pgTable(
  'user_secrets',
  {
    id: text('id').primaryKey(),
    workspaceId: text('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    /** `v1:<keyId>:<nonce>:<ciphertext>:<tag>`, AAD = workspace id + this row's id. */
    secretEnvelope: text('secret_envelope').notNull(),
    lastFour: text('last_four').notNull(),
    createdBy: text('created_by'),
    createdAt: at('created_at').notNull().defaultNow(),
    updatedAt: at('updated_at').notNull().defaultNow(),
  },
  (table) => [uniqueIndex('user_secrets_workspace_name').on(table.workspaceId, table.name)],
);

/**
 * A checkpoint on one attempt of a step: pending → approved | rejected | revision_requested, or
 * expired by its deadline. Decided by exactly one conditional update (`WHERE status = 'pending'`);
 * the row is never changed after that, so it is the immutable record of the decision.
 */
export const workflowApprovals = pgTable(
  'workflow_approvals',
  {
    id: text('id').primaryKey(),
    workspaceId: text('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    runId: text('run_id')
      .notNull()
      .references(() => workflowRuns.id, { onDelete: 'cascade' }),
    workflowId: text('workflow_id').notNull(),
    stepId: text('step_id').notNull(),
    /** The step attempt whose output waits. */
    attempt: integer('attempt').notNull(),
    /** How many revisions of this step came before this approval (0 for the first). */
    revision: integer('revision').notNull().default(0),
    status: text('status', { enum: approvalStatuses }).notNull(),
    /** Why it waits: `required`, `checkpoint`, `final`, `risk`, `review_requested`, `cost_cap`. */
    reason: text('reason').notNull(),
    /** The output proposed for approval. */
    output: json('output'),
    /** The output an approver put in its place (null when approved as proposed). */
    editedOutput: json('edited_output'),
    /** For `cost_cap`: what the step is estimated to cost, which approving adds to the run's cap. */
    estimateUsd: doublePrecision('estimate_usd'),
    decidedBy: text('decided_by'),
    decidedByToken: text('decided_by_token'),
    decidedAt: at('decided_at'),
    comment: text('comment'),
    feedback: text('feedback'),
    expiresAt: at('expires_at'),
    onTimeout: text('on_timeout'),
    createdAt: at('created_at').notNull().defaultNow(),
  },
  (table) => [
    index('workflow_approvals_workspace_created').on(table.workspaceId, table.createdAt, table.id),
    index('workflow_approvals_run').on(table.runId, table.stepId),
    index('workflow_approvals_expiring')
      .on(table.expiresAt)
      .where(sql`${table.status} = 'pending' and ${table.expiresAt} is not null`),
  ],
);

/** A typed, versioned output of a step: one version per attempt, revision and edit. */
export const workflowArtifacts = pgTable(
  'workflow_artifacts',
  {
    id: text('id').primaryKey(),
    workspaceId: text('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    runId: text('run_id')
      .notNull()
      .references(() => workflowRuns.id, { onDelete: 'cascade' }),
    stepId: text('step_id').notNull(),
    /** `research_finding`, `content_draft`, `report`, `generic_output` or the agent's own type. */
    type: text('type').notNull(),
    version: integer('version').notNull(),
    /** `step` (an attempt's output), `edit` (an approver's edit). */
    source: text('source').notNull(),
    approvalId: text('approval_id'),
    executionId: text('execution_id'),
    content: json('content'),
    createdBy: text('created_by'),
    createdAt: at('created_at').notNull().defaultNow(),
  },
  (table) => [
    uniqueIndex('workflow_artifacts_run_step_version').on(table.runId, table.stepId, table.version),
  ],
);

/** A workspace's context document (text or Markdown) that runs can hand to agents; versioned. */
export const contextDocuments = pgTable(
  'context_documents',
  {
    id: text('id').primaryKey(),
    workspaceId: text('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    /** What templates call it: `{{ context.<name> }}`. */
    name: text('name').notNull(),
    format: text('format').notNull(),
    version: integer('version').notNull(),
    createdBy: text('created_by'),
    createdAt: at('created_at').notNull().defaultNow(),
    updatedAt: at('updated_at').notNull().defaultNow(),
    deletedAt: at('deleted_at'),
  },
  (table) => [
    uniqueIndex('context_documents_workspace_name')
      .on(table.workspaceId, table.name)
      .where(sql`${table.deletedAt} is null`),
  ],
);

/** One immutable version of a context document's text. */
export const contextDocumentVersions = pgTable(
  'context_document_versions',
  {
    documentId: text('document_id')
      .notNull()
      .references(() => contextDocuments.id, { onDelete: 'cascade' }),
    version: integer('version').notNull(),
    workspaceId: text('workspace_id').notNull(),
    content: text('content').notNull(),
    createdBy: text('created_by'),
    createdAt: at('created_at').notNull().defaultNow(),
  },
  (table) => [primaryKey({ columns: [table.documentId, table.version] })],
);
