/**
 * The adapter contract: every provider adapter runs the same cases through the real AI SDK against
 * the fake provider server (no mocks of our own code). The mock provider runs the subset that
 * applies to a provider without HTTP; its skips are listed with the reason.
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createCircuitBreakerRegistry } from '../../src/llm/circuit-breaker-registry.ts';
import { createAnthropicProvider } from '../../src/llm/create-anthropic-provider.ts';
import { createOpenAiCompatibleProvider } from '../../src/llm/create-openai-compatible-provider.ts';
import { createOpenAiProvider } from '../../src/llm/create-openai-provider.ts';
import type { FakeFault, FakeProvider } from '../../src/llm/fake-provider/index.ts';
import { startFakeProvider } from '../../src/llm/fake-provider/index.ts';
import type { LanguageModelProvider, ProviderKind } from '../../src/llm/language-model-provider.ts';
import { createMockProvider } from '../../src/llm/mock-provider/index.ts';
import type { ModelCallRequest } from '../../src/llm/model-caller.ts';
import { createModelCaller } from '../../src/llm/model-caller.ts';
import { ProviderError } from '../../src/llm/provider-error.ts';
import { createManualClock } from './manual-clock.ts';

interface AdapterCase {
  kind: ProviderKind;
  model: string;
  apiKey: string;
  credentialScheme: 'bearer' | 'x-api-key' | null;
  create(fake: FakeProvider): LanguageModelProvider;
  /** Cases this adapter cannot run, with the reason. */
  skips: Partial<Record<'http', string>>;
}

const adapters: AdapterCase[] = [
  {
    kind: 'openai',
    model: 'gpt-4o-mini',
    apiKey: 'sk-contract-openai-A1b2',
    credentialScheme: 'bearer',
    create: (fake) => createOpenAiProvider({ apiKey: 'sk-contract-openai-A1b2', baseUrl: `${fake.url}/v1` }),
    skips: {},
  },
  {
    kind: 'anthropic',
    model: 'claude-sonnet-4-5',
    apiKey: 'sk-ant-contract-C3d4',
    credentialScheme: 'x-api-key',
    create: (fake) => createAnthropicProvider({ apiKey: 'sk-ant-contract-C3d4', baseUrl: `${fake.url}/v1` }),
    skips: {},
  },
  {
    kind: 'openai-compatible',
    model: 'llama-3.1-8b-instruct',
    apiKey: 'compat-key-E5f6',
    credentialScheme: 'bearer',
    create: (fake) =>
      createOpenAiCompatibleProvider({ apiKey: 'compat-key-E5f6', baseUrl: `${fake.url}/v1` }),
    skips: {},
  },
  {
    kind: 'mock',
    model: 'mock-model',
    apiKey: '',
    credentialScheme: null,
    create: () => createMockProvider(),
    skips: {
      http: 'the mock makes no HTTP call: wire faults, Retry-After, keys and the call log do not apply (its own fault switch is tested in create-mock-provider.test.ts)',
    },
  },
];

const summarySchema = {
  type: 'object',
  properties: {
    title: { type: 'string', minLength: 3 },
    score: { type: 'integer', minimum: 1, maximum: 5 },
    tags: { type: 'array', items: { type: 'string', enum: ['bug', 'feature', 'docs'] }, minItems: 1 },
    status: { enum: ['open', 'closed'] },
  },
  required: ['title', 'score', 'tags', 'status'],
  additionalProperties: false,
};
const validateSummary = new Ajv2020({ strict: false }).compile(summarySchema);

const fastRetry = { maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 20 };

let fake: FakeProvider;
beforeAll(async () => {
  fake = await startFakeProvider({ cachedInputTokens: 4 });
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => fake.reset());

describe.each(adapters)('$kind adapter', (adapter) => {
  const provider = () => adapter.create(fake);
  const prompt = {
    system: 'Answer briefly.',
    messages: [{ role: 'user' as const, content: 'Summarise the release notes of version 2.' }],
  };
  const itHttp = adapter.skips.http ? it.skip : it;

  function call(overrides: Partial<ModelCallRequest> = {}, model = adapter.model) {
    return createModelCaller({ retry: fastRetry }).generate({
      workspaceId: 'workspace-contract',
      targets: [{ provider: provider(), model }],
      ...prompt,
      ...overrides,
    });
  }

  async function failure(promise: Promise<unknown>): Promise<ProviderError> {
    const error = await promise.then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(ProviderError);
    return error as ProviderError;
  }

  it('generates text with usage, finish reason, model and latency', async () => {
    const { result } = await call();
    expect(result.text.length).toBeGreaterThan(0);
    expect(result.finishReason).toBe('stop');
    expect(result.model).toBe(adapter.model);
    expect(result.latencyMs).toBeGreaterThan(0);
    expect(result.usage.inputTokens).toBeGreaterThan(0);
    expect(result.usage.outputTokens).toBeGreaterThan(0);
    expect(result.usage.totalTokens).toBe(result.usage.inputTokens + result.usage.outputTokens);
    if (adapter.skips.http) return;
    expect(result.text).toBe(`Fake ${adapter.model} answer to: Summarise the release notes of version 2.`);
  });

  itHttp('reports exactly the usage, cached tokens and request id the provider sent', async () => {
    const { result } = await call();
    const sent = fake.calls[0];
    expect(sent?.usage).not.toBeNull();
    expect(result.usage.inputTokens).toBe(sent?.usage?.promptTokens);
    expect(result.usage.outputTokens).toBe(sent?.usage?.completionTokens);
    expect(result.usage.cachedInputTokens).toBe(4);
    expect(result.requestId).toBe(sent?.requestId);
  });

  itHttp('sends the configured key in the header its provider expects', async () => {
    await call();
    expect(fake.calls[0]?.credential).toMatchObject({
      scheme: adapter.credentialScheme,
      last4: adapter.apiKey.slice(-4),
    });
    expect(fake.calls[0]?.headers.authorization ?? fake.calls[0]?.headers['x-api-key']).toBe('[redacted]');
  });

  it('streams text deltas that add up to the final text, with time to first token', async () => {
    const deltas: string[] = [];
    let finalText: string | undefined;
    let firstTokenMs: number | undefined;
    for await (const event of createModelCaller({ retry: fastRetry }).stream({
      workspaceId: 'workspace-contract',
      targets: [{ provider: provider(), model: adapter.model }],
      ...prompt,
    })) {
      if (event.type === 'text-delta') deltas.push(event.text);
      if (event.type === 'finish') {
        finalText = event.call.result.text;
        firstTokenMs = event.call.result.timeToFirstTokenMs;
        expect(event.call.result.usage.outputTokens).toBeGreaterThan(0);
        expect(event.call.attempts).toHaveLength(1);
      }
    }
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.join('')).toBe(finalText);
    expect(firstTokenMs).toBeGreaterThanOrEqual(0);
  });

  it('returns an object valid against the output schema, generated and streamed', async () => {
    const { result } = await call({ outputSchema: summarySchema, outputName: 'summary' });
    expect(validateSummary(result.object), JSON.stringify(validateSummary.errors)).toBe(true);
    let streamed: unknown;
    for await (const event of createModelCaller().stream({
      workspaceId: 'workspace-contract',
      targets: [{ provider: provider(), model: adapter.model }],
      ...prompt,
      outputSchema: summarySchema,
    })) {
      if (event.type === 'finish') streamed = event.call.result.object;
    }
    expect(validateSummary(streamed), JSON.stringify(validateSummary.errors)).toBe(true);
  });

  const faultCases: Array<{ fault: FakeFault; code: string; attempts: number }> = [
    { fault: { fault: 'rate_limit' }, code: 'provider_rate_limited', attempts: 3 },
    { fault: { fault: 'server_error' }, code: 'provider_unavailable', attempts: 3 },
    { fault: { fault: 'unavailable' }, code: 'provider_unavailable', attempts: 3 },
    { fault: { fault: 'reset' }, code: 'provider_unavailable', attempts: 3 },
    { fault: { fault: 'stream_cut' }, code: 'provider_unavailable', attempts: 3 },
    { fault: { fault: 'unauthorized' }, code: 'provider_auth_failed', attempts: 1 },
    { fault: { fault: 'bad_request' }, code: 'provider_bad_request', attempts: 1 },
    { fault: { fault: 'malformed_json' }, code: 'provider_invalid_response', attempts: 1 },
    { fault: { fault: 'content_filter' }, code: 'provider_content_filtered', attempts: 1 },
    { fault: { fault: 'hang' }, code: 'provider_timeout', attempts: 3 },
  ];

  describe.each(faultCases)('fault $fault.fault', ({ fault, code, attempts }) => {
    itHttp(`maps to ${code} after ${attempts} attempt(s)`, async () => {
      fake.script([fault, fault, fault, fault]);
      const error = await failure(call({ attemptTimeoutMs: 250 }));
      expect(error.code).toBe(code);
      expect(error.attempts).toHaveLength(attempts);
      expect(
        error.attempts.every((attempt) => attempt.errorCode === code && attempt.status === 'failed'),
      ).toBe(true);
      expect(fake.calls.filter((entry) => entry.path !== '/v1/models')).toHaveLength(attempts);
      expect(error.message.length).toBeGreaterThan(20);
    });
  });

  itHttp('retries retryable failures and succeeds, counting every attempt', async () => {
    fake.script([{ fault: 'unavailable' }, { fault: 'server_error' }]);
    const outcome = await call();
    expect(outcome.retries).toBe(2);
    expect(
      outcome.attempts.map((attempt) => [attempt.status, attempt.statusCode, attempt.errorCode]),
    ).toEqual([
      ['failed', 503, 'provider_unavailable'],
      ['failed', 500, 'provider_unavailable'],
      ['succeeded', 200, null],
    ]);
  });

  itHttp('honours Retry-After (seconds) within 10 %', async () => {
    fake.script([{ fault: 'rate_limit', retryAfterSeconds: 1 }]);
    const outcome = await call();
    expect(outcome.attempts).toHaveLength(2);
    const gap = (fake.calls[1]?.receivedAt ?? 0) - (fake.calls[0]?.receivedAt ?? 0);
    expect(gap).toBeGreaterThanOrEqual(1000);
    expect(gap).toBeLessThanOrEqual(1100);
  });

  itHttp('honours retry-after-ms within 10 %', async () => {
    fake.script([{ fault: 'rate_limit', retryAfterMs: 400 }]);
    await call();
    const gap = (fake.calls[1]?.receivedAt ?? 0) - (fake.calls[0]?.receivedAt ?? 0);
    expect(gap).toBeGreaterThanOrEqual(400);
    expect(gap).toBeLessThanOrEqual(440);
  });

  itHttp('does not wait for a Retry-After above the cap: it falls back instead', async () => {
    fake.script([{ fault: 'rate_limit', retryAfterSeconds: 120 }]);
    const outcome = await call({
      retry: { maxRetryAfterMs: 5_000 },
      targets: [
        { provider: provider(), model: adapter.model },
        { provider: provider(), model: `${adapter.model}-fallback` },
      ],
    });
    expect(outcome.fallbackUsed).toBe(true);
    expect(outcome.attempts.map((attempt) => attempt.errorCode)).toEqual(['provider_rate_limited', null]);
  });

  itHttp(
    'falls back to the next target when the primary stays unavailable, and says which answered',
    async () => {
      const outcome = await call({
        targets: [
          { provider: provider(), model: 'fault:unavailable' },
          { provider: provider(), model: adapter.model },
        ],
      });
      expect(outcome.fallbackUsed).toBe(true);
      expect(outcome.targetIndex).toBe(1);
      expect(outcome.model).toBe(adapter.model);
      expect(outcome.attempts.map((attempt) => [attempt.model, attempt.status])).toEqual([
        ['fault:unavailable', 'failed'],
        ['fault:unavailable', 'failed'],
        ['fault:unavailable', 'failed'],
        [adapter.model, 'succeeded'],
      ]);
    },
  );

  itHttp('does not fall back on errors a fallback cannot fix (bad request)', async () => {
    const error = await failure(
      call({
        targets: [
          { provider: provider(), model: 'fault:bad_request' },
          { provider: provider(), model: adapter.model },
        ],
      }),
    );
    expect(error.code).toBe('provider_bad_request');
    expect(error.attempts).toHaveLength(1);
    expect(error.fallbackUsed).toBe(false);
  });

  itHttp('sends an idempotency key per attempt', async () => {
    fake.script([{ fault: 'unavailable' }]);
    await call({ idempotencyKey: ({ attemptNumber }) => `run-1:step-a:${attemptNumber}` });
    expect(fake.calls.map((entry) => entry.headers['idempotency-key'])).toEqual([
      'run-1:step-a:1',
      'run-1:step-a:2',
    ]);
  });

  itHttp('does not retry a stream that already yielded text', async () => {
    fake.script([{ fault: 'stream_cut', afterChunks: 2 }]);
    const deltas: string[] = [];
    const attemptEnds: string[] = [];
    const error = await failure(
      (async () => {
        for await (const event of createModelCaller({ retry: fastRetry }).stream({
          workspaceId: 'workspace-contract',
          targets: [{ provider: provider(), model: adapter.model }],
          ...prompt,
        })) {
          if (event.type === 'text-delta') deltas.push(event.text);
          if (event.type === 'attempt-end') attemptEnds.push(event.attempt.status);
        }
      })(),
    );
    expect(deltas).toHaveLength(2);
    expect(error.code).toBe('provider_unavailable');
    expect(attemptEnds).toEqual(['failed']);
    expect(fake.calls).toHaveLength(1);
  });

  // A server that answers the streaming request with 200, application/json and a cut body: the
  // stream has no events, and must not become a completed answer with empty text and 0 tokens.
  itHttp('fails a stream answered with a truncated JSON body as provider_invalid_response', async () => {
    fake.script([{ fault: 'json_for_stream' }, { fault: 'json_for_stream' }, { fault: 'json_for_stream' }]);
    const events: string[] = [];
    const error = await failure(
      (async () => {
        for await (const event of createModelCaller({ retry: fastRetry }).stream({
          workspaceId: 'workspace-contract',
          targets: [{ provider: provider(), model: adapter.model }],
          ...prompt,
        })) {
          events.push(event.type);
        }
      })(),
    );
    expect(error.code).toBe('provider_invalid_response');
    expect(events).not.toContain('finish');
    expect(error.attempts.map((attempt) => attempt.errorCode)).toEqual(['provider_invalid_response']);
  });

  itHttp(
    'fails a JSON request answered with the same truncated body as provider_invalid_response',
    async () => {
      fake.script([{ fault: 'json_for_stream' }]);
      const error = await failure(call());
      expect(error.code).toBe('provider_invalid_response');
      expect(error.attempts).toHaveLength(1);
    },
  );

  itHttp('retries a stream that failed before any text', async () => {
    fake.script([{ fault: 'unavailable' }]);
    let finished = false;
    for await (const event of createModelCaller({ retry: fastRetry }).stream({
      workspaceId: 'workspace-contract',
      targets: [{ provider: provider(), model: adapter.model }],
      ...prompt,
    })) {
      if (event.type === 'finish') {
        finished = true;
        expect(event.call.retries).toBe(1);
      }
    }
    expect(finished).toBe(true);
  });

  itHttp('opens the circuit after consecutive failures, probes after the cooldown, then closes', async () => {
    const clock = createManualClock();
    const breakers = createCircuitBreakerRegistry(
      { consecutiveFailureThreshold: 2, cooldownMs: 10_000 },
      clock,
    );
    const breakerCaller = createModelCaller({ clock, breakers, retry: { maxAttempts: 1 } });
    const target = provider();
    const request = (model: string) => ({
      workspaceId: 'workspace-breaker',
      targets: [{ provider: target, model }],
      ...prompt,
    });

    for (let index = 0; index < 2; index++) {
      expect((await failure(breakerCaller.generate(request('fault:server_error')))).code).toBe(
        'provider_unavailable',
      );
    }
    const [state] = breakers.list();
    expect(state).toMatchObject({ state: 'open', provider: adapter.kind, workspaceId: 'workspace-breaker' });

    const fastFail = await failure(breakerCaller.generate(request(adapter.model)));
    expect(fastFail.reason).toBe('circuit_open');
    expect(fake.calls).toHaveLength(2);

    clock.advance(10_000);
    const probe = await breakerCaller.generate(request(adapter.model));
    expect(probe.attempts).toHaveLength(1);
    expect(breakers.list()[0]?.state).toBe('closed');
    expect(fake.calls).toHaveLength(3);
  });
});
