import { FlightdeckError } from '../../core/errors.ts';
import { describeProblems, type JsonSchemaValidator, type SchemaProblem } from '../../core/json-schema.ts';
import {
  type AttemptRecord,
  type ModelCaller,
  type ModelCallRequest,
  type ModelCallResult,
  type PriceOverride,
  ProviderError,
} from '../../llm/index.ts';
import type { ExecutionAttemptColumn, ExecutionFinish } from '../../store/repositories/index.ts';
import type { RunHandlers } from './run-handlers.ts';
import { summarizeCalls } from './summarize-calls.ts';

export interface RunExecutionInput {
  caller: ModelCaller;
  request: ModelCallRequest;
  /** Per target, for pricing openai-compatible endpoints the catalog knows by URL. */
  baseUrls: Array<string | undefined>;
  /** The workspace's own prices for models the catalog does not know. */
  priceOverrides?: readonly PriceOverride[];
  output: JsonSchemaValidator | null;
  handlers: RunHandlers;
}

type Outcome = Omit<ExecutionFinish, 'finishedAt'>;

/**
 * One execution's calls: the answer (streamed or not), then — when the answer fails the output
 * schema — one repair call that shows the model its answer and the problems. Never throws: every
 * failure becomes a `failed` outcome with a stable code, so the record is always finished.
 */
export async function runExecution(input: RunExecutionInput): Promise<Outcome> {
  const { caller, request, handlers } = input;
  const abortSignal = handlers.abortSignal;
  const startedAt = performance.now();
  const calls: ModelCallResult[] = [];
  const attempts: ExecutionAttemptColumn[] = [];
  let retries = 0;
  let fallbackUsed = false;
  let timeToFirstTokenMs: number | null = null;

  const record = (attempt: AttemptRecord, purpose: ExecutionAttemptColumn['purpose']) =>
    attempts.push({ ...attempt, purpose });
  const collect = (call: ModelCallResult, purpose: ExecutionAttemptColumn['purpose'], streamed: boolean) => {
    calls.push(call);
    if (!streamed) for (const attempt of call.attempts) record(attempt, purpose);
    retries += call.retries;
    fallbackUsed ||= call.fallbackUsed;
  };

  const finish = (
    status: 'completed' | 'failed',
    fields: {
      output?: unknown;
      rawOutput?: string | null;
      error?: { code: string; message: string; details?: Record<string, unknown> };
      repaired?: boolean;
    },
  ): Outcome => {
    const summary = summarizeCalls(calls, attempts, input);
    return {
      status,
      output: fields.output ?? null,
      rawOutput: fields.rawOutput ?? null,
      errorCode: fields.error?.code ?? null,
      errorMessage: fields.error?.message ?? null,
      errorDetails: fields.error?.details ?? null,
      inputTokens: summary.inputTokens,
      outputTokens: summary.outputTokens,
      totalTokens: summary.totalTokens,
      costUsd: summary.costUsd,
      costPriced: summary.costPriced,
      latencyMs: performance.now() - startedAt,
      timeToFirstTokenMs,
      retries,
      attempts,
      fallbackUsed,
      repaired: fields.repaired ?? false,
      provider: summary.provider,
      model: summary.model,
    };
  };

  const failure = (error: unknown, purpose: ExecutionAttemptColumn['purpose']) => {
    if (abortSignal?.aborted) {
      return {
        code: 'client_closed',
        message:
          'The client closed the connection before the execution finished; the provider call was cancelled.',
      };
    }
    if (ProviderError.isProviderError(error)) {
      // Streamed attempts were recorded as they ended; the error carries them all for the others.
      if (!handlers.stream || purpose === 'repair')
        for (const attempt of error.attempts) record(attempt, purpose);
      retries += countRetries(error.attempts);
      fallbackUsed ||= error.fallbackUsed;
      return { code: error.code, message: error.message };
    }
    if (FlightdeckError.isInstance(error)) {
      // Facts a client needs to act, e.g. which request fields a replay found different.
      const details = replayDetails(error);
      return { code: error.code, message: error.message, ...(details ? { details } : {}) };
    }
    return { code: 'internal_error', message: 'The execution failed unexpectedly on our side.' };
  };

  let first: ModelCallResult;
  try {
    first = handlers.stream ? await streamCall() : await caller.generate({ ...request, abortSignal });
    collect(first, 'answer', handlers.stream);
  } catch (error) {
    return finish('failed', { error: failure(error, 'answer') });
  }
  timeToFirstTokenMs = first.result.timeToFirstTokenMs ?? null;

  if (!input.output) return finish('completed', { output: first.result.text });
  let problems = input.output.validate(first.result.object);
  if (problems.length === 0) return finish('completed', { output: first.result.object });

  let rawOutput = first.result.text;
  const firstProblems = problems;
  try {
    const repair = await caller.generate({
      ...request,
      messages: [
        ...request.messages,
        { role: 'assistant', content: rawOutput },
        { role: 'user', content: repairPrompt(problems) },
      ],
      deadlineMs: Math.max(1, (request.deadlineMs ?? 120_000) - (performance.now() - startedAt)),
      abortSignal,
    });
    collect(repair, 'repair', false);
    rawOutput = repair.result.text;
    problems = input.output.validate(repair.result.object);
    if (problems.length === 0) return finish('completed', { output: repair.result.object, repaired: true });
  } catch (error) {
    const repairError = failure(error, 'repair');
    // A replay that cannot answer the repair says so rather than blaming the model's answer.
    if (repairError.code === 'client_closed' || repairError.code === 'replay_mismatch')
      return finish('failed', { error: repairError, rawOutput });
  }
  return finish('failed', {
    rawOutput,
    error: {
      code: 'output_invalid',
      message: `The model's answer does not match the agent's output schema, also after one repair attempt: ${describeProblems(problems.length > 0 ? problems : firstProblems)}. The raw answer is kept in rawOutput.`,
    },
  });

  async function streamCall(): Promise<ModelCallResult> {
    let result: ModelCallResult | undefined;
    for await (const event of caller.stream({ ...request, abortSignal })) {
      if (event.type === 'text-delta') handlers.onTextDelta?.(event.text);
      else if (event.type === 'attempt-end') record(event.attempt, 'answer');
      else result = event.call;
    }
    if (!result)
      throw new ProviderError({
        code: 'provider_invalid_response',
        detail: 'the stream ended without a result',
      });
    return result;
  }
}

/** The details of a replay mismatch (kept on the record); other errors' details stay out of it. */
export function replayDetails(error: FlightdeckError): Record<string, unknown> | undefined {
  if (error.code !== 'replay_mismatch' || typeof error.details !== 'object' || error.details === null)
    return undefined;
  return error.details as Record<string, unknown>;
}

/** Attempts that repeated the previous attempt's target (a switch to a fallback is not a retry). */
export function countRetries(attempts: readonly AttemptRecord[]): number {
  let retries = 0;
  for (let index = 1; index < attempts.length; index++) {
    const previous = attempts[index - 1];
    const current = attempts[index];
    if (previous && current && previous.provider === current.provider && previous.model === current.model)
      retries++;
  }
  return retries;
}

/** The user turn that asks the model to fix an answer that failed the output schema (the tool loop uses it too). */
export function repairPrompt(problems: SchemaProblem[]): string {
  return `Your answer does not match the required JSON Schema: ${describeProblems(problems, 10)}. Answer again with only the corrected JSON value, valid against the schema.`;
}
