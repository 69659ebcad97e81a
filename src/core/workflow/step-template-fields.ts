import type { WorkflowStepDefinition } from './workflow-definition.ts';
import { escapePointerSegment } from './workflow-template.ts';

/** A part of a step that may hold templates. */
export interface StepTemplateField {
  /** JSON pointer relative to the step (`/input`, `/url`, `/headers/Authorization`, `/body`). */
  pointer: string;
  value: unknown;
  /** Only http header values may read secrets: anywhere else a secret would end up in prompts, logs or artifacts. */
  secretsAllowed: boolean;
}

/** True for an http step; anything else is an agent step (`kind` defaults to `agent`). */
export function isHttpStep(
  step: WorkflowStepDefinition,
): step is Extract<WorkflowStepDefinition, { kind: 'http' }> {
  return step.kind === 'http';
}

/** The parts of a step that may hold templates, in definition order. */
export function stepTemplateFields(step: WorkflowStepDefinition): StepTemplateField[] {
  if (!isHttpStep(step)) return [{ pointer: '/input', value: step.input, secretsAllowed: false }];
  const fields: StepTemplateField[] = [{ pointer: '/url', value: step.url, secretsAllowed: false }];
  if (typeof step.headers === 'object' && step.headers !== null) {
    for (const [name, value] of Object.entries(step.headers)) {
      fields.push({ pointer: `/headers/${escapePointerSegment(name)}`, value, secretsAllowed: true });
    }
  }
  if (step.body !== undefined) fields.push({ pointer: '/body', value: step.body, secretsAllowed: false });
  return fields;
}
