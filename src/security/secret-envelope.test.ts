import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { formatSecretEnvelope, safeParseSecretEnvelope, secretAdditionalData } from './secret-envelope.ts';

describe('secret envelope', () => {
  it('formats and parses the same parts', () => {
    const parts = {
      version: 'v1' as const,
      keyId: 'key_2026-11',
      nonce: randomBytes(12),
      ciphertext: randomBytes(37),
      tag: randomBytes(16),
    };
    const text = formatSecretEnvelope(parts);
    expect(text.split(':')).toHaveLength(5);
    expect(text.startsWith('v1:key_2026-11:')).toBe(true);
    expect(text).not.toMatch(/[=+/]/);
    const parsed = safeParseSecretEnvelope(text)!;
    expect(parsed.keyId).toBe('key_2026-11');
    expect(parsed.nonce.equals(parts.nonce)).toBe(true);
    expect(parsed.ciphertext.equals(parts.ciphertext)).toBe(true);
    expect(parsed.tag.equals(parts.tag)).toBe(true);
  });

  it('parses an empty ciphertext (an empty secret)', () => {
    const text = formatSecretEnvelope({
      version: 'v1',
      keyId: 'k',
      nonce: randomBytes(12),
      ciphertext: Buffer.alloc(0),
      tag: randomBytes(16),
    });
    expect(safeParseSecretEnvelope(text)?.ciphertext.length).toBe(0);
  });

  it('rejects non-canonical base64url', () => {
    // 12 bytes are exactly 16 characters; a 17th character is not a valid spelling of any byte string.
    expect(safeParseSecretEnvelope(`v1:k:${'A'.repeat(17)}::${'A'.repeat(22)}`)).toBeUndefined();
    // The last character of 16 bytes carries 4 unused bits; setting one makes a second spelling.
    expect(safeParseSecretEnvelope(`v1:k:${'A'.repeat(16)}::${'A'.repeat(21)}B`)).toBeUndefined();
    expect(safeParseSecretEnvelope(`v1:k:${'A'.repeat(16)}::${'A'.repeat(22)}`)).toBeDefined();
  });

  it('encodes the additional data without ambiguity between fields', () => {
    const joined = secretAdditionalData('k', { workspaceId: 'ab', secretId: 'c' });
    const split = secretAdditionalData('k', { workspaceId: 'a', secretId: 'bc' });
    const separator = secretAdditionalData('k', { workspaceId: 'a","b', secretId: 'c' });
    const other = secretAdditionalData('k', { workspaceId: 'a', secretId: 'b","c' });
    expect(joined.equals(split)).toBe(false);
    expect(separator.equals(other)).toBe(false);
  });

  it('binds the key id, the purpose (default provider-key), the workspace and the secret id', () => {
    const base = secretAdditionalData('k', { workspaceId: 'w', secretId: 's' });
    expect(
      base.equals(secretAdditionalData('k', { workspaceId: 'w', secretId: 's', purpose: 'provider-key' })),
    ).toBe(true);
    expect(base.equals(secretAdditionalData('other', { workspaceId: 'w', secretId: 's' }))).toBe(false);
    expect(
      base.equals(secretAdditionalData('k', { workspaceId: 'w', secretId: 's', purpose: 'webhook' })),
    ).toBe(false);
    expect(base.equals(secretAdditionalData('k', { workspaceId: 'x', secretId: 's' }))).toBe(false);
    expect(base.equals(secretAdditionalData('k', { workspaceId: 'w', secretId: 't' }))).toBe(false);
  });
});
