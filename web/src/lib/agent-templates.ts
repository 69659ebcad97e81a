import type { AgentDefinition, JsonSchema } from '../api/api-types.ts';

/** A ready agent: everything but the provider and model, which the dialog asks for. */
export interface AgentTemplate {
  id: string;
  title: string;
  summary: string;
  agent: Pick<
    AgentDefinition,
    'name' | 'description' | 'systemPrompt' | 'promptTemplate' | 'inputSchema' | 'outputSchema' | 'tags'
  > &
    Pick<Partial<AgentDefinition>, 'approval' | 'artifactType'>;
}

/** Output schemas stay within what strict structured outputs accept: every property required, no extras. */
const object = (properties: Record<string, JsonSchema>, required = Object.keys(properties)): JsonSchema => ({
  type: 'object',
  properties,
  required,
  additionalProperties: false,
});
const text = (description: string): JsonSchema => ({ type: 'string', description });

export const agentTemplates: AgentTemplate[] = [
  {
    id: 'research',
    title: 'Research agent',
    summary: 'Findings with their sources and a confidence each (artifact: research finding).',
    agent: {
      name: 'Research agent',
      description: 'Researches a question and reports findings with sources and confidence.',
      tags: ['research'],
      systemPrompt:
        'You are a careful researcher. Only state what a source supports; give each finding a confidence between 0 and 1.',
      promptTemplate: 'Research this question: {{ input.question }}\nDepth: {{ input.depth }}',
      inputSchema: {
        type: 'object',
        properties: {
          question: text('What to find out'),
          depth: { type: 'string', enum: ['quick', 'thorough'], default: 'quick' },
        },
        required: ['question'],
        additionalProperties: false,
      },
      outputSchema: object({
        summary: { type: 'string' },
        confidence: { type: 'number', minimum: 0, maximum: 1 },
        findings: {
          type: 'array',
          items: object({
            claim: { type: 'string' },
            confidence: { type: 'number', minimum: 0, maximum: 1 },
            sources: { type: 'array', items: object({ title: { type: 'string' }, url: { type: 'string' } }) },
          }),
        },
      }),
      artifactType: 'research_finding',
    },
  },
  {
    id: 'content',
    title: 'Content agent',
    summary: 'A draft with a title and a Markdown body (artifact: content draft).',
    agent: {
      name: 'Content agent',
      description: 'Writes a draft from a brief for an audience, in a tone.',
      tags: ['content'],
      systemPrompt:
        'You are an editor-minded writer. Write in Markdown: short paragraphs, headings where they help.',
      promptTemplate:
        'Write about: {{ input.brief }}\nAudience: {{ input.audience }}\nTone: {{ input.tone }}\nAbout {{ input.words }} words.',
      inputSchema: {
        type: 'object',
        properties: {
          brief: text('What the piece is about'),
          audience: { type: 'string', default: 'engineers' },
          tone: { type: 'string', enum: ['friendly', 'formal', 'playful'], default: 'friendly' },
          words: { type: 'integer', minimum: 50, maximum: 3000, default: 300 },
        },
        required: ['brief'],
        additionalProperties: false,
      },
      outputSchema: object({ title: { type: 'string' }, body: text('Markdown') }),
      artifactType: 'content_draft',
    },
  },
  {
    id: 'reporting',
    title: 'Reporting agent',
    summary: 'A report with a summary and sections (artifact: report).',
    agent: {
      name: 'Reporting agent',
      description: 'Turns data into a report with a summary and sections.',
      tags: ['reporting'],
      systemPrompt: 'You write concise reports: the conclusion first, then the sections that support it.',
      promptTemplate: 'Report on {{ input.subject }} from this data:\n{{ input.data }}',
      inputSchema: {
        type: 'object',
        properties: {
          subject: text('What the report covers'),
          data: text('The figures or notes to report on'),
        },
        required: ['subject', 'data'],
        additionalProperties: false,
      },
      outputSchema: object({
        title: { type: 'string' },
        summary: { type: 'string' },
        sections: { type: 'array', items: object({ heading: { type: 'string' }, body: { type: 'string' } }) },
      }),
      artifactType: 'report',
    },
  },
  {
    id: 'security-scanner',
    title: 'Security scanner',
    summary: 'Counts findings by severity for a repository.',
    agent: {
      name: 'Security scanner',
      description: 'Scans a repository for vulnerabilities and summarises them.',
      tags: ['security'],
      systemPrompt: 'You are an application security scanner. Report only real, specific findings.',
      promptTemplate: 'Scan {{ input.repo }} for vulnerabilities.',
      inputSchema: {
        type: 'object',
        properties: { repo: text('owner/name of the repository') },
        required: ['repo'],
        additionalProperties: false,
      },
      outputSchema: object({
        summary: object({ total: { type: 'integer' }, critical: { type: 'integer' } }),
        findings: {
          type: 'array',
          items: object({
            title: { type: 'string' },
            severity: { type: 'string', enum: ['low', 'medium', 'high', 'critical'] },
          }),
        },
      }),
    },
  },
  {
    id: 'compliance-checker',
    title: 'Compliance checker',
    summary: 'A compliant / non-compliant verdict on a scan.',
    agent: {
      name: 'Compliance checker',
      description: 'Decides whether a scan result meets the compliance policy.',
      tags: ['security', 'compliance'],
      systemPrompt: 'You check scan results against the policy: no critical findings, at most five in total.',
      promptTemplate: 'Findings: {{ input.total }}. Is this compliant?',
      inputSchema: {
        type: 'object',
        properties: { total: { type: 'integer' } },
        required: ['total'],
        additionalProperties: false,
      },
      outputSchema: object({
        verdict: { type: 'string', enum: ['compliant', 'non_compliant'] },
        notes: { type: 'string' },
      }),
    },
  },
  {
    id: 'code-reviewer',
    title: 'Code reviewer',
    summary: 'Approves a change or asks for changes, with comments.',
    agent: {
      name: 'Code reviewer',
      description: 'Reviews a change in the light of its critical findings.',
      tags: ['security', 'review'],
      systemPrompt: 'You are a senior reviewer. Be specific; ask for changes only with a reason.',
      promptTemplate: 'Critical findings: {{ input.critical }}. Review the change.',
      inputSchema: {
        type: 'object',
        properties: { critical: { type: 'integer' } },
        required: ['critical'],
        additionalProperties: false,
      },
      outputSchema: object({
        verdict: { type: 'string', enum: ['approve', 'request_changes'] },
        comments: { type: 'array', items: { type: 'string' } },
      }),
    },
  },
  {
    id: 'patcher',
    title: 'Patcher (approval required)',
    summary: 'Proposes a patch that always waits for a person before anything uses it.',
    agent: {
      name: 'Patcher',
      description: 'Proposes a patch for a finding; every output waits for approval.',
      tags: ['security'],
      systemPrompt: 'You write minimal patches as unified diffs, with a confidence between 0 and 1.',
      promptTemplate: 'Propose a patch for: {{ input.finding }}',
      inputSchema: {
        type: 'object',
        properties: { finding: text('The finding to fix') },
        required: ['finding'],
        additionalProperties: false,
      },
      outputSchema: object({
        patch: text('A unified diff'),
        confidence: { type: 'number', minimum: 0, maximum: 1 },
      }),
      approval: 'required',
      artifactType: 'patch_proposal',
    },
  },
];

/** The notifier is not an agent: it is an HTTP step that posts to a URL (through the server's SSRF guard). */
export const notifierTemplate = {
  id: 'notifier',
  title: 'Notifier (HTTP step)',
  summary: 'Posts a message to a webhook URL: made as a one-step workflow, ready to add to others.',
} as const;
