import { type ErrorKind, FlightdeckError } from '../../core/errors.ts';
import { providerErrorKinds } from '../../llm/index.ts';
import type {
  ExecutionAttemptColumn,
  ExecutionRow,
  ExecutionToolCallColumn,
} from '../../store/repositories/index.ts';
import {
  type ExecutionStatus,
  executionStatuses as executionStatusValues,
} from '../../store/schema/index.ts';

export type { ExecutionStatus };

/** `replay`: answered from a recorded execution's exchanges, no provider call and no cost. */
export type ExecutionMode = 'live' | 'mock' | 'replay';
/** Where a run came from: the console's test panel, the API, a workflow step, the OpenAI-compatible endpoint. */
export type ExecutionTrigger = 'test' | 'api' | 'workflow' | 'openai-compat';

// Widened to a plain array because the routes hand it to `z.enum` as a mutable tuple.
export const executionStatuses: readonly ExecutionStatus[] = executionStatusValues;
export const executionModes: readonly ExecutionMode[] = ['live', 'mock', 'replay'];
export const executionTriggers: readonly ExecutionTrigger[] = ['test', 'api', 'workflow', 'openai-compat'];

/** The execution record clients see. */
export interface ExecutionView {
  id: string;
  agentId: string;
  agentVersionId: string;
  agentVersion: number;
  status: ExecutionStatus;
  mode: ExecutionMode;
  trigger: ExecutionTrigger;
  input: unknown;
  output: unknown;
  /** The model's text when the output could not be used (invalid against the schema), else null. */
  rawOutput: string | null;
  /** The first model call as rendered and sent (no headers or keys); null when not kept. */
  request: Record<string, unknown> | null;
  /** `details` only where the failure has facts to show (what a replay found different). */
  error: { code: string; message: string; details?: Record<string, unknown> } | null;
  usage: { inputTokens: number; outputTokens: number; totalTokens: number };
  /** This execution's own model calls; null when the model is not in the price catalog (`costPriced` false). */
  costUsd: number | null;
  /** `costUsd` plus what its tool calls cost (agent tools' child executions). */
  totalCostUsd: number | null;
  /** The tool calls the model asked for, in order, with their arguments, results or errors. */
  toolCalls: ExecutionToolCallColumn[];
  /** Set when an agent tool of another execution made this one. */
  parentExecutionId: string | null;
  costPriced: boolean;
  latencyMs: number | null;
  timeToFirstTokenMs: number | null;
  retries: number;
  attempts: ExecutionAttemptColumn[];
  fallbackUsed: boolean;
  /** True when the first answer failed the output schema and the repair call fixed it. */
  repaired: boolean;
  provider: string | null;
  model: string | null;
  /** The workflow run and step that made it; null outside workflows. */
  workflowRunId: string | null;
  workflowStepId: string | null;
  /** Mode `replay`: the recorded execution it answered from; null otherwise. */
  replayOf: string | null;
  createdAt: Date;
  finishedAt: Date | null;
}

export function toExecutionView(row: ExecutionRow): ExecutionView {
  return {
    id: row.id,
    agentId: row.agentId,
    agentVersionId: row.agentVersionId,
    agentVersion: row.agentVersion,
    status: row.status as ExecutionStatus,
    mode: row.mode as ExecutionMode,
    trigger: row.trigger as ExecutionTrigger,
    input: row.input ?? null,
    output: row.output ?? null,
    rawOutput: row.rawOutput,
    request: row.request ?? null,
    error: row.errorCode
      ? {
          code: row.errorCode,
          message: row.errorMessage ?? '',
          ...(row.errorDetails ? { details: row.errorDetails } : {}),
        }
      : null,
    usage: { inputTokens: row.inputTokens, outputTokens: row.outputTokens, totalTokens: row.totalTokens },
    costUsd: row.costUsd,
    totalCostUsd:
      row.costUsd === null
        ? null
        : row.costUsd + row.toolCalls.reduce((sum, call) => sum + (call.costUsd ?? 0), 0),
    toolCalls: row.toolCalls,
    parentExecutionId: row.parentExecutionId,
    costPriced: row.costPriced,
    latencyMs: row.latencyMs,
    timeToFirstTokenMs: row.timeToFirstTokenMs,
    retries: row.retries,
    attempts: row.attempts,
    fallbackUsed: row.fallbackUsed,
    repaired: row.repaired,
    provider: row.provider,
    model: row.model,
    workflowRunId: row.workflowRunId,
    workflowStepId: row.workflowStepId,
    replayOf: row.replayOf,
    createdAt: row.createdAt,
    finishedAt: row.finishedAt,
  };
}

const executionErrorKinds: Record<string, ErrorKind> = {
  ...providerErrorKinds,
  output_invalid: 'unprocessable',
  provider_url_refused: 'invalid',
  client_closed: 'invalid',
  interrupted: 'unavailable',
  replay_mismatch: 'unprocessable',
  tool_limit_reached: 'unprocessable',
  approval_required: 'conflict',
  execution_timeout: 'timeout',
  budget_exceeded: 'payment_required',
  internal_error: 'internal',
};

/**
 * The HTTP answer for a failed execution: its error code and message, with the whole record in
 * `details.execution` so a client keeps the id, attempts and raw output.
 */
export function executionFailure(execution: ExecutionView): FlightdeckError {
  const code = execution.error?.code ?? 'internal_error';
  return new FlightdeckError({
    code,
    kind: executionErrorKinds[code] ?? 'internal',
    message: execution.error?.message ?? 'The execution failed.',
    // What the failure knows (e.g. a replay's differing fields) sits beside the record.
    details: { ...execution.error?.details, executionId: execution.id, execution },
  });
}
