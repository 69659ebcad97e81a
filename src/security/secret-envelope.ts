/**
 * The stored form of an encrypted secret: `v1:<keyId>:<nonce>:<ciphertext>:<tag>`, the binary parts in
 * unpadded base64url. The version and key id travel with every ciphertext so master keys can rotate
 * and a future format can sit beside this one. See docs/decisions/2026-11-22-secret-encryption.md.
 */

export const envelopeVersion = 'v1';

/** AES-GCM's recommended nonce size: 96 bits, random per encryption. */
export const nonceBytes = 12;

/** The full 128-bit GCM tag; shorter tags weaken forgery resistance. */
export const tagBytes = 16;

/** Master key ids: short, safe inside the envelope (no `:`) and in log lines. */
export const keyIdPattern = /^[A-Za-z0-9_-]{1,32}$/;

/** The parts of a v1 envelope. */
export interface SecretEnvelope {
  version: typeof envelopeVersion;
  keyId: string;
  nonce: Buffer;
  ciphertext: Buffer;
  tag: Buffer;
}

/** What a secret is bound to: a ciphertext only decrypts in the same workspace, row and purpose. */
export interface SecretContext {
  workspaceId: string;
  /** The id of the row that holds the secret, e.g. the provider key id. */
  secretId: string;
  /** What the secret is for; defaults to `provider-key`. */
  purpose?: string;
}

export const defaultSecretPurpose = 'provider-key';

const base64UrlPattern = /^[A-Za-z0-9_-]*$/;

/** Formats envelope parts as the stored string. */
export function formatSecretEnvelope(envelope: SecretEnvelope): string {
  return [
    envelope.version,
    envelope.keyId,
    envelope.nonce.toString('base64url'),
    envelope.ciphertext.toString('base64url'),
    envelope.tag.toString('base64url'),
  ].join(':');
}

/** Parses a stored envelope; `undefined` when it is not a well-formed v1 envelope. */
export function safeParseSecretEnvelope(text: string): SecretEnvelope | undefined {
  const parts = text.split(':');
  if (parts.length !== 5) return undefined;
  const [version, keyId, nonceText, ciphertextText, tagText] = parts as [
    string,
    string,
    string,
    string,
    string,
  ];
  if (version !== envelopeVersion || !keyIdPattern.test(keyId)) return undefined;
  const nonce = decodeBase64Url(nonceText);
  const ciphertext = decodeBase64Url(ciphertextText);
  const tag = decodeBase64Url(tagText);
  if (nonce?.length !== nonceBytes || tag?.length !== tagBytes || ciphertext === undefined) return undefined;
  return { version, keyId, nonce, ciphertext, tag };
}

/**
 * The additional authenticated data of a v1 envelope. A JSON array gives each field an unambiguous
 * boundary, so ('ab', 'c') and ('a', 'bc') never authenticate as each other.
 */
export function secretAdditionalData(keyId: string, context: SecretContext): Buffer {
  return Buffer.from(
    JSON.stringify([
      'flightdeck-secret',
      envelopeVersion,
      keyId,
      context.purpose ?? defaultSecretPurpose,
      context.workspaceId,
      context.secretId,
    ]),
    'utf8',
  );
}

/** Strict unpadded base64url: Buffer.from alone skips invalid characters and accepts non-canonical text. */
function decodeBase64Url(text: string): Buffer | undefined {
  if (!base64UrlPattern.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64url');
  return bytes.toString('base64url') === text ? bytes : undefined;
}
