import { describe, expect, it } from 'vitest';
import {
  type CheckedAgent,
  checkWorkflowDefinition,
  dependenciesOf,
  finalSteps,
  topologicalOrder,
  type WorkflowCheckContext,
} from './check-workflow-definition.ts';
import type { WorkflowDefinition, WorkflowProblem, WorkflowStepDefinition } from './workflow-definition.ts';

const scanner: CheckedAgent = {
  id: 'agt_scanner',
  slug: 'scanner',
  inputSchema: { type: 'object', properties: { repo: { type: 'string' } }, required: ['repo'] },
  outputSchema: {
    type: 'object',
    properties: {
      summary: { $ref: '#/$defs/summary' },
      score: { type: 'number' },
      pair: { type: 'array', prefixItems: [{ type: 'string' }, { type: 'integer' }], items: false },
      extra: { type: 'object', additionalProperties: true },
      either: { anyOf: [{ type: 'object', properties: { a: { type: 'string' } } }, { type: 'null' }] },
    },
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

const scanStep: WorkflowStepDefinition = {
  id: 'scan',
  kind: 'agent',
  agent: 'scanner',
  input: { repo: 'acme' },
};

function workflow(
  steps: WorkflowStepDefinition[],
  overrides: Partial<WorkflowDefinition> = {},
): WorkflowDefinition {
  return {
    slug: 'audit',
    name: 'Audit',
    description: '',
    inputSchema: null,
    approvalStrategy: 'none',
    riskRule: null,
    costCapUsd: null,
    triggers: { webhook: false, schedule: null, timezone: null },
    steps,
    ...overrides,
  };
}

function agentStep(
  id: string,
  agent: string,
  input: Record<string, unknown>,
  needs?: string[],
): WorkflowStepDefinition {
  return { id, kind: 'agent', agent, input, ...(needs ? { needs } : {}) };
}

/** The only problem with the definition; fails when there are none or several. */
function onlyProblem(definition: WorkflowDefinition): WorkflowProblem {
  const problems = checkWorkflowDefinition(definition, context);
  expect(problems).toHaveLength(1);
  return problems[0] as WorkflowProblem;
}

function expectProblem(problem: WorkflowProblem, code: string, pointer: string, fragment: string): void {
  expect(problem.code).toBe(code);
  expect(problem.pointer).toBe(pointer);
  expect(problem.message).toContain(fragment);
}

const diamond = workflow(
  [
    agentStep('scan', 'scanner', { repo: '{{ run.input.repo }}' }),
    agentStep('compliance', 'agt_compliance', { total: '{{ scan.output.summary.total }}' }),
    agentStep('review', 'reviewer', {
      summary: '{{ steps.scan.output.summary }}',
      note: 'Total: {{ scan.output.summary.total }}, first: {{ scan.output.summary.items[0].title }}',
      label: '{{ scan.output.pair[0] }}',
    }),
    {
      id: 'notify',
      kind: 'http',
      url: 'https://hooks.example.com/{{ run.input.channel }}',
      method: 'POST',
      headers: { Authorization: 'Bearer {{ secrets.SLACK_TOKEN }}' },
      body: { text: '{{ review.output }}', ok: '{{ compliance.output.ok }}' },
      needs: ['review'],
    },
  ],
  {
    inputSchema: {
      type: 'object',
      properties: { repo: { type: 'string' }, channel: { type: 'string' } },
      required: ['repo'],
    },
  },
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

  it('orders steps defined downstream-first, stable among equals', () => {
    const reversed = workflow([...diamond.steps].reverse());
    expect(topologicalOrder(reversed)).toEqual(['scan', 'review', 'compliance', 'notify']);
    const independent = workflow([agentStep('b', 'scanner', {}), agentStep('a', 'scanner', {})]);
    expect(topologicalOrder(independent)).toEqual(['b', 'a']);
    expect(finalSteps(independent)).toEqual(['b', 'a']);
  });
});

describe('checkWorkflowDefinition', () => {
  it('steps_empty', () => {
    expectProblem(onlyProblem(workflow([])), 'steps_empty', '/steps', 'at least one step');
  });

  it('step_id_invalid: bad characters and reserved roots', () => {
    expectProblem(
      onlyProblem(workflow([{ ...scanStep, id: '1scan' }])),
      'step_id_invalid',
      '/steps/0/id',
      '"1scan"',
    );
    expectProblem(
      onlyProblem(workflow([scanStep, { ...scanStep, id: 'run' }])),
      'step_id_invalid',
      '/steps/1/id',
      'reserved',
    );
    expect(onlyProblem(workflow([{ ...scanStep, id: 'a'.repeat(65) }])).code).toBe('step_id_invalid');
  });

  it('step_id_duplicate', () => {
    expectProblem(
      onlyProblem(workflow([scanStep, scanStep])),
      'step_id_duplicate',
      '/steps/1/id',
      'already used by /steps/0',
    );
  });

  it('step_unknown: in needs and in a long-form template', () => {
    expectProblem(
      onlyProblem(workflow([scanStep, agentStep('review', 'reviewer', { summary: {} }, ['scna'])])),
      'step_unknown',
      '/steps/1/needs/0',
      '"scna"',
    );
    expectProblem(
      onlyProblem(
        workflow([scanStep, agentStep('check', 'compliance', { total: '{{ steps.nope.output.x }}' })]),
      ),
      'step_unknown',
      '/steps/1/input/total',
      'steps.nope.output.x',
    );
  });

  it('step_self_reference: in needs and in a template', () => {
    expectProblem(
      onlyProblem(workflow([{ ...scanStep, needs: ['scan'] }])),
      'step_self_reference',
      '/steps/0/needs/0',
      'itself',
    );
    expectProblem(
      onlyProblem(workflow([{ ...scanStep, input: { repo: '{{ scan.output.summary }}' } }])),
      'step_self_reference',
      '/steps/0/input/repo',
      'its own step',
    );
  });

  it('workflow_cycle: one problem per cycle, named in order, at its first step', () => {
    const problem = onlyProblem(
      workflow([
        { ...scanStep, needs: ['review'] },
        agentStep('review', 'reviewer', { summary: '{{ scan.output.summary }}' }),
      ]),
    );
    expectProblem(problem, 'workflow_cycle', '/steps/0', 'Steps form a cycle: scan → review → scan.');
    const problems = checkWorkflowDefinition(
      workflow([
        agentStep('a', 'scanner', { repo: 'x' }, ['c']),
        agentStep('b', 'scanner', { repo: 'x' }, ['a']),
        agentStep('c', 'scanner', { repo: 'x' }, ['b']),
        agentStep('d', 'scanner', { repo: 'x' }, ['e']),
        agentStep('e', 'scanner', { repo: 'x' }, ['d']),
        agentStep('f', 'scanner', { repo: 'x' }, ['e']),
      ]),
      context,
    );
    expect(problems.map(({ code, pointer, message }) => [code, pointer, message])).toEqual([
      ['workflow_cycle', '/steps/0', 'Steps form a cycle: a → b → c → a.'],
      ['workflow_cycle', '/steps/3', 'Steps form a cycle: d → e → d.'],
    ]);
  });

  it('agent_unknown', () => {
    expectProblem(
      onlyProblem(workflow([{ ...scanStep, agent: 'ghost' }])),
      'agent_unknown',
      '/steps/0/agent',
      '"ghost"',
    );
  });

  it('template_invalid: wraps the parse error, suggesting steps.<id>.output for a short form', () => {
    const problem = onlyProblem(
      workflow([scanStep, agentStep('check', 'compliance', { total: '{{ scna.output.x }}' })]),
    );
    expectProblem(problem, 'template_invalid', '/steps/1/input/total', '{{ steps.<id>.output.… }}');
    expectProblem(
      onlyProblem(
        workflow([{ ...scanStep, input: { repo: 'x', deep: { list: ['{{ run.input.a + 1 }}'] } } }]),
      ),
      'template_invalid',
      '/steps/0/input/deep/list/0',
      'is not a lookup',
    );
  });

  it('template_path_unknown: a path the upstream output schema lacks', () => {
    const check = (template: string) =>
      onlyProblem(workflow([scanStep, agentStep('check', 'compliance', { total: template })]));
    expectProblem(
      check('{{ scan.output.summary.nope }}'),
      'template_path_unknown',
      '/steps/1/input/total',
      'steps.scan.output.summary.nope is not in the output schema of agent "scanner"',
    );
    expect(check('{{ scan.output.summary.total.digits }}').message).toContain('is integer');
    expect(check('{{ scan.output.summary.items[0].nope }}').message).toContain(
      'steps.scan.output.summary.items[0]',
    );
    expect(check('{{ scan.output.pair[2] }}').code).toBe('template_path_unknown');
    expect(check('{{ scan.output.either.b }}').code).toBe('template_path_unknown');
  });

  it('template_path_unknown: an agent without output schema produces text', () => {
    const problem = onlyProblem(
      workflow([
        agentStep('review', 'reviewer', { summary: {} }),
        agentStep('check', 'compliance', { total: '{{ review.output.score }}' }),
      ]),
    );
    expectProblem(
      problem,
      'template_path_unknown',
      '/steps/1/input/total',
      'has no output schema, so its output is text',
    );
  });

  it('knows paths through $ref, items, prefixItems, anyOf and open objects, and never judges http outputs', () => {
    const definition = workflow([
      scanStep,
      { id: 'fetch', kind: 'http', url: 'https://api.example.com/data' },
      agentStep('review', 'reviewer', {
        summary: '{{ fetch.output.any.thing[3] }}',
        note: '{{ scan.output.summary.items[7].title }} {{ scan.output.pair[1] }} {{ scan.output.extra.whatever.deep }} {{ scan.output.either.a }}',
        anything: '{{ scan.output }}',
      }),
    ]);
    expect(checkWorkflowDefinition(definition, context)).toEqual([]);
  });

  it('run_input_path_unknown, only when the workflow has an input schema', () => {
    const steps = [{ ...scanStep, input: { repo: '{{ run.input.repository }}' } }];
    expectProblem(
      onlyProblem(
        workflow(steps, { inputSchema: { type: 'object', properties: { repo: { type: 'string' } } } }),
      ),
      'run_input_path_unknown',
      '/steps/0/input/repo',
      'run.input.repository',
    );
    expect(checkWorkflowDefinition(workflow(steps), context)).toEqual([]);
  });

  it('secret_not_allowed outside http header values', () => {
    expectProblem(
      onlyProblem(workflow([{ ...scanStep, input: { repo: 'x', token: '{{ secrets.GITHUB }}' } }])),
      'secret_not_allowed',
      '/steps/0/input/token',
      'secrets.GITHUB',
    );
    const http = (step: Partial<WorkflowStepDefinition>) =>
      workflow([
        { id: 'notify', kind: 'http', url: 'https://example.com', ...step } as WorkflowStepDefinition,
      ]);
    expectProblem(
      onlyProblem(http({ body: { text: ['{{ secrets.TOKEN }}'] } })),
      'secret_not_allowed',
      '/steps/0/body/text/0',
      'header values',
    );
    expect(onlyProblem(http({ url: 'https://example.com/{{ secrets.TOKEN }}' })).pointer).toBe(
      '/steps/0/url',
    );
    expect(checkWorkflowDefinition(http({ headers: { 'X-Key': '{{ secrets.TOKEN }}' } }), context)).toEqual(
      [],
    );
  });

  it('template_type_mismatch: whole values against the downstream input schema', () => {
    const review = (input: Record<string, unknown>) =>
      workflow([scanStep, agentStep('review', 'reviewer', { summary: {}, ...input })]);
    expectProblem(
      onlyProblem(review({ count: '{{ scan.output.score }}' })),
      'template_type_mismatch',
      '/steps/1/input/count',
      'expects integer, but steps.scan.output.score is number',
    );
    expectProblem(
      onlyProblem(review({ summary: '{{ scan.output.summary.total }}' })),
      'template_type_mismatch',
      '/steps/1/input/summary',
      'expects object',
    );
    expectProblem(
      onlyProblem(review({ count: 'n={{ scan.output.summary.total }}' })),
      'template_type_mismatch',
      '/steps/1/input/count',
      'renders text',
    );
    // integer into integer, ["string","null"] into string, anything into a property without type.
    expect(
      checkWorkflowDefinition(
        review({
          count: '{{ scan.output.summary.total }}',
          label: '{{ scan.output.summary.label }}',
          anything: '{{ scan.output.score }}',
        }),
        context,
      ),
    ).toEqual([]);
  });

  it('template_type_mismatch: integer into number is fine, text output into a number is not', () => {
    const into = (template: string) =>
      workflow([
        scanStep,
        agentStep('review', 'reviewer', { summary: {} }),
        agentStep('check', 'compliance', { total: template }),
      ]);
    expect(checkWorkflowDefinition(into('{{ scan.output.summary.total }}'), context)).toEqual([]);
    expectProblem(
      onlyProblem(into('{{ review.output }}')),
      'template_type_mismatch',
      '/steps/2/input/total',
      'expects number, but steps.review.output is string',
    );
  });

  it('input_field_unknown when the agent input schema is closed', () => {
    expectProblem(
      onlyProblem(workflow([agentStep('review', 'reviewer', { summary: {}, extra: 1 })])),
      'input_field_unknown',
      '/steps/0/input/extra',
      '"extra"',
    );
    expect(checkWorkflowDefinition(workflow([agentStep('c', 'compliance', { other: 1 })]), context)).toEqual(
      [],
    );
  });

  it('input_field_missing for a required field of the agent input schema', () => {
    expectProblem(
      onlyProblem(workflow([agentStep('review', 'reviewer', { note: 'hi' })])),
      'input_field_missing',
      '/steps/0/input',
      '"summary"',
    );
  });

  it('http_url_invalid, placeholders read as x', () => {
    const http = (url: string) => workflow([{ id: 'notify', kind: 'http', url }]);
    expectProblem(
      onlyProblem(http('ftp://example.com/file')),
      'http_url_invalid',
      '/steps/0/url',
      'ftp://example.com/file',
    );
    expect(onlyProblem(http('{{ run.input.url }}')).message).toContain('"x"');
    expect(
      checkWorkflowDefinition(http('https://{{ run.input.host }}/hook?q={{ run.input.q }}'), context),
    ).toEqual([]);
  });

  it('template_too_deep instead of recursing without bound', () => {
    let deep: unknown = 'x';
    for (let level = 0; level < 70; level++) deep = { next: deep };
    const problem = onlyProblem(workflow([{ ...scanStep, input: { repo: 'x', deep } }]));
    expect(problem.code).toBe('template_too_deep');
    expect(problem.pointer.startsWith('/steps/0/input/deep/next')).toBe(true);
  });

  it('reports everything in definition order, and never throws on odd shapes', () => {
    const problems = checkWorkflowDefinition(
      workflow([
        agentStep('scan', 'ghost', { repo: '{{ steps.x.output }}' }, ['nope']),
        { ...scanStep, id: 'scan' },
        { id: 'notify', kind: 'http', url: 'mailto:a@b.c' },
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
      index === 0
        ? scanStep
        : agentStep(`s${index}`, 'scanner', {
            repo: `{{ ${index === 1 ? 'scan' : `s${index - 1}`}.output.summary.label }}`,
          }),
    );
    const started = performance.now();
    expect(checkWorkflowDefinition(workflow(steps), context)).toEqual([]);
    expect(topologicalOrder(workflow(steps))).toHaveLength(200);
    expect(performance.now() - started).toBeLessThan(1_000);
  });
});
