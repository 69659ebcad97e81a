import { createHash, randomBytes } from 'node:crypto';

/** 256 random bits, URL-safe: session ids, invitation links. */
export function randomSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** SHA-256 hex: how session ids and API tokens are stored, so a database leak does not leak them. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export const apiTokenPattern = /^fd_[A-Za-z0-9_-]{43}$/;

/** A new workspace API token (`fd_` + 256 random bits) with the prefix shown in lists. */
export function newApiToken(): { token: string; prefix: string; hash: string } {
  const token = `fd_${randomSecret()}`;
  return { token, prefix: token.slice(0, 10), hash: hashSecret(token) };
}
