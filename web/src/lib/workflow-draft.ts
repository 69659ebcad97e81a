import type { Workflow, WorkflowDefinition, WorkflowStep } from '../api/workflow-types.ts';
import { descendantsOf, renameReferences } from './workflow-references.ts';

/** What a step id looks like (the server's rule): short, starts with a letter. */
export const stepIdPattern = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;
const reservedStepIds = new Set(['run', 'steps', 'secrets', 'input', 'output']);

/** Why a step id cannot be used, or null when it can. */
export function stepIdProblem(definition: WorkflowDefinition, id: string, current: string): string | null {
  if (!stepIdPattern.test(id)) return 'Start with a letter; then letters, digits, "_" or "-" (at most 64).';
  if (reservedStepIds.has(id)) return `"${id}" is reserved in templates; choose another id.`;
  if (id !== current && definition.steps.some((step) => step.id === id)) return 'Another step has this id.';
  return null;
}

export function emptyDefinition(): WorkflowDefinition {
  return { name: '', description: '', inputSchema: null, triggers: { webhook: false }, steps: [] };
}

/** The editable part of a stored workflow (what PATCH takes), key order kept. */
export function definitionOf(workflow: Workflow): WorkflowDefinition {
  return {
    name: workflow.name,
    slug: workflow.slug,
    description: workflow.description,
    inputSchema: workflow.inputSchema,
    approvalStrategy: workflow.approvalStrategy,
    riskRule: workflow.riskRule,
    costCapUsd: workflow.costCapUsd,
    triggers: workflow.triggers,
    steps: workflow.steps,
  };
}

function freeStepId(definition: WorkflowDefinition, base: string): string {
  const taken = new Set(definition.steps.map((step) => step.id));
  for (let number = 1; ; number++) {
    const candidate = `${base}${number}`;
    if (!taken.has(candidate)) return candidate;
  }
}

export function addStep(
  definition: WorkflowDefinition,
  kind: 'agent' | 'http',
): { definition: WorkflowDefinition; stepId: string } {
  const stepId = freeStepId(definition, kind === 'http' ? 'http' : 'step');
  const step: WorkflowStep =
    kind === 'http'
      ? { id: stepId, kind: 'http', url: '', method: 'POST', body: {} }
      : { id: stepId, kind: 'agent', agent: '', input: {} };
  return { definition: { ...definition, steps: [...definition.steps, step] }, stepId };
}

export function updateStep(
  definition: WorkflowDefinition,
  stepId: string,
  change: (step: WorkflowStep) => WorkflowStep,
): WorkflowDefinition {
  return { ...definition, steps: definition.steps.map((step) => (step.id === stepId ? change(step) : step)) };
}

function withNeeds(step: WorkflowStep, needs: string[]): WorkflowStep {
  const { needs: _old, ...rest } = step;
  return needs.length > 0 ? ({ ...rest, needs } as WorkflowStep) : (rest as WorkflowStep);
}

export function removeSteps(definition: WorkflowDefinition, stepIds: readonly string[]): WorkflowDefinition {
  const removed = new Set(stepIds);
  return {
    ...definition,
    steps: definition.steps
      .filter((step) => !removed.has(step.id))
      .map((step) =>
        step.needs?.some((id) => removed.has(id))
          ? withNeeds(
              step,
              step.needs.filter((id) => !removed.has(id)),
            )
          : step,
      ),
  };
}

/** Whether `target` running after `source` would close a loop. */
export function wouldCreateCycle(definition: WorkflowDefinition, source: string, target: string): boolean {
  return source === target || descendantsOf(definition, target).has(source);
}

/** `target` runs after `source`: an edge in the builder is a `needs` entry. */
export function connectSteps(
  definition: WorkflowDefinition,
  source: string,
  target: string,
): WorkflowDefinition {
  return updateStep(definition, target, (step) =>
    step.needs?.includes(source) ? step : withNeeds(step, [...(step.needs ?? []), source]),
  );
}

export function disconnectSteps(
  definition: WorkflowDefinition,
  source: string,
  target: string,
): WorkflowDefinition {
  return updateStep(definition, target, (step) =>
    withNeeds(
      step,
      (step.needs ?? []).filter((id) => id !== source),
    ),
  );
}

export function setNeeds(
  definition: WorkflowDefinition,
  stepId: string,
  needs: string[],
): WorkflowDefinition {
  return updateStep(definition, stepId, (step) => withNeeds(step, needs));
}

/** A new id for a step: its `needs` entries and every template that reads it follow. */
export function renameStep(definition: WorkflowDefinition, from: string, to: string): WorkflowDefinition {
  return {
    ...definition,
    steps: definition.steps.map((step) => {
      const renamed = renameReferences(step, from, to) as WorkflowStep;
      return {
        ...renamed,
        id: step.id === from ? to : step.id,
        ...(step.needs ? { needs: step.needs.map((id) => (id === from ? to : id)) } : {}),
      };
    }),
  };
}

/**
 * Reads the JSON view's text as a definition: any object with a `steps` array of objects with string
 * ids draws a graph; everything else about it is the server's check to judge.
 */
export function parseDefinitionText(
  text: string,
): { definition: WorkflowDefinition; error: null } | { definition: null; error: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return { definition: null, error: `Not valid JSON: ${(error as Error).message}` };
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
    return { definition: null, error: 'A workflow is a JSON object with "name" and "steps".' };
  const steps = (parsed as { steps?: unknown }).steps;
  if (!Array.isArray(steps)) return { definition: null, error: '"steps" must be an array of steps.' };
  for (const [index, step] of steps.entries()) {
    if (!step || typeof step !== 'object' || typeof (step as { id?: unknown }).id !== 'string')
      return { definition: null, error: `steps[${index}] needs a string "id".` };
  }
  const ids = steps.map((step) => (step as { id: string }).id);
  const duplicate = ids.find((id, index) => ids.indexOf(id) !== index);
  if (duplicate !== undefined) return { definition: null, error: `Two steps have the id "${duplicate}".` };
  return { definition: parsed as WorkflowDefinition, error: null };
}
