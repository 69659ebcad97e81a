import { createHash, randomBytes } from 'node:crypto';
import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FlightdeckError } from '../core/errors.ts';
import { createKeyring } from './keyring.ts';
import { loadOrCreateMasterKeys, makeMasterKey, parseMasterKeys } from './keyring-master-keys.ts';

function errorOf(action: () => unknown): FlightdeckError {
  try {
    action();
  } catch (error) {
    if (FlightdeckError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a failure');
}

async function rejectionOf(promise: Promise<unknown>): Promise<FlightdeckError> {
  try {
    await promise;
  } catch (error) {
    if (FlightdeckError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a failure');
}

const base64Alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** The last character of a 32-byte key carries 2 unused bits: flipping one keeps the bytes, changes the text. */
function flipLowBit(character: string): string {
  return base64Alphabet[base64Alphabet.indexOf(character) ^ 1]!;
}

describe('parseMasterKeys', () => {
  const first = randomBytes(32);
  const second = randomBytes(32);

  it('accepts one base64 key and derives a stable id from it', () => {
    const [key, ...rest] = parseMasterKeys(first.toString('base64'));
    expect(rest).toEqual([]);
    expect(key!.material.equals(first)).toBe(true);
    expect(key!.id).toBe(createHash('sha256').update(first).digest('hex').slice(0, 8));
    expect(parseMasterKeys(`  ${first.toString('base64')}\n`)[0]!.id).toBe(key!.id);
    expect(parseMasterKeys(first.toString('base64url'))[0]!.material.equals(first)).toBe(true);
  });

  it('accepts a list of id:base64 entries, the first active', () => {
    const keys = parseMasterKeys(`2026-11:${first.toString('base64')}, old_1:${second.toString('base64')},`);
    expect(keys.map((key) => key.id)).toEqual(['2026-11', 'old_1']);
    expect(keys[0]!.material.equals(first)).toBe(true);
    expect(keys[1]!.material.equals(second)).toBe(true);
    expect(createKeyring(keys).activeKeyId).toBe('2026-11');
  });

  it('accepts a single id:base64 entry', () => {
    expect(parseMasterKeys(`only:${first.toString('base64')}`).map((key) => key.id)).toEqual(['only']);
  });

  const short = randomBytes(16).toString('base64');
  const long = randomBytes(33).toString('base64');
  const valid = first.toString('base64');
  it.each([
    ['empty', '   ', 'empty'],
    ['too short', short, '32 bytes'],
    ['too long', long, '32 bytes'],
    ['not base64', `${valid.slice(0, 40)}!!!=`, '32 bytes'],
    ['non-canonical base64', `${valid.slice(0, 42)}${flipLowBit(valid[42]!)}=`, '32 bytes'],
    ['hex instead of base64', first.toString('hex'), '32 bytes'],
    ['entry without id', `a:${valid},${second.toString('base64')}`, 'entry 2 has no id'],
    ['bad id', `bad id:${valid}`, 'invalid id'],
    ['id too long', `${'x'.repeat(33)}:${valid}`, 'invalid id'],
    ['duplicate ids', `same:${valid},same:${second.toString('base64')}`, 'entries 1 and 2'],
    ['entry too short', `a:${valid},b:${short}`, 'entry 2'],
    ['only commas', ',,', 'no entries'],
  ])('rejects %s with master_key_invalid, without echoing the text', (_name, text, expected) => {
    if (_name === 'non-canonical base64') {
      // Only meaningful when the flipped last character keeps the same 32 bytes but changes the spelling.
      expect(Buffer.from(text, 'base64').length).toBe(32);
    }
    const error = errorOf(() => parseMasterKeys(text));
    expect(error.code).toBe('master_key_invalid');
    expect(error.message).toContain(expected);
    expect(error.message).toContain('FLIGHTDECK_MASTER_KEY is invalid');
    expect(error.message).toContain('openssl rand -base64 32');
    for (const piece of text.split(/[,:]/).filter((part) => part.trim().length >= 8)) {
      expect(error.message).not.toContain(piece.trim());
    }
  });

  it('keeps key material out of JSON and inspection', () => {
    const [key] = parseMasterKeys(`primary:${first.toString('base64')}`);
    const shown = `${JSON.stringify(key)} ${inspect(key)} ${inspect(parseMasterKeys(first.toString('base64')))}`;
    expect(shown).toContain('primary');
    expect(shown).not.toContain(first.toString('base64'));
    expect(shown).not.toContain(first.toString('hex').slice(0, 16));
    expect(key!.material.length).toBe(32);
  });
});

describe('loadOrCreateMasterKeys', () => {
  let dataDirectory: string;

  beforeEach(async () => {
    dataDirectory = join(await mkdtemp(join(tmpdir(), 'flightdeck-keyring-')), 'data', 'nested');
  });

  afterEach(async () => {
    await rm(join(dataDirectory, '..', '..'), { recursive: true, force: true });
  });

  it('prefers the configured text and writes no file', async () => {
    const material = randomBytes(32);
    const loaded = await loadOrCreateMasterKeys({
      configuredText: `env:${material.toString('base64')}`,
      dataDirectory,
      embedded: true,
    });
    expect(loaded.source).toBe('environment');
    expect(loaded.generated).toBe(false);
    expect(loaded.path).toBeNull();
    expect(loaded.keys[0]!.id).toBe('env');
    await expect(stat(dataDirectory)).rejects.toThrow();
  });

  it('creates a 0600 key file in embedded mode, creating the folder, and reuses it afterwards', async () => {
    const created = await loadOrCreateMasterKeys({
      configuredText: undefined,
      dataDirectory,
      embedded: true,
    });
    expect(created.generated).toBe(true);
    expect(created.source).toBe('file');
    expect(created.path).toBe(join(dataDirectory, 'master.key'));
    expect(created.permissionsTooOpen).toBe(false);
    expect((await stat(created.path!)).mode & 0o777).toBe(0o600);
    const fileText = await readFile(created.path!, 'utf8');
    expect(Buffer.from(fileText.trim(), 'base64').equals(created.keys[0]!.material)).toBe(true);
    expect(await readdir(dataDirectory)).toEqual(['master.key']);

    const reused = await loadOrCreateMasterKeys({ configuredText: '  ', dataDirectory, embedded: true });
    expect(reused.generated).toBe(false);
    expect(reused.keys[0]!.id).toBe(created.keys[0]!.id);
    expect(reused.keys[0]!.material.equals(created.keys[0]!.material)).toBe(true);
    expect(await readFile(created.path!, 'utf8')).toBe(fileText);
  });

  it('never overwrites an existing key file, and refuses an invalid one without echoing it', async () => {
    await loadOrCreateMasterKeys({ configuredText: undefined, dataDirectory, embedded: true });
    const path = join(dataDirectory, 'master.key');
    const garbage = 'not-a-key-but-maybe-a-secret';
    await writeFile(path, garbage, { mode: 0o600 });
    const error = await rejectionOf(
      loadOrCreateMasterKeys({ configuredText: undefined, dataDirectory, embedded: true }),
    );
    expect(error.code).toBe('master_key_invalid');
    expect(error.message).toContain(path);
    expect(error.message).not.toContain(garbage);
    expect(await readFile(path, 'utf8')).toBe(garbage);
  });

  it('gives concurrent first starts one and the same key', async () => {
    const results = await Promise.all(
      Array.from({ length: 8 }, () =>
        loadOrCreateMasterKeys({ configuredText: undefined, dataDirectory, embedded: true }),
      ),
    );
    const ids = new Set(results.map((result) => result.keys[0]!.id));
    expect(ids.size).toBe(1);
    expect(results.filter((result) => result.generated)).toHaveLength(1);
    expect(await readdir(dataDirectory)).toEqual(['master.key']);
  });

  it('reports a key file that group or others can read', async () => {
    const material = randomBytes(32);
    await loadOrCreateMasterKeys({ configuredText: undefined, dataDirectory, embedded: true });
    await writeFile(join(dataDirectory, 'master.key'), material.toString('base64'), { mode: 0o644 });
    await chmod(join(dataDirectory, 'master.key'), 0o644);
    const loaded = await loadOrCreateMasterKeys({ configuredText: undefined, dataDirectory, embedded: true });
    expect(loaded.permissionsTooOpen).toBe(true);
    expect(loaded.keys[0]!.material.equals(material)).toBe(true);
  });

  it('fails with master_key_missing outside embedded mode, saying how to make a key', async () => {
    const error = await rejectionOf(
      loadOrCreateMasterKeys({ configuredText: undefined, dataDirectory, embedded: false }),
    );
    expect(error.code).toBe('master_key_missing');
    expect(error.message).toContain('FLIGHTDECK_MASTER_KEY');
    expect(error.message).toContain('openssl rand -base64 32');
    await expect(stat(dataDirectory)).rejects.toThrow();
  });

  it('fails with master_key_invalid for invalid configured text', async () => {
    const error = await rejectionOf(
      loadOrCreateMasterKeys({ configuredText: 'short', dataDirectory, embedded: true }),
    );
    expect(error.code).toBe('master_key_invalid');
  });

  it('makes keys a keyring can use', async () => {
    const loaded = await loadOrCreateMasterKeys({ configuredText: undefined, dataDirectory, embedded: true });
    const keyring = createKeyring(loaded.keys);
    const context = { workspaceId: 'w', secretId: 's' };
    expect(keyring.decrypt(keyring.encrypt('secret', context), context)).toBe('secret');
    expect(
      createKeyring([makeMasterKey('x', randomBytes(32))]).canDecrypt(keyring.encrypt('s', context)),
    ).toBe(false);
  });
});
