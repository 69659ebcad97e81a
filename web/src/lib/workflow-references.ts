import type { WorkflowDefinition, WorkflowStep } from '../api/workflow-types.ts';

const placeholderPattern = /\{\{([^{}]*)\}\}/g;

/** Every string inside a JSON value (nested objects and arrays too), in order. */
export function stringsIn(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(stringsIn);
  if (value && typeof value === 'object') return Object.values(value).flatMap(stringsIn);
  return [];
}

/** The step a placeholder's lookup reads from: `steps.scan.output…` or the short form `scan.output…`. */
export function referencedStep(lookup: string, stepIds: ReadonlySet<string>): string | null {
  const segments = lookup.trim().split('.');
  if (segments[0] === 'steps' && segments[1]) return segments[1].replace(/\[\d+\]$/, '');
  if (segments[0] && stepIds.has(segments[0]) && segments[1]?.startsWith('output')) return segments[0];
  return null;
}

/** The values of a step that may hold templates (an agent's input; an http step's url, headers, body). */
export function templatedValuesOf(step: WorkflowStep): unknown[] {
  return step.kind === 'http' ? [step.url, step.headers ?? {}, step.body ?? null] : [step.input];
}

/** Steps this step's templates read from (an implied dependency, as the server derives it). */
export function templateDependencies(step: WorkflowStep, stepIds: ReadonlySet<string>): string[] {
  const found = new Set<string>();
  for (const text of templatedValuesOf(step).flatMap(stringsIn)) {
    for (const match of text.matchAll(placeholderPattern)) {
      const source = referencedStep(match[1] ?? '', stepIds);
      if (source && source !== step.id && stepIds.has(source)) found.add(source);
    }
  }
  return [...found];
}

export interface StepDependencies {
  /** Declared with `needs` (edges drawn in the builder). */
  needs: string[];
  /** Implied by templates and not already in `needs`. */
  implied: string[];
}

/** Each step's dependencies: `needs` plus what its templates read. */
export function dependenciesOf(definition: WorkflowDefinition): Map<string, StepDependencies> {
  const stepIds = new Set(definition.steps.map((step) => step.id));
  const result = new Map<string, StepDependencies>();
  for (const step of definition.steps) {
    const needs = (step.needs ?? []).filter((id) => stepIds.has(id) && id !== step.id);
    const implied = templateDependencies(step, stepIds).filter((id) => !needs.includes(id));
    result.set(step.id, { needs, implied });
  }
  return result;
}

/** Steps that (transitively) depend on `stepId`. */
export function descendantsOf(definition: WorkflowDefinition, stepId: string): Set<string> {
  const dependencies = dependenciesOf(definition);
  const found = new Set<string>();
  const visit = (id: string) => {
    for (const [candidate, deps] of dependencies) {
      if (found.has(candidate)) continue;
      if (deps.needs.includes(id) || deps.implied.includes(id)) {
        found.add(candidate);
        visit(candidate);
      }
    }
  };
  visit(stepId);
  return found;
}

/** Rewrites `steps.from.…` and `from.output…` lookups inside every placeholder of a value. */
export function renameReferences(value: unknown, from: string, to: string): unknown {
  if (typeof value === 'string') {
    return value.replace(placeholderPattern, (placeholder, lookup: string) => {
      const trimmed = lookup.trim();
      let renamed: string | null = null;
      if (trimmed === `steps.${from}` || trimmed.startsWith(`steps.${from}.`))
        renamed = `steps.${to}${trimmed.slice(`steps.${from}`.length)}`;
      else if (
        trimmed === `${from}.output` ||
        trimmed.startsWith(`${from}.output.`) ||
        trimmed.startsWith(`${from}.output[`)
      )
        renamed = `${to}${trimmed.slice(from.length)}`;
      return renamed === null ? placeholder : `{{ ${renamed} }}`;
    });
  }
  if (Array.isArray(value)) return value.map((item) => renameReferences(item, from, to));
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, renameReferences(item, from, to)]),
    );
  return value;
}
