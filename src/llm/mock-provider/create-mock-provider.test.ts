import { describe, expect, it } from 'vitest';
import type { GenerateRequest } from '../language-model-provider.ts';
import { createModelCaller } from '../model-caller.ts';
import { ProviderError } from '../provider-error.ts';
import { createMockProvider } from './create-mock-provider.ts';

const request: GenerateRequest = {
  model: 'mock-1',
  messages: [{ role: 'user', content: 'Plan my week.' }],
  seed: 1,
};

describe('createMockProvider', () => {
  it('answers the same prompt and seed identically, and a different seed differently', async () => {
    const provider = createMockProvider();
    const first = await provider.generate(request);
    expect((await provider.generate(request)).text).toBe(first.text);
    expect((await provider.generate({ ...request, seed: 2 })).text).not.toBe(first.text);
  });

  it('counts usage with the tokenizer', async () => {
    const { usage } = await createMockProvider().generate(request);
    expect(usage.inputTokens).toBeGreaterThan(3);
    expect(usage.outputTokens).toBeGreaterThan(5);
    expect(usage.totalTokens).toBe(usage.inputTokens + usage.outputTokens);
  });

  it('adds the configured latency through the injected sleep', async () => {
    const slept: number[] = [];
    const provider = createMockProvider({
      latencyMs: 250,
      sleep: async (milliseconds) => void slept.push(milliseconds),
    });
    await provider.generate(request);
    expect(slept).toEqual([250]);
  });

  it('fails as told, and the model caller retries it like any provider', async () => {
    const provider = createMockProvider({ failWith: 'provider_unavailable', failTimes: 2 });
    const outcome = await createModelCaller({ retry: { baseDelayMs: 1, maxDelayMs: 2 } }).generate({
      workspaceId: 'w',
      targets: [{ provider, model: 'mock-1' }],
      messages: request.messages,
    });
    expect(outcome.attempts.map((attempt) => attempt.errorCode)).toEqual([
      'provider_unavailable',
      'provider_unavailable',
      null,
    ]);
    const failing = createMockProvider({ failWith: 'provider_auth_failed' });
    await expect(failing.generate(request)).rejects.toBeInstanceOf(ProviderError);
  });
});
