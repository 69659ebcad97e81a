import { conflictError, invalidError, notFoundError } from '../../core/errors.ts';
import { newId } from '../../core/ids.ts';
import {
  createCircuitBreakerRegistry,
  createModelCaller,
  createReplayCursor,
  createReplayProvider,
  type ExchangeRecorder,
  type ModelCaller,
  type ModelTarget,
  type ProviderKind,
  type RecordedExchange,
  type Recording,
  type ReplayCursor,
  systemClock,
} from '../../llm/index.ts';
import type { RecordedExchangeRow, Repositories } from '../../store/repositories/index.ts';

/** What a replay answers from: a recorded execution, or one step of a recorded workflow run. */
export type ReplayOf = { executionId: string } | { runId: string; stepId: string };

export const recordingNotFound = (message: string, details: Record<string, unknown>) =>
  notFoundError('recording_not_found', message, details);

/** A recording holds prompts and answers: not in a workspace that keeps no execution content. */
export const recordingDisabled = () =>
  conflictError(
    'recording_disabled',
    'This workspace keeps no execution content (settings.storeExecutionContent is false), and a recording would hold prompts and answers. Turn storeExecutionContent on to record, or run without record.',
    { field: 'record' },
  );

/** Checks a request's mode against its `replayOf` and loads the replay when it is one. */
export async function loadReplayOf(
  repositories: Repositories,
  workspaceId: string,
  agentId: string,
  request: { mode: string; replayOf?: ReplayOf },
): Promise<LoadedReplay | null> {
  if (request.mode !== 'replay') {
    if (request.replayOf !== undefined) {
      throw invalidError(
        'replay_of_without_replay',
        'replayOf is only read with mode "replay". Set mode to "replay" or drop replayOf.',
        {
          field: 'replayOf',
        },
      );
    }
    return null;
  }
  const replay = await loadReplay(repositories, workspaceId, request.replayOf);
  if (replay.agentId !== null && replay.agentId !== agentId) {
    throw invalidError(
      'replay_of_other_agent',
      'replayOf names an execution of another agent. Replay it through that agent, or record this one.',
      { field: 'replayOf', agentId: replay.agentId },
    );
  }
  return replay;
}

export interface LoadedReplay {
  cursor: ReplayCursor;
  /** The recorded execution the replay answers from (the likeliest, for a run's step). */
  replayOf: string;
  /** Replaying an execution: its agent and input (the default input of the replay). */
  agentId: string | null;
  input: unknown;
}

/**
 * The replay cursor for a request: the recorded execution's exchanges, or every execution a run's
 * step recorded (the one the step committed first). Nothing recorded, or an id of another
 * workspace, is a 404 `recording_not_found`.
 */
export async function loadReplay(
  repositories: Repositories,
  workspaceId: string,
  replayOf: ReplayOf | undefined,
): Promise<LoadedReplay> {
  if (!replayOf) {
    throw invalidError(
      'replay_of_required',
      'Mode "replay" needs replayOf: the id of a recorded execution or workflow run.',
      {
        field: 'replayOf',
      },
    );
  }
  if ('executionId' in replayOf) {
    const rows = await repositories.recordedExchanges.listOfExecution(workspaceId, replayOf.executionId);
    if (rows.length === 0) {
      throw recordingNotFound(
        'No recorded execution with this id in this workspace. Run it live with record: true (or the workspace setting recordExecutions) first.',
        { replayOf: replayOf.executionId },
      );
    }
    const original = await repositories.executions.findById(workspaceId, replayOf.executionId);
    return {
      cursor: createReplayCursor(toRecordings(rows)),
      replayOf: replayOf.executionId,
      agentId: original?.agentId ?? null,
      input: original?.input ?? {},
    };
  }
  const rows = await repositories.recordedExchanges.listOfRunStep(
    workspaceId,
    replayOf.runId,
    replayOf.stepId,
  );
  const recordings = toRecordings(rows);
  // The execution the original step committed is the likeliest; the others (retries, revisions) follow.
  const committed = (await repositories.workflowRuns.listSteps(replayOf.runId)).find(
    (step) => step.stepId === replayOf.stepId,
  )?.executionId;
  recordings.sort((first, second) => rank(first, committed) - rank(second, committed));
  const preferred = recordings[0];
  if (!preferred) {
    throw recordingNotFound(
      `Step "${replayOf.stepId}" of the replayed run has no recording (it did not run, or not as an agent step).`,
      { replayOf: replayOf.runId, stepId: replayOf.stepId },
    );
  }
  return {
    cursor: createReplayCursor(recordings),
    replayOf: preferred.executionId,
    agentId: null,
    input: undefined,
  };
}

/** Targets for a replay: the agent's own (primary and fallbacks), each answered from the recording. */
export function replayTargets(
  specs: ReadonlyArray<{ provider: string; model: string }>,
  cursor: ReplayCursor,
): Array<ModelTarget & { baseUrl: undefined; providerKeyId: null }> {
  return specs.map((spec) => ({
    provider: createReplayProvider(spec.provider as ProviderKind, cursor),
    model: spec.model,
    baseUrl: undefined,
    providerKeyId: null,
  }));
}

/**
 * The model caller of replays: retries and fallbacks happen as recorded, but backoff does not wait
 * (nothing is rate limiting a recording) and replayed failures never open a breaker.
 */
export function createReplayModelCaller(): ModelCaller {
  return createModelCaller({
    clock: { now: systemClock.now, sleep: async () => {} },
    breakers: createCircuitBreakerRegistry({
      consecutiveFailureThreshold: Number.POSITIVE_INFINITY,
      failureRateThreshold: 2,
    }),
  });
}

/** Stores what a recorder collected for one execution (one statement). */
export async function saveRecording(
  repositories: Repositories,
  owner: { workspaceId: string; executionId: string; runId: string | null; stepId: string | null },
  recorder: ExchangeRecorder,
  now: Date,
): Promise<void> {
  const exchanges = recorder.exchanges();
  await repositories.recordedExchanges.insertMany(
    exchanges.map((exchange) => ({
      id: newId(now.getTime()),
      workspaceId: owner.workspaceId,
      executionId: owner.executionId,
      runId: owner.runId,
      stepId: owner.stepId,
      sequence: exchange.sequence,
      kind: exchange.kind,
      fingerprint: exchange.fingerprint,
      request: exchange.request,
      response: exchange.response as Record<string, unknown>,
      usage: exchange.usage ? { ...exchange.usage } : null,
      latencyMs: exchange.latencyMs,
      createdAt: now,
    })),
  );
}

function toRecordings(rows: readonly RecordedExchangeRow[]): Recording[] {
  const byExecution = new Map<string, RecordedExchange[]>();
  for (const row of rows) {
    const exchanges = byExecution.get(row.executionId) ?? [];
    exchanges.push({
      sequence: row.sequence,
      kind: row.kind as RecordedExchange['kind'],
      fingerprint: row.fingerprint,
      request: row.request,
      response: row.response as RecordedExchange['response'],
      usage: (row.usage as RecordedExchange['usage']) ?? null,
      latencyMs: row.latencyMs,
    });
    byExecution.set(row.executionId, exchanges);
  }
  return [...byExecution].map(([executionId, exchanges]) => ({ executionId, exchanges }));
}

function rank(recording: Recording, committed: string | null | undefined): number {
  return recording.executionId === committed ? 0 : 1;
}
