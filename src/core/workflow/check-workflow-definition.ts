import { FlightdeckError } from '../errors.ts';
import { checkHttpUrl, checkInputFields, checkInputType } from './check-step-input.ts';
import { judgeReference, type ReferenceScope } from './judge-reference.ts';
import { isHttpStep, stepTemplateFields } from './step-template-fields.ts';
import {
  reservedStepIds,
  type WorkflowDefinition,
  type WorkflowProblem,
  type WorkflowStepDefinition,
  workflowProblem,
  workflowStepIdPattern,
} from './workflow-definition.ts';
import { dependenciesOf, findCycles } from './workflow-graph.ts';
import { type ParsedWorkflowTemplate, parseWorkflowTemplate, visitStrings } from './workflow-template.ts';

export { dependenciesOf, finalSteps, topologicalOrder } from './workflow-graph.ts';

/** What the check needs to know about an agent. */
export interface CheckedAgent {
  id: string;
  slug: string;
  inputSchema: Record<string, unknown> | null;
  outputSchema: Record<string, unknown> | null;
}

/** What the check asks the workspace. */
export interface WorkflowCheckContext {
  /** Finds an agent of the workspace by slug or id; undefined when none (deleted agents are unknown). */
  agentOf(reference: string): CheckedAgent | undefined;
}

/** Everything one check shares between steps. */
interface Scope extends ReferenceScope {
  steps: readonly WorkflowStepDefinition[];
  stepIds: ReadonlySet<string>;
}

/** Every problem with a definition, in definition order; empty when it can be saved. Never throws. */
export function checkWorkflowDefinition(
  definition: WorkflowDefinition,
  context: WorkflowCheckContext,
): WorkflowProblem[] {
  const steps = Array.isArray(definition.steps) ? definition.steps : [];
  if (steps.length === 0) {
    return [workflowProblem('/steps', 'steps_empty', 'A workflow needs at least one step.')];
  }
  const byStep: WorkflowProblem[][] = steps.map(() => []);
  const positions = new Map<string, number>();
  steps.forEach((step, index) => {
    const id = step.id;
    const pointer = `/steps/${index}/id`;
    const found = byStep[index] ?? [];
    if (typeof id !== 'string' || !workflowStepIdPattern.test(id)) {
      found.push(
        workflowProblem(
          pointer,
          'step_id_invalid',
          `Step id ${JSON.stringify(id)} is invalid: start with a letter, then use letters, digits, "_" or "-" (at most 64 characters).`,
        ),
      );
    } else if (reservedStepIds.has(id)) {
      found.push(
        workflowProblem(
          pointer,
          'step_id_invalid',
          `Step id "${id}" is reserved for templates (run, steps, secrets, input, output); choose another.`,
        ),
      );
    }
    if (typeof id !== 'string') return;
    const first = positions.get(id);
    if (first === undefined) positions.set(id, index);
    else
      found.push(
        workflowProblem(pointer, 'step_id_duplicate', `Step id "${id}" is already used by /steps/${first}.`),
      );
  });
  const scope: Scope = {
    inputSchema: definition.inputSchema,
    steps,
    positions,
    stepIds: new Set(positions.keys()),
    agents: steps.map((step) =>
      isHttpStep(step) || typeof step.agent !== 'string' ? undefined : context.agentOf(step.agent),
    ),
  };
  for (const index of steps.keys()) byStep[index]?.push(...checkStep(scope, index));
  for (const cycle of findCycles(dependenciesOf({ ...definition, steps }))) {
    const index = positions.get(cycle[0] ?? '') ?? 0;
    byStep[index]?.push(
      workflowProblem(`/steps/${index}`, 'workflow_cycle', `Steps form a cycle: ${cycle.join(' → ')}.`),
    );
  }
  // The same bad reference written twice in one string is one problem.
  const seen = new Set<string>();
  return byStep.flat().filter((found) => {
    const key = `${found.pointer}\n${found.code}\n${found.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function checkStep(scope: Scope, index: number): WorkflowProblem[] {
  const step = scope.steps[index];
  if (step === undefined) return [];
  const base = `/steps/${index}`;
  const found: WorkflowProblem[] = [];
  const agent = scope.agents[index];
  if (!isHttpStep(step) && agent === undefined) {
    found.push(
      workflowProblem(
        `${base}/agent`,
        'agent_unknown',
        `No agent ${JSON.stringify(step.agent)} in this workspace (slug or id); it may have been deleted.`,
      ),
    );
  }
  for (const field of stepTemplateFields(step)) {
    try {
      visitStrings(
        field.value,
        (text, pointer) => {
          const template = parseOrReport(text, pointer, scope, found);
          if (template === undefined) return;
          const judged = template.references.map((reference) =>
            judgeReference(scope, index, reference, pointer, field.secretsAllowed),
          );
          for (const result of judged) if (result.problem) found.push(result.problem);
          if (isHttpStep(step) && field.pointer === '/url') found.push(...checkHttpUrl(template, pointer));
          const inputField = /^\/steps\/\d+\/input\/([^/]+)$/.exec(pointer)?.[1];
          if (inputField !== undefined && agent?.inputSchema) {
            const name = inputField.replace(/~1/g, '/').replace(/~0/g, '~');
            found.push(...checkInputType(agent.inputSchema, name, template, judged, pointer));
          }
        },
        `${base}${field.pointer}`,
      );
    } catch (error) {
      if (!FlightdeckError.isInstance(error) || error.code !== 'template_too_deep') throw error;
      const pointer = (error.details as { pointer?: string } | null)?.pointer ?? `${base}${field.pointer}`;
      found.push(workflowProblem(pointer, 'template_too_deep', error.message));
    }
  }
  if (isHttpStep(step) && typeof step.url !== 'string') {
    found.push(
      workflowProblem(`${base}/url`, 'http_url_invalid', 'An http step needs a url (http or https).'),
    );
  }
  if (!isHttpStep(step) && agent?.inputSchema) found.push(...checkInputFields(agent, step.input, base));
  const needs = Array.isArray(step.needs) ? step.needs : [];
  needs.forEach((need, position) => {
    const pointer = `${base}/needs/${position}`;
    if (need === step.id) {
      found.push(
        workflowProblem(pointer, 'step_self_reference', `Step "${step.id}" cannot wait for itself.`),
      );
    } else if (typeof need !== 'string' || !scope.positions.has(need)) {
      found.push(
        workflowProblem(
          pointer,
          'step_unknown',
          `needs names ${JSON.stringify(need)}, which is no step of this workflow.`,
        ),
      );
    }
  });
  return found;
}

function parseOrReport(
  text: string,
  pointer: string,
  scope: Scope,
  found: WorkflowProblem[],
): ParsedWorkflowTemplate | undefined {
  try {
    return parseWorkflowTemplate(text, scope.stepIds);
  } catch (error) {
    if (!FlightdeckError.isInstance(error)) throw error;
    found.push(workflowProblem(pointer, 'template_invalid', error.message));
    return undefined;
  }
}
