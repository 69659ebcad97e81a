/**
 * A work session whose tool call waited for approval, recorded and replayed: the replay waits for
 * the same approval, and once decided the same way continues from the recording (the approved call's
 * result, then the final answer) without the tools or the model.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeProvider, startFakeProvider } from '../../src/llm/fake-provider/index.ts';
import { apiClient } from '../executions/execution-test-kit.ts';
import { createWorkspaceFixture, type WorkspaceFixture } from '../support/identity-fixture.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';
import { workflowClient } from '../workflows/workflow-kit.ts';

describe('record and replay of a tool call approval', () => {
  let testApp: TestApp;
  let fake: FakeProvider;
  let fixture: WorkspaceFixture;
  let toolUrl: string;
  const toolBodies: unknown[] = [];
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
      respond: (conversation) =>
        conversation.toolResults.length === 0
          ? { toolCalls: [{ name: 'transfer', arguments: { account: 'A-1', amount: 500 } }] }
          : { text: `final: ${conversation.toolResults.map((result) => result.content).join(' | ')}` },
    });
    await new Promise<void>((resolve) => toolServer.listen(0, '127.0.0.1', resolve));
    toolUrl = `http://127.0.0.1:${(toolServer.address() as AddressInfo).port}`;
    fixture = await createWorkspaceFixture(testApp.services, 'replay-tool-approvals');
    await apiClient(testApp, fixture).addFakeKey(fake);
  });
  afterAll(async () => {
    await testApp.close();
    await fake.close().catch(() => undefined);
    toolServer.close();
  });

  it('waits for the same approval, then replays the approved call and the answer', async () => {
    const api = apiClient(testApp, fixture);
    const flows = workflowClient(testApp.app, fixture);
    const agent = await api.createAgent({
      name: 'Bank replay',
      provider: 'openai',
      model: 'gpt-4o-mini',
      tools: [
        {
          kind: 'http',
          name: 'transfer',
          description: 'Moves money',
          parameters: {
            type: 'object',
            properties: { account: { type: 'string' }, amount: { type: 'number', minimum: 0 } },
            required: ['account', 'amount'],
            additionalProperties: false,
          },
          method: 'POST',
          url: `${toolUrl}/transfer`,
          approval: 'required',
        },
      ],
    });
    const approveOnce = async (runId: string, amount: number) => {
      await flows.waitForRun(runId, ['waiting_approval', 'failed', 'completed']);
      const pending = (await flows.request('GET', `/approvals?status=pending&runId=${runId}`)).json();
      expect(pending.items).toHaveLength(1);
      const approved = await flows.request('POST', `/approvals/${pending.items[0].id}/approve`, {
        output: { account: 'A-1', amount },
      });
      expect(approved.statusCode, approved.body).toBe(200);
      return flows.waitForRun(runId);
    };
    const start = (body: Record<string, unknown>) =>
      flows.request('POST', `/agents/${agent.id}/runs`, { approvalStrategy: 'none', ...body });

    const recorded = await start({ input: 'pay rent', record: true });
    expect(recorded.statusCode, recorded.body).toBe(202);
    const live = await approveOnce(recorded.json().id, 50);
    expect(live.status, JSON.stringify(live)).toBe('completed');
    expect(live.output).toContain('{"transferred":50}');
    expect(toolBodies).toEqual([{ account: 'A-1', amount: 50 }]);
    const modelCalls = fake.calls.length;

    const replayed = await start({ mode: 'replay', replayOf: live.id });
    expect(replayed.statusCode, replayed.body).toBe(202);
    const replay = await approveOnce(replayed.json().id, 50);
    expect(replay).toMatchObject({ status: 'completed', output: live.output, costUsd: 0 });

    // Decided otherwise than recorded: the edited call is not in the recording.
    const other = await start({ mode: 'replay', replayOf: live.id });
    const differs = await approveOnce(other.json().id, 60);
    expect(differs.status).toBe('failed');
    expect(differs.steps[0]?.error?.code).toBe('replay_mismatch');

    expect(toolBodies).toHaveLength(1);
    expect(fake.calls).toHaveLength(modelCalls);
  });
});
