import { describe, expect, it } from 'vitest';
import { FlightdeckError } from '../core/errors.ts';
import { checkPasswordStrength, createPasswordHasher } from './password-hashing.ts';

describe('password hashing', () => {
  const hasher = createPasswordHasher({ cost: 2 ** 10 });

  it('verifies the right password and refuses a wrong one', async () => {
    const stored = await hasher.hash('correct horse battery');
    expect(stored).toMatch(/^scrypt\$1024\$8\$1\$[\w-]+\$[\w-]+$/);
    expect(await hasher.verify('correct horse battery', stored)).toBe(true);
    expect(await hasher.verify('correct horse batterY', stored)).toBe(false);
  });

  it('salts every hash', async () => {
    const first = await hasher.hash('same password here');
    const second = await hasher.hash('same password here');
    expect(first).not.toBe(second);
  });

  it('verifies hashes made with another cost', async () => {
    const stronger = createPasswordHasher({ cost: 2 ** 11 });
    const stored = await stronger.hash('a long enough password');
    expect(await hasher.verify('a long enough password', stored)).toBe(true);
  });

  it('refuses malformed stored values without throwing', async () => {
    expect(await hasher.verify('whatever password', 'plain-text')).toBe(false);
  });

  it('states the minimum length', () => {
    try {
      checkPasswordStrength('short');
      expect.unreachable();
    } catch (error) {
      expect(FlightdeckError.isInstance(error) && error.code).toBe('password_too_short');
      expect((error as Error).message).toContain('at least 12 characters');
    }
    expect(() => checkPasswordStrength('twelve chars')).not.toThrow();
  });
});
