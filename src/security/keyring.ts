/**
 * The keyring: AES-256-GCM encryption of secrets under the active master key, decryption under any
 * configured one. Errors never carry plaintext, key material or the envelope.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { FlightdeckError } from '../core/errors.ts';
import type { MasterKey } from './keyring-master-keys.ts';
import {
  envelopeVersion,
  formatSecretEnvelope,
  nonceBytes,
  type SecretContext,
  safeParseSecretEnvelope,
  secretAdditionalData,
  tagBytes,
} from './secret-envelope.ts';

export type { SecretContext } from './secret-envelope.ts';

/** Encrypts and decrypts secrets with the configured master keys. */
export interface Keyring {
  /** The id of the key new envelopes are made with (the first configured key). */
  readonly activeKeyId: string;
  /** Every configured key id, active first. */
  readonly keyIds: readonly string[];
  /** Encrypts under the active key, bound to the context. */
  encrypt(plaintext: string, context: SecretContext): string;
  /** Decrypts an envelope made for the same context; throws `secret_decryption_failed` otherwise. */
  decrypt(envelope: string, context: SecretContext): string;
  /** True when the envelope is well formed and its key id is configured. */
  canDecrypt(envelope: string): boolean;
  /** True when the envelope is not under the active key (a malformed one too: it needs attention). */
  needsRotation(envelope: string): boolean;
  /** The envelope's key id, or undefined when it is not a well-formed envelope. */
  keyIdOf(envelope: string): string | undefined;
  /** Decrypts and encrypts again under the active key (for a rotation job). */
  reencrypt(envelope: string, context: SecretContext): string;
}

/** Creates a keyring; the first key is active. */
export function createKeyring(keys: readonly MasterKey[]): Keyring {
  const activeKey = keys[0];
  if (activeKey === undefined)
    throw keyringError('keyring_empty', 'A keyring needs at least one master key.');
  const materialById = new Map<string, Buffer>();
  for (const key of keys) {
    if (materialById.has(key.id)) {
      throw keyringError('keyring_duplicate_key_id', `Two master keys share the id ${key.id}.`);
    }
    if (key.material.length !== 32) {
      throw keyringError('keyring_key_invalid', `Master key ${key.id} is not 32 bytes long.`);
    }
    // A private copy: the caller's buffer may be zeroed or reused after the keyring is built.
    materialById.set(key.id, Buffer.from(key.material));
  }

  function encrypt(plaintext: string, context: SecretContext): string {
    checkContext(context);
    const material = materialById.get(activeKey!.id)!;
    const nonce = randomBytes(nonceBytes);
    const cipher = createCipheriv('aes-256-gcm', material, nonce, { authTagLength: tagBytes });
    cipher.setAAD(secretAdditionalData(activeKey!.id, context));
    const plaintextBytes = Buffer.from(plaintext, 'utf8');
    const ciphertext = Buffer.concat([cipher.update(plaintextBytes), cipher.final()]);
    plaintextBytes.fill(0);
    return formatSecretEnvelope({
      version: envelopeVersion,
      keyId: activeKey!.id,
      nonce,
      ciphertext,
      tag: cipher.getAuthTag(),
    });
  }

  function decrypt(envelopeText: string, context: SecretContext): string {
    checkContext(context);
    const envelope = safeParseSecretEnvelope(envelopeText);
    if (envelope === undefined) throw decryptionError('it is not a well-formed v1 envelope');
    const material = materialById.get(envelope.keyId);
    if (material === undefined) {
      throw decryptionError(`it was encrypted with master key id ${envelope.keyId}, which is not configured`);
    }
    let plaintextBytes: Buffer;
    try {
      const decipher = createDecipheriv('aes-256-gcm', material, envelope.nonce, { authTagLength: tagBytes });
      decipher.setAAD(secretAdditionalData(envelope.keyId, context));
      decipher.setAuthTag(envelope.tag);
      plaintextBytes = Buffer.concat([decipher.update(envelope.ciphertext), decipher.final()]);
    } catch {
      // Deliberately no cause: OpenSSL's message adds nothing and the cause chain ends up in logs.
      throw decryptionError(
        `authentication failed under master key id ${envelope.keyId} (wrong key, another row or workspace, or altered)`,
      );
    }
    const plaintext = plaintextBytes.toString('utf8');
    plaintextBytes.fill(0);
    return plaintext;
  }

  function keyIdOf(envelope: string): string | undefined {
    return safeParseSecretEnvelope(envelope)?.keyId;
  }

  return {
    activeKeyId: activeKey.id,
    keyIds: [...materialById.keys()],
    encrypt,
    decrypt,
    canDecrypt: (envelope) => {
      const keyId = keyIdOf(envelope);
      return keyId !== undefined && materialById.has(keyId);
    },
    needsRotation: (envelope) => keyIdOf(envelope) !== activeKey.id,
    keyIdOf,
    reencrypt: (envelope, context) => encrypt(decrypt(envelope, context), context),
  };
}

/** A stored secret to check at startup; with its context one sample per key id is actually decrypted. */
export interface StoredSecret {
  envelope: string;
  context?: SecretContext;
}

/** What stops the stored secrets from being decrypted with the configured keys. */
export interface UndecryptableSecretsReport {
  /** Key ids found in stored envelopes that no configured master key has. */
  missingKeyIds: string[];
  /** Configured key ids whose material failed on a stored sample: same id, different key. */
  mismatchedKeyIds: string[];
  /** Stored values that are not well-formed envelopes. */
  malformedCount: number;
  /** Stored secrets that cannot be decrypted for any of the reasons above. */
  undecryptableCount: number;
}

/** Finds stored secrets the keyring cannot decrypt, so startup can refuse with a clear message. */
export function findUndecryptableSecrets(
  keyring: Keyring,
  secrets: Iterable<string | StoredSecret>,
): UndecryptableSecretsReport {
  const countByKeyId = new Map<string, number>();
  const sampleVerdictByKeyId = new Map<string, boolean>();
  let malformedCount = 0;
  for (const secret of secrets) {
    const stored = typeof secret === 'string' ? { envelope: secret } : secret;
    const keyId = keyring.keyIdOf(stored.envelope);
    if (keyId === undefined) {
      malformedCount += 1;
      continue;
    }
    countByKeyId.set(keyId, (countByKeyId.get(keyId) ?? 0) + 1);
    if (
      stored.context !== undefined &&
      keyring.canDecrypt(stored.envelope) &&
      !sampleVerdictByKeyId.has(keyId)
    ) {
      sampleVerdictByKeyId.set(keyId, canDecryptWith(keyring, stored.envelope, stored.context));
    }
  }
  const missingKeyIds = [...countByKeyId.keys()].filter((keyId) => !keyring.keyIds.includes(keyId)).sort();
  const mismatchedKeyIds = [...sampleVerdictByKeyId]
    .filter(([, decrypted]) => !decrypted)
    .map(([keyId]) => keyId)
    .sort();
  let undecryptableCount = malformedCount;
  for (const keyId of [...missingKeyIds, ...mismatchedKeyIds])
    undecryptableCount += countByKeyId.get(keyId) ?? 0;
  return { missingKeyIds, mismatchedKeyIds, malformedCount, undecryptableCount };
}

/** The message startup prints when it refuses to start; empty when nothing is wrong. */
export function describeUndecryptableSecrets(report: UndecryptableSecretsReport): string {
  const problems: string[] = [];
  if (report.missingKeyIds.length > 0) {
    problems.push(
      `they were encrypted with master key id(s) ${report.missingKeyIds.join(', ')}, which FLIGHTDECK_MASTER_KEY ` +
        'does not contain. Add each old key to the list as id:base64 after the active one ' +
        '(for example FLIGHTDECK_MASTER_KEY=new:<base64>,old:<base64>)',
    );
  }
  if (report.mismatchedKeyIds.length > 0) {
    problems.push(
      `master key id(s) ${report.mismatchedKeyIds.join(', ')} are configured, but with a different key than the ` +
        'one the secrets were encrypted with. Restore the original key under that id and give a new key a new id',
    );
  }
  if (report.malformedCount > 0) {
    problems.push(`${report.malformedCount} stored value(s) are not valid encrypted secrets`);
  }
  if (problems.length === 0) return '';
  const count = report.undecryptableCount;
  return (
    `${count} stored secret${count === 1 ? '' : 's'} cannot be decrypted with the configured master keys: ` +
    `${problems.join('; ')}. Flightdeck will not start, so that no secret is silently lost.`
  );
}

/** Throws `secrets_undecryptable` when any stored secret cannot be decrypted with the configured keys. */
export function assertSecretsDecryptable(keyring: Keyring, secrets: Iterable<string | StoredSecret>): void {
  const report = findUndecryptableSecrets(keyring, secrets);
  if (report.undecryptableCount === 0) return;
  throw new FlightdeckError({
    code: 'secrets_undecryptable',
    kind: 'internal',
    message: describeUndecryptableSecrets(report),
    details: report,
  });
}

function canDecryptWith(keyring: Keyring, envelope: string, context: SecretContext): boolean {
  try {
    keyring.decrypt(envelope, context);
    return true;
  } catch {
    return false;
  }
}

function checkContext(context: SecretContext): void {
  // An empty id would bind every such secret to the same context and defeat the row binding.
  if (context.workspaceId === '' || context.secretId === '' || context.purpose === '') {
    throw keyringError('secret_context_invalid', 'A secret needs a workspace id, a secret id and a purpose.');
  }
}

function keyringError(code: string, message: string): FlightdeckError {
  return new FlightdeckError({ code, kind: 'internal', message });
}

function decryptionError(reason: string): FlightdeckError {
  return new FlightdeckError({
    code: 'secret_decryption_failed',
    kind: 'internal',
    message:
      `The secret cannot be decrypted with the configured master keys: ${reason}. ` +
      'It may have been moved to another row or workspace, or tampered with.',
  });
}
