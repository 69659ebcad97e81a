import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, runCli } from '../support/cli-process.ts';
import { createWorkspaceFixture, type WorkspaceFixture } from '../support/identity-fixture.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

const agentYaml = `kind: agent
slug: reviewer
name: Reviewer
provider: mock
model: mock-model
promptTemplate: "Review {{ input.repo }}"
outputSchema:
  type: object
  properties:
    verdict: { type: string }
  required: [verdict]
`;
const workflowYaml = `kind: workflow
slug: gated-review
name: Gated review
steps:
  - id: review
    agent: reviewer
    input:
      repo: "{{ run.input.repo }}"
    approval: required
  - id: summary
    agent: reviewer
    input:
      repo: "{{ review.output.verdict }}"
`;

describe('the flightdeck CLI against a real server', () => {
  let testApp: TestApp;
  let fixture: WorkspaceFixture;
  let url: string;
  let folder: string;
  let environment: Record<string, string>;

  beforeAll(async () => {
    testApp = await createTestApp({ workflows: { workers: 2 } });
    fixture = await createWorkspaceFixture(testApp.services, 'remote-cli');
    await testApp.app.listen({ port: 0, host: '127.0.0.1' });
    url = `http://127.0.0.1:${(testApp.app.server.address() as AddressInfo).port}`;
    folder = await mkdtemp(join(tmpdir(), 'flightdeck-cli-'));
    environment = { FLIGHTDECK_CONFIG_DIR: `${folder}-config` };
    await writeFile(join(folder, 'agents.yaml'), agentYaml);
    await writeFile(join(folder, 'workflow.yaml'), workflowYaml);
  });
  afterAll(async () => {
    await testApp.close();
    await rm(folder, { recursive: true, force: true });
    await rm(`${folder}-config`, { recursive: true, force: true });
  });

  const cli = async (args: string[], extra: Record<string, string> = {}) => {
    const process = runCli(args, { ...environment, ...extra });
    const { code } = await process.exited;
    return { code, output: process.output() };
  };
  const json = (output: string) => JSON.parse(output.slice(output.search(/[[{]/)));

  it('logs in, applies definitions idempotently, runs with --wait, approves from the CLI', async () => {
    const token = (fixture.tokens.owner as { token: string }).token;
    const login = await cli(['login', '--url', url, '--token', token]);
    expect(login.code, login.output).toBe(0);
    const profile = join(environment.FLIGHTDECK_CONFIG_DIR ?? '', 'profile.json');
    expect((await stat(profile)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(profile, 'utf8')).url).toBe(url);

    const first = await cli(['apply', '-f', folder, '--json']);
    expect(first.code, first.output).toBe(0);
    expect(
      json(first.output).map((change: { slug: string; change: string }) => `${change.slug} ${change.change}`),
    ).toEqual(['reviewer created', 'gated-review created']);
    const second = await cli(['apply', '-f', folder, '--json']);
    expect(json(second.output).map((change: { change: string }) => change.change)).toEqual([
      'unchanged',
      'unchanged',
    ]);

    // Exported, the workflow applies back unchanged (the file round-trips).
    const exported = await cli(['workflows', 'export', 'gated-review']);
    expect(exported.code).toBe(0);
    await writeFile(join(folder, 'exported.yaml'), exported.output);
    const again = await cli(['apply', '-f', join(folder, 'exported.yaml'), '--json']);
    expect(json(again.output)[0].change).toBe('unchanged');

    const waiting = runCli(
      [
        'workflows',
        'run',
        'gated-review',
        '--input',
        '{"repo":"acme/api"}',
        '--mode',
        'mock',
        '--wait',
        '--json',
      ],
      environment,
    );
    await waiting.waitFor('waiting for approval', 30_000);
    const pending = await cli(['approvals', 'list', '--json']);
    const [approval] = json(pending.output) as Array<{ id: string; stepId: string }>;
    expect(approval?.stepId).toBe('review');
    const approved = await cli(['approvals', 'approve', approval?.id ?? '', '--comment', 'ship it']);
    expect(approved.code).toBe(0);
    const { code } = await waiting.exited;
    expect(code).toBe(0);
    const run = json(waiting.output());
    expect(run.status).toBe('completed');
    expect(run.steps.map((step: { status: string }) => step.status)).toEqual(['completed', 'completed']);
  }, 90_000);

  it('exits 1 for a failed run, 2 for a usage error, 3 for a server it cannot reach', async () => {
    const token = (fixture.tokens.owner as { token: string }).token;
    const started = await cli([
      'workflows',
      'run',
      'gated-review',
      '--input',
      '{"repo":"r"}',
      '--mode',
      'mock',
      '--json',
    ]);
    const runId = json(started.output).id as string;
    const watch = runCli(['runs', 'watch', runId], environment);
    await watch.waitFor('approval-request', 30_000);
    const pending = json((await cli(['approvals', 'list', '--run', runId, '--json'])).output) as Array<{
      id: string;
    }>;
    expect((await cli(['approvals', 'reject', pending[0]?.id ?? '', '--feedback', 'no'])).code).toBe(0);
    expect((await watch.exited).code).toBe(1);
    expect(watch.output()).toContain('run-end');

    expect((await cli(['workflows', 'run'])).code).toBe(2);
    expect((await cli(['runs', 'list', '--no-such-flag'])).code).toBe(2);
    await writeFile(join(folder, 'broken.yaml'), 'kind: [unclosed');
    expect((await cli(['apply', '-f', join(folder, 'broken.yaml')])).code).toBe(2);
    const notFound = await cli(['workflows', 'get', 'no-such-workflow']);
    expect(notFound.code).toBe(2);
    expect(notFound.output).toContain('workflow_not_found');

    const closedPort = await freePort();
    const unreachable = await cli(['runs', 'list'], {
      FLIGHTDECK_URL: `http://127.0.0.1:${closedPort}`,
      FLIGHTDECK_TOKEN: token,
    });
    expect(unreachable.code).toBe(3);
    expect(unreachable.output).toContain('Cannot reach');
  }, 90_000);
});
