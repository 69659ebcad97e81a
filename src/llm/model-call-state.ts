import type { CircuitBreaker } from './circuit-breaker.ts';
import type { CircuitBreakerRegistry } from './circuit-breaker-registry.ts';
import type { Clock } from './clock.ts';
import type { GenerateRequest, GenerateResult } from './language-model-provider.ts';
import type { ModelCallRequest, ModelCallResult, ModelTarget } from './model-caller.ts';
import type { AttemptRecord } from './provider-error.ts';
import { ProviderError } from './provider-error.ts';
import type { RetryPolicy } from './retry-policy.ts';
import { resolveRetryPolicy } from './retry-policy.ts';
import { toProviderError } from './to-provider-error.ts';

/** What one call needs from its model caller: the caller's defaults and collaborators. */
export interface ModelCallContext {
  clock: Clock;
  breakers: CircuitBreakerRegistry;
  onAttempt: (attempt: AttemptRecord) => void;
  retry: Partial<RetryPolicy> | undefined;
  attemptTimeoutMs: number | undefined;
  deadlineMs: number | undefined;
}

/** The bookkeeping of one model call across its attempts and targets; the decisions live in decide-retry. */
export interface ModelCallState {
  readonly request: ModelCallRequest;
  readonly policy: RetryPolicy;
  /** Every attempt so far, in order; the same array ends up on the result or the error. */
  readonly attempts: AttemptRecord[];
  breakerFor(target: ModelTarget): CircuitBreaker;
  /** The provider request of the next attempt, with its own `Idempotency-Key` and abort signal. */
  attemptRequest(target: ModelTarget, targetIndex: number, signal: AbortSignal): GenerateRequest;
  /** Classifies a thrown error; rethrows the caller's abort and programming errors unchanged. */
  classify(error: unknown, target: ModelTarget, timedOut: boolean): ProviderError;
  recordSuccess(target: ModelTarget, latencyMs: number): AttemptRecord;
  recordFailure(target: ModelTarget, error: ProviderError, latencyMs: number): AttemptRecord;
  circuitOpenError(target: ModelTarget, retryAfterMs: number): ProviderError;
  endedWithoutResultError(target: ModelTarget): ProviderError;
  deadlineError(target: ModelTarget): ProviderError;
  countRetry(): void;
  remainingMs(): number;
  /** The next attempt's timeout: the configured one, cut short by the overall deadline. */
  attemptTimeoutMs(): number;
  finish(result: GenerateResult, target: ModelTarget, targetIndex: number): ModelCallResult;
  /** Throws the error that ends the call, carrying every attempt. */
  fail(error: ProviderError, targetIndex: number): never;
}

/** Starts the bookkeeping of one call; refuses a call without targets. */
export function createModelCallState(request: ModelCallRequest, context: ModelCallContext): ModelCallState {
  if (request.targets.length === 0) {
    throw new ProviderError({ code: 'provider_not_configured', detail: 'no provider and model to call' });
  }
  const { clock } = context;
  const policy = resolveRetryPolicy({ ...context.retry, ...request.retry });
  const attemptTimeoutMs = request.attemptTimeoutMs ?? context.attemptTimeoutMs ?? 60_000;
  const deadline = clock.now() + (request.deadlineMs ?? context.deadlineMs ?? 120_000);
  const attempts: AttemptRecord[] = [];
  let retries = 0;

  const record = (attempt: AttemptRecord) => {
    attempts.push(attempt);
    context.onAttempt(attempt);
    return attempt;
  };
  const remainingMs = () => deadline - clock.now();
  const {
    targets: _targets,
    workspaceId: _workspaceId,
    retry: _retry,
    idempotencyKey: _key,
    ...rest
  } = request;

  return {
    request,
    policy,
    attempts,
    breakerFor: (target) =>
      context.breakers.get({
        workspaceId: request.workspaceId,
        provider: target.provider.kind,
        baseUrl: target.provider.baseUrl,
      }),
    attemptRequest(target, targetIndex, signal) {
      const headers = { ...request.headers };
      if (request.idempotencyKey) {
        headers['Idempotency-Key'] = request.idempotencyKey({
          attemptNumber: attempts.length + 1,
          targetIndex,
          provider: target.provider.kind,
          model: target.model,
        });
      }
      return { ...rest, model: target.model, headers, abortSignal: signal };
    },
    classify(error, target, timedOut) {
      if (request.abortSignal?.aborted) throw request.abortSignal.reason ?? error;
      if (timedOut) {
        return new ProviderError({
          code: 'provider_timeout',
          provider: target.provider.kind,
          model: target.model,
          detail: `no answer within ${attemptTimeoutMs} ms`,
          cause: error,
        });
      }
      const mapped = toProviderError(error, { provider: target.provider.kind, model: target.model });
      if (!mapped) throw error;
      return mapped;
    },
    recordSuccess: (target, latencyMs) =>
      record({
        provider: target.provider.kind,
        model: target.model,
        status: 'succeeded',
        statusCode: 200,
        errorCode: null,
        latencyMs,
      }),
    recordFailure: (target, error, latencyMs) =>
      record({
        provider: target.provider.kind,
        model: target.model,
        status: 'failed',
        statusCode: error.statusCode ?? null,
        errorCode: error.code,
        latencyMs,
      }),
    circuitOpenError: (target, retryAfterMs) =>
      new ProviderError({
        code: 'provider_unavailable',
        provider: target.provider.kind,
        model: target.model,
        reason: 'circuit_open',
        isRetryable: false,
        retryAfterMs,
        detail: 'recent calls to this provider failed, so calls are paused (circuit open)',
      }),
    endedWithoutResultError: (target) =>
      new ProviderError({
        code: 'provider_invalid_response',
        provider: target.provider.kind,
        model: target.model,
        detail: 'the stream ended without a result',
      }),
    deadlineError: (target) =>
      new ProviderError({
        code: 'provider_timeout',
        provider: target.provider.kind,
        model: target.model,
        reason: 'deadline_exceeded',
        isRetryable: false,
        detail: 'the overall deadline of the call passed',
      }),
    countRetry() {
      retries++;
    },
    remainingMs,
    attemptTimeoutMs: () => Math.max(1, Math.min(attemptTimeoutMs, remainingMs())),
    finish: (result, target, targetIndex) => ({
      result,
      provider: target.provider.kind,
      model: target.model,
      targetIndex,
      fallbackUsed: targetIndex > 0,
      retries,
      attempts,
    }),
    fail(error, targetIndex) {
      error.attempts = attempts;
      error.fallbackUsed = targetIndex > 0;
      throw error;
    },
  };
}
