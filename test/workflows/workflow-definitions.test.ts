import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient } from '../executions/execution-test-kit.ts';
import { createWorkspaceFixture, type WorkspaceFixture } from '../support/identity-fixture.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';
import { workflowClient } from './workflow-kit.ts';

const scanOutput = {
  type: 'object',
  properties: {
    summary: {
      type: 'object',
      properties: { total: { type: 'integer' } },
      required: ['total'],
      additionalProperties: false,
    },
    note: { type: 'string' },
  },
  required: ['summary', 'note'],
  additionalProperties: false,
};

describe('workflow definitions through the API', () => {
  let testApp: TestApp;
  let fixture: WorkspaceFixture;
  let flows: ReturnType<typeof workflowClient>;
  let scanSlug: string;
  let checkSlug: string;

  beforeAll(async () => {
    testApp = await createTestApp({ workflows: { workers: 2 } });
    fixture = await createWorkspaceFixture(testApp.services, 'workflow-definitions');
    flows = workflowClient(testApp.app, fixture);
    const api = apiClient(testApp, fixture);
    scanSlug = (
      await api.createAgent({ name: 'Scan', provider: 'mock', model: 'mock-model', outputSchema: scanOutput })
    ).slug;
    checkSlug = (
      await api.createAgent({
        name: 'Check',
        provider: 'mock',
        model: 'mock-model',
        inputSchema: {
          type: 'object',
          properties: { total: { type: 'integer' } },
          required: ['total'],
          additionalProperties: false,
        },
      })
    ).slug;
  });
  afterAll(() => testApp.close());

  it('refuses a definition with every problem named by pointer and code, and saves nothing', async () => {
    const body = {
      name: 'Broken',
      inputSchema: { type: 'object', properties: { repo: { type: 'string' } }, additionalProperties: false },
      steps: [
        { id: 'scan', agent: scanSlug, input: { repo: '{{ run.input.nope }}' } },
        { id: 'scan', agent: scanSlug, input: {} },
        { id: 'check', agent: checkSlug, input: { total: '{{ scan.output.note }}' } },
        { id: 'ghost', agent: 'no-such-agent', input: {}, needs: ['missing'] },
        { id: 'a', agent: checkSlug, input: { total: '{{ b.output }}' } },
        { id: 'b', agent: checkSlug, input: { total: '{{ a.output }}' } },
        { id: 'deep', agent: checkSlug, input: { total: '{{ steps.scan.output.summary.nope }}' } },
      ],
    };
    const response = await flows.request('POST', '/workflows', body);
    expect(response.statusCode).toBe(400);
    const error = response.json().error;
    expect(error.code).toBe('workflow_invalid');
    const found = (error.details as Array<{ pointer: string; code: string }>).map(
      (problem) => `${problem.code} ${problem.pointer}`,
    );
    expect(found).toEqual(
      expect.arrayContaining([
        'run_input_path_unknown /steps/0/input/repo',
        'step_id_duplicate /steps/1/id',
        'template_type_mismatch /steps/2/input/total',
        'agent_unknown /steps/3/agent',
        'step_unknown /steps/3/needs/0',
        'template_path_unknown /steps/6/input/total',
      ]),
    );
    expect(found.some((entry) => entry.startsWith('workflow_cycle'))).toBe(true);
    const cycle = (error.details as Array<{ code: string; message: string }>).find(
      (problem) => problem.code === 'workflow_cycle',
    );
    expect(cycle?.message).toMatch(/a → b → a|b → a → b/);
    expect((await flows.request('GET', '/workflows')).json().items).toHaveLength(0);

    // The same check without saving, for the builder.
    const validated = await flows.request('POST', '/workflows/validate', body);
    expect(validated.statusCode).toBe(200);
    expect(validated.json().valid).toBe(false);
    expect(validated.json().problems).toEqual(error.details);
  });

  it('refuses templates that reach the prototype, and a bad schedule', async () => {
    for (const template of [
      '{{ run.input.__proto__ }}',
      '{{ scan.output.constructor }}',
      '{{ run.input.a.prototype }}',
    ]) {
      const response = await flows.request('POST', '/workflows/validate', {
        name: 'Proto',
        steps: [
          { id: 'scan', agent: scanSlug, input: {} },
          { id: 'check', agent: checkSlug, input: { total: template } },
        ],
      });
      expect(response.json().problems.map((problem: { code: string }) => problem.code)).toContain(
        'template_invalid',
      );
    }
    const schedule = await flows.request('POST', '/workflows/validate', {
      name: 'Cron',
      triggers: { schedule: 'every tuesday' },
      steps: [{ id: 'scan', agent: scanSlug, input: {} }],
    });
    expect(schedule.json().problems).toEqual([
      expect.objectContaining({ pointer: '/triggers/schedule', code: 'schedule_invalid' }),
    ]);
  });

  it('keeps what the user typed: key order of schemas and inputs, and a new version per change', async () => {
    const created = await flows.createWorkflow({
      name: 'Order kept',
      inputSchema: {
        type: 'object',
        properties: { zeta_long_name: { type: 'string' }, b: { type: 'string' }, alpha: { type: 'string' } },
      },
      steps: [
        {
          id: 'scan',
          agent: scanSlug,
          input: { zeta: '{{ run.input.zeta_long_name }}', b: 'literal', alpha: { y: 1, x: 2 } },
        },
      ],
    });
    expect(created.slug).toBe('order-kept');
    const read = await flows.request('GET', `/workflows/${created.slug}`);
    const text = read.body;
    expect(text.indexOf('zeta_long_name')).toBeLessThan(text.indexOf('"b"'));
    expect(text.indexOf('"b"')).toBeLessThan(text.indexOf('"alpha"'));
    expect(Object.keys(read.json().steps[0].input)).toEqual(['zeta', 'b', 'alpha']);
    expect(Object.keys(read.json().steps[0].input.alpha)).toEqual(['y', 'x']);

    const run = await flows.startRun(created.id, { input: { zeta_long_name: 'z' }, mode: 'mock' });
    const patched = await flows.request('PATCH', `/workflows/${created.id}`, { description: 'second' });
    expect(patched.json().version).toBe(2);
    const unchanged = await flows.request('PATCH', `/workflows/${created.id}`, { description: 'second' });
    expect(unchanged.json().version).toBe(2);
    const versions = (await flows.request('GET', `/workflows/${created.id}/versions`)).json();
    expect(versions.items.map((version: { number: number }) => version.number)).toEqual([2, 1]);
    // The run pinned the version it started on.
    const finished = await flows.waitForRun(run.id);
    expect((finished as unknown as { workflowVersion: number }).workflowVersion).toBe(1);

    const slugTaken = await flows.request('POST', '/workflows', {
      name: 'Order kept',
      steps: [{ id: 'scan', agent: scanSlug }],
    });
    expect(slugTaken.statusCode).toBe(409);
    expect(slugTaken.json().error.code).toBe('workflow_slug_taken');

    expect((await flows.request('DELETE', `/workflows/${created.id}`)).statusCode).toBe(204);
    expect((await flows.request('GET', `/workflows/${created.id}`)).statusCode).toBe(404);
    // Its runs stay readable.
    expect((await flows.request('GET', `/runs/${run.id}`)).statusCode).toBe(200);
  });

  it('answers 400 naming the field for unknown fields and bad step shapes', async () => {
    const unknownField = await flows.request('POST', '/workflows', {
      name: 'Extra',
      steps: [{ id: 'scan', agent: scanSlug, colour: 'red' }],
    });
    expect(unknownField.statusCode).toBe(400);
    expect(unknownField.body).toContain('colour');
    const badKind = await flows.request('POST', '/workflows', {
      name: 'Kind',
      steps: [{ id: 'scan', kind: 'shell', command: 'rm -rf /' }],
    });
    expect(badKind.statusCode).toBe(400);
  });

  it('lets viewers read but not write, and hides workflows from other workspaces', async () => {
    const created = await flows.createWorkflow({ name: 'Visible', steps: [{ id: 'scan', agent: scanSlug }] });
    const viewer = workflowClient(testApp.app, fixture, fixture.tokens.viewer);
    expect((await viewer.request('GET', `/workflows/${created.id}`)).statusCode).toBe(200);
    expect((await viewer.request('PATCH', `/workflows/${created.id}`, { description: 'x' })).statusCode).toBe(
      403,
    );
    expect((await viewer.request('POST', `/workflows/${created.id}/runs`, { input: {} })).statusCode).toBe(
      403,
    );
    const other = await createWorkspaceFixture(testApp.services, 'workflow-definitions-other');
    const stranger = workflowClient(testApp.app, other);
    expect((await stranger.request('GET', `/workflows/${created.id}`)).statusCode).toBe(404);
    expect((await stranger.request('POST', `/workflows/${created.id}/runs`, { input: {} })).statusCode).toBe(
      404,
    );
  });
});
