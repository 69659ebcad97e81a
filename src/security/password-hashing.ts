import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { invalidError } from '../core/errors.ts';

export const minimumPasswordLength = 12;
const maximumPasswordLength = 256;
const keyLength = 64;

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(password: string, stored: string): Promise<boolean>;
  /** Spends the same work as a real check, so an unknown account answers as slowly as a wrong password. */
  verifyAgainstDummy(password: string): Promise<void>;
}

function derive(password: string, salt: Buffer, cost: number, blockSize: number, parallelism: number) {
  return new Promise<Buffer>((resolve, reject) => {
    scrypt(
      password.normalize('NFKC'),
      salt,
      keyLength,
      { N: cost, r: blockSize, p: parallelism, maxmem: 256 * cost * blockSize + 1024 * 1024 },
      (error, key) => (error ? reject(error) : resolve(key)),
    );
  });
}

/** Rejects passwords that are too short or absurdly long, with a message that says the rule. */
export function checkPasswordStrength(password: string): void {
  if (password.length < minimumPasswordLength) {
    throw invalidError(
      'password_too_short',
      `The password must be at least ${minimumPasswordLength} characters long.`,
      { minimumLength: minimumPasswordLength },
    );
  }
  if (password.length > maximumPasswordLength) {
    throw invalidError(
      'password_too_long',
      `The password must be at most ${maximumPasswordLength} characters long.`,
    );
  }
}

/**
 * scrypt with a per-user random salt. The stored form carries its parameters
 * (`scrypt$N$r$p$salt$key`), so the cost can be raised later without breaking old hashes.
 * `cost` (N) defaults to 2^15 (about 50–100 ms here); tests pass a smaller one.
 */
export function createPasswordHasher(options: { cost?: number } = {}): PasswordHasher {
  const cost = options.cost ?? 2 ** 15;
  const blockSize = 8;
  const parallelism = 1;
  let dummy: Promise<string> | undefined;

  const hasher: PasswordHasher = {
    async hash(password) {
      const salt = randomBytes(16);
      const key = await derive(password, salt, cost, blockSize, parallelism);
      return [
        'scrypt',
        cost,
        blockSize,
        parallelism,
        salt.toString('base64url'),
        key.toString('base64url'),
      ].join('$');
    },
    async verify(password, stored) {
      const parts = stored.split('$');
      if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
      const [, storedCost, storedBlockSize, storedParallelism, salt, key] = parts;
      const expected = Buffer.from(key ?? '', 'base64url');
      const actual = await derive(
        password,
        Buffer.from(salt ?? '', 'base64url'),
        Number(storedCost),
        Number(storedBlockSize),
        Number(storedParallelism),
      );
      return expected.length === actual.length && timingSafeEqual(expected, actual);
    },
    async verifyAgainstDummy(password) {
      dummy ??= hasher.hash(randomBytes(16).toString('hex'));
      await hasher.verify(password, await dummy);
    },
  };
  return hasher;
}
