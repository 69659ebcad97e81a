import { createHash } from 'node:crypto';
import type { Clock } from '../../core/clock.ts';
import { FlightdeckError } from '../../core/errors.ts';
import { stableStringify } from '../../core/stable-stringify.ts';
import type { ExecutionRow, Repositories } from '../../store/repositories/index.ts';
import type { ExecuteRequest } from './execute-request.ts';
import { type ExecutionView, toExecutionView } from './execution-view.ts';

/** How long an `Idempotency-Key` keeps answering with its first execution. */
export const idempotencyWindowMs = 24 * 60 * 60 * 1000;

export interface IdempotencyClaimInput {
  repositories: Repositories;
  clock: Clock;
  workspaceId: string;
  agentId: string;
  request: ExecuteRequest;
  /** The input that runs (a replay without one runs the recorded input). */
  input: unknown;
  idempotencyKey: string | undefined;
}

/**
 * What a key says about a new request: the execution that already answers it (`replay`), or the
 * request's hash to store with the new row. Without a key, neither.
 */
export interface IdempotencyClaim {
  requestHash: string | null;
  replay: ExecutionView | null;
}

/**
 * Finds the first execution of the request's `Idempotency-Key`: it answers again, or the request
 * is refused (409: another request with the key, still running, or interrupted). A key past its
 * window is released so this request can take it.
 */
export async function claimIdempotencyKey(input: IdempotencyClaimInput): Promise<IdempotencyClaim> {
  const { repositories, clock, workspaceId, idempotencyKey } = input;
  if (idempotencyKey === undefined) return { requestHash: null, replay: null };
  const requestHash = requestHashOf(input.agentId, input.request, input.input);
  const existing = await repositories.executions.findByIdempotencyKey(workspaceId, idempotencyKey);
  if (existing) {
    const judged = judgeIdempotent(existing, requestHash, clock.now());
    if (judged !== 'expired') return { requestHash, replay: judged };
    await repositories.executions.releaseIdempotencyKey(
      workspaceId,
      existing.id,
      new Date(clock.now().getTime() - idempotencyWindowMs),
    );
  }
  return { requestHash, replay: null };
}

/**
 * The answer when the `running` insert found the key taken: another request with the same key got
 * in between the claim and the insert. Its execution answers, or the request is refused.
 */
export async function answerTakenIdempotencyKey(input: {
  repositories: Repositories;
  clock: Clock;
  workspaceId: string;
  idempotencyKey: string | undefined;
  requestHash: string | null;
}): Promise<ExecutionView> {
  const existing = await input.repositories.executions.findByIdempotencyKey(
    input.workspaceId,
    input.idempotencyKey ?? '',
  );
  const judged = existing ? judgeIdempotent(existing, input.requestHash ?? '', input.clock.now()) : 'expired';
  if (judged === 'expired') {
    throw new FlightdeckError({
      code: 'idempotency_request_in_progress',
      kind: 'conflict',
      message: 'Another request with this Idempotency-Key is starting. Retry in a moment.',
      retryAfterSeconds: 1,
    });
  }
  return judged;
}

/** What a key's requests must agree on to be the same request. */
function requestHashOf(agentId: string, request: ExecuteRequest, input: unknown): string {
  return createHash('sha256')
    .update(
      // The extras join the hash only when given, so keys used before they existed still replay.
      stableStringify({
        agentId,
        versionId: request.versionId ?? null,
        ...(request.version == null ? {} : { version: request.version }),
        ...(request.versionLabel == null ? {} : { versionLabel: request.versionLabel }),
        mode: request.mode,
        input,
        ...(request.history === undefined ? {} : { history: request.history }),
        ...(request.promptAddition === undefined ? {} : { promptAddition: request.promptAddition }),
        ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
        ...(request.maxTokens === undefined ? {} : { maxTokens: request.maxTokens }),
        ...(request.context === undefined ? {} : { context: request.context }),
        ...(request.responseFormat === undefined ? {} : { responseFormat: request.responseFormat }),
        ...(request.record === undefined ? {} : { record: request.record }),
        ...(request.replayOf === undefined ? {} : { replayOf: request.replayOf }),
      }),
    )
    .digest('hex');
}

/** Replays the first execution of a key, or refuses: another request, or one still running. */
function judgeIdempotent(existing: ExecutionRow, requestHash: string, now: Date): ExecutionView | 'expired' {
  if (existing.createdAt.getTime() <= now.getTime() - idempotencyWindowMs) return 'expired';
  if (existing.requestHash !== requestHash) {
    throw new FlightdeckError({
      code: 'idempotency_key_reused',
      kind: 'conflict',
      message:
        'This Idempotency-Key was already used with a different request in the last 24 hours. Use a new key for a new request.',
      details: { executionId: existing.id },
    });
  }
  if (existing.status === 'running') {
    throw new FlightdeckError({
      code: 'idempotency_request_in_progress',
      kind: 'conflict',
      message:
        'The first request with this Idempotency-Key is still running. Retry in a moment to get its result.',
      details: { executionId: existing.id },
      retryAfterSeconds: 1,
    });
  }
  if (existing.status === 'failed' && existing.errorCode === 'interrupted') {
    // Replaying it would answer 503 for the key's whole window, though nothing is unavailable:
    // the run was cut off. Say so once, with its id, and let a new key run it again.
    throw new FlightdeckError({
      code: 'interrupted',
      kind: 'conflict',
      message:
        'The first request with this Idempotency-Key was interrupted (the process running it stopped) and will not finish. Send the request again with a new Idempotency-Key to run it again.',
      details: { executionId: existing.id },
    });
  }
  return toExecutionView(existing);
}
