import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllowedHosts } from '../security/ssrf-guard.ts';
import { createProvider } from './create-provider.ts';
import type { FakeProvider } from './fake-provider/index.ts';
import { startFakeProvider } from './fake-provider/index.ts';

let fake: FakeProvider;
beforeAll(async () => {
  fake = await startFakeProvider();
});
afterAll(async () => {
  await fake.close();
});

const messages = [{ role: 'user' as const, content: 'hi' }];

describe('createProvider', () => {
  it('refuses a private custom base URL that is not allowed, before any request', async () => {
    const provider = createProvider({ kind: 'openai-compatible', baseUrl: `${fake.url}/v1` });
    await expect(provider.generate({ model: 'local', messages })).rejects.toMatchObject({
      code: 'provider_url_refused',
    });
    expect(fake.calls).toHaveLength(0);
  });

  it('calls a private custom base URL once its host is allowed', async () => {
    const provider = createProvider({
      kind: 'openai-compatible',
      baseUrl: `${fake.url}/v1`,
      allowedHosts: parseAllowedHosts('127.0.0.1'),
    });
    const result = await provider.generate({ model: 'local', messages });
    expect(result.text).toBe('Fake local answer to: hi');
  });

  it('reports a missing key or base URL as provider_not_configured', () => {
    expect(() => createProvider({ kind: 'openai' })).toThrow(
      expect.objectContaining({ code: 'provider_not_configured' }),
    );
    expect(() => createProvider({ kind: 'openai-compatible' })).toThrow(
      expect.objectContaining({ code: 'provider_not_configured' }),
    );
    expect(createProvider({ kind: 'mock' }).kind).toBe('mock');
  });
});
