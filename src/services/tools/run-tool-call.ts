import { FlightdeckError } from '../../core/errors.ts';
import { compileJsonSchema, describeProblems, type JsonSchemaValidator } from '../../core/json-schema.ts';
import { riskRuleMatches } from '../../core/workflow/approval-policy.ts';
import type { ToolCallRequest } from '../../llm/index.ts';
import type { ExecutionToolCallColumn } from '../../store/repositories/index.ts';
import { traceToolCall } from '../../telemetry/trace-tool-calls.ts';
import { markError } from '../../telemetry/tracing.ts';
import type { Tool, ToolCallContext } from './tool.ts';

/** What one call came to: its record, and the result the model sees on the next turn. */
export interface ToolCallOutcome {
  record: ExecutionToolCallColumn;
  /** The value sent back to the model (the error as `{ error: { code, message } }` on failure). */
  modelValue: unknown;
  isError: boolean;
}

/** Whether a call needs a person's approval first: `required`, or a rule matching its arguments. */
export function needsApproval(tool: Tool, args: unknown): boolean {
  const approval = tool.approval;
  if (approval === undefined || approval === 'never') return false;
  if (approval === 'required') return true;
  return riskRuleMatches(approval, args);
}

/** Compiles each tool's argument schema once per execution. */
export function createArgumentValidators(tools: readonly Tool[]): Map<string, JsonSchemaValidator> {
  return new Map(tools.map((tool) => [tool.name, compileJsonSchema(tool.parameters, `tools.${tool.name}`)]));
}

const toolFailure = (code: string, message: string) => ({ code, message });

/**
 * Runs one call the model asked for and never throws: unknown tool, arguments that fail the schema,
 * a timeout, a failing endpoint — each becomes an error result the model reads on its next turn
 * (so it can correct itself) and a `failed` record. Only the execution's own abort propagates as an
 * error result with code `tool_cancelled`.
 */
export async function runToolCall(input: {
  call: ToolCallRequest;
  /** The arguments to run with (an approver's edit replaces the model's). */
  arguments: unknown;
  tool: Tool | undefined;
  validator: JsonSchemaValidator | undefined;
  turn: number;
  context: Omit<ToolCallContext, 'timeoutMs' | 'abortSignal'> & {
    abortSignal: AbortSignal | undefined;
    /** The execution's time left; the call gets the smaller of this and its own timeout. */
    remainingMs: number;
  };
  approvalId?: string;
}): Promise<ToolCallOutcome> {
  const { call, tool, turn } = input;
  const startedAt = performance.now();
  const base = {
    id: call.id,
    tool: call.name,
    kind: tool?.kind ?? 'unknown',
    arguments: input.arguments,
    turn,
    ...(input.approvalId ? { approvalId: input.approvalId } : {}),
  };
  const failed = (error: { code: string; message: string }): ToolCallOutcome => ({
    record: {
      ...base,
      result: null,
      error,
      status: 'failed',
      latencyMs: performance.now() - startedAt,
    },
    modelValue: { error },
    isError: true,
  });
  if (!tool) {
    return failed(
      toolFailure('tool_unknown', `There is no tool named "${call.name}". Call one of the tools offered.`),
    );
  }
  const problems = input.validator?.validate(input.arguments) ?? [];
  if (problems.length > 0) {
    return failed(
      toolFailure(
        'tool_arguments_invalid',
        `The arguments do not match the tool's parameters schema: ${describeProblems(problems)}. Call it again with corrected arguments.`,
      ),
    );
  }
  // Whole milliseconds: AbortSignal.timeout refuses fractions.
  const timeoutMs = Math.max(1, Math.floor(Math.min(tool.timeoutMs, input.context.remainingMs)));
  const timeoutSignal = AbortSignal.timeout(timeoutMs);
  const outer = input.context.abortSignal;
  const abortSignal = outer ? AbortSignal.any([outer, timeoutSignal]) : timeoutSignal;
  return traceToolCall({ name: tool.name, callId: call.id, kind: tool.kind }, async (span) => {
    try {
      const answered = await raceAbort(
        tool.call(input.arguments, {
          workspaceId: input.context.workspaceId,
          executionId: input.context.executionId,
          mode: input.context.mode,
          abortSignal,
          timeoutMs,
        }),
        abortSignal,
      );
      return {
        record: {
          ...base,
          result: answered.value ?? null,
          error: null,
          status: 'succeeded',
          latencyMs: performance.now() - startedAt,
          ...(answered.childExecutionId ? { childExecutionId: answered.childExecutionId } : {}),
          ...(answered.costUsd !== undefined ? { costUsd: answered.costUsd } : {}),
        },
        modelValue: answered.value ?? null,
        isError: false,
      };
    } catch (error) {
      let failure: { code: string; message: string };
      if (outer?.aborted) {
        failure = toolFailure('tool_cancelled', 'The execution was cancelled while the tool ran.');
      } else if (timeoutSignal.aborted) {
        failure = toolFailure('tool_timeout', `The tool did not answer within ${timeoutMs} ms.`);
      } else if (FlightdeckError.isInstance(error)) {
        failure = toolFailure(error.code.replace(/^http_step_/, 'tool_http_'), error.message);
      } else {
        // Not ours: its message may quote anything (a URL with a token), so only its kind is told.
        failure = toolFailure('tool_failed', 'The tool failed unexpectedly.');
      }
      markError(span, failure.code);
      const outcome = failed(failure);
      // A child execution that ran and failed is still linked (and its cost counted).
      const linked = childOf(error);
      if (linked) Object.assign(outcome.record, linked);
      return outcome;
    }
  });
}

/** Settles when the work does or the signal aborts, whichever first: a tool that ignores its signal cannot hold the loop. */
function raceAbort<Value>(work: Promise<Value>, signal: AbortSignal): Promise<Value> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<Value>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/** An agent tool's failure carries the child it made (see agent-tool.ts). */
function childOf(error: unknown): { childExecutionId: string; costUsd: number } | undefined {
  if (!FlightdeckError.isInstance(error)) return undefined;
  const details = error.details as { childExecutionId?: unknown; costUsd?: unknown } | undefined;
  if (typeof details?.childExecutionId !== 'string') return undefined;
  return {
    childExecutionId: details.childExecutionId,
    costUsd: typeof details.costUsd === 'number' ? details.costUsd : 0,
  };
}
