import { describe, expect, it } from 'vitest';
import type { WorkflowDefinition, WorkflowStepDefinition } from './workflow-definition.ts';
import { dependenciesOf, finalSteps, findCycles, topologicalOrder } from './workflow-graph.ts';

function workflow(steps: WorkflowStepDefinition[]): WorkflowDefinition {
  return {
    ...{ slug: 'flow', name: 'Flow', description: '', inputSchema: null, approvalStrategy: 'none' },
    ...{ riskRule: null, costCapUsd: null, triggers: { webhook: false, schedule: null, timezone: null } },
    steps,
  };
}

function step(id: string, input: Record<string, unknown> = {}, needs?: string[]): WorkflowStepDefinition {
  return { id, kind: 'agent', agent: 'writer', input, ...(needs ? { needs } : {}) };
}

describe('dependenciesOf', () => {
  it('joins needs and template references, deduplicated, in definition order', () => {
    const definition = workflow([
      step('a'),
      step('b'),
      step('c', { x: '{{ b.output }} {{ steps.a.output.y }} {{ b.output.z }}' }, ['b']),
      {
        id: 'd',
        kind: 'http',
        url: 'https://x.example/{{ c.output.id }}',
        headers: { k: '{{ secrets.K }}' },
      },
    ]);
    expect(dependenciesOf(definition)).toEqual(
      new Map([
        ['a', []],
        ['b', []],
        ['c', ['a', 'b']],
        ['d', ['c']],
      ]),
    );
  });

  it('leaves out unknown steps, the step itself and bad templates', () => {
    const definition = workflow([
      step('a', { x: '{{ a.output }}', y: '{{ nope.output }}', z: '{{' }, ['ghost', 'a']),
    ]);
    expect(dependenciesOf(definition)).toEqual(new Map([['a', []]]));
  });
});

describe('topologicalOrder and finalSteps', () => {
  it('puts every step after its dependencies, definition order among equals', () => {
    const definition = workflow([
      step('notify', { text: '{{ review.output }} {{ compliance.output }}' }),
      step('review', { s: '{{ scan.output }}' }),
      step('compliance', { s: '{{ scan.output }}' }),
      step('scan'),
    ]);
    expect(topologicalOrder(definition)).toEqual(['scan', 'review', 'compliance', 'notify']);
    expect(finalSteps(definition)).toEqual(['notify']);
    const independent = workflow([step('b'), step('a')]);
    expect(topologicalOrder(independent)).toEqual(['b', 'a']);
    expect(finalSteps(independent)).toEqual(['b', 'a']);
  });

  it('leaves out steps on or after a cycle', () => {
    const definition = workflow([
      step('a'),
      step('b', {}, ['c']),
      step('c', {}, ['b']),
      step('d', {}, ['c']),
    ]);
    expect(topologicalOrder(definition)).toEqual(['a']);
  });

  it('orders a 200-step chain defined backwards', () => {
    const steps = Array.from({ length: 200 }, (_, index) =>
      step(`s${index}`, {}, index === 199 ? undefined : [`s${index + 1}`]),
    );
    const order = topologicalOrder(workflow(steps));
    expect(order[0]).toBe('s199');
    expect(order[199]).toBe('s0');
  });
});

describe('findCycles', () => {
  it('gives one cycle per group, in data-flow order from its earliest step, groups in definition order', () => {
    const definition = workflow([
      step('a', {}, ['c']),
      step('b', {}, ['a']),
      step('c', {}, ['b']),
      step('d', {}, ['e']),
      step('e', {}, ['d']),
      step('f', {}, ['e']),
    ]);
    expect(findCycles(dependenciesOf(definition))).toEqual([
      ['a', 'b', 'c', 'a'],
      ['d', 'e', 'd'],
    ]);
  });

  it('names the shortest way back when a group holds several cycles', () => {
    const definition = workflow([step('a', {}, ['c', 'b']), step('b', {}, ['a']), step('c', {}, ['b'])]);
    expect(findCycles(dependenciesOf(definition))).toEqual([['a', 'b', 'a']]);
  });
});
