import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { usageError } from './cli-exit.ts';

/** An agent or workflow definition as it lives in git: `kind` plus the fields the API takes. */
export interface DefinitionDocument {
  kind: 'agent' | 'workflow';
  slug: string;
  body: Record<string, unknown>;
  source: string;
}

/** The fields `flightdeck apply` sends and `export` writes, in the order they are written. */
export const agentFileFields = [
  'slug',
  'name',
  'description',
  'tags',
  'provider',
  'model',
  'providerKeyId',
  'systemPrompt',
  'promptTemplate',
  'temperature',
  'maxTokens',
  'inputSchema',
  'outputSchema',
  'retry',
  'fallbacks',
  'timeoutMs',
  'approval',
  'artifactType',
] as const;
export const workflowFileFields = [
  'slug',
  'name',
  'description',
  'inputSchema',
  'approvalStrategy',
  'riskRule',
  'costCapUsd',
  'triggers',
  'steps',
] as const;

const extensions = new Set(['.yaml', '.yml', '.json']);

/** Every definition in a file or (recursively) a folder, in name order; YAML files may hold several (`---`). */
export async function readDefinitionFiles(path: string): Promise<DefinitionDocument[]> {
  let information: Awaited<ReturnType<typeof stat>>;
  try {
    information = await stat(path);
  } catch {
    throw usageError(`${path} does not exist.`);
  }
  if (information.isDirectory()) {
    const entries = (await readdir(path)).sort();
    const found: DefinitionDocument[] = [];
    for (const entry of entries) {
      const child = join(path, entry);
      const childInformation = await stat(child);
      if (childInformation.isDirectory() || extensions.has(extname(entry).toLowerCase())) {
        found.push(...(await readDefinitionFiles(child)));
      }
    }
    return found;
  }
  const text = await readFile(path, 'utf8');
  const values: unknown[] = [];
  if (extname(path).toLowerCase() === '.json') {
    try {
      const parsed: unknown = JSON.parse(text);
      values.push(...(Array.isArray(parsed) ? parsed : [parsed]));
    } catch (error) {
      throw usageError(`${path} does not parse: ${(error as Error).message}`);
    }
  } else {
    for (const document of parseAllDocuments(text)) {
      if (document.errors.length > 0)
        throw usageError(`${path} does not parse: ${document.errors[0]?.message}`);
      const value: unknown = document.toJS();
      if (value !== null && value !== undefined) values.push(value);
    }
  }
  return values.map((value, index) =>
    toDocument(value, `${path}${values.length > 1 ? `#${index + 1}` : ''}`),
  );
}

function toDocument(value: unknown, source: string): DefinitionDocument {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw usageError(`${source}: a definition is an object with kind: agent or kind: workflow.`);
  }
  const { kind, ...body } = value as Record<string, unknown>;
  if (kind !== 'agent' && kind !== 'workflow') {
    throw usageError(`${source}: kind must be agent or workflow (found ${JSON.stringify(kind)}).`);
  }
  const slug = body.slug;
  if (typeof slug !== 'string' || slug === '') {
    throw usageError(`${source}: give it a slug, so applying it again updates it instead of making another.`);
  }
  return { kind, slug, body, source };
}

/** A definition as a file: `kind` first, then the API's fields in their usual order. */
export function toDefinitionFile(
  kind: 'agent' | 'workflow',
  view: Record<string, unknown>,
  format: 'yaml' | 'json',
): string {
  const fields = kind === 'agent' ? agentFileFields : workflowFileFields;
  const document: Record<string, unknown> = { kind };
  for (const field of fields) if (view[field] !== undefined) document[field] = view[field];
  return format === 'json' ? `${JSON.stringify(document, null, 2)}\n` : stringify(document);
}
