import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeProvider, startFakeProvider } from '../../src/llm/fake-provider/index.ts';
import { apiClient } from '../executions/execution-test-kit.ts';
import { runCli } from '../support/cli-process.ts';
import { createWorkspaceFixture, type WorkspaceFixture } from '../support/identity-fixture.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';
import { workflowClient } from '../workflows/workflow-kit.ts';

const verdictOutput = {
  type: 'object',
  properties: { verdict: { type: 'string' }, score: { type: 'number' } },
  required: ['verdict', 'score'],
  additionalProperties: false,
};

describe('flightdeck … --replay against a real server', () => {
  let testApp: TestApp;
  let fake: FakeProvider;
  let fixture: WorkspaceFixture;
  let environment: Record<string, string>;
  let folder: string;

  beforeAll(async () => {
    testApp = await createTestApp({ workflows: { workers: 2 } });
    fake = await startFakeProvider();
    fixture = await createWorkspaceFixture(testApp.services, 'replay-cli');
    await apiClient(testApp, fixture).addFakeKey(fake);
    await testApp.app.listen({ port: 0, host: '127.0.0.1' });
    folder = await mkdtemp(join(tmpdir(), 'flightdeck-replay-cli-'));
    environment = {
      FLIGHTDECK_CONFIG_DIR: folder,
      FLIGHTDECK_URL: `http://127.0.0.1:${(testApp.app.server.address() as AddressInfo).port}`,
      FLIGHTDECK_TOKEN: (fixture.tokens.owner as { token: string }).token,
    };
  });
  afterAll(async () => {
    await testApp.close();
    await fake.close().catch(() => undefined);
    await rm(folder, { recursive: true, force: true });
  });

  const cli = async (args: string[]) => {
    const process = runCli(args, environment);
    const { code } = await process.exited;
    return { code, output: process.output() };
  };
  /** The printed JSON document, without the progress or error lines around it. */
  const json = (output: string) => {
    const body = output.slice(output.search(/[[{]/));
    return JSON.parse(body.slice(0, body.lastIndexOf('\n}') + 2));
  };

  it('records a run and an execution live, then replays both with the provider stopped', async () => {
    const api = apiClient(testApp, fixture);
    const judge = await api.createAgent({
      name: 'Judge',
      provider: 'openai',
      model: 'gpt-4o-mini',
      promptTemplate: 'Judge {{ input.repo }}',
      outputSchema: verdictOutput,
    });
    const workflow = await workflowClient(testApp.app, fixture).createWorkflow({
      name: 'Judged',
      steps: [
        { id: 'first', agent: judge.slug, input: { repo: '{{ run.input.repo }}' } },
        { id: 'second', agent: judge.slug, input: { repo: 'again {{ first.output.verdict }}' } },
      ],
    });

    const recorded = await cli([
      'workflows',
      'run',
      workflow.slug,
      '--input',
      '{"repo":"acme/api"}',
      '--record',
      '--wait',
      '--json',
    ]);
    expect(recorded.code, recorded.output).toBe(0);
    const live = json(recorded.output);
    expect(live).toMatchObject({ status: 'completed', record: true });
    const execution = await cli([
      'agents',
      'run',
      judge.slug,
      '--input',
      '{"repo":"acme/web"}',
      '--record',
      '--json',
    ]);
    expect(execution.code, execution.output).toBe(0);
    const liveExecution = json(execution.output);
    const providerCalls = fake.calls.length;
    expect(providerCalls).toBe(3);
    await fake.close();

    const replayed = await cli(['workflows', 'run', workflow.slug, '--replay', live.id, '--wait', '--json']);
    expect(replayed.code, replayed.output).toBe(0);
    const replay = json(replayed.output);
    expect(replay).toMatchObject({ status: 'completed', mode: 'replay', replayOf: live.id, costUsd: 0 });
    expect(replay.output).toEqual(live.output);
    expect(replay.steps.map((step: { output: unknown }) => step.output)).toEqual(
      live.steps.map((step: { output: unknown }) => step.output),
    );

    const again = await cli(['agents', 'run', judge.slug, '--replay', liveExecution.id, '--json']);
    expect(again.code, again.output).toBe(0);
    expect(json(again.output)).toMatchObject({
      mode: 'replay',
      replayOf: liveExecution.id,
      output: liveExecution.output,
      costUsd: 0,
    });

    // Another input than the recorded one: a failed run (exit 1) that says what differs.
    const changed = await cli([
      'agents',
      'run',
      judge.slug,
      '--replay',
      liveExecution.id,
      '--input',
      '{"repo":"acme/other"}',
      '--json',
    ]);
    expect(changed.code).toBe(1);
    expect(json(changed.output).error).toMatchObject({
      code: 'replay_mismatch',
      details: { differences: [{ path: 'messages[0].content' }] },
    });
    expect(fake.calls).toHaveLength(providerCalls);

    expect((await cli(['workflows', 'run', workflow.slug, '--replay', 'no-such-run', '--wait'])).code).toBe(
      2,
    );
    expect((await cli(['agents', 'run', judge.slug, '--replay', liveExecution.id, '--record'])).code).toBe(2);
  }, 180_000);
});
