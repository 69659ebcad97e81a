import { describe, expect, it } from 'vitest';
import {
  type CheckedAgent,
  checkWorkflowDefinition,
  dependenciesOf,
  finalSteps,
  topologicalOrder,
  type WorkflowCheckContext,
} from './check-workflow-definition.ts';
import type {
  HttpStepDefinition,
  WorkflowDefinition,
  WorkflowStepDefinition,
} from './workflow-definition.ts';

const scanner: CheckedAgent = {
  id: 'agt_scanner',
  slug: 'scanner',
  inputSchema: { type: 'object', properties: { repo: { type: 'string' } }, required: ['repo'] },
  outputSchema: {
    type: 'object',
    properties: { summary: { $ref: '#/$defs/summary' }, score: { type: 'number' } },
    $defs: {
      summary: {
        type: 'object',
        properties: {
          total: { type: 'integer' },
          label: { type: ['string', 'null'] },
          items: { type: 'array', items: { type: 'object', properties: { title: { type: 'string' } } } },
        },
      },
    },
  },
};
const compliance: CheckedAgent = {
  id: 'agt_compliance',
  slug: 'compliance',
  inputSchema: { type: 'object', properties: { total: { type: 'number' } } },
  outputSchema: { type: 'object', properties: { ok: { type: 'boolean' } } },
};
const reviewer: CheckedAgent = {
  id: 'agt_reviewer',
  slug: 'reviewer',
  inputSchema: {
    type: 'object',
    properties: {
      summary: { type: 'object' },
      note: { type: 'string' },
      count: { type: 'integer' },
      label: { type: 'string' },
      anything: {},
    },
    required: ['summary'],
    additionalProperties: false,
  },
  outputSchema: null,
};
const agents = [scanner, compliance, reviewer];
const context: WorkflowCheckContext = {
  agentOf: (reference) => agents.find((agent) => agent.slug === reference || agent.id === reference),
};

function workflow(
  steps: WorkflowStepDefinition[],
  overrides: Partial<WorkflowDefinition> = {},
): WorkflowDefinition {
  return {
    ...{ slug: 'audit', name: 'Audit', description: '', inputSchema: null, approvalStrategy: 'none' },
    ...{ riskRule: null, costCapUsd: null, triggers: { webhook: false, schedule: null, timezone: null } },
    steps,
    ...overrides,
  };
}

function agentStep(id: string, agent: string, input: Record<string, unknown>, needs?: string[]) {
  return { id, kind: 'agent', agent, input, ...(needs ? { needs } : {}) } satisfies WorkflowStepDefinition;
}

function httpStep(fields: Partial<HttpStepDefinition>): HttpStepDefinition {
  return { id: 'notify', kind: 'http', url: 'https://example.com', ...fields };
}

const scan = agentStep('scan', 'scanner', { repo: 'acme' });
/** A reviewer step (its required `summary` given) after `scan`. */
const review = (input: Record<string, unknown>) =>
  workflow([scan, agentStep('review', 'reviewer', { summary: {}, ...input })]);
/** A compliance step after `scan` whose `total` is `template`. */
const comply = (template: string) => workflow([scan, agentStep('check', 'compliance', { total: template })]);
const chain = (...needs: Array<[string, string]>) =>
  workflow(needs.map(([id, need]) => agentStep(id, 'scanner', { repo: 'x' }, [need])));

const diamond = workflow(
  [
    agentStep('scan', 'scanner', { repo: '{{ run.input.repo }}' }),
    agentStep('compliance', 'agt_compliance', { total: '{{ scan.output.summary.total }}' }),
    agentStep('review', 'reviewer', {
      summary: '{{ steps.scan.output.summary }}',
      note: 'Total: {{ scan.output.summary.total }}, first: {{ scan.output.summary.items[0].title }}',
      label: '{{ scan.output.summary.items[0].title }}',
    }),
    httpStep({
      url: 'https://hooks.example.com/{{ run.input.channel }}',
      headers: { Authorization: 'Bearer {{ secrets.SLACK_TOKEN }}' },
      body: { text: '{{ review.output }}', ok: '{{ compliance.output.ok }}' },
      needs: ['review'],
    }),
  ],
  { inputSchema: { type: 'object', properties: { repo: { type: 'string' }, channel: { type: 'string' } } } },
);

describe('a valid diamond: scan → compliance & review → notify', () => {
  it('has no problems', () => {
    expect(checkWorkflowDefinition(diamond, context)).toEqual([]);
  });

  it('knows its dependencies, order and final steps', () => {
    expect(dependenciesOf(diamond)).toEqual(
      new Map([
        ['scan', []],
        ['compliance', ['scan']],
        ['review', ['scan']],
        ['notify', ['compliance', 'review']],
      ]),
    );
    expect(topologicalOrder(diamond)).toEqual(['scan', 'compliance', 'review', 'notify']);
    expect(finalSteps(diamond)).toEqual(['notify']);
  });
});

let deep: unknown = 'x';
for (let level = 0; level < 70; level++) deep = { next: deep };
const http = (fields: Partial<HttpStepDefinition>) => workflow([httpStep(fields)]);
/** A compliance step whose `total` reads the text output of the reviewer. */
const afterText = (template: string) =>
  workflow([
    agentStep('review', 'reviewer', { summary: {} }),
    agentStep('c', 'compliance', { total: template }),
  ]);
const withRunInput = (template: string) =>
  workflow([{ ...scan, input: { repo: template } }], { inputSchema: diamond.inputSchema });
const cycle = workflow([
  { ...scan, needs: ['review'] },
  agentStep('review', 'reviewer', { summary: '{{ scan.output.summary }}' }),
]);
const nopeMessage =
  'steps.scan.output.summary.nope is not in the output schema of agent "scanner": steps.scan.output.summary has no "nope"';
const mismatchMessage = 'Input field "count" expects integer, but steps.scan.output.score is number.';

// [code, definition, pointer, message fragment]: each definition has exactly this one problem.
const matrix: Array<[string, WorkflowDefinition, string, string]> = [
  ['steps_empty', workflow([]), '/steps', 'at least one step'],
  ['step_id_invalid', workflow([{ ...scan, id: '1scan' }]), '/steps/0/id', '"1scan"'],
  ['step_id_invalid', workflow([scan, { ...scan, id: 'run' }]), '/steps/1/id', 'reserved'],
  ['step_id_invalid', workflow([{ ...scan, id: 'a'.repeat(65) }]), '/steps/0/id', 'at most 64'],
  ['step_id_duplicate', workflow([scan, scan]), '/steps/1/id', 'already used by /steps/0'],
  ['step_unknown', chain(['scan', 'scna']), '/steps/0/needs/0', '"scna"'],
  ['step_unknown', comply('{{ steps.nope.output.x }}'), '/steps/1/input/total', 'steps.nope.output.x'],
  ['step_self_reference', chain(['scan', 'scan']), '/steps/0/needs/0', 'itself'],
  [
    'step_self_reference',
    workflow([{ ...scan, input: { repo: '{{ scan.output }}' } }]),
    '/steps/0/input/repo',
    'own',
  ],
  ['workflow_cycle', cycle, '/steps/0', 'Steps form a cycle: scan → review → scan.'],
  ['agent_unknown', workflow([{ ...scan, agent: 'ghost' }]), '/steps/0/agent', '"ghost"'],
  [
    'template_invalid',
    comply('{{ scna.output.x }}'),
    '/steps/1/input/total',
    'Write {{ steps.<id>.output.… }}',
  ],
  [
    'template_invalid',
    review({ note: ['{{ run.input.a + 1 }}'] }),
    '/steps/1/input/note/0',
    'is not a lookup',
  ],
  ['template_path_unknown', comply('{{ scan.output.summary.nope }}'), '/steps/1/input/total', nopeMessage],
  [
    'template_path_unknown',
    comply('{{ scan.output.summary.total.x }}'),
    '/steps/1/input/total',
    'is integer',
  ],
  ['template_path_unknown', afterText('{{ review.output.n }}'), '/steps/1/input/total', 'its output is text'],
  [
    'run_input_path_unknown',
    withRunInput('{{ run.input.repository }}'),
    '/steps/0/input/repo',
    'run.input.repository',
  ],
  ['secret_not_allowed', review({ note: '{{ secrets.GITHUB }}' }), '/steps/1/input/note', 'secrets.GITHUB'],
  [
    'secret_not_allowed',
    http({ body: { text: ['{{ secrets.T }}'] } }),
    '/steps/0/body/text/0',
    'header values',
  ],
  ['secret_not_allowed', http({ url: 'https://a.example/{{ secrets.T }}' }), '/steps/0/url', 'header values'],
  [
    'template_type_mismatch',
    review({ count: '{{ scan.output.score }}' }),
    '/steps/1/input/count',
    mismatchMessage,
  ],
  [
    'template_type_mismatch',
    review({ summary: '{{ scan.output.score }}' }),
    '/steps/1/input/summary',
    'expects object',
  ],
  [
    'template_type_mismatch',
    review({ count: 'n={{ scan.output.score }}' }),
    '/steps/1/input/count',
    'renders text',
  ],
  [
    'template_type_mismatch',
    afterText('{{ review.output }}'),
    '/steps/1/input/total',
    'steps.review.output is string',
  ],
  ['input_field_unknown', review({ extra: 1 }), '/steps/1/input/extra', '"extra"'],
  ['input_field_missing', workflow([agentStep('review', 'reviewer', {})]), '/steps/0/input', '"summary"'],
  ['http_url_invalid', http({ url: 'ftp://example.com/f' }), '/steps/0/url', '"ftp://example.com/f"'],
  [
    'http_url_invalid',
    http({ url: '{{ run.input.host }}/hook' }),
    '/steps/0/url',
    'placeholders read as "x"',
  ],
  ['template_too_deep', review({ note: deep }), `/steps/1/input/note${'/next'.repeat(63)}`, 'deeper than 64'],
];

// Definitions that look close to a problem but have none.
const clean: Array<[string, WorkflowDefinition]> = [
  ['integer into number', comply('{{ scan.output.summary.total }}')],
  ['["string","null"] into string', review({ label: '{{ scan.output.summary.label }}' })],
  ['anything into a property without type', review({ anything: '{{ scan.output }}' })],
  [
    'http outputs are unknown JSON',
    workflow([httpStep({ id: 'fetch' }), agentStep('c', 'compliance', { total: '{{ fetch.output.a[3] }}' })]),
  ],
  [
    'no run input schema: any run input',
    workflow([{ ...scan, input: { repo: '{{ run.input.any.deep }}' } }]),
  ],
  ['secrets in http header values', http({ headers: { 'X-Key': 'Key {{ secrets.TOKEN }}' } })],
  ['an open input schema takes extra fields', workflow([agentStep('c', 'compliance', { other: 1 })])],
  ['templates in the url host', http({ url: 'https://{{ run.input.host }}/hook?q={{ run.input.q }}' })],
  ['a url that is one whole template, judged when it runs', http({ url: '{{ run.input.callbackUrl }}' })],
];

describe('checkWorkflowDefinition', () => {
  const cases = matrix.map(([code, definition, pointer, fragment]) => ({
    code,
    definition,
    pointer,
    fragment,
  }));
  it.each(cases)('$code at $pointer', ({ code, definition, pointer, fragment }) => {
    const problems = checkWorkflowDefinition(definition, context);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ code, pointer });
    expect(problems[0]?.message).toContain(fragment);
  });

  it.each(clean)('no problem: %s', (_, definition) => {
    expect(checkWorkflowDefinition(definition, context)).toEqual([]);
  });

  it('reports everything in definition order, and never throws on odd shapes', () => {
    const problems = checkWorkflowDefinition(
      workflow([
        agentStep('scan', 'ghost', { repo: '{{ steps.x.output }}' }, ['nope']),
        scan,
        httpStep({ url: 'mailto:a@b.c' }),
      ]),
      context,
    );
    expect(problems.map(({ code, pointer }) => `${code} ${pointer}`)).toEqual([
      'agent_unknown /steps/0/agent',
      'step_unknown /steps/0/input/repo',
      'step_unknown /steps/0/needs/0',
      'step_id_duplicate /steps/1/id',
      'http_url_invalid /steps/2/url',
    ]);
    const odd = workflow([
      { id: 7, agent: null, input: null, needs: 'x' } as unknown as WorkflowStepDefinition,
    ]);
    expect(() => checkWorkflowDefinition(odd, context)).not.toThrow();
  });

  it('checks a 200-step chain quickly', () => {
    const steps = Array.from({ length: 200 }, (_, index) =>
      agentStep(`s${index}`, 'scanner', {
        repo: index === 0 ? 'x' : `{{ s${index - 1}.output.summary.label }}`,
      }),
    );
    const started = performance.now();
    expect(checkWorkflowDefinition(workflow(steps), context)).toEqual([]);
    expect(topologicalOrder(workflow(steps))).toHaveLength(200);
    expect(performance.now() - started).toBeLessThan(1_000);
  });
});
