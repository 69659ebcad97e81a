import type { CheckedAgent } from './check-workflow-definition.ts';
import { resolveSchemaPath, schemaTypes } from './resolve-schema-path.ts';
import { type WorkflowProblem, workflowProblem } from './workflow-definition.ts';
import { formatReference, type WorkflowReference } from './workflow-template.ts';

/** A reference judged: a problem, or the JSON types it yields (undefined: any type). */
export type JudgedReference =
  | { problem: WorkflowProblem }
  | { problem?: undefined; types: ReadonlySet<string> | undefined };

/** What a text template (or an agent without an output schema) yields. */
export const textTypes: ReadonlySet<string> = new Set(['string']);

/** What a reference is judged against. */
export interface ReferenceScope {
  /** The workflow's run input schema; null: any run input. */
  inputSchema: Record<string, unknown> | null;
  /** Step id to position (first occurrence). */
  positions: ReadonlyMap<string, number>;
  /** The agent of each step by position; undefined for http steps and unknown agents. */
  agents: ReadonlyArray<CheckedAgent | undefined>;
}

/** Judges one reference found in step `index` at `pointer`: a problem, or the JSON types it yields. */
export function judgeReference(
  scope: ReferenceScope,
  index: number,
  reference: WorkflowReference,
  pointer: string,
  secretsAllowed: boolean,
): JudgedReference {
  const written = formatReference(reference);
  if (reference.scope === 'secret') {
    if (secretsAllowed) return { types: textTypes };
    return {
      problem: workflowProblem(
        pointer,
        'secret_not_allowed',
        `{{ ${written} }} may only be used in an http step's header values, so secrets never reach prompts, bodies or logs.`,
      ),
    };
  }
  if (reference.scope === 'run') {
    const schema = scope.inputSchema;
    if (typeof schema !== 'object' || schema === null) return { types: undefined };
    const result = resolveSchemaPath(schema, reference.path);
    if (result.known) return { types: schemaTypes(result.schemas) };
    return {
      problem: workflowProblem(
        pointer,
        'run_input_path_unknown',
        `${written} is not in the workflow's input schema: ${whyMissing(reference, result.depth, result.parents)}.`,
      ),
    };
  }
  const upstream = scope.positions.get(reference.stepId);
  if (upstream === undefined) {
    return {
      problem: workflowProblem(
        pointer,
        'step_unknown',
        `${written} reads step "${reference.stepId}", which is no step of this workflow.`,
      ),
    };
  }
  if (upstream === index) {
    return {
      problem: workflowProblem(
        pointer,
        'step_self_reference',
        `${written} reads the output of its own step; a step cannot use its own output.`,
      ),
    };
  }
  const agent = scope.agents[upstream];
  // Http outputs are unknown JSON, and an unknown agent is reported on its own step.
  if (agent === undefined) return { types: undefined };
  const unknown = (why: string) => ({
    problem: workflowProblem(pointer, 'template_path_unknown', `${written} ${why}.`),
  });
  if (agent.outputSchema === null || typeof agent.outputSchema !== 'object') {
    if (reference.path.length === 0) return { types: textTypes };
    return unknown(
      `cannot be read: agent "${agent.slug}" has no output schema, so its output is text; use {{ steps.${reference.stepId}.output }}`,
    );
  }
  const result = resolveSchemaPath(agent.outputSchema, reference.path);
  if (result.known) return { types: schemaTypes(result.schemas) };
  return unknown(
    `is not in the output schema of agent "${agent.slug}": ${whyMissing(reference, result.depth, result.parents)}`,
  );
}

function whyMissing(
  reference: WorkflowReference,
  depth: number,
  parents: readonly Record<string, unknown>[],
): string {
  if (reference.scope === 'secret') return '';
  const parent = formatReference({ ...reference, path: reference.path.slice(0, depth) });
  const segment = reference.path[depth] ?? '';
  const types = schemaTypes(parents);
  if (types !== undefined && !types.has('object') && !types.has('array')) {
    return `${parent} is ${[...types].join(' or ')}, so it has nothing at "${segment}"`;
  }
  return /^\d+$/.test(segment) ? `${parent} has no item [${segment}]` : `${parent} has no "${segment}"`;
}
