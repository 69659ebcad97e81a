import { describe, expect, it } from 'vitest';
import { isSecretFieldName, redactSecrets, scrubSecretText } from './redact-secrets.ts';

describe('redactSecrets', () => {
  it('replaces fields whose names say key, secret, token, password, authorization or cookie', () => {
    const input = {
      apiKey: 'sk-live-123',
      clientSecret: 's3cr3t',
      token: 'fd_abc',
      password: 'hunter22',
      headers: { authorization: 'Bearer fd_abc', cookie: 'session=1', accept: 'application/json' },
      name: 'visible',
    };
    expect(redactSecrets(input)).toEqual({
      apiKey: '[redacted]',
      clientSecret: '[redacted]',
      token: '[redacted]',
      password: '[redacted]',
      headers: { authorization: '[redacted]', cookie: '[redacted]', accept: 'application/json' },
      name: 'visible',
    });
  });

  it('walks nested objects and arrays', () => {
    const input = { body: { keys: [{ label: 'main', secretValue: 'x' }] }, list: [{ password: 'p' }] };
    expect(JSON.stringify(redactSecrets(input))).not.toMatch(/"x"|"p"/);
  });

  it('keeps ids and counts that only contain the words', () => {
    expect(isSecretFieldName('providerKeyId')).toBe(false);
    expect(isSecretFieldName('inputTokens')).toBe(false);
    expect(isSecretFieldName('tokenPrefix')).toBe(false);
    expect(isSecretFieldName('x-api-key')).toBe(true);
    expect(isSecretFieldName('set-cookie')).toBe(true);
  });

  it('keeps the message and stack of errors, and redacts their secret-named fields', () => {
    const error = Object.assign(new Error('provider refused'), { apiKey: 'sk-hidden', code: 'x' });
    const copy = redactSecrets({ err: error }) as { err: Record<string, unknown> };
    expect(copy.err.message).toBe('provider refused');
    expect(String(copy.err.stack)).toContain('provider refused');
    expect(copy.err.apiKey).toBe('[redacted]');
    expect(copy.err.code).toBe('x');
  });

  it('survives cycles', () => {
    const cyclic: Record<string, unknown> = { name: 'loop' };
    cyclic.self = cyclic;
    expect(redactSecrets(cyclic)).toEqual({ name: 'loop', self: '[truncated]' });
  });
});

describe('scrubSecretText', () => {
  it('removes the given secrets and anything shaped like a credential, and keeps the rest', () => {
    const text =
      'Incorrect API key provided: Bearer sk-proj-abcdefghijklmnop. Token fd_0123456789abcdef, key=AKIAABCDEFGHIJKLMNOP, own: hunter2-secret-value';
    const scrubbed = scrubSecretText(text, ['hunter2-secret-value']);
    for (const secret of [
      'sk-proj-abcdefghijklmnop',
      'fd_0123456789abcdef',
      'AKIAABCDEFGHIJKLMNOP',
      'hunter2-secret-value',
    ]) {
      expect(scrubbed).not.toContain(secret);
    }
    expect(scrubbed).toContain('Incorrect API key provided');
    expect(scrubSecretText('rate limit exceeded, retry in 3 s')).toBe('rate limit exceeded, retry in 3 s');
  });
});
