import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/core/ids.ts';
import { type FakeProvider, startFakeProvider } from '../../src/llm/fake-provider/index.ts';
import { markInterruptedExecutions } from '../../src/services/executions/execution-recovery.ts';
import { openStore } from '../../src/store/database.ts';
import { createWorkspaceFixture } from '../support/identity-fixture.ts';
import { storeTargets } from '../support/store-targets.ts';
import { createTestApp } from '../support/test-app.ts';
import { apiClient } from './execution-test-kit.ts';

async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('interrupted and abandoned executions', () => {
  const fakes: FakeProvider[] = [];
  afterAll(async () => {
    for (const fake of fakes) await fake.close();
  });

  it('marks a run left running by a stopped process as failed/interrupted on the next start (embedded)', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'flightdeck-interrupted-'));
    try {
      const fake = await startFakeProvider();
      const first = await createTestApp({ store: await openStore({ dataDirectory: folder }) });
      const fixture = await createWorkspaceFixture(first.services, 'interrupted');
      const api = apiClient(first, fixture);
      await api.addFakeKey(fake);
      const agent = await api.createAgent({ name: 'Slow', provider: 'openai', model: 'gpt-4o-mini' });
      fake.script([{ fault: 'hang' }]);
      const pending = api.post(`/agents/${agent.id}/executions`, { input: {} });
      await until(() => fake.calls.length === 1);
      // The process "dies" mid-call: the database goes away before the record can be finished.
      await first.store.close();
      await fake.close();
      expect((await pending).statusCode).toBe(500);
      await first.app.close();

      const second = await createTestApp({ store: await openStore({ dataDirectory: folder }) });
      try {
        const running = (await apiClient(second, fixture).get('/executions?status=running')).json();
        expect(running.items).toHaveLength(1);
        expect(await markInterruptedExecutions(second.store, { atStart: true })).toBe(1);
        const record = (await apiClient(second, fixture).get(`/executions/${running.items[0].id}`)).json();
        expect(record).toMatchObject({ status: 'failed', error: { code: 'interrupted' } });
        expect(record.finishedAt).not.toBeNull();
      } finally {
        await second.close();
      }
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  }, 30_000);

  it.each(storeTargets)(
    'on $name, a later sweep marks only runs past their deadline plus margin',
    async (target) => {
      const opened = await target.open();
      const testApp = await createTestApp({ store: opened.store });
      try {
        const fixture = await createWorkspaceFixture(testApp.services, 'sweep');
        const api = apiClient(testApp, fixture);
        const agent = await api.createAgent({ name: 'Swept', provider: 'mock', model: 'm' });
        const now = Date.now();
        const insert = (deadlineOffsetMs: number) =>
          testApp.services.repositories.executions.insertRunning({
            id: newId(),
            workspaceId: fixture.workspaceId,
            agentId: agent.id,
            agentVersionId: agent.versionId,
            agentVersion: 1,
            status: 'running',
            mode: 'live',
            trigger: 'api',
            input: {},
            nodeId: 'another-node',
            deadlineAt: new Date(now + deadlineOffsetMs),
            createdAt: new Date(now - 200_000),
          });
        const orphan = await insert(-120_000);
        const live = await insert(30_000);
        // On PostgreSQL another node may own a running row, so even the start sweep keeps the live one.
        const marked = await markInterruptedExecutions(testApp.store, {
          atStart: target.name === 'postgres',
        });
        expect(marked).toBe(1);
        expect((await api.get(`/executions/${orphan?.id}`)).json()).toMatchObject({
          status: 'failed',
          error: { code: 'interrupted' },
        });
        expect((await api.get(`/executions/${live?.id}`)).json().status).toBe('running');
      } finally {
        await testApp.app.close();
        await opened.dispose();
      }
    },
  );

  it.each(['json', 'stream'])(
    'cancels the provider call and records client_closed when the client goes away (%s)',
    async (kind) => {
      const fake = await startFakeProvider();
      fakes.push(fake);
      const testApp = await createTestApp();
      try {
        const fixture = await createWorkspaceFixture(testApp.services, 'closed');
        const api = apiClient(testApp, fixture);
        await api.addFakeKey(fake);
        const agent = await api.createAgent({ name: 'Abandoned', provider: 'openai', model: 'gpt-4o-mini' });
        fake.script([{ fault: 'hang' }]);
        const address = await testApp.app.listen({ port: 0, host: '127.0.0.1' });
        const controller = new AbortController();
        const request = fetch(`${address}${api.base}/agents/${agent.id}/executions`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${(fixture.tokens.owner as { token: string }).token}`,
            'content-type': 'application/json',
            ...(kind === 'stream' ? { accept: 'text/event-stream' } : {}),
          },
          body: JSON.stringify({ input: {} }),
          signal: controller.signal,
        }).then(async (response) => {
          if (kind === 'stream') await response.body?.getReader().read();
        });
        await until(() => fake.calls.length === 1);
        controller.abort();
        await request.catch(() => {});
        await until(async () => (await api.get('/executions?status=failed')).json().items.length === 1);
        const record = (await api.get('/executions')).json().items[0];
        expect(record.error.code).toBe('client_closed');
        expect(fake.calls[0]?.status).toBeNull();
      } finally {
        await testApp.close();
      }
    },
  );
});
