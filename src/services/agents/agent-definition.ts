import { invalidError } from '../../core/errors.ts';
import { compileJsonSchema } from '../../core/json-schema.ts';
import { stableStringify } from '../../core/stable-stringify.ts';
import { findUnsatisfiablePaths, parseTemplate } from '../../core/template.ts';
import type { JsonSchema, ProviderKind } from '../../llm/index.ts';
import { checkToolEntries } from '../tools/check-tool-entries.ts';
import { defaultMaxToolCalls, type ToolDefinitionEntry } from '../tools/tool-definition.ts';

export interface AgentRetry {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export interface AgentFallback {
  provider: ProviderKind;
  model: string;
  providerKeyId: string | null;
}

/** Everything an agent version fixes; stored whole in each version as its snapshot. */
export interface AgentDefinition {
  slug: string;
  name: string;
  description: string;
  tags: string[];
  provider: ProviderKind;
  model: string;
  /** Null: the workspace's default key for the provider. */
  providerKeyId: string | null;
  systemPrompt: string;
  promptTemplate: string;
  temperature: number | null;
  maxTokens: number | null;
  inputSchema: JsonSchema | null;
  outputSchema: JsonSchema | null;
  retry: AgentRetry;
  fallbacks: AgentFallback[];
  timeoutMs: number;
  /** `required`: a workflow step running this agent waits for approval unless the step says `never`. */
  approval: 'required' | 'optional';
  /** The type its outputs are stored as in workflow runs (`generic_output` when not set). */
  artifactType: string | null;
  /** Tools the model may call (see docs/tools.md); empty: one prompt, one answer. */
  tools: ToolDefinitionEntry[];
  /** Tool calls one execution may make before it stops with 422 `tool_limit_reached`. */
  maxToolCalls: number;
}

export type AgentField = keyof AgentDefinition;

/** What a create request gives; everything but name, provider and model has a default. */
export type AgentInput = Pick<AgentDefinition, 'name' | 'provider' | 'model'> &
  Partial<Omit<AgentDefinition, 'retry' | 'fallbacks' | 'tools'>> & {
    /** As sent: checked in detail by checkToolEntries when the definition is checked. */
    tools?: ReadonlyArray<{ kind: string; name: string; [field: string]: unknown }>;
    retry?: Partial<AgentRetry>;
    fallbacks?: Array<{ provider: ProviderKind; model: string; providerKeyId?: string | null }>;
  };

export type AgentPatch = Partial<AgentInput>;

export const defaultAgentRetry: AgentRetry = { maxAttempts: 3, baseDelayMs: 1_000, maxDelayMs: 10_000 };
export const defaultTimeoutMs = 120_000;

/** Fields in the order versions list them. */
export const agentFields: readonly AgentField[] = [
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
  'tools',
  'maxToolCalls',
];

/** A slug from a name: lower case, words joined by hyphens. */
export function slugify(name: string): string {
  const slug = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63)
    .replace(/-+$/, '');
  return slug || 'agent';
}

/** A full definition from a create request. */
export function definitionFromInput(input: AgentInput): AgentDefinition {
  return normalize({
    slug: input.slug ?? slugify(input.name),
    name: input.name,
    description: input.description ?? '',
    tags: input.tags ?? [],
    provider: input.provider,
    model: input.model,
    providerKeyId: input.providerKeyId ?? null,
    systemPrompt: input.systemPrompt ?? '',
    promptTemplate: input.promptTemplate ?? '{{ input }}',
    temperature: input.temperature ?? null,
    maxTokens: input.maxTokens ?? null,
    inputSchema: input.inputSchema ?? null,
    outputSchema: input.outputSchema ?? null,
    retry: { ...defaultAgentRetry, ...input.retry },
    fallbacks: (input.fallbacks ?? []).map((fallback) => ({
      ...fallback,
      providerKeyId: fallback.providerKeyId ?? null,
    })),
    timeoutMs: input.timeoutMs ?? defaultTimeoutMs,
    approval: input.approval ?? 'optional',
    artifactType: input.artifactType ?? null,
    tools: (input.tools ?? []) as ToolDefinitionEntry[],
    maxToolCalls: input.maxToolCalls ?? defaultMaxToolCalls,
  });
}

/** The definition after a PATCH: absent fields keep their value, `null` clears nullable ones. */
export function applyPatch(current: AgentDefinition, patch: AgentPatch): AgentDefinition {
  const next: AgentDefinition = { ...current };
  for (const field of agentFields) {
    if (!(field in patch) || patch[field] === undefined) continue;
    if (field === 'retry') next.retry = { ...current.retry, ...patch.retry };
    else if (field === 'fallbacks')
      next.fallbacks = (patch.fallbacks ?? []).map((fallback) => ({
        ...fallback,
        providerKeyId: fallback.providerKeyId ?? null,
      }));
    else (next as unknown as Record<string, unknown>)[field] = patch[field];
  }
  return normalize(next);
}

function normalize(definition: AgentDefinition): AgentDefinition {
  return {
    ...definition,
    name: definition.name.trim(),
    tags: [...new Set(definition.tags.map((tag) => tag.trim()).filter(Boolean))],
  };
}

/** The fields whose values differ, compared as canonical JSON. */
export function changedFields(before: AgentDefinition, after: AgentDefinition): AgentField[] {
  return agentFields.filter((field) => stableStringify(before[field]) !== stableStringify(after[field]));
}

/**
 * Checks what the request schema cannot: both schemas compile as JSON Schema 2020-12, the template
 * parses, its lookups can exist in a closed input schema, and the retry bounds make sense.
 */
export function checkDefinition(definition: AgentDefinition): void {
  if (definition.inputSchema) compileJsonSchema(definition.inputSchema, 'inputSchema');
  if (definition.outputSchema) compileJsonSchema(definition.outputSchema, 'outputSchema');
  const template = parseTemplate(definition.promptTemplate);
  if (definition.inputSchema) {
    const unknown = findUnsatisfiablePaths(template, definition.inputSchema);
    if (unknown.length > 0) {
      throw invalidError(
        'template_variable_unknown',
        `The prompt template uses ${unknown.join(', ')}, which the input schema does not allow. Add it to the input schema or fix the template.`,
        { paths: unknown },
      );
    }
  }
  checkToolEntries(definition.tools);
  if (definition.retry.maxDelayMs < definition.retry.baseDelayMs) {
    throw invalidError('retry_invalid', 'retry.maxDelayMs must be at least retry.baseDelayMs.', {
      retry: definition.retry,
    });
  }
}

/** Reads a stored snapshot, filling fields added after it was written. */
export function readDefinition(stored: Record<string, unknown>): AgentDefinition {
  const definition = stored as unknown as AgentDefinition;
  return {
    ...definition,
    retry: { ...defaultAgentRetry, ...definition.retry },
    fallbacks: definition.fallbacks ?? [],
    timeoutMs: definition.timeoutMs ?? defaultTimeoutMs,
    approval: definition.approval ?? 'optional',
    artifactType: definition.artifactType ?? null,
    tools: definition.tools ?? [],
    maxToolCalls: definition.maxToolCalls ?? defaultMaxToolCalls,
  };
}
