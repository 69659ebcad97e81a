import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FlightdeckError } from '../errors.ts';
import {
  collectReferences,
  formatReference,
  parseWorkflowTemplate,
  renderWorkflowValue,
  type WorkflowRenderContext,
} from './workflow-template.ts';

const stepIds: ReadonlySet<string> = new Set(['scan', 'review']);
const context: WorkflowRenderContext = {
  runInput: { repo: 'acme/api', limit: 5, tags: ['a', 'b'] },
  stepOutputs: {
    scan: { summary: { total: 3, severe: false, items: [{ title: 'xss' }] }, findings: ['one', 'two'] },
    review: 'Looks fine.',
  },
  secrets: { SLACK_TOKEN: 'xoxb-1' },
};

function thrown(run: () => unknown): FlightdeckError {
  try {
    run();
  } catch (error) {
    if (FlightdeckError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a FlightdeckError');
}

describe('parseWorkflowTemplate', () => {
  it('parses run, step, short-form and secret references, with or without spaces', () => {
    const parsed = parseWorkflowTemplate(
      'Repo {{run.input.repo}}: {{ steps.scan.output.summary.total }} / {{ scan.output.findings[1] }} {{ secrets.SLACK_TOKEN }}',
      stepIds,
    );
    expect(parsed.whole).toBe(false);
    expect(parsed.references).toEqual([
      { scope: 'run', path: ['repo'], source: 'run.input.repo' },
      {
        scope: 'step',
        stepId: 'scan',
        path: ['summary', 'total'],
        source: 'steps.scan.output.summary.total',
      },
      { scope: 'step', stepId: 'scan', path: ['findings', '1'], source: 'scan.output.findings[1]' },
      { scope: 'secret', name: 'SLACK_TOKEN', source: 'secrets.SLACK_TOKEN' },
    ]);
    expect(parsed.parts[0]).toBe('Repo ');
  });

  it('marks a string that is exactly one placeholder, surrounding whitespace allowed, as whole', () => {
    expect(parseWorkflowTemplate('  {{ scan.output }} ', stepIds).whole).toBe(true);
    expect(parseWorkflowTemplate('{{ scan.output }}{{ review.output }}', stepIds).whole).toBe(false);
    expect(parseWorkflowTemplate('no templates', stepIds)).toEqual({
      parts: ['no templates'],
      whole: false,
      references: [],
    });
  });

  it.each(['__proto__', 'constructor', 'prototype'])('refuses the segment %s', (segment) => {
    for (const text of [
      `{{ run.input.${segment} }}`,
      `{{ steps.scan.output.a.${segment}.b }}`,
      `{{ scan.output.${segment} }}`,
      `{{ steps.${segment}.output }}`,
    ]) {
      const error = thrown(() => parseWorkflowTemplate(text, stepIds));
      expect(error.code).toBe('template_invalid');
      expect(error.message).toContain(`uses "${segment}"`);
      expect(error.message).toContain(text);
    }
  });

  it('refuses unclosed and nested placeholders, expressions and malformed roots, naming the placeholder', () => {
    const cases: Array<[string, string]> = [
      ['Hello {{ run.input.repo', 'unclosed or nested'],
      ['{{ run.input.{{ x }} }}', 'unclosed or nested'],
      ['{{ run.input.a + 1 }}', 'is not a lookup'],
      ['{{ run.input.a | upper }}', 'is not a lookup'],
      ['{{ }}', 'is not a lookup'],
      ['{{ run.repo }}', 'run.input.field'],
      ['{{ steps.scan }}', 'steps.<id>.output'],
      ['{{ secrets.A.B }}', 'secrets.NAME'],
      ['{{ scan.summary }}', 'scan.output.field'],
    ];
    for (const [text, fragment] of cases) {
      const error = thrown(() => parseWorkflowTemplate(text, stepIds));
      expect(error.code, text).toBe('template_invalid');
      expect(error.message, text).toContain(fragment);
    }
  });

  it('rejects a short form whose first segment is no step, suggesting steps.<id>.output', () => {
    const error = thrown(() => parseWorkflowTemplate('{{ scna.output.total }}', stepIds));
    expect(error.code).toBe('template_invalid');
    expect(error.message).toContain('"{{ scna.output.total }}"');
    expect(error.message).toContain('{{ steps.<id>.output.… }}');
    expect(thrown(() => parseWorkflowTemplate('{{ input.repo }}', stepIds)).message).toContain(
      'For the run input write {{ run.input.… }}',
    );
  });

  it('leaves an unknown step in the long form to the check', () => {
    expect(parseWorkflowTemplate('{{ steps.nope.output.x }}', stepIds).references[0]).toMatchObject({
      scope: 'step',
      stepId: 'nope',
    });
  });
});

describe('formatReference', () => {
  it('writes references the way users do, short forms expanded', () => {
    const [short, run, secret] = parseWorkflowTemplate(
      '{{ scan.output.items[0].title }} {{ run.input }} {{ secrets.KEY }}',
      stepIds,
    ).references;
    expect(short && formatReference(short)).toBe('steps.scan.output.items[0].title');
    expect(run && formatReference(run)).toBe('run.input');
    expect(secret && formatReference(secret)).toBe('secrets.KEY');
  });
});

describe('collectReferences', () => {
  it('finds references in nested objects and arrays with their JSON pointers', () => {
    const found = collectReferences(
      { title: '{{ run.input.repo }}', summary: ['plain', 'n={{ scan.output.summary.total }}'], 'a/b': 7 },
      stepIds,
    );
    expect(
      found.map(({ pointer, whole, reference }) => [pointer, whole, formatReference(reference)]),
    ).toEqual([
      ['/title', true, 'run.input.repo'],
      ['/summary/1', false, 'steps.scan.output.summary.total'],
    ]);
    expect(collectReferences('{{ review.output }}', stepIds)[0]?.pointer).toBe('');
  });
});

describe('renderWorkflowValue', () => {
  it('keeps the type of a whole-value template: number, object, array, boolean', () => {
    const rendered = renderWorkflowValue(
      {
        total: '{{ scan.output.summary.total }}',
        summary: ' {{ steps.scan.output.summary }} ',
        findings: '{{ scan.output.findings }}',
        severe: '{{ scan.output.summary.severe }}',
        limit: '{{ run.input.limit }}',
      },
      stepIds,
      context,
    );
    expect(rendered).toEqual({
      total: 3,
      summary: { total: 3, severe: false, items: [{ title: 'xss' }] },
      findings: ['one', 'two'],
      severe: false,
      limit: 5,
    });
  });

  it('renders templates inside text: strings as they are, other values as JSON', () => {
    expect(
      renderWorkflowValue(
        'Repo {{ run.input.repo }} has {{ scan.output.summary.total }} findings: {{ scan.output.findings }}; {{ review.output }} {{ scan.output.summary.items[0] }}',
        stepIds,
        context,
      ),
    ).toBe('Repo acme/api has 3 findings: ["one","two"]; Looks fine. {"title":"xss"}');
  });

  it('renders secrets, and refuses them when the run has none or not that one', () => {
    expect(
      renderWorkflowValue({ Authorization: 'Bearer {{ secrets.SLACK_TOKEN }}' }, stepIds, context),
    ).toEqual({
      Authorization: 'Bearer xoxb-1',
    });
    const error = thrown(() => renderWorkflowValue('{{ secrets.OTHER }}', stepIds, context));
    expect(error.code).toBe('secret_not_found');
    expect(error.message).toContain('OTHER');
    const { secrets: _none, ...withoutSecrets } = context;
    expect(thrown(() => renderWorkflowValue('{{ secrets.SLACK_TOKEN }}', stepIds, withoutSecrets)).code).toBe(
      'secret_not_found',
    );
  });

  it('reports a missing path with the formatted path, short form expanded', () => {
    const error = thrown(() =>
      renderWorkflowValue({ n: '{{ scan.output.summary.nope }}' }, stepIds, context),
    );
    expect(error.code).toBe('template_variable_missing');
    expect(error.message).toContain('steps.scan.output.summary.nope');
    expect(error.details).toEqual({ path: 'steps.scan.output.summary.nope' });
    expect(thrown(() => renderWorkflowValue('{{ run.input.tags[5] }}', stepIds, context)).details).toEqual({
      path: 'run.input.tags[5]',
    });
    expect(thrown(() => renderWorkflowValue('{{ steps.other.output }}', stepIds, context)).details).toEqual({
      path: 'steps.other.output',
    });
  });

  it('never reaches the prototype: toString, hasOwnProperty and length are missing', () => {
    for (const text of [
      '{{ run.input.toString }}',
      '{{ run.input.hasOwnProperty }}',
      '{{ run.input.tags.length }}',
      '{{ run.input.repo.length }}',
      '{{ steps.toString.output }}',
    ]) {
      expect(thrown(() => renderWorkflowValue(text, stepIds, context)).code, text).toBe(
        'template_variable_missing',
      );
    }
  });

  it('keeps object keys in their original order', () => {
    const rendered = renderWorkflowValue(
      { zeta: '{{ run.input.repo }}', b: 1, alpha: { z: 1, a: '{{ run.input.limit }}' } },
      stepIds,
      context,
    );
    expect(Object.keys(rendered as object)).toEqual(['zeta', 'b', 'alpha']);
    expect(Object.keys((rendered as { alpha: object }).alpha)).toEqual(['z', 'a']);
  });

  it('keeps an own __proto__ key as data instead of setting the prototype', () => {
    const value = JSON.parse('{"__proto__": {"polluted": "{{ run.input.repo }}"}}') as unknown;
    const rendered = renderWorkflowValue(value, stepIds, context) as Record<string, unknown>;
    expect(Object.getPrototypeOf(rendered)).toBe(Object.prototype);
    expect(Object.hasOwn(rendered, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses values nested deeper than 64 levels', () => {
    let deep: unknown = 'x';
    for (let level = 0; level < 70; level++) deep = [deep];
    expect(thrown(() => renderWorkflowValue(deep, stepIds, context)).code).toBe('template_too_deep');
    expect(thrown(() => collectReferences(deep, stepIds)).code).toBe('template_too_deep');
  });

  it('renders large values in linear time', () => {
    const big = Array.from({ length: 20_000 }, (_, index) => ({ n: index, text: 'r={{ run.input.repo }}!' }));
    const started = performance.now();
    const rendered = renderWorkflowValue(big, stepIds, context) as Array<{ text: string }>;
    expect(rendered[19_999]?.text).toBe('r=acme/api!');
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it('returns a deep-equal copy of any JSON value without templates', () => {
    const noTemplates = fc.jsonValue().filter((value) => !JSON.stringify(value).includes('{{'));
    fc.assert(
      fc.property(noTemplates, (value) => {
        const rendered = renderWorkflowValue(value, stepIds, context);
        expect(rendered).toStrictEqual(value);
        if (typeof value === 'object' && value !== null) expect(rendered).not.toBe(value);
      }),
    );
  });
});
