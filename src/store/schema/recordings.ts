import {
  doublePrecision,
  index,
  integer,
  json,
  jsonb,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';
import { workspaces } from './identity.ts';

const at = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/**
 * One provider exchange of a recorded execution (`record: true`, or the workspace's
 * `settings.recordExecutions`): what was asked, with headers and credentials stripped, and what came
 * back. A replay (`mode: "replay"`) answers each call from these rows, in `sequence` order, after
 * checking the fingerprint. `kind` is `model` for a provider call; `tool` is kept for tool results
 * of the agent tool loop, recorded the same way.
 */
export const recordedExchanges = pgTable(
  'recorded_exchanges',
  {
    id: text('id').primaryKey(),
    workspaceId: text('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    executionId: text('execution_id').notNull(),
    /** Set when a workflow step made the execution: a run replay finds its steps' recordings by these. */
    runId: text('run_id'),
    stepId: text('step_id'),
    /** Order of the exchange within its execution, from 0 (answer, retries, repair, tool turns). */
    sequence: integer('sequence').notNull(),
    kind: text('kind').notNull(),
    /** SHA-256 of the canonical request (stable key order, no headers, signals or idempotency keys). */
    fingerprint: text('fingerprint').notNull(),
    /** `json` keeps the key order the prompt and schemas were written in, for the mismatch diff. */
    request: json('request').$type<Record<string, unknown>>().notNull(),
    /** `{ ok: true, result }` or `{ ok: false, error: { code, statusCode, isRetryable, message } }`. */
    response: json('response').$type<Record<string, unknown>>().notNull(),
    usage: jsonb('usage').$type<Record<string, number>>(),
    latencyMs: doublePrecision('latency_ms').notNull().default(0),
    createdAt: at('created_at').notNull().defaultNow(),
  },
  (table) => [
    uniqueIndex('recorded_exchanges_execution_sequence').on(table.executionId, table.sequence),
    index('recorded_exchanges_workspace_run_step').on(table.workspaceId, table.runId, table.stepId),
  ],
);
