import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { FlightdeckError } from '../core/errors.ts';
import {
  assertSecretsDecryptable,
  createKeyring,
  describeUndecryptableSecrets,
  findUndecryptableSecrets,
} from './keyring.ts';
import { makeMasterKey } from './keyring-master-keys.ts';
import { formatSecretEnvelope, safeParseSecretEnvelope } from './secret-envelope.ts';

const rowA = { workspaceId: 'workspace-1', secretId: 'key-a' };
const rowB = { workspaceId: 'workspace-1', secretId: 'key-b' };
const otherWorkspace = { workspaceId: 'workspace-2', secretId: 'key-a' };

function newKey(id: string) {
  return makeMasterKey(id, randomBytes(32));
}

function codeOf(action: () => unknown): string | undefined {
  try {
    action();
  } catch (error) {
    return FlightdeckError.isInstance(error) ? error.code : `not a FlightdeckError: ${String(error)}`;
  }
  return undefined;
}

function messageOf(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected a failure');
}

/** Flips one bit in one binary part of an envelope, keeping it well formed. */
function flipBit(envelope: string, part: 'nonce' | 'ciphertext' | 'tag'): string {
  const parsed = safeParseSecretEnvelope(envelope)!;
  const bytes = Buffer.from(parsed[part]);
  bytes[0] = bytes[0]! ^ 0x01;
  return formatSecretEnvelope({ ...parsed, [part]: bytes });
}

describe('createKeyring round trip', () => {
  const keyring = createKeyring([newKey('primary')]);

  it.each([
    ['ascii', 'sk-live-0123456789abcdef'],
    ['unicode', 'κλειδί 🔑 キー — ключ'],
    ['empty', ''],
    ['long', 'x'.repeat(100_000)],
  ])('decrypts what it encrypted (%s)', (_name, plaintext) => {
    const envelope = keyring.encrypt(plaintext, rowA);
    expect(keyring.decrypt(envelope, rowA)).toBe(plaintext);
  });

  it('writes v1:<keyId>:<nonce>:<ciphertext>:<tag> without the plaintext in it', () => {
    const envelope = keyring.encrypt('sk-live-secret-value', rowA);
    expect(envelope).toMatch(/^v1:primary:[A-Za-z0-9_-]{16}:[A-Za-z0-9_-]+:[A-Za-z0-9_-]{22}$/);
    expect(envelope).not.toContain('sk-live');
    expect(keyring.keyIdOf(envelope)).toBe('primary');
  });

  it('encrypts the same plaintext differently every time', () => {
    expect(keyring.encrypt('same', rowA)).not.toBe(keyring.encrypt('same', rowA));
  });

  it('binds the purpose: another purpose does not decrypt', () => {
    const envelope = keyring.encrypt('secret', { ...rowA, purpose: 'webhook-secret' });
    expect(keyring.decrypt(envelope, { ...rowA, purpose: 'webhook-secret' })).toBe('secret');
    expect(codeOf(() => keyring.decrypt(envelope, rowA))).toBe('secret_decryption_failed');
  });

  it('refuses an empty workspace id or secret id', () => {
    expect(codeOf(() => keyring.encrypt('secret', { workspaceId: '', secretId: 'key-a' }))).toBe(
      'secret_context_invalid',
    );
    expect(codeOf(() => keyring.encrypt('secret', { workspaceId: 'workspace-1', secretId: '' }))).toBe(
      'secret_context_invalid',
    );
  });
});

describe('createKeyring tampering', () => {
  const keyring = createKeyring([newKey('primary')]);

  it.each(['nonce', 'ciphertext', 'tag'] as const)('fails when one bit of the %s flips', (part) => {
    const envelope = keyring.encrypt('sk-live-secret-value', rowA);
    const tampered = flipBit(envelope, part);
    expect(tampered).not.toBe(envelope);
    expect(keyring.decrypt(envelope, rowA)).toBe('sk-live-secret-value');
    expect(codeOf(() => keyring.decrypt(tampered, rowA))).toBe('secret_decryption_failed');
  });

  it('fails when ciphertexts are swapped between two rows', () => {
    const envelopeA = keyring.encrypt('key of row a', rowA);
    const envelopeB = keyring.encrypt('key of row b', rowB);
    expect(keyring.decrypt(envelopeA, rowA)).toBe('key of row a');
    expect(keyring.decrypt(envelopeB, rowB)).toBe('key of row b');
    expect(codeOf(() => keyring.decrypt(envelopeA, rowB))).toBe('secret_decryption_failed');
    expect(codeOf(() => keyring.decrypt(envelopeB, rowA))).toBe('secret_decryption_failed');
  });

  it('fails when a ciphertext is copied to another workspace with the same row id', () => {
    const envelope = keyring.encrypt('key of workspace 1', rowA);
    expect(codeOf(() => keyring.decrypt(envelope, otherWorkspace))).toBe('secret_decryption_failed');
  });

  it('does not confuse contexts whose concatenations are equal', () => {
    const envelope = keyring.encrypt('secret', { workspaceId: 'ab', secretId: 'c' });
    expect(codeOf(() => keyring.decrypt(envelope, { workspaceId: 'a', secretId: 'bc' }))).toBe(
      'secret_decryption_failed',
    );
  });

  it('fails when the key id in the envelope is relabelled to another configured key', () => {
    const twoKeys = createKeyring([newKey('new'), newKey('old')]);
    const envelope = twoKeys.encrypt('secret', rowA);
    const relabelled = envelope.replace(/^v1:new:/, 'v1:old:');
    expect(codeOf(() => twoKeys.decrypt(relabelled, rowA))).toBe('secret_decryption_failed');
  });

  it('fails for an unknown key id, naming the id but not the envelope', () => {
    const envelope = createKeyring([newKey('elsewhere')]).encrypt('secret', rowA);
    expect(keyring.canDecrypt(envelope)).toBe(false);
    expect(codeOf(() => keyring.decrypt(envelope, rowA))).toBe('secret_decryption_failed');
    const message = messageOf(() => keyring.decrypt(envelope, rowA));
    expect(message).toContain('elsewhere');
    expect(message).not.toContain(envelope.split(':')[3]);
  });

  it('fails under a different key with the same id', () => {
    const envelope = createKeyring([newKey('primary')]).encrypt('secret', rowA);
    expect(keyring.canDecrypt(envelope)).toBe(true);
    expect(codeOf(() => keyring.decrypt(envelope, rowA))).toBe('secret_decryption_failed');
  });

  it.each([
    ['empty', ''],
    ['plaintext', 'sk-live-not-encrypted'],
    ['another version', 'v2:primary:AAAAAAAAAAAAAAAA::AAAAAAAAAAAAAAAAAAAAAA'],
    ['too few parts', 'v1:primary:AAAAAAAAAAAAAAAA:AAAAAAAAAAAAAAAAAAAAAA'],
    ['too many parts', 'v1:primary:AAAAAAAAAAAAAAAA:::AAAAAAAAAAAAAAAAAAAAAA'],
    ['short nonce', 'v1:primary:AAAAAAAAAAAA::AAAAAAAAAAAAAAAAAAAAAA'],
    ['short tag', 'v1:primary:AAAAAAAAAAAAAAAA::AAAAAAAAAAAAAAAA'],
    ['bad characters', 'v1:primary:AAAAAAAAAAAAAAAA:AA$A:AAAAAAAAAAAAAAAAAAAAAA'],
    ['padded base64', 'v1:primary:AAAAAAAAAAAAAAAA:AA==:AAAAAAAAAAAAAAAAAAAAAA'],
    ['bad key id', 'v1:pri mary:AAAAAAAAAAAAAAAA::AAAAAAAAAAAAAAAAAAAAAA'],
  ])('fails with the stable code for a malformed envelope (%s)', (_name, envelope) => {
    expect(keyring.keyIdOf(envelope)).toBeUndefined();
    expect(keyring.canDecrypt(envelope)).toBe(false);
    expect(codeOf(() => keyring.decrypt(envelope, rowA))).toBe('secret_decryption_failed');
  });

  it('never puts the envelope, plaintext or key material in a decryption error', () => {
    const material = randomBytes(32);
    const local = createKeyring([makeMasterKey('primary', material)]);
    const envelope = local.encrypt('sk-live-plaintext', rowA);
    const error = (() => {
      try {
        local.decrypt(envelope, rowB);
      } catch (caught) {
        return caught as FlightdeckError;
      }
      throw new Error('expected a failure');
    })();
    const everything = `${error.message} ${JSON.stringify(error.details)} ${inspect(error)}`;
    expect(error.message).toContain('moved');
    expect(everything).not.toContain(envelope);
    expect(everything).not.toContain(envelope.split(':')[3]);
    expect(everything).not.toContain('sk-live-plaintext');
    expect(everything).not.toContain(material.toString('base64'));
    expect(error.cause).toBeUndefined();
  });
});

describe('createKeyring nonces', () => {
  it('does not repeat a nonce over 100,000 encryptions', () => {
    const keyring = createKeyring([newKey('primary')]);
    const nonces = new Set<string>();
    for (let index = 0; index < 100_000; index += 1) {
      nonces.add(keyring.encrypt('same plaintext', rowA).split(':')[2]!);
    }
    expect(nonces.size).toBe(100_000);
  });
});

describe('createKeyring rotation', () => {
  const oldKey = newKey('old');
  const newKeyEntry = newKey('new');
  const before = createKeyring([oldKey]);
  const after = createKeyring([newKeyEntry, oldKey]);

  it('decrypts envelopes made under the old key and encrypts under the new one', () => {
    const oldEnvelope = before.encrypt('sk-rotated', rowA);
    expect(after.activeKeyId).toBe('new');
    expect(after.keyIds).toEqual(['new', 'old']);
    expect(after.decrypt(oldEnvelope, rowA)).toBe('sk-rotated');
    const newEnvelope = after.encrypt('sk-rotated', rowA);
    expect(after.keyIdOf(newEnvelope)).toBe('new');
    expect(codeOf(() => before.decrypt(newEnvelope, rowA))).toBe('secret_decryption_failed');
  });

  it('reports which envelopes need rotation', () => {
    const oldEnvelope = before.encrypt('sk-rotated', rowA);
    const newEnvelope = after.encrypt('sk-rotated', rowA);
    expect(after.needsRotation(oldEnvelope)).toBe(true);
    expect(after.needsRotation(newEnvelope)).toBe(false);
    expect(after.needsRotation('not an envelope')).toBe(true);
    expect(before.needsRotation(oldEnvelope)).toBe(false);
  });

  it('re-encrypts an old envelope under the active key for the same context', () => {
    const oldEnvelope = before.encrypt('sk-rotated', rowA);
    const rotated = after.reencrypt(oldEnvelope, rowA);
    expect(after.keyIdOf(rotated)).toBe('new');
    expect(after.needsRotation(rotated)).toBe(false);
    expect(createKeyring([newKeyEntry]).decrypt(rotated, rowA)).toBe('sk-rotated');
  });

  it('refuses an empty keyring, duplicate ids and keys of the wrong length', () => {
    expect(codeOf(() => createKeyring([]))).toBe('keyring_empty');
    expect(codeOf(() => createKeyring([oldKey, makeMasterKey('old', randomBytes(32))]))).toBe(
      'keyring_duplicate_key_id',
    );
    expect(codeOf(() => createKeyring([makeMasterKey('short', randomBytes(16))]))).toBe(
      'keyring_key_invalid',
    );
  });

  it('keeps working when the caller zeroes its key buffer afterwards', () => {
    const material = randomBytes(32);
    const keyring = createKeyring([makeMasterKey('primary', material)]);
    const envelope = keyring.encrypt('secret', rowA);
    material.fill(0);
    expect(keyring.decrypt(envelope, rowA)).toBe('secret');
  });
});

describe('findUndecryptableSecrets', () => {
  const oldKey = newKey('old');
  const current = newKey('current');
  const before = createKeyring([oldKey]);
  const keyring = createKeyring([current]);

  it('reports nothing when every stored secret is covered', () => {
    const envelopes = [keyring.encrypt('a', rowA), keyring.encrypt('b', rowB)];
    const report = findUndecryptableSecrets(keyring, envelopes);
    expect(report).toEqual({
      missingKeyIds: [],
      mismatchedKeyIds: [],
      malformedCount: 0,
      undecryptableCount: 0,
    });
    expect(describeUndecryptableSecrets(report)).toBe('');
    expect(() => assertSecretsDecryptable(keyring, envelopes)).not.toThrow();
  });

  it('lists key ids that no configured key covers, with a message saying how to fix it', () => {
    const envelopes = [before.encrypt('a', rowA), before.encrypt('b', rowB), keyring.encrypt('c', rowA)];
    const report = findUndecryptableSecrets(keyring, envelopes);
    expect(report.missingKeyIds).toEqual(['old']);
    expect(report.undecryptableCount).toBe(2);
    const message = describeUndecryptableSecrets(report);
    expect(message).toContain('2 stored secrets');
    expect(message).toContain('old');
    expect(message).toContain('FLIGHTDECK_MASTER_KEY');
    expect(message).toContain('id:base64');
    expect(codeOf(() => assertSecretsDecryptable(keyring, envelopes))).toBe('secrets_undecryptable');
  });

  it('detects a configured id whose key differs from the one used, when given a context to try', () => {
    const impostor = createKeyring([makeMasterKey('old', randomBytes(32))]);
    const secrets = [
      { envelope: before.encrypt('a', rowA), context: rowA },
      { envelope: before.encrypt('b', rowB), context: rowB },
    ];
    const report = findUndecryptableSecrets(impostor, secrets);
    expect(report.missingKeyIds).toEqual([]);
    expect(report.mismatchedKeyIds).toEqual(['old']);
    expect(report.undecryptableCount).toBe(2);
    expect(describeUndecryptableSecrets(report)).toContain('different key');
    expect(findUndecryptableSecrets(before, secrets).undecryptableCount).toBe(0);
  });

  it('counts malformed stored values', () => {
    const report = findUndecryptableSecrets(keyring, ['plaintext-key', keyring.encrypt('a', rowA)]);
    expect(report.malformedCount).toBe(1);
    expect(report.undecryptableCount).toBe(1);
    expect(describeUndecryptableSecrets(report)).toContain('1 stored secret cannot');
  });
});
