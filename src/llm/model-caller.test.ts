/**
 * The model caller's one attempt loop, run both ways (generate and stream) against the fake
 * provider through the real OpenAI adapter: both must make the same attempts, retries, fallbacks
 * and breaker moves; only the events a stream shows differ.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createCircuitBreakerRegistry } from './circuit-breaker-registry.ts';
import { createOpenAiProvider } from './create-openai-provider.ts';
import type { FakeProvider } from './fake-provider/index.ts';
import { startFakeProvider } from './fake-provider/index.ts';
import type { LanguageModelProvider, ProviderStreamEvent } from './language-model-provider.ts';
import type {
  ModelCaller,
  ModelCallerSettings,
  ModelCallRequest,
  ModelCallResult,
  ModelCallStreamEvent,
} from './model-caller.ts';
import { createModelCaller } from './model-caller.ts';
import type { AttemptRecord } from './provider-error.ts';
import { ProviderError } from './provider-error.ts';

const fastRetry = { maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 20 };
const prompt = { messages: [{ role: 'user' as const, content: 'Name three rivers of Europe, briefly.' }] };

let fake: FakeProvider;
beforeAll(async () => {
  fake = await startFakeProvider();
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => fake.reset());

const openAi = (origin = fake.url) =>
  createOpenAiProvider({ apiKey: 'sk-caller-test', baseUrl: `${origin}/v1` });

interface Outcome {
  call: ModelCallResult | undefined;
  error: unknown;
  /** Event types a stream showed, in order (`attempt-end:<status>`); empty for generate. */
  events: string[];
  /** What `onAttempt` saw. */
  observed: AttemptRecord[];
}

type Mode = 'generate' | 'stream';

async function run(
  mode: Mode,
  request: Omit<ModelCallRequest, 'workspaceId' | 'messages'> & Partial<ModelCallRequest>,
  settings: ModelCallerSettings = {},
): Promise<Outcome> {
  const observed: AttemptRecord[] = [];
  const caller: ModelCaller = createModelCaller({
    retry: fastRetry,
    ...settings,
    onAttempt: (attempt) => observed.push(attempt),
  });
  const full: ModelCallRequest = { workspaceId: 'workspace-caller', ...prompt, ...request };
  const events: string[] = [];
  try {
    if (mode === 'generate') return { call: await caller.generate(full), error: undefined, events, observed };
    let call: ModelCallResult | undefined;
    for await (const event of caller.stream(full)) {
      events.push(describeEvent(event));
      if (event.type === 'finish') call = event.call;
    }
    return { call, error: undefined, events, observed };
  } catch (error) {
    return { call: undefined, error, events, observed };
  }
}

function describeEvent(event: ModelCallStreamEvent): string {
  if (event.type === 'attempt-end') return `attempt-end:${event.attempt.status}`;
  return event.type;
}

function providerError(outcome: Outcome): ProviderError {
  expect(outcome.error).toBeInstanceOf(ProviderError);
  return outcome.error as ProviderError;
}

const completions = () => fake.calls.filter((entry) => entry.path === '/v1/chat/completions');

describe.each(['generate', 'stream'] as const)('%s', (mode) => {
  it('retries retryable failures on the same target and reports every attempt', async () => {
    fake.script([{ fault: 'unavailable' }, { fault: 'rate_limit' }]);
    const outcome = await run(mode, { targets: [{ provider: openAi(), model: 'gpt-4o-mini' }] });
    expect(outcome.call?.retries).toBe(2);
    expect(outcome.call?.fallbackUsed).toBe(false);
    expect(outcome.call?.attempts.map((attempt) => attempt.errorCode)).toEqual([
      'provider_unavailable',
      'provider_rate_limited',
      null,
    ]);
    expect(outcome.observed).toEqual(outcome.call?.attempts);
    if (mode === 'stream') {
      expect(outcome.events.filter((event) => event.startsWith('attempt-end'))).toEqual([
        'attempt-end:failed',
        'attempt-end:failed',
        'attempt-end:succeeded',
      ]);
      expect(outcome.events.at(-1)).toBe('finish');
    }
  });

  it('falls back after the primary gave up, with an idempotency key per attempt', async () => {
    const outcome = await run(mode, {
      targets: [
        { provider: openAi(), model: 'fault:server_error' },
        { provider: openAi(), model: 'gpt-4o' },
      ],
      idempotencyKey: ({ attemptNumber, targetIndex, model }) => `${attemptNumber}:${targetIndex}:${model}`,
    });
    expect(outcome.call).toMatchObject({ targetIndex: 1, model: 'gpt-4o', fallbackUsed: true, retries: 2 });
    expect(completions().map((entry) => entry.headers['idempotency-key'])).toEqual([
      '1:0:fault:server_error',
      '2:0:fault:server_error',
      '3:0:fault:server_error',
      '4:1:gpt-4o',
    ]);
  });

  it('waits the Retry-After the provider asked for', async () => {
    fake.script([{ fault: 'rate_limit', retryAfterMs: 300 }]);
    const outcome = await run(mode, { targets: [{ provider: openAi(), model: 'gpt-4o-mini' }] });
    expect(outcome.call?.attempts).toHaveLength(2);
    const gap = (completions()[1]?.receivedAt ?? 0) - (completions()[0]?.receivedAt ?? 0);
    expect(gap).toBeGreaterThanOrEqual(300);
    expect(gap).toBeLessThan(330 + 100);
  });

  it('does not fall back on an error a fallback cannot fix', async () => {
    const outcome = await run(mode, {
      targets: [
        { provider: openAi(), model: 'fault:bad_request' },
        { provider: openAi(), model: 'gpt-4o' },
      ],
    });
    const error = providerError(outcome);
    expect(error.code).toBe('provider_bad_request');
    expect(error.fallbackUsed).toBe(false);
    expect(error.attempts).toHaveLength(1);
    expect(completions()).toHaveLength(1);
    if (mode === 'stream') expect(outcome.events).toEqual(['attempt-end:failed']);
  });

  it('times an attempt out, retries it, and gives up as provider_timeout', async () => {
    fake.script([{ fault: 'hang' }, { fault: 'hang' }]);
    const outcome = await run(mode, {
      targets: [{ provider: openAi(), model: 'gpt-4o-mini' }],
      retry: { maxAttempts: 2 },
      attemptTimeoutMs: 150,
    });
    const error = providerError(outcome);
    expect(error.code).toBe('provider_timeout');
    expect(error.attempts.map((attempt) => attempt.errorCode)).toEqual([
      'provider_timeout',
      'provider_timeout',
    ]);
    expect(error.message).toContain('no answer within 150 ms');
  });

  it('stops at the overall deadline, backoff included', async () => {
    fake.script([{ fault: 'hang' }, { fault: 'hang' }, { fault: 'hang' }]);
    const startedAt = performance.now();
    const outcome = await run(mode, {
      targets: [{ provider: openAi(), model: 'gpt-4o-mini' }],
      attemptTimeoutMs: 10_000,
      deadlineMs: 200,
    });
    const error = providerError(outcome);
    expect(error.code).toBe('provider_timeout');
    expect(error.attempts).toHaveLength(1);
    expect(performance.now() - startedAt).toBeLessThan(2_000);
  });

  it('makes no call once the deadline has passed', async () => {
    const outcome = await run(mode, {
      targets: [{ provider: openAi(), model: 'gpt-4o-mini' }],
      deadlineMs: 0,
    });
    const error = providerError(outcome);
    expect(error.reason).toBe('deadline_exceeded');
    expect(error.attempts).toEqual([]);
    expect(completions()).toHaveLength(0);
  });

  it("rethrows the caller's abort as is, without retrying", async () => {
    fake.script([{ fault: 'hang' }, { fault: 'hang' }]);
    const controller = new AbortController();
    const reason = new Error('the client went away');
    setTimeout(() => controller.abort(reason), 100);
    const outcome = await run(mode, {
      targets: [{ provider: openAi(), model: 'gpt-4o-mini' }],
      abortSignal: controller.signal,
    });
    expect(outcome.error).toBe(reason);
    expect(completions()).toHaveLength(1);
  });

  it('fails fast while the circuit is open and falls back to another endpoint', async () => {
    const breakers = createCircuitBreakerRegistry({ consecutiveFailureThreshold: 1, cooldownMs: 60_000 });
    const settings = { breakers, retry: { maxAttempts: 1 } };
    const primary = openAi();
    const tripped = await run(
      mode,
      { targets: [{ provider: primary, model: 'fault:server_error' }] },
      settings,
    );
    expect(providerError(tripped).code).toBe('provider_unavailable');
    expect(breakers.list()[0]?.state).toBe('open');

    const outcome = await run(
      mode,
      {
        targets: [
          { provider: primary, model: 'gpt-4o-mini' },
          { provider: openAi(fake.url.replace('127.0.0.1', 'localhost')), model: 'gpt-4o' },
        ],
      },
      settings,
    );
    expect(
      outcome.call?.attempts.map((attempt) => [attempt.model, attempt.errorCode, attempt.latencyMs]),
    ).toEqual([
      ['gpt-4o-mini', 'provider_unavailable', 0],
      ['gpt-4o', null, expect.any(Number)],
    ]);
    expect(outcome.call?.fallbackUsed).toBe(true);
    expect(completions()).toHaveLength(2);
    if (mode === 'stream') expect(outcome.events[0]).toBe('attempt-end:failed');
  });

  it('does not count a rejected request against the endpoint health', async () => {
    const breakers = createCircuitBreakerRegistry({ consecutiveFailureThreshold: 1 });
    await run(mode, { targets: [{ provider: openAi(), model: 'fault:bad_request' }] }, { breakers });
    expect(breakers.list()[0]?.state).toBe('closed');
  });

  it('refuses a call without targets', async () => {
    const outcome = await run(mode, { targets: [] });
    expect(providerError(outcome).code).toBe('provider_not_configured');
  });
});

describe('stream', () => {
  it('bounds the silence between chunks, not the whole answer', async () => {
    const slow = await startFakeProvider({
      chunkDelayMs: 60,
      text: 'one two three four five six seven eight nine ten eleven twelve',
    });
    try {
      const outcome = await run('stream', {
        targets: [{ provider: openAi(slow.url), model: 'gpt-4o-mini' }],
        attemptTimeoutMs: 200,
      });
      expect(outcome.call?.result.text).toBe(
        'one two three four five six seven eight nine ten eleven twelve',
      );
      expect(outcome.call?.attempts).toHaveLength(1);
      expect(outcome.call?.result.latencyMs).toBeGreaterThan(200);
    } finally {
      await slow.close();
    }
  });

  it('neither retries nor falls back once text reached the consumer', async () => {
    fake.script([{ fault: 'stream_cut', afterChunks: 2 }]);
    const outcome = await run('stream', {
      targets: [
        { provider: openAi(), model: 'gpt-4o-mini' },
        { provider: openAi(), model: 'gpt-4o' },
      ],
    });
    expect(providerError(outcome).code).toBe('provider_unavailable');
    expect(outcome.events).toEqual(['text-delta', 'text-delta', 'attempt-end:failed']);
    expect(completions()).toHaveLength(1);
  });

  // The port promises a finish event; a provider that breaks the promise must still not have its
  // text repeated by a retry, and its attempt is reported like every other.
  it('treats a stream that ends without a result as a failed attempt', async () => {
    const calls: string[] = [];
    const endsEarly = (text: string): LanguageModelProvider => ({
      kind: 'openai-compatible',
      baseUrl: `broken:${text}`,
      generate: () => Promise.reject(new Error('not used')),
      async *stream(request): AsyncIterable<ProviderStreamEvent> {
        calls.push(request.model);
        if (text) yield { type: 'text-delta', text };
      },
    });
    const withText = await run('stream', {
      targets: [{ provider: endsEarly('partial'), model: 'with-text' }],
      retry: { maxAttempts: 2 },
    });
    expect(providerError(withText).code).toBe('provider_invalid_response');
    expect(withText.events).toEqual(['text-delta', 'attempt-end:failed']);
    expect(calls).toEqual(['with-text']);

    const silent = await run('stream', { targets: [{ provider: endsEarly(''), model: 'silent' }] });
    expect(providerError(silent).attempts).toHaveLength(1);
    expect(silent.events).toEqual(['attempt-end:failed']);
  });
});
