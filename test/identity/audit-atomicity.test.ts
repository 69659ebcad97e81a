import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorkspaceFixture, headersFor, type WorkspaceFixture } from '../support/identity-fixture.ts';
import { storeTargets } from '../support/store-targets.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

// The audit insert is made to fail inside the database (a trigger), as a full disk or a lost
// connection would: the change it records must not be left behind without it.
describe.each(storeTargets)('a change and its audit event on $name', (target) => {
  let testApp: TestApp;
  let dispose: () => Promise<void>;
  let fixture: WorkspaceFixture;

  beforeAll(async () => {
    const opened = await target.open();
    dispose = opened.dispose;
    testApp = await createTestApp({ store: opened.store });
    fixture = await createWorkspaceFixture(testApp.services, 'audit-atomic');
    await testApp.store.database.execute(
      sql.raw(`create function refuse_audit() returns trigger language plpgsql as $$
        begin raise exception 'audit log unavailable'; end $$`),
    );
    await testApp.store.database.execute(
      sql.raw(
        'create trigger refuse_audit before insert on audit_events for each row execute function refuse_audit()',
      ),
    );
  });
  afterAll(async () => {
    await testApp.app.close();
    await dispose();
  });

  const call = (method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', path: string, payload?: object) =>
    testApp.app.inject({
      method,
      url: `/api/workspaces/${fixture.workspaceId}${path}`,
      headers: headersFor(fixture.sessions.owner),
      ...(payload ? { payload } : {}),
    });

  it('leaves the workspace unrenamed and its settings unchanged when the audit event cannot be written', async () => {
    const before = (await call('GET', '')).json();
    const answer = await call('PATCH', '', { name: 'Renamed', settings: { rateLimitPerMinute: 7 } });
    expect(answer.statusCode).toBe(500);
    expect((await call('GET', '')).json()).toEqual(before);
  });

  it('creates, rotates or deletes no provider key and no secret without its audit event', async () => {
    const keysBefore = (await call('GET', '/provider-keys')).json();
    const created = await call('POST', '/provider-keys', {
      provider: 'openai-compatible',
      label: 'unaudited',
      apiKey: 'sk-unaudited-0001',
      baseUrl: 'http://127.0.0.1:9/v1',
    });
    expect(created.statusCode).toBe(500);
    const rotated = await call('PUT', `/provider-keys/${fixture.targetProviderKeyId}`, {
      apiKey: 'sk-rotated-0002',
      label: 'rotated',
    });
    expect(rotated.statusCode).toBe(500);
    expect((await call('DELETE', `/provider-keys/${fixture.targetProviderKeyId}`)).statusCode).toBe(500);
    expect((await call('GET', '/provider-keys')).json()).toEqual(keysBefore);

    const secret = await call('POST', '/secrets', { name: 'UNAUDITED', value: 'value-0003' });
    expect(secret.statusCode).toBe(500);
    expect((await call('GET', '/secrets')).json().items).toEqual([]);
  });

  it('keeps the alert webhook signing secret when its rotation cannot be audited', async () => {
    const before = await testApp.services.webhooks.signingSecret(fixture.workspaceId);
    expect((await call('POST', '/alert-webhook/signing-secret')).statusCode).toBe(500);
    expect(await testApp.services.webhooks.signingSecret(fixture.workspaceId)).toBe(before);
  });
});
