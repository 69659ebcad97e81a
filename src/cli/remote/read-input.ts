import { readFile } from 'node:fs/promises';
import { usageError } from './cli-exit.ts';

/** `--input '{"a":1}'` or `--input @file.json` (JSON, or YAML for .yaml/.yml files). */
export async function readInputOption(value: string | undefined): Promise<unknown> {
  if (value === undefined) return {};
  if (value.startsWith('@')) return readDocument(value.slice(1));
  try {
    return JSON.parse(value);
  } catch {
    throw usageError(`--input is not JSON: ${value.slice(0, 80)}. Pass JSON, or @path/to/file.json.`);
  }
}

/** Reads one JSON or YAML document; a file that does not parse is a usage error naming it. */
export async function readDocument(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw usageError(`Cannot read ${path}: ${(error as Error).message}`);
  }
  try {
    if (/\.ya?ml$/i.test(path)) {
      const { parse } = await import('yaml');
      return parse(text);
    }
    return JSON.parse(text);
  } catch (error) {
    throw usageError(`${path} does not parse: ${(error as Error).message}`);
  }
}
