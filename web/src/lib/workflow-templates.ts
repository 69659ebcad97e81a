import type { WorkflowDefinition } from '../api/workflow-types.ts';

/** A ready workflow and the agent templates (by id) its steps run, found or made by slug first. */
export interface WorkflowTemplate {
  id: string;
  title: string;
  summary: string;
  agentTemplates: Record<string, string>;
  definition: (settings: { notifyUrl: string; agentSlugs: Record<string, string> }) => WorkflowDefinition;
}

/** The seeds' diamond: scan → (compliance check, code review) side by side → notify. */
export const securityReviewTemplate: WorkflowTemplate = {
  id: 'security-review',
  title: 'Security review: scan → check and review → notify',
  summary:
    'Scans a repository, runs a compliance check and a code review side by side on the scan, then posts both verdicts to a URL.',
  agentTemplates: { scan: 'security-scanner', compliance: 'compliance-checker', review: 'code-reviewer' },
  definition: ({ notifyUrl, agentSlugs }) => ({
    name: 'Security review',
    description: 'scan → (compliance, review) → notify',
    inputSchema: {
      type: 'object',
      properties: { repo: { type: 'string', description: 'owner/name of the repository' } },
      required: ['repo'],
      additionalProperties: false,
    },
    approvalStrategy: 'none',
    steps: [
      { id: 'scan', agent: agentSlugs.scan ?? 'security-scanner', input: { repo: '{{ run.input.repo }}' } },
      {
        id: 'compliance',
        agent: agentSlugs.compliance ?? 'compliance-checker',
        input: { total: '{{ steps.scan.output.summary.total }}' },
      },
      {
        id: 'review',
        agent: agentSlugs.review ?? 'code-reviewer',
        input: { critical: '{{ steps.scan.output.summary.critical }}' },
      },
      {
        id: 'notify',
        kind: 'http',
        url: notifyUrl,
        method: 'POST',
        body: {
          repo: '{{ run.input.repo }}',
          compliance: '{{ compliance.output.verdict }}',
          review: '{{ review.output.verdict }}',
        },
        needs: ['compliance', 'review'],
      },
    ],
  }),
};

/** A one-step workflow around an HTTP notifier, the notifier "agent" of the templates. */
export function notifierWorkflow(notifyUrl: string): WorkflowDefinition {
  return {
    name: 'Notifier',
    description: 'Posts the run input’s message to a URL.',
    inputSchema: {
      type: 'object',
      properties: { message: { type: 'string' } },
      required: ['message'],
      additionalProperties: false,
    },
    steps: [
      {
        id: 'notify',
        kind: 'http',
        url: notifyUrl,
        method: 'POST',
        body: { text: '{{ run.input.message }}' },
      },
    ],
  };
}
