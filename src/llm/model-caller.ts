import { createAttemptSignal } from './attempt-signal.ts';
import type { CircuitBreaker } from './circuit-breaker.ts';
import type { CircuitBreakerRegistry } from './circuit-breaker-registry.ts';
import { createCircuitBreakerRegistry } from './circuit-breaker-registry.ts';
import type { Clock } from './clock.ts';
import { systemClock } from './clock.ts';
import { classifyEndpointHealth, decideNextStep } from './decide-retry.ts';
import type {
  GenerateRequest,
  GenerateResult,
  LanguageModelProvider,
  ProviderKind,
  ProviderStreamEvent,
} from './language-model-provider.ts';
import type { ModelCallState } from './model-call-state.ts';
import { createModelCallState } from './model-call-state.ts';
import type { AttemptRecord, ProviderError } from './provider-error.ts';
import type { RetryPolicy } from './retry-policy.ts';

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

/**
 * How one attempt talks to its provider. A stream passes the provider's events through; generate
 * is a stream that yields nothing until its one `finish`, so both share the attempt loop.
 */
type AttemptRunner = (target: ModelTarget, request: GenerateRequest) => AsyncIterable<ProviderStreamEvent>;

const generateAttempt: AttemptRunner = async function* (target, request) {
  yield { type: 'finish', result: await target.provider.generate(request) };
};

const streamAttempt: AttemptRunner = (target, request) => target.provider.stream(request);

type AttemptOutcome =
  | { status: 'succeeded'; call: ModelCallResult }
  | { status: 'failed'; error: ProviderError; textYielded: boolean };

/**
 * Wraps the provider port with everything an execution needs around a model call: retries with
 * backoff and Retry-After, a per-attempt timeout and an overall deadline, one circuit breaker per
 * endpoint, fallback targets, and a record of every attempt.
 */
export function createModelCaller(settings: ModelCallerSettings = {}): ModelCaller {
  const clock = settings.clock ?? systemClock;
  const random = settings.random ?? Math.random;
  const context = {
    clock,
    breakers: settings.breakers ?? createCircuitBreakerRegistry({}, clock),
    onAttempt: settings.onAttempt ?? (() => {}),
    retry: settings.retry,
    attemptTimeoutMs: settings.attemptTimeoutMs,
    deadlineMs: settings.deadlineMs,
  };

  /**
   * The one attempt loop: targets in order, attempts on each until the policy in decide-retry says
   * to fall back or give up. Yields what a stream shows and returns the call that answered.
   */
  async function* callTargets(
    request: ModelCallRequest,
    runAttempt: AttemptRunner,
  ): AsyncGenerator<ModelCallStreamEvent, ModelCallResult> {
    const call = createModelCallState(request, context);
    let lastError: ProviderError | undefined;
    for (const [targetIndex, target] of request.targets.entries()) {
      const breaker = call.breakerFor(target);
      for (let attemptNumber = 1; ; attemptNumber++) {
        if (call.remainingMs() <= 0) return call.fail(lastError ?? call.deadlineError(target), targetIndex);
        const outcome = yield* attempt(call, { target, targetIndex, breaker }, runAttempt);
        if (outcome.status === 'succeeded') return outcome.call;
        lastError = outcome.error;
        const next = decideNextStep({
          error: outcome.error,
          textYielded: outcome.textYielded,
          attemptNumber,
          policy: call.policy,
          remainingMs: call.remainingMs(),
          random,
        });
        if (next.step === 'give-up') return call.fail(outcome.error, targetIndex);
        if (next.step === 'fall-back') break;
        call.countRetry();
        await clock.sleep(next.delayMs, request.abortSignal);
      }
    }
    return call.fail(
      lastError ?? call.deadlineError(request.targets[0] as ModelTarget),
      request.targets.length - 1,
    );
  }

  /** One attempt on one target, reported by an `attempt-end` whatever its outcome. */
  async function* attempt(
    call: ModelCallState,
    { target, targetIndex, breaker }: { target: ModelTarget; targetIndex: number; breaker: CircuitBreaker },
    runAttempt: AttemptRunner,
  ): AsyncGenerator<ModelCallStreamEvent, AttemptOutcome> {
    const permit = breaker.acquire();
    if (!permit.allowed) {
      // Failing fast is not a call to the endpoint, so the breaker does not count it.
      const error = call.circuitOpenError(target, permit.retryAfterMs);
      yield { type: 'attempt-end', attempt: call.recordFailure(target, error, 0) };
      return { status: 'failed', error, textYielded: false };
    }
    const failed = (error: ProviderError, latencyMs: number) => {
      if (classifyEndpointHealth(error) === 'unhealthy') breaker.recordFailure();
      else breaker.recordSuccess();
      return call.recordFailure(target, error, latencyMs);
    };
    const attemptSignal = createAttemptSignal(call.attemptTimeoutMs(), call.request.abortSignal);
    const startedAt = clock.now();
    let textYielded = false;
    try {
      const events = runAttempt(target, call.attemptRequest(target, targetIndex, attemptSignal.signal));
      for await (const event of events) {
        // For streams the timeout bounds the silence between chunks, not the whole answer.
        attemptSignal.restart();
        if (event.type === 'text-delta') {
          textYielded = true;
          yield event;
          continue;
        }
        breaker.recordSuccess();
        yield { type: 'attempt-end', attempt: call.recordSuccess(target, clock.now() - startedAt) };
        const answered = call.finish(event.result, target, targetIndex);
        yield { type: 'finish', call: answered };
        return { status: 'succeeded', call: answered };
      }
    } catch (thrown) {
      const error = call.classify(thrown, target, attemptSignal.timedOut);
      yield { type: 'attempt-end', attempt: failed(error, clock.now() - startedAt) };
      return { status: 'failed', error, textYielded };
    } finally {
      attemptSignal.dispose();
    }
    const error = call.endedWithoutResultError(target);
    yield { type: 'attempt-end', attempt: failed(error, clock.now() - startedAt) };
    return { status: 'failed', error, textYielded };
  }

  return {
    async generate(request) {
      const events = callTargets(request, generateAttempt);
      for (;;) {
        const next = await events.next();
        if (next.done) return next.value;
      }
    },
    stream: (request) => callTargets(request, streamAttempt),
  };
}
