import type { Clock } from '../../core/clock.ts';
import type { ExchangeRecorder, ModelCaller, ModelCallRequest } from '../../llm/index.ts';
import type {
  AgentVersionRow,
  ExecutionFinish,
  ExecutionRow,
  Repositories,
} from '../../store/repositories/index.ts';
import type { WorkspaceAccess } from '../identity/principal.ts';
import { answerTakenIdempotencyKey } from './claim-idempotency-key.ts';
import type { CompiledVersion } from './compiled-version-cache.ts';
import type { ExecuteOptions } from './execute-request.ts';
import { type ExecutionBudget, type PromptTokenCalibration, partialStreamCost } from './execution-budget.ts';
import { type LoadedReplay, saveRecording } from './execution-recording.ts';
import { createLoopBudget, type PlannedToolLoop } from './execution-tools.ts';
import { type ExecutionMode, type ExecutionView, toExecutionView } from './execution-view.ts';
import type { PreparedExecution } from './prepared-execution.ts';
import { recordingTools, replayTools } from './record-tools.ts';
import { renderedRequestOf } from './rendered-request.ts';
import type { BudgetHold, ExecutionTarget } from './reserve-budget.ts';
import { runExecution } from './run-execution.ts';
import type { RunHandlers } from './run-handlers.ts';
import { runToolLoop } from './run-tool-loop.ts';

/** What the run step needs of the service: the same for every execution. */
export interface StartRunDependencies {
  repositories: Repositories;
  clock: Clock;
  /** Identifies this process in the records it writes. */
  nodeId: string;
  budget: ExecutionBudget;
  caller: ModelCaller;
  /** Answers replays from their recording. */
  replayCaller: ModelCaller;
  promptTokens: PromptTokenCalibration;
  storesContentOf: (workspaceId: string) => Promise<boolean>;
}

/** One execution, validated, planned and held against the budget: everything but the record. */
export interface PlannedRun {
  access: WorkspaceAccess;
  agentId: string;
  version: AgentVersionRow;
  mode: ExecutionMode;
  options: ExecuteOptions;
  input: unknown;
  requestHash: string | null;
  replay: LoadedReplay | null;
  recorder: ExchangeRecorder | null;
  compiled: CompiledVersion;
  targets: ExecutionTarget[];
  callRequest: ModelCallRequest;
  loop: PlannedToolLoop | null;
  executionId: string;
  now: Date;
  hold: BudgetHold;
}

/**
 * Records the execution as `running` — durable before any provider call, so an interrupted run
 * leaves its trace — and hands back the call that runs it and finishes the record. A key taken
 * meanwhile answers with its execution; every path that does not run gives the hold back.
 */
export async function startRun(
  dependencies: StartRunDependencies,
  planned: PlannedRun,
): Promise<PreparedExecution> {
  const { repositories, clock } = dependencies;
  const { access, options, version, compiled, targets, callRequest, hold, now } = planned;
  const { workspaceId } = access;
  const keepsContent = await dependencies.storesContentOf(workspaceId);
  const row = await repositories.executions
    .insertRunning({
      id: planned.executionId,
      workspaceId,
      agentId: planned.agentId,
      agentVersionId: version.id,
      agentVersion: version.number,
      status: 'running',
      mode: planned.mode,
      trigger: options.trigger,
      input: planned.input,
      idempotencyKey: options.idempotencyKey ?? null,
      requestHash: planned.requestHash,
      nodeId: dependencies.nodeId,
      deadlineAt: new Date(now.getTime() + compiled.definition.timeoutMs),
      createdBy: access.userId,
      tokenId: access.tokenId,
      workflowRunId: options.workflowRunId ?? null,
      workflowStepId: options.workflowStepId ?? null,
      parentExecutionId: options.parentExecutionId ?? null,
      replayOf: planned.replay?.replayOf ?? null,
      // Stored with the running row, so even an interrupted run shows what it sent.
      request: keepsContent ? renderedRequestOf(callRequest, targets) : null,
      createdAt: now,
    })
    .catch(async (error: unknown) => {
      await hold.release();
      throw error;
    });
  if (!row) {
    await hold.release();
    const execution = await answerTakenIdempotencyKey({
      repositories,
      clock,
      workspaceId,
      idempotencyKey: options.idempotencyKey,
      requestHash: planned.requestHash,
    });
    return { kind: 'replay', execution };
  }

  return {
    kind: 'run',
    execution: toExecutionView(row),
    run: (handlers) => runToEnd(dependencies, planned, row, keepsContent, handlers),
  };
}

/** Calls the provider (one answer, or the tool loop), settles the budget and finishes the record. */
async function runToEnd(
  dependencies: StartRunDependencies,
  planned: PlannedRun,
  row: ExecutionRow,
  keepsContent: boolean,
  handlers: RunHandlers,
): Promise<ExecutionView> {
  const { repositories, clock, budget, promptTokens } = dependencies;
  const { access, options, compiled, targets, callRequest, loop, replay, recorder, executionId } = planned;
  const { reservation, estimate, overrides } = planned.hold;
  const { workspaceId } = access;
  const definition = compiled.definition;
  let streamedText = '';
  const runHandlers: RunHandlers = {
    ...handlers,
    onTextDelta: (text) => {
      streamedText += text;
      handlers.onTextDelta?.(text);
    },
  };
  const loopBudget = createLoopBudget({
    budget,
    first: reservation,
    workspaceId,
    agentId: planned.agentId,
    executionId,
    providerKeyId: targets[0]?.providerKeyId ?? null,
    targets,
    overrides,
    holdMs: definition.timeoutMs + 60_000,
    live: planned.mode === 'live',
  });
  const finish = await (loop
    ? runToolLoop({
        caller: replay ? dependencies.replayCaller : dependencies.caller,
        priceOverrides: overrides,
        request: callRequest,
        baseUrls: targets.map((target) => target.baseUrl),
        output: compiled.output,
        handlers: runHandlers,
        // Recorded runs keep every tool answer; replays answer tools from the recording.
        tools: recorder
          ? recordingTools(loop.tools, recorder)
          : replay
            ? replayTools(loop.tools, replay.cursor)
            : loop.tools,
        maxToolCalls: loop.maxToolCalls,
        workspaceId,
        executionId,
        mode: planned.mode === 'live' ? 'live' : 'mock',
        timeoutMs: definition.timeoutMs,
        reserveNextCall: loopBudget.reserveNextCall,
        // Only a workflow step (a work session's included) can wait for a person.
        approvals: options.workflowRunId ? 'pause' : 'refuse',
        resume: loop.resume,
      })
    : runExecution({
        caller: replay ? dependencies.replayCaller : dependencies.caller,
        priceOverrides: overrides,
        request: callRequest,
        baseUrls: targets.map((target) => target.baseUrl),
        output: compiled.output,
        handlers: runHandlers,
      })
  ).catch(async (error: unknown) => {
    await loopBudget.release();
    throw error;
  });
  if (reservation && finish.errorCode === 'client_closed' && estimate) {
    // A stream cut by the client was still paid for as far as it went.
    const partial = partialStreamCost(targets[0], estimate.inputTokens, streamedText, overrides);
    finish.costUsd = (finish.costUsd ?? 0) + partial;
  }
  // Settling the hold and finishing the record touch different rows: on PostgreSQL they
  // go out side by side instead of one round trip after the other.
  // A replay used no tokens and spent nothing (stats and budgets must not count them twice);
  // what the original used stays in its own record and the recording.
  if (replay)
    Object.assign(finish, {
      costUsd: 0,
      costPriced: true,
      inputTokens: 0,
      outputTokens: 0,
      totalTokens: 0,
    });
  if (estimate && !replay && (finish.attempts ?? []).length === 1 && !finish.repaired) {
    // One provider call: what it reported is comparable with the bound reserved for it.
    const index = targets.findIndex(
      (target) => target.model === finish.model && target.provider.kind === finish.provider,
    );
    const bound = estimate.inputTokenBounds[index];
    if (bound !== undefined && finish.model && finish.provider)
      promptTokens.record(finish.provider, finish.model, bound, finish.inputTokens ?? 0);
  }
  const written = { ...finish, ...(keepsContent ? {} : { rawOutput: null }), finishedAt: clock.now() };
  const [finished] = await Promise.all([
    repositories.executions.finish(workspaceId, row.id, written),
    loopBudget.settle(finish.costUsd ?? 0),
    recorder
      ? saveRecording(
          repositories,
          {
            workspaceId,
            executionId: row.id,
            runId: options.workflowRunId ?? null,
            stepId: options.workflowStepId ?? null,
          },
          recorder,
          clock.now(),
        )
      : undefined,
  ]);
  // Not running any more: the interrupted sweep got there first; the stored record wins.
  const stored = finished
    ? withFinish(row, written)
    : ((await repositories.executions.findById(workspaceId, row.id)) ?? row);
  return toExecutionView(stored);
}

/**
 * The record as stored after a finish that took: the running row with the fields the finish wrote
 * (an undefined field leaves its column as it was, as in the update), without reading it back.
 */
function withFinish(row: ExecutionRow, written: ExecutionFinish): ExecutionRow {
  const stored: Record<string, unknown> = { ...row };
  for (const [key, value] of Object.entries(written)) if (value !== undefined) stored[key] = value;
  return stored as ExecutionRow;
}
