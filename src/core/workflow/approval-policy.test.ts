import { describe, expect, it } from 'vitest';
import { approvalReasonFor, riskRuleMatches } from './approval-policy.ts';
import type { WorkflowDefinition, WorkflowStepDefinition } from './workflow-definition.ts';

const step: WorkflowStepDefinition = { id: 'draft', kind: 'agent', agent: 'writer', input: {} };
const definition = (overrides: Partial<WorkflowDefinition> = {}): WorkflowDefinition => ({
  slug: 'w',
  name: 'W',
  description: '',
  inputSchema: null,
  approvalStrategy: 'none',
  riskRule: null,
  costCapUsd: null,
  triggers: { webhook: false, schedule: null, timezone: null },
  steps: [step],
  ...overrides,
});
const reason = (
  overrides: Partial<WorkflowDefinition>,
  output: unknown,
  extra: { isFinal?: boolean; agentApproval?: 'required' | 'optional'; step?: WorkflowStepDefinition } = {},
) =>
  approvalReasonFor({
    definition: definition(overrides),
    step: extra.step ?? step,
    agentApproval: extra.agentApproval ?? 'optional',
    output,
    isFinal: extra.isFinal ?? true,
  });

describe('approvalReasonFor', () => {
  it('follows the strategy', () => {
    expect(reason({ approvalStrategy: 'none' }, {})).toBeNull();
    expect(reason({ approvalStrategy: 'checkpoint_required' }, {}, { isFinal: false })).toBe('checkpoint');
    expect(reason({ approvalStrategy: 'final_only' }, {}, { isFinal: false })).toBeNull();
    expect(reason({ approvalStrategy: 'final_only' }, {}, { isFinal: true })).toBe('final');
  });

  it('auto-approves low risk on both sides of the rule, and honours needsReview', () => {
    const rule = {
      approvalStrategy: 'auto_approve_low_risk' as const,
      riskRule: { path: 'confidence', below: 0.8 },
    };
    expect(reason(rule, { confidence: 0.95 })).toBeNull();
    expect(reason(rule, { confidence: 0.5 })).toBe('risk');
    expect(reason(rule, { confidence: 0.95, needsReview: true })).toBe('review_requested');
    expect(reason({ approvalStrategy: 'auto_approve_low_risk' }, { needsReview: false })).toBeNull();
  });

  it('lets the step override the strategy and the agent default', () => {
    expect(
      reason({ approvalStrategy: 'checkpoint_required' }, {}, { step: { ...step, approval: 'never' } }),
    ).toBeNull();
    expect(reason({ approvalStrategy: 'none' }, {}, { step: { ...step, approval: 'required' } })).toBe(
      'required',
    );
    expect(reason({ approvalStrategy: 'none' }, {}, { agentApproval: 'required' })).toBe('required');
    expect(
      reason(
        { approvalStrategy: 'none' },
        {},
        { agentApproval: 'required', step: { ...step, approval: 'never' } },
      ),
    ).toBeNull();
  });

  it('leaves http steps alone unless they ask', () => {
    const http: WorkflowStepDefinition = { id: 'notify', kind: 'http', url: 'https://example.com' };
    expect(reason({ approvalStrategy: 'checkpoint_required' }, {}, { step: http })).toBeNull();
    expect(reason({ approvalStrategy: 'none' }, {}, { step: { ...http, approval: 'required' } })).toBe(
      'required',
    );
  });
});

describe('riskRuleMatches', () => {
  it('reads nested paths, bounds and equality, and treats what it cannot judge as risky', () => {
    expect(riskRuleMatches({ path: 'score.value', above: 3 }, { score: { value: 4 } })).toBe(true);
    expect(riskRuleMatches({ path: 'score.value', above: 3 }, { score: { value: 2 } })).toBe(false);
    expect(riskRuleMatches({ path: 'level', equals: 'high' }, { level: 'high' })).toBe(true);
    expect(riskRuleMatches({ path: 'level', equals: 'high' }, { level: 'low' })).toBe(false);
    expect(riskRuleMatches({ path: 'confidence', below: 0.8 }, { other: 1 })).toBe(true);
    expect(riskRuleMatches({ path: 'confidence', below: 0.8 }, { confidence: 'high' })).toBe(true);
    expect(riskRuleMatches({ path: 'toString', below: 1 }, {})).toBe(true);
  });
});
