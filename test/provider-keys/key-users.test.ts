import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorkspaceFixture, headersFor, type WorkspaceFixture } from '../support/identity-fixture.ts';
import { storeTargets } from '../support/store-targets.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

describe.each(storeTargets)('agents that use a provider key on $name', (target) => {
  let testApp: TestApp;
  let dispose: () => Promise<void>;
  let fixture: WorkspaceFixture;
  let other: WorkspaceFixture;

  beforeAll(async () => {
    const opened = await target.open();
    dispose = opened.dispose;
    testApp = await createTestApp({ store: opened.store });
    fixture = await createWorkspaceFixture(testApp.services, 'key-users');
    other = await createWorkspaceFixture(testApp.services, 'key-users-other');
  });
  afterAll(async () => {
    await testApp.app.close();
    await dispose();
  });

  const call = async (
    workspace: WorkspaceFixture,
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    path: string,
    payload?: object,
  ) => {
    const answer = await testApp.app.inject({
      method,
      url: `/api/workspaces/${workspace.workspaceId}${path}`,
      headers: headersFor(workspace.sessions.owner),
      payload,
    });
    return { status: answer.statusCode, body: answer.body ? answer.json() : null };
  };
  const createKey = async (label: string) => {
    const created = await call(fixture, 'POST', '/provider-keys', {
      provider: 'openai',
      label,
      apiKey: `sk-${label}-0001`,
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    return created.body.id as string;
  };
  const createAgent = async (name: string, body: object) => {
    const created = await call(fixture, 'POST', '/agents', {
      name,
      provider: 'openai',
      model: 'gpt-4o-mini',
      ...body,
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    return created.body as { id: string; slug: string };
  };

  it('names the agents whose key or fallback it is, not deleted ones nor other keys', async () => {
    const main = await createKey('main');
    const spare = await createKey('spare');
    const direct = await createAgent('Direct user', { providerKeyId: main });
    const viaFallback = await createAgent('Fallback user', {
      providerKeyId: spare,
      fallbacks: [{ provider: 'openai', model: 'gpt-4o', providerKeyId: main }],
    });
    await createAgent('Spare only', { providerKeyId: spare });
    const gone = await createAgent('Deleted user', { providerKeyId: main });
    expect((await call(fixture, 'DELETE', `/agents/${gone.id}`)).status).toBe(204);

    const users = await call(fixture, 'GET', `/provider-keys/${main}/agents`);
    expect(users.status).toBe(200);
    expect(users.body.items.map((agent: { id: string }) => agent.id).sort()).toEqual(
      [direct.id, viaFallback.id].sort(),
    );
    expect(users.body.items.find((agent: { id: string }) => agent.id === direct.id)).toEqual({
      id: direct.id,
      slug: direct.slug,
      name: 'Direct user',
    });

    // A draft that moves to another key: the agent still shows while its published version has it.
    const publish = await call(fixture, 'POST', `/agents/${direct.id}/publish`, {});
    expect(publish.status, JSON.stringify(publish.body)).toBe(200);
    expect((await call(fixture, 'PATCH', `/agents/${direct.id}`, { providerKeyId: spare })).status).toBe(200);
    const stillUsed = await call(fixture, 'GET', `/provider-keys/${main}/agents`);
    expect(stillUsed.body.items.map((agent: { id: string }) => agent.id).sort()).toEqual(
      [direct.id, viaFallback.id].sort(),
    );
    // Published again at the new key: the old key is free of it.
    expect((await call(fixture, 'POST', `/agents/${direct.id}/publish`, {})).status).toBe(200);
    const freed = await call(fixture, 'GET', `/provider-keys/${main}/agents`);
    expect(freed.body.items.map((agent: { id: string }) => agent.id)).toEqual([viaFallback.id]);
  });

  it('answers 404 for an unknown key and for another workspace’s key', async () => {
    const unknown = await call(fixture, 'GET', '/provider-keys/nope/agents');
    expect(unknown.status).toBe(404);
    const foreign = await call(other, 'GET', `/provider-keys/${fixture.targetProviderKeyId}/agents`);
    expect(foreign.status).toBe(404);
  });
});
