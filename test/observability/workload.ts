import type { FakeProvider } from '../../src/llm/fake-provider/index.ts';
import { apiClient } from '../executions/execution-test-kit.ts';
import { createWorkspaceFixture, type WorkspaceFixture } from '../support/identity-fixture.ts';
import type { TestApp } from '../support/test-app.ts';
import { workflowClient } from '../workflows/workflow-kit.ts';

const summaryOutput = {
  type: 'object',
  properties: { summary: { type: 'string' } },
  required: ['summary'],
  additionalProperties: false,
};
const fastRetry = { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5 };

export interface WorkloadResult {
  fixture: WorkspaceFixture;
  /** Executions made directly through the API (not counting workflow steps). */
  executions: { completed: number; failed: number; retried: number };
  runs: { completed: number; failed: number; cancelled: number };
}

/**
 * A small real workload: live executions against the fake provider (clean, retried, failed),
 * mock and live workflow runs (completed, failed, approved after a wait, cancelled), rate-limit
 * refusals in a second workspace, a budget, and last a provider outage that opens a breaker.
 */
export async function runWorkload(testApp: TestApp, fake: FakeProvider): Promise<WorkloadResult> {
  const fixture = await createWorkspaceFixture(testApp.services, 'observability');
  const api = apiClient(testApp, fixture);
  const flows = workflowClient(testApp.app, fixture);
  await api.addFakeKey(fake);

  const summarizer = await api.createAgent({
    name: 'Summarizer',
    provider: 'openai',
    model: 'gpt-4o-mini',
    promptTemplate: 'Summarize {{ input.text }}',
    inputSchema: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
    outputSchema: summaryOutput,
    retry: fastRetry,
  });
  const refuser = await api.createAgent({
    name: 'Refuser',
    provider: 'openai',
    model: 'fault:bad_request',
    promptTemplate: 'Anything {{ input.text }}',
    retry: fastRetry,
  });
  const drafter = await api.createAgent({
    name: 'Drafter',
    provider: 'mock',
    model: 'mock-model',
    promptTemplate: 'Draft {{ input.topic }}',
    outputSchema: summaryOutput,
  });

  const result: WorkloadResult = {
    fixture,
    executions: { completed: 0, failed: 0, retried: 0 },
    runs: { completed: 0, failed: 0, cancelled: 0 },
  };
  const execute = async (agentId: string, input: unknown, expected: 'completed' | 'failed') => {
    const response = await api.post(`/agents/${agentId}/executions`, { input, mode: 'live' });
    const body = response.json();
    const status = body.status ?? body.error?.details?.execution?.status;
    if (status !== expected)
      throw new Error(`execution ended ${status}, expected ${expected}: ${response.body}`);
    result.executions[expected]++;
    return body;
  };
  for (let index = 0; index < 4; index++)
    await execute(summarizer.id, { text: `report ${index}` }, 'completed');
  for (let index = 0; index < 2; index++) {
    fake.script([{ fault: 'server_error' }]);
    await execute(summarizer.id, { text: `flaky ${index}` }, 'completed');
    result.executions.retried++;
  }
  for (let index = 0; index < 2; index++) await execute(refuser.id, { text: `no ${index}` }, 'failed');

  const mockFlow = await flows.createWorkflow({
    name: 'Draft review',
    steps: [
      { id: 'draft', agent: drafter.slug, input: { topic: '{{ run.input.topic }}' } },
      { id: 'polish', agent: drafter.slug, input: { topic: '{{ draft.output.summary }}' } },
    ],
  });
  for (let index = 0; index < 3; index++) {
    const run = await flows.waitForRun(
      (await flows.startRun(mockFlow.id, { input: { topic: `topic ${index}` }, mode: 'mock' })).id,
    );
    if (run.status !== 'completed') throw new Error(`mock run ended ${run.status}`);
    result.runs.completed++;
  }
  const failingFlow = await flows.createWorkflow({
    name: 'Refused report',
    steps: [{ id: 'ask', agent: refuser.slug, input: { text: '{{ run.input.text }}' } }],
  });
  const failed = await flows.waitForRun((await flows.startRun(failingFlow.id, { input: { text: 'x' } })).id);
  if (failed.status !== 'failed') throw new Error(`failing run ended ${failed.status}`);
  result.runs.failed++;

  const reviewedFlow = await flows.createWorkflow({
    name: 'Reviewed summary',
    approvalStrategy: 'checkpoint_required',
    steps: [{ id: 'sum', agent: summarizer.slug, input: { text: '{{ run.input.text }}' } }],
  });
  const reviewed = await flows.startRun(reviewedFlow.id, { input: { text: 'needs review' } });
  await flows.waitForRun(reviewed.id, ['waiting_approval']);
  const pending = (await flows.request('GET', `/approvals?status=pending&runId=${reviewed.id}`)).json()
    .items as Array<{ id: string }>;
  const approval = pending[0];
  if (!approval) throw new Error('no pending approval');
  await flows.request('POST', `/approvals/${approval.id}/approve`, { comment: 'fine' });
  const approved = await flows.waitForRun(reviewed.id);
  if (approved.status !== 'completed') throw new Error(`approved run ended ${approved.status}`);
  result.runs.completed++;
  // One left waiting, so the pending-approval gauges have a series.
  const waiting = await flows.startRun(reviewedFlow.id, { input: { text: 'still waiting' } });
  await flows.waitForRun(waiting.id, ['waiting_approval']);

  const cancelledFlow = await flows.createWorkflow({
    name: 'Slow summary',
    steps: [{ id: 'slow', agent: summarizer.slug, input: { text: '{{ run.input.text }}' } }],
  });
  fake.script([{ fault: 'hang', ms: 1_500 }]);
  const callsBefore = fake.calls.length;
  const slow = await flows.startRun(cancelledFlow.id, { input: { text: 'slow' } });
  await flows.waitForRun(slow.id, ['running']);
  // Cancel only once the step's call hangs at the provider: a cancel that came first would leave
  // the scripted hang for whichever call comes next.
  for (let waited = 0; fake.calls.length === callsBefore; waited += 25) {
    if (waited > 20_000) throw new Error('the slow step never called the provider');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  await flows.request('POST', `/runs/${slow.id}/cancel`, {});
  await flows.waitForRun(slow.id);
  result.runs.cancelled++;

  // A budget from here on (the fault models have no price, which a budget refuses to guess).
  await api.patch('', { settings: { monthlyBudgetUsd: 50 } });

  // A second workspace with a limit of one execution a minute: two of three are refused.
  const limited = await createWorkspaceFixture(testApp.services, 'limited');
  const limitedApi = apiClient(testApp, limited);
  await limitedApi.patch('', { settings: { rateLimitPerMinute: 1 } });
  for (let index = 0; index < 3; index++)
    await limitedApi.post(`/agents/${limited.targetAgentId}/executions`, { input: {}, mode: 'mock' });

  // Last, an outage: two executions of three failed attempts each open the circuit (5 in a row).
  fake.script(Array.from({ length: 6 }, () => ({ fault: 'server_error' as const })));
  for (let index = 0; index < 2; index++) {
    await execute(summarizer.id, { text: `outage ${index}` }, 'failed');
    result.executions.retried++;
  }
  return result;
}
