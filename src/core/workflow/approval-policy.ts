import type { WorkflowDefinition, WorkflowStepDefinition } from './workflow-definition.ts';

/** Why a step's output waits for a person. */
export type ApprovalReason = 'required' | 'checkpoint' | 'final' | 'risk' | 'review_requested';

/**
 * Whether a step's fresh output must wait for approval, and why. The step's own `approval` wins
 * (`never` / `required`), then the agent's default (`required`, e.g. a patcher), then the workflow's
 * strategy: `checkpoint_required` (every agent step), `final_only` (steps nothing depends on),
 * `auto_approve_low_risk` (only when the risk rule matches or the output sets `needsReview: true`).
 */
export function approvalReasonFor(input: {
  definition: WorkflowDefinition;
  step: WorkflowStepDefinition;
  agentApproval: 'required' | 'optional' | null;
  output: unknown;
  isFinal: boolean;
}): ApprovalReason | null {
  const { definition, step, output } = input;
  if (step.approval === 'never') return null;
  if (step.approval === 'required' || input.agentApproval === 'required') return 'required';
  if (step.kind !== 'agent') return null;
  switch (definition.approvalStrategy) {
    case 'none':
      return null;
    case 'checkpoint_required':
      return 'checkpoint';
    case 'final_only':
      return input.isFinal ? 'final' : null;
    case 'auto_approve_low_risk':
      if (isObject(output) && Object.hasOwn(output, 'needsReview') && output.needsReview === true) {
        return 'review_requested';
      }
      return definition.riskRule && riskRuleMatches(definition.riskRule, output) ? 'risk' : null;
  }
}

/**
 * A risk rule `{ path, below?, above?, equals? }` over an output: matches when the value at the dot
 * path is a number below `below` or above `above`, or equals `equals`. A rule whose path the output
 * lacks matches too: an output the rule cannot judge is not low risk.
 */
export function riskRuleMatches(rule: NonNullable<WorkflowDefinition['riskRule']>, output: unknown): boolean {
  let value: unknown = output;
  for (const segment of rule.path.split('.').filter(Boolean)) {
    if (!isObject(value) || !Object.hasOwn(value, segment)) return true;
    value = value[segment];
  }
  if (rule.below !== undefined && typeof value === 'number' && value < rule.below) return true;
  if (rule.above !== undefined && typeof value === 'number' && value > rule.above) return true;
  if (rule.equals !== undefined && JSON.stringify(value) === JSON.stringify(rule.equals)) return true;
  if ((rule.below !== undefined || rule.above !== undefined) && typeof value !== 'number') return true;
  return false;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
