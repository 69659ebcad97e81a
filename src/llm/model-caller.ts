import { createAttemptSignal } from './attempt-signal.ts';
import type { CircuitBreaker } from './circuit-breaker.ts';
import type { CircuitBreakerRegistry } from './circuit-breaker-registry.ts';
import { createCircuitBreakerRegistry } from './circuit-breaker-registry.ts';
import type { Clock } from './clock.ts';
import { systemClock } from './clock.ts';
import { decideRetry } from './decide-retry.ts';
import type {
  GenerateRequest,
  GenerateResult,
  LanguageModelProvider,
  ProviderKind,
} from './language-model-provider.ts';
import type { AttemptRecord } from './provider-error.ts';
import { ProviderError } from './provider-error.ts';
import type { RetryPolicy } from './retry-policy.ts';
import { resolveRetryPolicy } from './retry-policy.ts';
import { toProviderError } from './to-provider-error.ts';

/** One (provider, model) to try; the first target is the primary, the rest are fallbacks in order. */
export interface ModelTarget {
  provider: LanguageModelProvider;
  model: string;
}

export interface ModelCallRequest extends Omit<GenerateRequest, 'model'> {
  /** Scopes the circuit breakers: one workspace's broken endpoint never trips another's. */
  workspaceId: string;
  targets: ModelTarget[];
  retry?: Partial<RetryPolicy>;
  /** Per attempt; for streams, the longest silence between chunks. Default 60 s. */
  attemptTimeoutMs?: number;
  /** Over all attempts and fallbacks, backoff included. Default 120 s. */
  deadlineMs?: number;
  /** Builds the `Idempotency-Key` header of each attempt, e.g. `${runId}:${stepId}:${attemptNumber}`. */
  idempotencyKey?: (attempt: {
    attemptNumber: number;
    targetIndex: number;
    provider: ProviderKind;
    model: string;
  }) => string;
}

export interface ModelCallResult {
  result: GenerateResult;
  /** The target that answered. */
  provider: ProviderKind;
  model: string;
  targetIndex: number;
  fallbackUsed: boolean;
  /** Attempts repeated on the same target after a retryable failure (fallback switches are not retries). */
  retries: number;
  attempts: AttemptRecord[];
}

export type ModelCallStreamEvent =
  | { type: 'text-delta'; text: string }
  | { type: 'attempt-end'; attempt: AttemptRecord }
  | { type: 'finish'; call: ModelCallResult };

export interface ModelCaller {
  /** Calls the targets with retries, fallback and circuit breaking; throws a ProviderError carrying `attempts`. */
  generate(request: ModelCallRequest): Promise<ModelCallResult>;
  /** Streams text deltas; retries and falls back only before the first delta was yielded. */
  stream(request: ModelCallRequest): AsyncIterable<ModelCallStreamEvent>;
}

export interface ModelCallerSettings {
  clock?: Clock;
  /** Uniform in [0, 1); injected so backoff jitter is reproducible in tests. */
  random?: () => number;
  breakers?: CircuitBreakerRegistry;
  /** Defaults for requests that do not set their own. */
  retry?: Partial<RetryPolicy>;
  attemptTimeoutMs?: number;
  deadlineMs?: number;
  /** Called after every attempt (metrics, traces). */
  onAttempt?: (attempt: AttemptRecord) => void;
}

/** Failures that say the endpoint is unhealthy; a 400 or a rejected key says nothing about its health. */
const unhealthyCodes = new Set([
  'provider_unavailable',
  'provider_timeout',
  'provider_rate_limited',
  'provider_invalid_response',
]);

/**
 * Wraps the provider port with everything an execution needs around a model call: retries with
 * backoff and Retry-After, a per-attempt timeout and an overall deadline, one circuit breaker per
 * endpoint, fallback targets, and a record of every attempt.
 */
export function createModelCaller(settings: ModelCallerSettings = {}): ModelCaller {
  const clock = settings.clock ?? systemClock;
  const random = settings.random ?? Math.random;
  const breakers = settings.breakers ?? createCircuitBreakerRegistry({}, clock);
  const onAttempt = settings.onAttempt ?? (() => {});

  /** Shared state machine of one call; generate and stream differ only in how an attempt runs. */
  function plan(request: ModelCallRequest) {
    if (request.targets.length === 0) {
      throw new ProviderError({ code: 'provider_not_configured', detail: 'no provider and model to call' });
    }
    const policy = resolveRetryPolicy({ ...settings.retry, ...request.retry });
    const attemptTimeoutMs = request.attemptTimeoutMs ?? settings.attemptTimeoutMs ?? 60_000;
    const deadline = clock.now() + (request.deadlineMs ?? settings.deadlineMs ?? 120_000);
    const attempts: AttemptRecord[] = [];
    let retries = 0;

    const record = (attempt: AttemptRecord) => {
      attempts.push(attempt);
      onAttempt(attempt);
      return attempt;
    };
    const breakerFor = (target: ModelTarget): CircuitBreaker =>
      breakers.get({
        workspaceId: request.workspaceId,
        provider: target.provider.kind,
        baseUrl: target.provider.baseUrl,
      });
    const attemptRequest = (target: ModelTarget, targetIndex: number, signal: AbortSignal) => {
      const headers = { ...request.headers };
      if (request.idempotencyKey) {
        headers['Idempotency-Key'] = request.idempotencyKey({
          attemptNumber: attempts.length + 1,
          targetIndex,
          provider: target.provider.kind,
          model: target.model,
        });
      }
      const {
        targets: _targets,
        workspaceId: _workspaceId,
        retry: _retry,
        idempotencyKey: _key,
        ...rest
      } = request;
      return { ...rest, model: target.model, headers, abortSignal: signal } satisfies GenerateRequest;
    };
    /** Classifies a thrown error; rethrows the caller's abort and programming errors unchanged. */
    const classify = (error: unknown, target: ModelTarget, timedOut: boolean): ProviderError => {
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
    };
    const failed = (
      target: ModelTarget,
      error: ProviderError,
      latencyMs: number,
      breaker: CircuitBreaker,
    ) => {
      if (unhealthyCodes.has(error.code)) breaker.recordFailure();
      else breaker.recordSuccess();
      return record({
        provider: target.provider.kind,
        model: target.model,
        status: 'failed',
        statusCode: error.statusCode ?? null,
        errorCode: error.code,
        latencyMs,
      });
    };
    const succeeded = (target: ModelTarget, latencyMs: number, breaker: CircuitBreaker) => {
      breaker.recordSuccess();
      return record({
        provider: target.provider.kind,
        model: target.model,
        status: 'succeeded',
        statusCode: 200,
        errorCode: null,
        latencyMs,
      });
    };
    const circuitOpen = (target: ModelTarget, retryAfterMs: number) => {
      const error = new ProviderError({
        code: 'provider_unavailable',
        provider: target.provider.kind,
        model: target.model,
        reason: 'circuit_open',
        isRetryable: false,
        retryAfterMs,
        detail: 'recent calls to this provider failed, so calls are paused (circuit open)',
      });
      record({
        provider: target.provider.kind,
        model: target.model,
        status: 'failed',
        statusCode: null,
        errorCode: error.code,
        latencyMs: 0,
      });
      return error;
    };
    /** After a target gave up: may the next target be tried? */
    const mayFallBack = (error: ProviderError) =>
      error.isRetryable ||
      error.code === 'provider_unavailable' ||
      error.code === 'provider_timeout' ||
      error.code === 'provider_rate_limited';
    const fail = (error: ProviderError, targetIndex: number): never => {
      error.attempts = attempts;
      error.fallbackUsed = targetIndex > 0;
      throw error;
    };
    const finish = (result: GenerateResult, target: ModelTarget, targetIndex: number): ModelCallResult => ({
      result,
      provider: target.provider.kind,
      model: target.model,
      targetIndex,
      fallbackUsed: targetIndex > 0,
      retries,
      attempts,
    });
    const nextDelay = async (error: ProviderError, attemptNumber: number): Promise<boolean> => {
      const decision = decideRetry({
        error,
        attemptNumber,
        policy,
        remainingMs: deadline - clock.now(),
        random,
      });
      if (!decision.retry) return false;
      retries++;
      await clock.sleep(decision.delayMs, request.abortSignal);
      return true;
    };
    const remainingMs = () => deadline - clock.now();
    const attemptTimeout = () => Math.max(1, Math.min(attemptTimeoutMs, remainingMs()));
    const deadlineError = (target: ModelTarget) =>
      new ProviderError({
        code: 'provider_timeout',
        provider: target.provider.kind,
        model: target.model,
        reason: 'deadline_exceeded',
        isRetryable: false,
        detail: 'the overall deadline of the call passed',
      });

    return {
      request,
      attempts,
      record,
      breakerFor,
      attemptRequest,
      classify,
      failed,
      succeeded,
      circuitOpen,
      mayFallBack,
      fail,
      finish,
      nextDelay,
      remainingMs,
      attemptTimeout,
      deadlineError,
    };
  }

  return {
    async generate(request) {
      const call = plan(request);
      let lastError: ProviderError | undefined;
      let lastTargetIndex = 0;
      for (const [targetIndex, target] of request.targets.entries()) {
        if (lastError && !call.mayFallBack(lastError)) break;
        lastTargetIndex = targetIndex;
        const breaker = call.breakerFor(target);
        for (let attemptNumber = 1; ; attemptNumber++) {
          if (call.remainingMs() <= 0) return call.fail(lastError ?? call.deadlineError(target), targetIndex);
          const permit = breaker.acquire();
          if (!permit.allowed) {
            lastError = call.circuitOpen(target, permit.retryAfterMs);
            break;
          }
          const attemptSignal = createAttemptSignal(call.attemptTimeout(), request.abortSignal);
          const startedAt = clock.now();
          try {
            const result = await target.provider.generate(
              call.attemptRequest(target, targetIndex, attemptSignal.signal),
            );
            call.succeeded(target, clock.now() - startedAt, breaker);
            return call.finish(result, target, targetIndex);
          } catch (error) {
            lastError = call.classify(error, target, attemptSignal.timedOut);
            call.failed(target, lastError, clock.now() - startedAt, breaker);
          } finally {
            attemptSignal.dispose();
          }
          if (!(await call.nextDelay(lastError, attemptNumber))) break;
        }
      }
      return call.fail(lastError ?? call.deadlineError(request.targets[0] as ModelTarget), lastTargetIndex);
    },

    async *stream(request) {
      const call = plan(request);
      let lastError: ProviderError | undefined;
      let lastTargetIndex = 0;
      for (const [targetIndex, target] of request.targets.entries()) {
        if (lastError && !call.mayFallBack(lastError)) break;
        lastTargetIndex = targetIndex;
        const breaker = call.breakerFor(target);
        for (let attemptNumber = 1; ; attemptNumber++) {
          if (call.remainingMs() <= 0) return call.fail(lastError ?? call.deadlineError(target), targetIndex);
          const permit = breaker.acquire();
          if (!permit.allowed) {
            lastError = call.circuitOpen(target, permit.retryAfterMs);
            yield { type: 'attempt-end', attempt: call.attempts.at(-1) as AttemptRecord };
            break;
          }
          const attemptSignal = createAttemptSignal(call.attemptTimeout(), request.abortSignal);
          const startedAt = clock.now();
          let yieldedText = false;
          let finished = false;
          let attemptError: ProviderError | undefined;
          try {
            const events = target.provider.stream(
              call.attemptRequest(target, targetIndex, attemptSignal.signal),
            );
            for await (const event of events) {
              attemptSignal.restart();
              if (event.type === 'text-delta') {
                yieldedText = true;
                yield event;
              } else {
                finished = true;
                const attempt = call.succeeded(target, clock.now() - startedAt, breaker);
                yield { type: 'attempt-end', attempt };
                yield { type: 'finish', call: call.finish(event.result, target, targetIndex) };
              }
            }
          } catch (error) {
            attemptError = call.classify(error, target, attemptSignal.timedOut);
            const attempt = call.failed(target, attemptError, clock.now() - startedAt, breaker);
            yield { type: 'attempt-end', attempt };
            // Text already reached the consumer: a retry would repeat it, so the failure is final.
            if (yieldedText) return call.fail(attemptError, targetIndex);
          } finally {
            attemptSignal.dispose();
          }
          if (finished) return;
          if (!attemptError) {
            attemptError = new ProviderError({
              code: 'provider_invalid_response',
              provider: target.provider.kind,
              model: target.model,
              detail: 'the stream ended without a result',
            });
            call.failed(target, attemptError, clock.now() - startedAt, breaker);
          }
          lastError = attemptError;
          if (!(await call.nextDelay(lastError, attemptNumber))) break;
        }
      }
      return call.fail(lastError ?? call.deadlineError(request.targets[0] as ModelTarget), lastTargetIndex);
    },
  };
}
