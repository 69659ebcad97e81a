import type { Agent, JsonSchema } from '../api/api-types.ts';
import type { WorkflowDefinition } from '../api/workflow-types.ts';
import { descendantsOf } from './workflow-references.ts';

export interface TemplateSuggestion {
  /** The whole placeholder, e.g. `{{ steps.scan.output.summary.total }}`. */
  template: string;
  /** The lookup inside it, for matching what was typed. */
  lookup: string;
  /** The schema type at that path, when known. */
  type: string | null;
  /** Where it comes from: "run input" or the step id. */
  group: string;
}

const maxDepth = 4;

function typeOf(schema: JsonSchema): string | null {
  if (typeof schema.type === 'string') return schema.type;
  if (Array.isArray(schema.type)) return schema.type.join(' | ');
  return null;
}

/** Lookups under a schema: `prefix`, then each property path, down to a few levels. */
function pathsOf(
  schema: JsonSchema | null,
  prefix: string,
  depth = 0,
): Array<{ lookup: string; type: string | null }> {
  const found: Array<{ lookup: string; type: string | null }> = [
    { lookup: prefix, type: schema ? typeOf(schema) : null },
  ];
  if (!schema || depth >= maxDepth) return found;
  const properties = schema.properties;
  if (properties && typeof properties === 'object') {
    for (const [name, property] of Object.entries(properties as Record<string, JsonSchema>)) {
      if (!/^[A-Za-z_][\w-]*$/.test(name)) continue;
      found.push(...pathsOf(property, `${prefix}.${name}`, depth + 1));
    }
  }
  const items = schema.items;
  if (schema.type === 'array' && items && typeof items === 'object' && !Array.isArray(items)) {
    found.push(...pathsOf(items as JsonSchema, `${prefix}[0]`, depth + 1));
  }
  return found;
}

/** Finds the agent a step names, by slug or id. */
export function findAgent(agents: readonly Agent[], reference: string): Agent | undefined {
  return agents.find((agent) => agent.slug === reference || agent.id === reference);
}

/**
 * What a step's fields can read: the run input's fields, and the outputs of every step that is not
 * downstream of it (reading one makes it a dependency), from the upstream agents' output schemas.
 */
export function templateSuggestions(
  definition: WorkflowDefinition,
  agents: readonly Agent[],
  stepId: string,
): TemplateSuggestion[] {
  const suggestions: TemplateSuggestion[] = [];
  const inputSchema = definition.inputSchema ?? null;
  for (const entry of pathsOf(inputSchema, 'run.input')) {
    if (entry.lookup === 'run.input' && inputSchema?.properties) continue;
    suggestions.push({
      template: `{{ ${entry.lookup} }}`,
      lookup: entry.lookup,
      type: entry.type,
      group: 'run input',
    });
  }
  const downstream = descendantsOf(definition, stepId);
  for (const step of definition.steps) {
    if (step.id === stepId || downstream.has(step.id)) continue;
    const schema = step.kind === 'http' ? null : (findAgent(agents, step.agent)?.outputSchema ?? null);
    for (const entry of pathsOf(schema, `steps.${step.id}.output`)) {
      suggestions.push({
        template: `{{ ${entry.lookup} }}`,
        lookup: entry.lookup,
        type: entry.type,
        group: step.id,
      });
    }
  }
  return suggestions;
}
