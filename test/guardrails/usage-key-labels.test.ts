import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeProvider, startFakeProvider } from '../../src/llm/fake-provider/index.ts';
import { apiClient } from '../executions/execution-test-kit.ts';
import { createWorkspaceFixture, type WorkspaceFixture } from '../support/identity-fixture.ts';
import { storeTargets } from '../support/store-targets.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

describe.each(storeTargets)('usage by provider key names deleted keys on $name', (target) => {
  let testApp: TestApp;
  let dispose: () => Promise<void>;
  let fake: FakeProvider;
  let fixture: WorkspaceFixture;

  beforeAll(async () => {
    fake = await startFakeProvider();
    const opened = await target.open();
    dispose = opened.dispose;
    testApp = await createTestApp({ store: opened.store });
    fixture = await createWorkspaceFixture(testApp.services, 'usage-key-labels');
  });
  afterAll(async () => {
    await testApp.app.close();
    await dispose();
    await fake.close();
  });

  it('keeps the label of a key deleted after it was used, and marks it deleted', async () => {
    const api = apiClient(testApp, fixture);
    const kept = await api.addFakeKey(fake, 'openai', 'sk-kept-0001');
    const doomed = await api.addFakeKey(fake, 'openai', 'sk-doomed-0002');
    const relabel = await api.put(`/provider-keys/${doomed.id}`, { label: 'Old research key' });
    expect(relabel.statusCode, relabel.body).toBe(200);
    for (const key of [kept, doomed]) {
      const agent = await api.createAgent({
        name: `Uses ${key.id}`,
        provider: 'openai',
        model: 'gpt-4o-mini',
        providerKeyId: key.id,
      });
      const run = await api.post(`/agents/${agent.id}/executions`, { input: {}, mode: 'live' });
      expect(run.statusCode, run.body).toBe(201);
    }
    expect((await api.delete(`/provider-keys/${doomed.id}`)).statusCode).toBe(204);

    const usage = (await api.get('/usage')).json() as {
      byProviderKey: Array<{
        providerKeyId: string;
        providerKeyLabel: string | null;
        providerKeyDeleted: boolean;
        calls: number;
      }>;
    };
    const lineOf = (id: string) => usage.byProviderKey.find((line) => line.providerKeyId === id);
    expect(lineOf(doomed.id)).toMatchObject({
      providerKeyLabel: 'Old research key',
      providerKeyDeleted: true,
      calls: 1,
    });
    expect(lineOf(kept.id)).toMatchObject({ providerKeyDeleted: false, calls: 1 });
    expect(lineOf(kept.id)?.providerKeyLabel).toEqual(expect.any(String));
  });
});
