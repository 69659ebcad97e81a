/**
 * Per-tool approval: in a work session the loop stops at a call that needs a person, as an approval
 * carrying the proposed call, and continues after the decision without asking the model again for
 * the turns it already answered — approve (with edited arguments: the tool runs with them) or
 * reject (the feedback is the result the model reads). A plain API execution answers 409.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type FakeConversation,
  type FakeProvider,
  startFakeProvider,
} from '../../src/llm/fake-provider/index.ts';
import { apiClient } from '../executions/execution-test-kit.ts';
import { createWorkspaceFixture, type WorkspaceFixture } from '../support/identity-fixture.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';
import { workflowClient } from '../workflows/workflow-kit.ts';

const transferParameters = {
  type: 'object',
  properties: { account: { type: 'string' }, amount: { type: 'number', minimum: 0 } },
  required: ['account', 'amount'],
  additionalProperties: false,
};

describe('tool calls that need approval', () => {
  let testApp: TestApp;
  let fake: FakeProvider;
  let fixture: WorkspaceFixture;
  let api: ReturnType<typeof apiClient>;
  let flows: ReturnType<typeof workflowClient>;
  let toolUrl: string;
  const toolBodies: unknown[] = [];
  const conversations: FakeConversation[] = [];
  const toolServer: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null');
      toolBodies.push(body);
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ transferred: body?.amount ?? null }));
    });
  });

  beforeAll(async () => {
    testApp = await createTestApp({ workflows: { workers: 2 } });
    fake = await startFakeProvider({
      respond: (conversation) => {
        conversations.push(conversation);
        // First turn: a harmless lookup and a transfer in one turn; then answer with what came back.
        if (conversation.toolResults.length === 0) {
          return {
            toolCalls: [
              { name: 'balance', arguments: { account: 'A-1' } },
              { name: 'transfer', arguments: { account: 'A-1', amount: 500 } },
            ],
          };
        }
        return { text: `final: ${conversation.toolResults.map((result) => result.content).join(' | ')}` };
      },
    });
    await new Promise<void>((resolve) => toolServer.listen(0, '127.0.0.1', resolve));
    toolUrl = `http://127.0.0.1:${(toolServer.address() as AddressInfo).port}`;
    fixture = await createWorkspaceFixture(testApp.services, 'tool-approvals');
    api = apiClient(testApp, fixture);
    flows = workflowClient(testApp.app, fixture);
    await api.addFakeKey(fake);
  });
  afterAll(async () => {
    await testApp.close();
    await fake.close();
    toolServer.close();
  });
  beforeEach(() => {
    fake.reset();
    toolBodies.length = 0;
    conversations.length = 0;
  });

  const bankAgent = (approval: unknown = 'required') =>
    api.createAgent({
      name: `Bank ${Math.random().toString(36).slice(2, 8)}`,
      provider: 'openai',
      model: 'gpt-4o-mini',
      tools: [
        {
          kind: 'http',
          name: 'balance',
          description: 'Reads a balance',
          parameters: { type: 'object', properties: { account: { type: 'string' } }, required: ['account'] },
          method: 'POST',
          url: `${toolUrl}/balance`,
        },
        {
          kind: 'http',
          name: 'transfer',
          description: 'Moves money',
          parameters: transferParameters,
          method: 'POST',
          url: `${toolUrl}/transfer`,
          approval,
        },
      ],
    });

  async function pendingApproval(runId: string) {
    await flows.waitForRun(runId, ['waiting_approval', 'failed', 'completed']);
    const list = (await flows.request('GET', `/approvals?status=pending&runId=${runId}`)).json();
    expect(list.items).toHaveLength(1);
    return list.items[0];
  }

  it('pauses a work session at the call, and runs the tool with the edited arguments once approved', async () => {
    const agent = await bankAgent();
    const started = await flows.request('POST', `/agents/${agent.id}/runs`, {
      input: 'pay rent',
      mode: 'live',
      approvalStrategy: 'none',
    });
    expect(started.statusCode, started.body).toBe(202);
    const runId = started.json().id;
    const approval = await pendingApproval(runId);
    expect(approval.reason).toBe('tool_call');
    expect(approval.output.toolCall).toMatchObject({
      tool: 'transfer',
      arguments: { account: 'A-1', amount: 500 },
    });
    // The harmless call of the same turn already ran; the transfer did not.
    expect(toolBodies).toEqual([{ account: 'A-1' }]);
    const stopped = (await api.get(`/executions/${approval.output.executionId}`)).json();
    expect(stopped.status).toBe('waiting_approval');
    expect(stopped.toolCalls.map((call: { status: string }) => call.status)).toEqual([
      'succeeded',
      'waiting_approval',
    ]);
    const modelCallsBefore = fake.calls.length;

    const invalid = await flows.request('POST', `/approvals/${approval.id}/approve`, {
      output: { account: 'A-1', amount: -5 },
    });
    expect(invalid.statusCode).toBe(400);
    expect(invalid.json().error.code).toBe('arguments_invalid');
    const revise = await flows.request('POST', `/approvals/${approval.id}/request-revision`, {
      feedback: 'hm',
    });
    expect(revise.json().error.code).toBe('revision_not_possible');

    const approved = await flows.request('POST', `/approvals/${approval.id}/approve`, {
      output: { account: 'A-1', amount: 50 },
      comment: 'smaller first',
    });
    expect(approved.statusCode, approved.body).toBe(200);
    const run = await flows.waitForRun(runId);
    expect(run.status).toBe('completed');
    expect(toolBodies).toEqual([{ account: 'A-1' }, { account: 'A-1', amount: 50 }]);
    // One more model call: the turns answered before the pause were not asked again.
    expect(fake.calls.length - modelCallsBefore).toBe(1);
    expect(run.output).toContain('{"transferred":50}');
    const [step] = run.steps;
    const finished = (await api.get(`/executions/${step?.executionId}`)).json();
    expect(finished.id).not.toBe(stopped.id);
    expect(finished.toolCalls).toMatchObject([
      { tool: 'balance', status: 'succeeded' },
      {
        tool: 'transfer',
        status: 'succeeded',
        arguments: { account: 'A-1', amount: 50 },
        approvalId: approval.id,
      },
    ]);
    // Both executions' model calls are the run's cost.
    expect(run.costUsd).toBeCloseTo(stopped.costUsd + finished.costUsd, 12);
  });

  it("sends a rejection's feedback to the model as the result of the call", async () => {
    const agent = await bankAgent();
    const started = await flows.request('POST', `/agents/${agent.id}/runs`, {
      input: 'pay rent',
      mode: 'live',
      approvalStrategy: 'none',
    });
    const runId = started.json().id;
    const approval = await pendingApproval(runId);
    const rejected = await flows.request('POST', `/approvals/${approval.id}/reject`, {
      feedback: 'Never more than 100 without a second signature.',
    });
    expect(rejected.statusCode, rejected.body).toBe(200);
    const run = await flows.waitForRun(runId);
    expect(run.status).toBe('completed');
    expect(toolBodies).toEqual([{ account: 'A-1' }]);
    const last = conversations.at(-1);
    expect(last?.toolResults[1]?.content).toContain('Never more than 100 without a second signature.');
    expect(run.output).toContain('tool_call_rejected');
    const finished = (await api.get(`/executions/${run.steps[0]?.executionId}`)).json();
    expect(finished.toolCalls[1]).toMatchObject({ tool: 'transfer', status: 'rejected' });
  });

  it('asks only when the rule over the arguments matches', async () => {
    const agent = await bankAgent({ path: 'amount', above: 1000 });
    const started = await flows.request('POST', `/agents/${agent.id}/runs`, {
      input: 'pay rent',
      mode: 'live',
      approvalStrategy: 'none',
    });
    const run = await flows.waitForRun(started.json().id);
    expect(run.status).toBe('completed');
    expect(toolBodies).toHaveLength(2);
  });

  it('answers 409 approval_required in a plain API execution', async () => {
    const agent = await bankAgent();
    const response = await api.post(`/agents/${agent.id}/executions`, { input: 'pay rent' });
    expect(response.statusCode, response.body).toBe(409);
    const error = response.json().error;
    expect(error.code).toBe('approval_required');
    expect(error.message).toContain('work session');
    expect(toolBodies).toEqual([]);
  });
});
