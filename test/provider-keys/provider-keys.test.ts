import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type FakeProvider, startFakeProvider } from '../../src/llm/fake-provider/index.ts';
import { queryRows } from '../../src/store/query-rows.ts';
import { createLogger } from '../../src/telemetry/logger.ts';
import { createWorkspaceFixture, headersFor, type WorkspaceFixture } from '../support/identity-fixture.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

describe('provider keys', () => {
  const logLines: string[] = [];
  let testApp: TestApp;
  let fake: FakeProvider;
  let fixture: WorkspaceFixture;
  const fakeKey = `sk-fake-${randomBytes(8).toString('hex')}`;

  beforeAll(async () => {
    fake = await startFakeProvider({ apiKey: fakeKey });
    const destination = new Writable({
      write(chunk, _encoding, callback) {
        logLines.push(chunk.toString());
        callback();
      },
    });
    testApp = await createTestApp({ logger: createLogger({ level: 'trace', destination }) });
    fixture = await createWorkspaceFixture(testApp.services, 'keys');
  });
  afterAll(async () => {
    await testApp.close();
    await fake.close();
  });

  const owner = () => headersFor(fixture.sessions.owner);
  const base = () => `/api/workspaces/${fixture.workspaceId}/provider-keys`;

  it('stores a key encrypted, answers with only its last four characters, and tests it for real', async () => {
    const created = await testApp.app.inject({
      method: 'POST',
      url: base(),
      headers: owner(),
      payload: {
        provider: 'openai-compatible',
        label: 'Local fake',
        apiKey: fakeKey,
        baseUrl: `${fake.url}/v1/`,
      },
    });
    expect(created.statusCode).toBe(201);
    expect(created.body).not.toContain(fakeKey);
    expect(created.json()).toMatchObject({
      provider: 'openai-compatible',
      label: 'Local fake',
      lastFour: fakeKey.slice(-4),
      baseUrl: `${fake.url}/v1`,
      lastTest: null,
    });
    const id = created.json().id;
    const [row] = await queryRows<{ secret_envelope: string }>(
      testApp.store.database,
      sql`select secret_envelope from provider_keys where id = ${id}`,
    );
    expect(row?.secret_envelope).toMatch(/^v1:test:[\w-]+:[\w-]+:[\w-]+$/);

    const test = await testApp.app.inject({ method: 'POST', url: `${base()}/${id}/test`, headers: owner() });
    expect(test.statusCode).toBe(200);
    expect(test.json()).toMatchObject({ ok: true, errorCode: null });
    const call = fake.calls.at(-1);
    expect(call?.path).toBe('/v1/models');

    const list = await testApp.app.inject({
      method: 'GET',
      url: base(),
      headers: headersFor(fixture.sessions.viewer),
    });
    expect(list.json().items.find((item: { id: string }) => item.id === id).lastTest).toMatchObject({
      ok: true,
    });
  });

  it('reports a failing connection test with a stable code and advice, without echoing the provider', async () => {
    const response = await testApp.app.inject({
      method: 'POST',
      url: `${base()}/test`,
      headers: owner(),
      payload: { provider: 'openai-compatible', apiKey: 'sk-wrong-key-0000', baseUrl: `${fake.url}/v1` },
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ ok: false, statusCode: 401, errorCode: 'provider_auth_failed' });
    expect(response.json().message).toContain('rejected the API key');
    expect(response.body).not.toContain('sk-wrong-key-0000');
  });

  it('refuses link-local and unlisted private base URLs', async () => {
    const metadata = await testApp.app.inject({
      method: 'POST',
      url: base(),
      headers: owner(),
      payload: {
        provider: 'openai-compatible',
        label: 'x',
        apiKey: 'sk-123456789',
        baseUrl: 'http://169.254.169.254/v1',
      },
    });
    expect(metadata.statusCode).toBe(400);
    expect(metadata.json().error.code).toBe('provider_url_refused');
    const privateHost = await testApp.app.inject({
      method: 'POST',
      url: base(),
      headers: owner(),
      payload: {
        provider: 'openai-compatible',
        label: 'x',
        apiKey: 'sk-123456789',
        baseUrl: 'http://10.1.2.3/v1',
      },
    });
    expect(privateHost.statusCode).toBe(400);
    const missing = await testApp.app.inject({
      method: 'POST',
      url: base(),
      headers: owner(),
      payload: { provider: 'openai-compatible', label: 'x', apiKey: 'sk-123456789' },
    });
    expect(missing.json().error.code).toBe('base_url_required');
  });

  it('never sends a stored key to a new base URL without the secret again', async () => {
    const created = await testApp.app.inject({
      method: 'POST',
      url: base(),
      headers: owner(),
      payload: {
        provider: 'openai-compatible',
        label: 'Movable',
        apiKey: 'sk-movable-1234',
        baseUrl: `${fake.url}/v1`,
      },
    });
    const id = created.json().id;
    const moved = await testApp.app.inject({
      method: 'PUT',
      url: `${base()}/${id}`,
      headers: owner(),
      payload: { baseUrl: 'http://localhost:9/v1' },
    });
    expect(moved.statusCode).toBe(400);
    expect(moved.json().error.code).toBe('secret_required_for_base_url_change');
    const unchanged = await testApp.services.repositories.providerKeys.find(fixture.workspaceId, id);
    expect(unchanged?.baseUrl).toBe(`${fake.url}/v1`);

    const withSecret = await testApp.app.inject({
      method: 'PUT',
      url: `${base()}/${id}`,
      headers: owner(),
      payload: { baseUrl: 'http://localhost:9/v1', apiKey: 'sk-movable-5678' },
    });
    expect(withSecret.statusCode).toBe(200);
    expect(withSecret.json()).toMatchObject({
      baseUrl: 'http://localhost:9/v1',
      lastFour: '5678',
      lastTest: null,
    });
    expect(withSecret.json().rotatedAt).not.toBeNull();
  });

  it('keeps one default key per provider and promotes another when the default is deleted', async () => {
    const workspace = await createWorkspaceFixture(testApp.services, 'defaults');
    const url = `/api/workspaces/${workspace.workspaceId}/provider-keys`;
    const headers = headersFor(workspace.sessions.admin);
    const first = await testApp.app.inject({
      method: 'POST',
      url,
      headers,
      payload: { provider: 'openai', label: 'first', apiKey: 'sk-first-00000001' },
    });
    const second = await testApp.app.inject({
      method: 'POST',
      url,
      headers,
      payload: { provider: 'openai', label: 'second', apiKey: 'sk-second-0000002', isDefault: true },
    });
    expect(first.json().isDefault).toBe(true);
    expect(second.json().isDefault).toBe(true);
    const resolved = await testApp.services.providerKeys.resolve(workspace.workspaceId, {
      provider: 'openai',
      providerKeyId: null,
    });
    expect(resolved).toMatchObject({ providerKeyId: second.json().id, apiKey: 'sk-second-0000002' });
    const list = await testApp.app.inject({ method: 'GET', url, headers });
    const openaiDefaults = list
      .json()
      .items.filter(
        (item: { provider: string; isDefault: boolean }) => item.provider === 'openai' && item.isDefault,
      );
    expect(openaiDefaults).toHaveLength(1);

    await testApp.app.inject({ method: 'DELETE', url: `${url}/${second.json().id}`, headers });
    const after = await testApp.services.providerKeys.resolve(workspace.workspaceId, {
      provider: 'openai',
      providerKeyId: null,
    });
    expect(after.providerKeyId).toBe(first.json().id);
    await expect(
      testApp.services.providerKeys.resolve(workspace.workspaceId, {
        provider: 'anthropic',
        providerKeyId: null,
      }),
    ).rejects.toMatchObject({ code: 'provider_not_configured' });
  });

  it('answers 50 concurrent misses of one key with one lookup and decryption, and a change drops it', async () => {
    const workspace = await createWorkspaceFixture(testApp.services, 'single-flight');
    const url = `/api/workspaces/${workspace.workspaceId}/provider-keys`;
    const headers = headersFor(workspace.sessions.admin);
    const created = await testApp.app.inject({
      method: 'POST',
      url,
      headers,
      payload: { provider: 'openai', label: 'shared', apiKey: 'sk-shared-0000001' },
    });
    const lookups = vi.spyOn(testApp.services.repositories.providerKeys, 'findDefault');
    try {
      const resolved = await Promise.all(
        Array.from({ length: 50 }, () =>
          testApp.services.providerKeys.resolve(workspace.workspaceId, {
            provider: 'openai',
            providerKeyId: null,
          }),
        ),
      );
      expect(lookups).toHaveBeenCalledTimes(1);
      expect(new Set(resolved.map((credentials) => credentials.apiKey))).toEqual(
        new Set(['sk-shared-0000001']),
      );
      // A second key made default meanwhile: the next resolve reads again and sees it.
      await testApp.app.inject({
        method: 'POST',
        url,
        headers,
        payload: { provider: 'openai', label: 'newer', apiKey: 'sk-newer-00000002', isDefault: true },
      });
      const after = await testApp.services.providerKeys.resolve(workspace.workspaceId, {
        provider: 'openai',
        providerKeyId: null,
      });
      expect(after.apiKey).toBe('sk-newer-00000002');
      expect(after.providerKeyId).not.toBe(created.json().id);
      expect(lookups).toHaveBeenCalledTimes(2);
    } finally {
      lookups.mockRestore();
    }
  });

  it('lets members use keys but not manage them, and viewers only see the list', async () => {
    const denied = await testApp.app.inject({
      method: 'POST',
      url: base(),
      headers: headersFor(fixture.sessions.member),
      payload: { provider: 'openai', label: 'nope', apiKey: 'sk-member-000000' },
    });
    expect(denied.statusCode).toBe(403);
    const viewerList = await testApp.app.inject({
      method: 'GET',
      url: base(),
      headers: headersFor(fixture.tokens.viewer),
    });
    expect(viewerList.statusCode).toBe(200);
  });

  it('does not decrypt a ciphertext moved to another row or workspace', async () => {
    const other = await createWorkspaceFixture(testApp.services, 'swap');
    const mine = await testApp.services.repositories.providerKeys.find(
      fixture.workspaceId,
      fixture.targetProviderKeyId,
    );
    const theirs = await testApp.services.repositories.providerKeys.find(
      other.workspaceId,
      other.targetProviderKeyId,
    );
    if (!mine || !theirs) throw new Error('fixture keys missing');
    await testApp.services.repositories.providerKeys.update(other.workspaceId, theirs.id, {
      secretEnvelope: mine.secretEnvelope,
    });
    await expect(
      testApp.services.providerKeys.resolve(other.workspaceId, {
        provider: 'openai-compatible',
        providerKeyId: theirs.id,
      }),
    ).rejects.toMatchObject({ code: 'secret_decryption_failed' });
  });

  it('records every key action in the audit log, with no secret material', async () => {
    const response = await testApp.app.inject({
      method: 'GET',
      url: `/api/workspaces/${fixture.workspaceId}/audit-events?limit=200`,
      headers: owner(),
    });
    expect(response.statusCode).toBe(200);
    const actions = new Set(response.json().items.map((event: { action: string }) => event.action));
    for (const action of ['provider_key.created', 'provider_key.tested', 'provider_key.rotated']) {
      expect(actions.has(action), action).toBe(true);
    }
    const tested = response
      .json()
      .items.find((event: { action: string }) => event.action === 'provider_key.tested');
    expect(tested.actor.userId).toBe(fixture.users.owner);
    expect(tested.address).toBeTruthy();
    expect(response.body).not.toContain(fakeKey);
    expect(response.body).not.toContain('sk-movable');
  });

  it('pages the audit log with a cursor and filters by action', async () => {
    const url = `/api/workspaces/${fixture.workspaceId}/audit-events`;
    const first = await testApp.app.inject({ method: 'GET', url: `${url}?limit=2`, headers: owner() });
    expect(first.json().items).toHaveLength(2);
    const cursor = first.json().nextCursor;
    expect(cursor).toBeTruthy();
    const second = await testApp.app.inject({
      method: 'GET',
      url: `${url}?limit=2&cursor=${cursor}`,
      headers: owner(),
    });
    const ids = [...first.json().items, ...second.json().items].map((event: { id: string }) => event.id);
    expect(new Set(ids).size).toBe(ids.length);
    const filtered = await testApp.app.inject({
      method: 'GET',
      url: `${url}?action=provider_key.created`,
      headers: owner(),
    });
    expect(
      filtered.json().items.every((event: { action: string }) => event.action === 'provider_key.created'),
    ).toBe(true);
    const forbidden = await testApp.app.inject({
      method: 'GET',
      url,
      headers: headersFor(fixture.sessions.member),
    });
    expect(forbidden.statusCode).toBe(403);
  });

  it('leaks a canary secret nowhere: not in logs, answers or any database column', async () => {
    const canary = `sk-canary-${randomBytes(12).toString('hex')}`;
    const bodies: string[] = [];
    const call = async (method: string, url: string, payload?: unknown) => {
      const response = await testApp.app.inject({
        method: method as 'GET',
        url,
        headers: owner(),
        ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
      });
      bodies.push(response.body, JSON.stringify(response.headers));
      return response;
    };
    const created = await call('POST', base(), {
      provider: 'openai-compatible',
      label: 'Canary',
      apiKey: canary,
      baseUrl: `${fake.url}/v1`,
    });
    const id = created.json().id;
    await call('GET', base());
    await call('PUT', `${base()}/${id}`, { label: 'Canary renamed' });
    await call('POST', `${base()}/${id}/test`); // fails: the fake wants another key
    await call('POST', `${base()}/test`, {
      provider: 'openai-compatible',
      apiKey: canary,
      baseUrl: `${fake.url}/v1`,
    });
    await call('POST', `${base()}/test`, {
      provider: 'openai-compatible',
      apiKey: canary,
      baseUrl: 'http://127.0.0.1:9/v1',
    });
    await call('POST', `${base()}/test`, {
      provider: 'anthropic',
      apiKey: canary,
      baseUrl: `${fake.url}/v1`,
    });
    await call('PUT', `${base()}/${id}`, { apiKey: `${canary}-2`, baseUrl: 'http://localhost:9/v1' });
    await call('POST', `${base()}/${id}/test`);
    await call('GET', `/api/workspaces/${fixture.workspaceId}/audit-events?limit=200`);
    await call('DELETE', `${base()}/${id}`);
    await call('POST', base(), {
      provider: 'openai',
      label: 'bad',
      apiKey: canary,
      baseUrl: 'http://169.254.169.254/',
    });

    expect(bodies.length).toBeGreaterThan(10);
    for (const body of bodies) expect(body).not.toContain(canary);
    expect(logLines.length).toBeGreaterThan(10);
    for (const line of logLines) expect(line).not.toContain(canary);
    expect(fake.calls.some((entry) => entry.credential?.last4 === canary.slice(-4))).toBe(true);

    const tables = await queryRows<{ table_name: string }>(
      testApp.store.database,
      sql`select table_name from information_schema.tables where table_schema = 'public'`,
    );
    for (const { table_name: table } of tables) {
      const rows = await queryRows<{ row: string }>(
        testApp.store.database,
        sql.raw(`select row_to_json(t)::text as row from "${table}" t`),
      );
      for (const { row } of rows) expect(row, table).not.toContain(canary);
    }
  });
});
