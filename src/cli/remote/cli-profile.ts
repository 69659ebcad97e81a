import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { usageError } from './cli-exit.ts';

/** Where the CLI finds the server and its token: FLIGHTDECK_URL / FLIGHTDECK_TOKEN, else the profile file. */
export interface CliProfile {
  url: string;
  token: string;
}

/** `$FLIGHTDECK_CONFIG_DIR/profile.json`, default `~/.config/flightdeck/profile.json`. */
export function profilePath(environment: NodeJS.ProcessEnv = process.env): string {
  const folder = environment.FLIGHTDECK_CONFIG_DIR ?? join(homedir(), '.config', 'flightdeck');
  return join(folder, 'profile.json');
}

/** Saves the profile readable by its owner only (0600): it holds an API token. */
export async function saveProfile(
  profile: CliProfile,
  environment: NodeJS.ProcessEnv = process.env,
): Promise<string> {
  const path = profilePath(environment);
  await mkdir(join(path, '..'), { recursive: true, mode: 0o700 });
  await writeFile(path, `${JSON.stringify(profile, null, 2)}\n`, { mode: 0o600 });
  await chmod(path, 0o600);
  return path;
}

/** The environment wins over the file, so CI needs no file at all. */
export async function loadProfile(environment: NodeJS.ProcessEnv = process.env): Promise<CliProfile> {
  let stored: Partial<CliProfile> = {};
  try {
    stored = JSON.parse(await readFile(profilePath(environment), 'utf8')) as Partial<CliProfile>;
  } catch {
    // No profile yet: the environment must say everything.
  }
  const url = environment.FLIGHTDECK_URL ?? stored.url;
  const token = environment.FLIGHTDECK_TOKEN ?? stored.token;
  if (!url || !token) {
    throw usageError(
      'Not logged in. Run `flightdeck login --url <server> --token <fd_…>`, or set FLIGHTDECK_URL and FLIGHTDECK_TOKEN.',
    );
  }
  return { url: url.replace(/\/+$/, ''), token };
}
