/**
 * Master keys: parsed from FLIGHTDECK_MASTER_KEY, or, in embedded mode, read from or generated into
 * `<dataDirectory>/master.key`. Messages never repeat key text: a mistyped key is still a key.
 */
import { createHash, randomBytes } from 'node:crypto';
import { chmod, link, mkdir, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { FlightdeckError } from '../core/errors.ts';
import { keyIdPattern } from './secret-envelope.ts';

/** One AES-256 master key. `material` is non-enumerable so logging or serialising the object omits it. */
export interface MasterKey {
  readonly id: string;
  readonly material: Buffer;
}

/** Where the master keys came from, for the startup log ("back it up" when generated). */
export interface LoadedMasterKeys {
  /** The first key encrypts; all of them decrypt. */
  keys: MasterKey[];
  source: 'environment' | 'file';
  /** True when this call created the key file: the caller must tell the user to back it up. */
  generated: boolean;
  /** The key file, or null when the keys came from the environment. */
  path: string | null;
  /** True when the key file is readable by group or others. */
  permissionsTooOpen: boolean;
}

export interface LoadMasterKeysOptions {
  /** FLIGHTDECK_MASTER_KEY as configured; blank counts as unset. */
  configuredText: string | undefined;
  dataDirectory: string;
  /** Only the embedded mode may generate a key: scaled-out nodes must share one. */
  embedded: boolean;
}

export const masterKeyBytes = 32;
export const masterKeyFileName = 'master.key';

const acceptedFormat =
  'Expected one base64 key of exactly 32 bytes (make one with `openssl rand -base64 32`), ' +
  'or a comma-separated list of id:base64 entries for rotation, the active key first ' +
  '(ids: 1 to 32 of A-Z a-z 0-9 _ -, unique)';

/** Parses FLIGHTDECK_MASTER_KEY: one base64 key (id derived from it) or `id:base64,id:base64` (first active). */
export function parseMasterKeys(text: string): MasterKey[] {
  return parseMasterKeysFrom(text, 'FLIGHTDECK_MASTER_KEY');
}

function parseMasterKeysFrom(text: string, source: string): MasterKey[] {
  const invalidKeys = (problem: string) =>
    new FlightdeckError({
      code: 'master_key_invalid',
      kind: 'invalid',
      message: `${source} is invalid: ${problem}. ${acceptedFormat}.`,
    });
  const trimmed = text.trim();
  if (trimmed === '') throw invalidKeys('it is empty');
  // Base64 never contains ':' or ',', so their absence means a single key without an id.
  if (!trimmed.includes(':') && !trimmed.includes(',')) {
    const material = decodeKey(trimmed);
    if (material === undefined) throw invalidKeys('the key is not base64 of exactly 32 bytes');
    return [makeMasterKey(deriveKeyId(material), material)];
  }
  const entries = trimmed
    .split(',')
    .map((entry) => entry.trim())
    // A trailing comma is a harmless slip, not a reason to refuse to start.
    .filter((entry) => entry !== '');
  if (entries.length === 0) throw invalidKeys('the list has no entries');
  const keys: MasterKey[] = [];
  const positionById = new Map<string, number>();
  for (const [index, entry] of entries.entries()) {
    const position = index + 1;
    const separator = entry.indexOf(':');
    if (separator === -1) throw invalidKeys(`entry ${position} has no id (expected id:base64)`);
    const id = entry.slice(0, separator);
    if (!keyIdPattern.test(id)) throw invalidKeys(`entry ${position} has an invalid id`);
    const earlier = positionById.get(id);
    if (earlier !== undefined) throw invalidKeys(`entries ${earlier} and ${position} use the same id`);
    positionById.set(id, position);
    const material = decodeKey(entry.slice(separator + 1).trim());
    if (material === undefined) throw invalidKeys(`entry ${position} is not base64 of exactly 32 bytes`);
    keys.push(makeMasterKey(id, material));
  }
  return keys;
}

/** A stable, public id for a key given without one: the first 8 hex characters of its SHA-256. */
export function deriveKeyId(material: Buffer): string {
  return createHash('sha256').update(material).digest('hex').slice(0, 8);
}

/** Builds a MasterKey whose material stays out of JSON and console output. */
export function makeMasterKey(id: string, material: Buffer): MasterKey {
  const key = { id } as MasterKey;
  Object.defineProperty(key, 'material', { value: material, enumerable: false });
  return Object.freeze(key);
}

/** Configured keys win; in embedded mode the key file is read or created; otherwise master_key_missing. */
export async function loadOrCreateMasterKeys(options: LoadMasterKeysOptions): Promise<LoadedMasterKeys> {
  const configuredText = options.configuredText?.trim() ?? '';
  if (configuredText !== '') {
    return {
      keys: parseMasterKeys(configuredText),
      source: 'environment',
      generated: false,
      path: null,
      permissionsTooOpen: false,
    };
  }
  if (!options.embedded) {
    throw new FlightdeckError({
      code: 'master_key_missing',
      kind: 'invalid',
      message:
        'FLIGHTDECK_MASTER_KEY is not set. Outside the embedded mode every node must share one master key: ' +
        'make one with `openssl rand -base64 32` and set it as FLIGHTDECK_MASTER_KEY on every node.',
    });
  }
  const path = join(options.dataDirectory, masterKeyFileName);
  const existing = await readKeyFile(path);
  if (existing !== undefined) return existing;
  const created = await createKeyFile(options.dataDirectory, path);
  // Another process won the race: use its key, never ours.
  return created ?? (await readKeyFileOrFail(path));
}

async function readKeyFile(path: string): Promise<LoadedMasterKeys | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const keys = parseMasterKeysFrom(text, `The master key file ${path}`);
  const mode = (await stat(path)).mode;
  return { keys, source: 'file', generated: false, path, permissionsTooOpen: (mode & 0o077) !== 0 };
}

async function readKeyFileOrFail(path: string): Promise<LoadedMasterKeys> {
  const loaded = await readKeyFile(path);
  if (loaded === undefined) throw new Error(`The master key file ${path} disappeared while it was created`);
  return loaded;
}

/** Writes a new key atomically; `undefined` when a key file appeared meanwhile (it is never overwritten). */
async function createKeyFile(dataDirectory: string, path: string): Promise<LoadedMasterKeys | undefined> {
  await mkdir(dataDirectory, { recursive: true, mode: 0o700 });
  const material = randomBytes(masterKeyBytes);
  const temporaryPath = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  const handle = await open(temporaryPath, 'wx', 0o600);
  try {
    // The umask can only remove bits, but a chmod makes 0600 hold whatever the umask is.
    await chmod(temporaryPath, 0o600);
    await handle.writeFile(`${material.toString('base64')}\n`, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    if (!(await publishWithoutOverwrite(temporaryPath, path))) return undefined;
  } finally {
    await unlink(temporaryPath).catch(() => undefined);
  }
  return {
    keys: [makeMasterKey(deriveKeyId(material), material)],
    source: 'file',
    generated: true,
    path,
    permissionsTooOpen: false,
  };
}

/**
 * A hard link fails if the target exists, which makes "create unless present" atomic; rename would
 * replace a key another process just wrote. Filesystems without hard links fall back to a checked rename.
 */
async function publishWithoutOverwrite(temporaryPath: string, path: string): Promise<boolean> {
  try {
    await link(temporaryPath, path);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw error;
  }
  const present = await stat(path).then(
    () => true,
    () => false,
  );
  if (present) return false;
  await rename(temporaryPath, path);
  return true;
}

/** Strict base64 (standard or url-safe, padding optional) of exactly 32 bytes. */
function decodeKey(text: string): Buffer | undefined {
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64');
  if (bytes.length !== masterKeyBytes) return undefined;
  // Non-canonical text (stray low bits in the last character) would map two spellings to one key.
  const canonical = text.replace(/=+$/, '').replaceAll('-', '+').replaceAll('_', '/');
  return bytes.toString('base64').replace(/=+$/, '') === canonical ? bytes : undefined;
}
