import { type ErrorKind, FlightdeckError } from '../../core/errors.ts';
import { providerErrorKinds } from '../../llm/index.ts';
import type { ExecutionAttemptColumn, ExecutionRow } from '../../store/repositories/index.ts';

export type ExecutionStatus = 'running' | 'completed' | 'failed';
export type ExecutionMode = 'live' | 'mock';
/** Where a run came from: the console's test panel, the API, a workflow step, the OpenAI-compatible endpoint. */
export type ExecutionTrigger = 'test' | 'api' | 'workflow' | 'openai-compat';

export const executionStatuses: readonly ExecutionStatus[] = ['running', 'completed', 'failed'];
export const executionModes: readonly ExecutionMode[] = ['live', 'mock'];
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
  error: { code: string; message: string } | null;
  usage: { inputTokens: number; outputTokens: number; totalTokens: number };
  /** Null when the model is not in the price catalog (`costPriced` false). */
  costUsd: number | null;
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
    error: row.errorCode ? { code: row.errorCode, message: row.errorMessage ?? '' } : null,
    usage: { inputTokens: row.inputTokens, outputTokens: row.outputTokens, totalTokens: row.totalTokens },
    costUsd: row.costUsd,
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
    details: { executionId: execution.id, execution },
  });
}
