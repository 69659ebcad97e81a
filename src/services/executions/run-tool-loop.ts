import { FlightdeckError } from '../../core/errors.ts';
import { describeProblems, type JsonSchemaValidator } from '../../core/json-schema.ts';
import {
  type AttemptRecord,
  type ChatMessage,
  type ModelCaller,
  type ModelCallRequest,
  type ModelCallResult,
  type PriceOverride,
  ProviderError,
  type ToolCallRequest,
  type ToolResultMessage,
} from '../../llm/index.ts';
import type {
  ExecutionAttemptColumn,
  ExecutionFinish,
  ExecutionToolCallColumn,
} from '../../store/repositories/index.ts';
import { createArgumentValidators, needsApproval, runToolCall } from '../tools/run-tool-call.ts';
import type { Tool } from '../tools/tool.ts';
import { countRetries, repairPrompt, replayDetails } from './run-execution.ts';
import type { RunHandlers } from './run-handlers.ts';
import { summarizeCalls } from './summarize-calls.ts';

type Outcome = Omit<ExecutionFinish, 'finishedAt'>;

/**
 * The loop's conversation, persisted on an execution that stopped for an approval so the one that
 * continues after the decision starts from it: no model turn that was done is asked again.
 */
export interface ToolLoopState {
  messages: ChatMessage[];
  /** The model's turns so far (the continuation counts on from here). */
  turns: number;
  toolCalls: ExecutionToolCallColumn[];
  /** The turn whose calls are not all answered yet: the calls and the results known so far. */
  pending: { turn: number; calls: ToolCallRequest[]; results: Array<ToolResultMessage | null> } | null;
  /** The call that waits for a person. */
  waitingFor: string | null;
}

/** A person's decision on a call that waited, applied when the loop continues. */
export type ToolApprovalDecision =
  | { kind: 'approve'; approvalId: string; arguments?: unknown; edited: boolean }
  | { kind: 'reject'; approvalId: string; feedback: string };

export interface RunToolLoopInput {
  caller: ModelCaller;
  /** The first model call: its messages end with the rendered prompt (or the resumed conversation). */
  request: ModelCallRequest;
  baseUrls: Array<string | undefined>;
  priceOverrides?: readonly PriceOverride[];
  output: JsonSchemaValidator | null;
  handlers: RunHandlers;
  tools: Tool[];
  maxToolCalls: number;
  workspaceId: string;
  executionId: string;
  mode: 'live' | 'mock';
  /** The agent's timeout over the whole loop, model calls and tools together. */
  timeoutMs: number;
  /**
   * Holds the budget for the next model call (the first one was held before the execution began);
   * throws 402 `budget_exceeded` when the budget would pass, which stops the loop before the call.
   */
  reserveNextCall: (request: ModelCallRequest) => Promise<void>;
  /** `pause`: a call that needs approval stops the loop for a person; `refuse`: it fails, 409 `approval_required`. */
  approvals: 'pause' | 'refuse';
  /** Continue a loop that stopped for an approval, with the decision on the call it waited for. */
  resume?: { state: ToolLoopState; decision: ToolApprovalDecision };
}

const toolLimitMessage = (limit: number) =>
  `The model asked for more than the agent's maxToolCalls (${limit}) tool calls without giving a final answer. The calls made are in toolCalls; raise maxToolCalls or make the task smaller.`;

/**
 * The tool loop: call the model with the tools; run the calls it asks for (side by side when it asks
 * for several), feed the results back; repeat until it answers without calls. Stops with a stable
 * code at `maxToolCalls` (422 `tool_limit_reached`), at the agent's timeout
 * (`execution_timeout`), when the budget refuses the next model call (402 `budget_exceeded`), or for
 * an approval (status `waiting_approval`, state kept). Each model call is its own set of attempts,
 * tokens and cost, summed into the execution. Never throws: every end is an outcome.
 */
export async function runToolLoop(input: RunToolLoopInput): Promise<Outcome & { loopState: unknown }> {
  const { caller, handlers, tools } = input;
  const abortSignal = handlers.abortSignal;
  const startedAt = performance.now();
  const remainingMs = () => input.timeoutMs - (performance.now() - startedAt);
  const toolsByName = new Map(tools.map((tool) => [tool.name, tool]));
  const validators = createArgumentValidators(tools);
  const definitions = tools.map((tool) => ({
    name: tool.name,
    description: tool.description,
    parameters: tool.parameters,
  }));
  const calls: ModelCallResult[] = [];
  const attempts: ExecutionAttemptColumn[] = [];
  let retries = 0;
  let fallbackUsed = false;
  let timeToFirstTokenMs: number | null = null;

  const resumed = input.resume?.state;
  const messages: ChatMessage[] = resumed ? [...resumed.messages] : [...input.request.messages];
  const toolCalls: ExecutionToolCallColumn[] = resumed ? resumed.toolCalls.map((call) => ({ ...call })) : [];
  let turns = resumed?.turns ?? 0;
  let pending = resumed?.pending ?? null;
  let decision = input.resume?.decision;

  const record = (attempt: AttemptRecord, purpose: ExecutionAttemptColumn['purpose']) =>
    attempts.push({ ...attempt, purpose });

  const finish = (
    status: Outcome['status'],
    fields: {
      output?: unknown;
      rawOutput?: string | null;
      error?: { code: string; message: string; details?: Record<string, unknown> };
      repaired?: boolean;
      waitingFor?: string;
    } = {},
  ): Outcome & { loopState: unknown } => {
    const summary = summarizeCalls(calls, attempts, input);
    const loopState: ToolLoopState | null =
      status === 'waiting_approval'
        ? { messages, turns, toolCalls, pending, waitingFor: fields.waitingFor ?? null }
        : null;
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
      toolCalls,
      loopState: loopState as unknown as Record<string, unknown> | null,
    };
  };

  const failure = (error: unknown, purpose: ExecutionAttemptColumn['purpose'], streamed: boolean) => {
    if (abortSignal?.aborted) {
      return {
        code: 'client_closed',
        message:
          'The client closed the connection before the execution finished; the provider call was cancelled.',
      };
    }
    if (ProviderError.isProviderError(error)) {
      if (!streamed) for (const attempt of error.attempts) record(attempt, purpose);
      retries += countRetries(error.attempts);
      fallbackUsed ||= error.fallbackUsed;
      return { code: error.code, message: error.message };
    }
    if (FlightdeckError.isInstance(error)) {
      const details = replayDetails(error);
      return { code: error.code, message: error.message, ...(details ? { details } : {}) };
    }
    return { code: 'internal_error', message: 'The execution failed unexpectedly on our side.' };
  };
  const timedOut = () => ({
    code: 'execution_timeout',
    message: `The agent's timeout (${input.timeoutMs} ms) passed during the tool loop. The calls made are in toolCalls.`,
  });

  /** Runs the calls of the pending turn that have no result yet; stops at the first one needing a person. */
  const settlePending = async (): Promise<(Outcome & { loopState: unknown }) | null> => {
    if (!pending) return null;
    const turn = pending;
    const runnable: number[] = [];
    let waiting: number | null = null;
    for (const [index, call] of turn.calls.entries()) {
      if (turn.results[index]) continue;
      const tool = toolsByName.get(call.name);
      const recordIndex = toolCalls.findIndex((entry) => entry.id === call.id);
      if (decision && recordIndex >= 0 && toolCalls[recordIndex]?.status === 'waiting_approval') {
        if (toolCalls[recordIndex]?.id === call.id && decision.kind === 'reject') {
          // The approver's feedback is the result the model reads: it may try another way.
          const feedback = decision.feedback;
          const entry = toolCalls[recordIndex];
          if (entry) {
            entry.status = 'rejected';
            entry.error = { code: 'tool_call_rejected', message: feedback };
          }
          turn.results[index] = {
            id: call.id,
            name: call.name,
            value: {
              error: { code: 'tool_call_rejected', message: `A reviewer rejected this call: ${feedback}` },
            },
            isError: true,
          };
          input.handlers.onToolEvent?.({ type: 'tool-result', call: entry as ExecutionToolCallColumn });
          decision = undefined;
          continue;
        }
        runnable.push(index);
        continue;
      }
      if (tool && needsApproval(tool, call.arguments)) {
        if (input.approvals === 'refuse') {
          throw new FlightdeckError({
            code: 'approval_required',
            kind: 'conflict',
            message: `The tool "${call.name}" needs a person's approval before it runs, which a plain API execution cannot wait for. Run the agent as a work session (POST …/agents/{agentId}/runs) to have the call approved.`,
            details: { tool: call.name },
          });
        }
        waiting ??= index;
        continue;
      }
      runnable.push(index);
    }
    await Promise.all(
      runnable.map(async (index) => {
        const call = turn.calls[index] as ToolCallRequest;
        const approved = decision?.kind === 'approve' ? decision : undefined;
        const existing = toolCalls.findIndex((entry) => entry.id === call.id);
        const isDecided =
          approved !== undefined && existing >= 0 && toolCalls[existing]?.status === 'waiting_approval';
        const args = isDecided && approved.edited ? approved.arguments : call.arguments;
        input.handlers.onToolEvent?.({
          type: 'tool-call',
          id: call.id,
          tool: call.name,
          arguments: args,
          turn: turn.turn,
        });
        const outcome = await runToolCall({
          call,
          arguments: args,
          tool: toolsByName.get(call.name),
          validator: validators.get(call.name),
          turn: turn.turn,
          context: {
            workspaceId: input.workspaceId,
            executionId: input.executionId,
            mode: input.mode,
            abortSignal,
            remainingMs: remainingMs(),
          },
          approvalId: isDecided ? approved.approvalId : undefined,
        });
        if (existing >= 0) toolCalls[existing] = outcome.record;
        else toolCalls.push(outcome.record);
        turn.results[index] = {
          id: call.id,
          name: call.name,
          value: outcome.modelValue,
          isError: outcome.isError,
        };
        input.handlers.onToolEvent?.({ type: 'tool-result', call: outcome.record });
      }),
    );
    if (decision?.kind === 'approve') decision = undefined;
    // Records keep the order the model asked in, whatever order the parallel calls ended in.
    toolCalls.sort((a, b) => orderOf(a) - orderOf(b));
    if (waiting !== null) {
      const call = turn.calls[waiting] as ToolCallRequest;
      if (!toolCalls.some((entry) => entry.id === call.id)) {
        toolCalls.push({
          id: call.id,
          tool: call.name,
          kind: toolsByName.get(call.name)?.kind ?? 'unknown',
          arguments: call.arguments,
          result: null,
          error: null,
          status: 'waiting_approval',
          latencyMs: 0,
          turn: turn.turn,
        });
      }
      input.handlers.onToolEvent?.({
        type: 'tool-approval',
        id: call.id,
        tool: call.name,
        arguments: call.arguments,
      });
      return finish('waiting_approval', { waitingFor: call.id });
    }
    messages.push({
      role: 'tool',
      content: JSON.stringify(turn.results.map((result) => result?.value ?? null)),
      results: turn.results as ToolResultMessage[],
    });
    pending = null;
    return null;
  };
  const callOrder = new Map<string, number>();
  const orderOf = (entry: ExecutionToolCallColumn) => entry.turn * 1_000 + (callOrder.get(entry.id) ?? 0);
  for (const entry of toolCalls) callOrder.set(entry.id, callOrder.size);
  if (pending) for (const [index, call] of pending.calls.entries()) callOrder.set(call.id, index);

  let firstCallOfThisExecution = true;
  for (;;) {
    try {
      const stopped = await settlePending();
      if (stopped) return stopped;
    } catch (error) {
      return finish('failed', { error: failure(error, 'answer', false) });
    }
    if (remainingMs() <= 0) return finish('failed', { error: timedOut() });
    const request: ModelCallRequest = {
      ...input.request,
      messages,
      tools: definitions,
      deadlineMs: Math.max(1, Math.floor(remainingMs())),
      abortSignal,
    };
    let answer: ModelCallResult;
    try {
      if (!firstCallOfThisExecution) await input.reserveNextCall(request);
      firstCallOfThisExecution = false;
      answer = handlers.stream ? await streamCall(request) : await caller.generate(request);
    } catch (error) {
      return finish('failed', { error: failure(error, 'answer', handlers.stream) });
    }
    calls.push(answer);
    if (!handlers.stream) for (const attempt of answer.attempts) record(attempt, 'answer');
    retries += answer.retries;
    fallbackUsed ||= answer.fallbackUsed;
    timeToFirstTokenMs ??= answer.result.timeToFirstTokenMs ?? null;
    turns++;
    const asked = answer.result.toolCalls;
    if (asked.length === 0) return finalAnswer(answer);
    messages.push({ role: 'assistant', content: answer.result.text, toolCalls: asked });
    if (toolCalls.length + asked.length > input.maxToolCalls) {
      return finish('failed', {
        error: { code: 'tool_limit_reached', message: toolLimitMessage(input.maxToolCalls) },
      });
    }
    for (const [index, call] of asked.entries()) callOrder.set(call.id, index);
    pending = { turn: turns, calls: asked, results: asked.map(() => null) };
  }

  async function finalAnswer(answer: ModelCallResult): Promise<Outcome & { loopState: unknown }> {
    if (!input.output) return finish('completed', { output: answer.result.text });
    let problems = input.output.validate(answer.result.object);
    if (problems.length === 0) return finish('completed', { output: answer.result.object });
    let rawOutput = answer.result.text;
    const firstProblems = problems;
    try {
      const repairRequest: ModelCallRequest = {
        ...input.request,
        messages: [
          ...messages,
          { role: 'assistant', content: rawOutput },
          { role: 'user', content: repairPrompt(problems) },
        ],
        deadlineMs: Math.max(1, Math.floor(remainingMs())),
        abortSignal,
      };
      await input.reserveNextCall(repairRequest);
      const repair = await caller.generate(repairRequest);
      calls.push(repair);
      for (const attempt of repair.attempts) record(attempt, 'repair');
      retries += repair.retries;
      rawOutput = repair.result.text;
      problems = input.output.validate(repair.result.object);
      if (problems.length === 0) return finish('completed', { output: repair.result.object, repaired: true });
    } catch (error) {
      const repairError = failure(error, 'repair', false);
      if (
        repairError.code === 'client_closed' ||
        repairError.code === 'budget_exceeded' ||
        repairError.code === 'replay_mismatch'
      )
        return finish('failed', { error: repairError, rawOutput });
    }
    return finish('failed', {
      rawOutput,
      error: {
        code: 'output_invalid',
        message: `The model's answer does not match the agent's output schema, also after one repair attempt: ${describeProblems(problems.length > 0 ? problems : firstProblems)}. The raw answer is kept in rawOutput.`,
      },
    });
  }

  async function streamCall(request: ModelCallRequest): Promise<ModelCallResult> {
    let result: ModelCallResult | undefined;
    for await (const event of caller.stream(request)) {
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
