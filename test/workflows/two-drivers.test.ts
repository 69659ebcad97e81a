import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FlightdeckError } from '../../src/core/errors.ts';
import { type FakeProvider, startFakeProvider } from '../../src/llm/fake-provider/index.ts';
import { createKeyring } from '../../src/security/keyring.ts';
import { makeMasterKey } from '../../src/security/keyring-master-keys.ts';
import { createPasswordHasher } from '../../src/security/password-hashing.ts';
import { parseAllowedHosts } from '../../src/security/ssrf-guard.ts';
import { createServices, type Services } from '../../src/services/create-services.ts';
import { apiClient } from '../executions/execution-test-kit.ts';
import { createWorkspaceFixture, type WorkspaceFixture } from '../support/identity-fixture.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';
import { workflowClient } from './workflow-kit.ts';

/**
 * A lease lost while its worker lives: pg-boss has handed the run to another worker, but the old
 * one has not noticed yet (it learns at its next heartbeat). Two engines of two "nodes" drive the
 * same run at once, straight through `drive`, with the timings drawn by fast-check.
 */

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const callMs = 80;

describe('two drivers on one run', () => {
  let testApp: TestApp;
  let other: Services;
  let fake: FakeProvider;
  let fixture: WorkspaceFixture;
  let flows: ReturnType<typeof workflowClient>;
  let workflowId: string;

  beforeAll(async () => {
    // Both nodes share the master key, as scaled-out nodes must.
    const keyring = createKeyring([makeMasterKey('shared', randomBytes(32))]);
    testApp = await createTestApp({ keyring, workflows: { workers: 0 } });
    other = createServices({
      store: testApp.store,
      publicUrl: 'http://127.0.0.1:3000',
      keyring,
      passwordHasher: createPasswordHasher({ cost: 2 ** 10 }),
      allowedProviderHosts: parseAllowedHosts('127.0.0.1,localhost'),
    });
    fake = await startFakeProvider();
    fixture = await createWorkspaceFixture(testApp.services, 'drivers');
    const api = apiClient(testApp, fixture);
    flows = workflowClient(testApp.app, fixture);
    await api.addFakeKey(fake);
    const agent = await api.createAgent({
      name: 'Driven step',
      provider: 'openai',
      model: `fault:hang;ms=${callMs}`,
      promptTemplate: 'Run {{ input.tag }} step {{ input.step }} after {{ input.after }}',
      inputSchema: {
        type: 'object',
        properties: { tag: { type: 'string' }, step: { type: 'string' }, after: { type: 'string' } },
        required: ['tag', 'step', 'after'],
      },
      outputSchema: {
        type: 'object',
        properties: { token: { type: 'string' } },
        required: ['token'],
        additionalProperties: false,
      },
      retry: { maxAttempts: 1 },
    });
    const input = (step: string, after: string) => ({ tag: '{{ run.input.tag }}', step, after });
    workflowId = (
      await flows.createWorkflow({
        name: 'Two drivers',
        steps: [
          { id: 'a', agent: agent.slug, input: input('a', 'start') },
          { id: 'b', agent: agent.slug, input: input('b', '{{ a.output.token }}') },
          { id: 'c', agent: agent.slug, input: input('c', '{{ a.output.token }}') },
          { id: 'd', agent: agent.slug, input: input('d', '{{ b.output.token }} {{ c.output.token }}') },
        ],
      })
    ).id;
  }, 60_000);
  afterAll(async () => {
    await other?.close();
    await testApp.close();
    await fake.close();
  });
  beforeEach(() => fake.reset());

  const callsPerStep = (tag: string) => {
    const counts: Record<string, number> = {};
    for (const call of fake.calls) {
      const match = /Run (\S+) step ([a-d]) after/.exec(JSON.stringify(call.body));
      if (match?.[1] === tag && match[2]) counts[match[2]] = (counts[match[2]] ?? 0) + 1;
    }
    return counts;
  };
  const isLeaseLost = (error: unknown) => FlightdeckError.isInstance(error) && error.code === 'lease_lost';

  it('leaves a step cut short by a lost lease to the next holder instead of failing the run', async () => {
    const run = await flows.startRun(workflowId, { input: { tag: 'cut' } });
    const lease = new AbortController();
    const first = testApp.services.workflowEngine.drive(run.id, lease.signal);
    for (let waited = 0; fake.calls.length === 0 && waited < 5_000; waited += 5) await sleep(5);
    lease.abort(new Error('heartbeat found the job gone'));
    await expect(first).rejects.toSatisfy(isLeaseLost);
    const cut = await flows.getRun(run.id);
    expect(cut.status).toBe('running');
    expect(cut.steps.find((step) => step.stepId === 'a')).toMatchObject({ status: 'running', attempts: 1 });

    await other.workflowEngine.drive(run.id, new AbortController().signal);
    const done = await flows.getRun(run.id);
    expect(done.status).toBe('completed');
    expect(done.steps.find((step) => step.stepId === 'a')).toMatchObject({
      status: 'completed',
      attempts: 2,
    });
    expect(callsPerStep('cut')).toEqual({ a: 2, b: 1, c: 1, d: 1 });
  });

  it('hands the run back when a step cannot be recorded, and the next holders reuse the finished call', async () => {
    const run = await flows.startRun(workflowId, { input: { tag: 'blip' } });
    // The database drops a statement (a restart, a failover): the commit of the first step, twice.
    const repositories = [testApp.services.repositories.workflowRuns, other.repositories.workflowRuns];
    const commitSteps = repositories.map((repository) => repository.commitStep);
    let drops = 2;
    for (const [index, repository] of repositories.entries()) {
      const commitStep = commitSteps[index] ?? repository.commitStep;
      repository.commitStep = async (...args) => {
        if (args[1] === 'a' && drops-- > 0) throw new Error('Connection terminated unexpectedly');
        return commitStep(...args);
      };
    }
    try {
      // Returning would complete the job and strand the run `running` with nothing to drive it.
      for (const engine of [testApp.services.workflowEngine, other.workflowEngine]) {
        await expect(engine.drive(run.id, new AbortController().signal)).rejects.toThrow(
          'Connection terminated unexpectedly',
        );
        expect((await flows.getRun(run.id)).status).toBe('running');
      }
      await testApp.services.workflowEngine.drive(run.id, new AbortController().signal);
    } finally {
      for (const [index, repository] of repositories.entries())
        repository.commitStep = commitSteps[index] ?? repository.commitStep;
    }
    const done = await flows.getRun(run.id);
    expect(done.status).toBe('completed');
    // The first attempt's execution completed; the second reused it and was lost too; the third
    // commits it: one call however many holders it took.
    expect(done.steps.find((step) => step.stepId === 'a')).toMatchObject({
      status: 'completed',
      attempts: 3,
    });
    expect(callsPerStep('blip')).toEqual({ a: 1, b: 1, c: 1, d: 1 });
  });

  it('lets the newer holder finish while the older one stops at its first move that does not land', async () => {
    let sample = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 3 * callMs }),
        fc.integer({ min: 20, max: 6 * callMs }),
        async (newerStartsAfterMs, olderNoticesAfterMs) => {
          const tag = `race-${++sample}`;
          const run = await flows.startRun(workflowId, { input: { tag } });
          const olderLease = new AbortController();
          const older = testApp.services.workflowEngine.drive(run.id, olderLease.signal).then(
            () => 'returned',
            (error: unknown) => (isLeaseLost(error) ? 'handed back' : Promise.reject(error)),
          );
          const notices = sleep(olderNoticesAfterMs).then(() => olderLease.abort(new Error('lease gone')));
          await sleep(newerStartsAfterMs);
          // The newer holder is the queue's current job: a hand-back is retried, as pg-boss would.
          let handBacks = 0;
          for (;;) {
            try {
              await other.workflowEngine.drive(run.id, new AbortController().signal);
            } catch (error) {
              if (!isLeaseLost(error) || ++handBacks > 10) throw error;
              continue;
            }
            const status = (await flows.getRun(run.id)).status;
            if (status !== 'running') break;
          }
          await Promise.all([older, notices]);
          const done = await flows.getRun(run.id);
          expect(done.status).toBe('completed');
          for (const step of done.steps) {
            expect(step.status).toBe('completed');
            // At most the older driver's one attempt and the newer one's: no bouncing.
            expect(step.attempts).toBeLessThanOrEqual(2);
          }
          for (const count of Object.values(callsPerStep(tag))) expect(count).toBeLessThanOrEqual(2);
          // Each step committed once: one step-end each.
          const events = await testApp.services.repositories.workflowRuns.listEvents(run.id, 0, 500);
          const ends = events.filter((event) => event.type === 'step-end').map((event) => event.stepId);
          expect(ends.sort()).toEqual(['a', 'b', 'c', 'd']);
        },
      ),
      { numRuns: 15 },
    );
  }, 120_000);
});
