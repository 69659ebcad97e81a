import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FlightdeckError } from '../../src/core/errors.ts';
import { createKeyring } from '../../src/security/keyring.ts';
import { makeMasterKey } from '../../src/security/keyring-master-keys.ts';
import { createServices } from '../../src/services/create-services.ts';
import { rotateMasterKey } from '../../src/services/provider-keys/prepare-keyring.ts';
import {
  type Credentials,
  createWorkspaceFixture,
  headersFor,
  type WorkspaceFixture,
} from '../support/identity-fixture.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

describe('workspace secrets', () => {
  const oldKey = makeMasterKey('old', randomBytes(32));
  const newKey = makeMasterKey('new', randomBytes(32));
  let testApp: TestApp;
  let fixture: WorkspaceFixture;
  let other: WorkspaceFixture;

  beforeAll(async () => {
    testApp = await createTestApp({ keyring: createKeyring([oldKey]) });
    fixture = await createWorkspaceFixture(testApp.services, 'secrets');
    other = await createWorkspaceFixture(testApp.services, 'secrets-other');
  });
  afterAll(() => testApp.close());

  function client(workspace: WorkspaceFixture, credentials: Credentials = workspace.tokens.owner) {
    const base = `/api/workspaces/${workspace.workspaceId}/secrets`;
    const send = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, payload?: object) =>
      testApp.app.inject({
        method,
        url: `${base}${path}`,
        headers: headersFor(credentials),
        ...(payload === undefined ? {} : { payload }),
      });
    return {
      list: () => send('GET', ''),
      create: (body: object) => send('POST', '', body),
      update: (name: string, body: object) => send('PUT', `/${name}`, body),
      remove: (name: string) => send('DELETE', `/${name}`),
    };
  }

  const value = () => `ghp_${randomBytes(16).toString('hex')}`;

  it('creates, lists, replaces and deletes a secret without ever answering or storing the value', async () => {
    const api = client(fixture);
    const first = value();
    const second = value();
    const bodies: string[] = [];

    const created = await api.create({ name: 'GITHUB_TOKEN', value: first });
    bodies.push(created.body);
    expect(created.statusCode).toBe(201);
    expect(created.json()).toEqual({
      id: expect.any(String),
      name: 'GITHUB_TOKEN',
      lastFour: `••••${first.slice(-4)}`,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    const id = created.json().id as string;

    const short = await api.create({ name: 'A_SHORT_ONE', value: 'abc12345678' });
    bodies.push(short.body);
    expect(short.statusCode).toBe(201);
    expect(short.json().lastFour).toBe('••••');

    const list = await client(fixture, fixture.sessions.viewer).list();
    bodies.push(list.body);
    expect(list.statusCode).toBe(200);
    expect(list.json().items.map((item: { name: string }) => item.name)).toEqual([
      'A_SHORT_ONE',
      'GITHUB_TOKEN',
    ]);
    expect(list.json().nextCursor).toBeNull();

    const row = await testApp.services.repositories.workspaceSecrets.findByName(
      fixture.workspaceId,
      'GITHUB_TOKEN',
    );
    expect(row?.secretEnvelope).toMatch(/^v1:old:[\w-]+:[\w-]+:[\w-]+$/);
    expect(row?.secretEnvelope).not.toContain(first);
    expect(Buffer.from(row?.secretEnvelope ?? '', 'utf8').includes(first)).toBe(false);
    expect(await testApp.services.secrets.resolve(fixture.workspaceId, ['GITHUB_TOKEN'])).toEqual({
      GITHUB_TOKEN: first,
    });

    const updated = await api.update('GITHUB_TOKEN', { value: second });
    bodies.push(updated.body);
    expect(updated.statusCode).toBe(200);
    expect(updated.json()).toMatchObject({ id, name: 'GITHUB_TOKEN', lastFour: `••••${second.slice(-4)}` });
    const [stored] = await testApp.services.repositories.workspaceSecrets.findByNames(fixture.workspaceId, [
      'GITHUB_TOKEN',
    ]);
    expect(stored?.secretEnvelope).not.toContain(second);
    expect(stored?.secretEnvelope).not.toBe(row?.secretEnvelope);
    expect(await testApp.services.secrets.resolve(fixture.workspaceId, ['GITHUB_TOKEN'])).toEqual({
      GITHUB_TOKEN: second,
    });

    const deleted = await api.remove('GITHUB_TOKEN');
    bodies.push(deleted.body);
    expect(deleted.statusCode).toBe(204);
    expect((await api.remove('GITHUB_TOKEN')).statusCode).toBe(404);
    expect((await api.update('GITHUB_TOKEN', { value: first })).json().error.code).toBe('secret_not_found');
    expect((await api.list()).json().items.map((item: { name: string }) => item.name)).toEqual([
      'A_SHORT_ONE',
    ]);

    const audit = await testApp.app.inject({
      method: 'GET',
      url: `/api/workspaces/${fixture.workspaceId}/audit-events?limit=200`,
      headers: headersFor(fixture.tokens.owner),
    });
    bodies.push(audit.body);
    const events = (
      audit.json().items as Array<{ action: string; target: { id: string }; metadata: object }>
    ).filter((event) => event.action.startsWith('secret.'));
    expect(
      events.filter((event) => event.target.id === id).map((event) => [event.action, event.metadata]),
    ).toEqual([
      ['secret.deleted', { name: 'GITHUB_TOKEN' }],
      ['secret.updated', { name: 'GITHUB_TOKEN' }],
      ['secret.created', { name: 'GITHUB_TOKEN' }],
    ]);
    for (const body of bodies) {
      expect(body).not.toContain(first);
      expect(body).not.toContain(second);
    }
  });

  it('refuses bad names and values, and a name already taken', async () => {
    const api = client(fixture);
    for (const name of [
      'lower',
      '1STARTS_WITH_DIGIT',
      'WITH-DASH',
      'WITH SPACE',
      `A${'B'.repeat(64)}`,
      '_LEADING',
    ]) {
      const response = await api.create({ name, value: 'whatever' });
      expect(response.statusCode, name).toBe(400);
      expect(response.json().error.code, name).toBe('secret_name_invalid');
    }
    expect((await api.create({ name: `A${'B'.repeat(63)}`, value: 'x' })).statusCode).toBe(201);
    expect((await api.create({ name: 'EMPTY', value: '' })).json().error.code).toBe('validation_failed');
    expect((await api.create({ name: 'HUGE', value: 'x'.repeat(8193) })).statusCode).toBe(400);
    expect((await api.create({ name: 'BIGGEST', value: 'x'.repeat(8192) })).statusCode).toBe(201);
    expect((await api.create({ name: 'EXTRA', value: 'x', id: 'mine' })).statusCode).toBe(400);

    expect((await api.create({ name: 'TAKEN', value: 'one' })).statusCode).toBe(201);
    const again = await api.create({ name: 'TAKEN', value: 'two' });
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe('secret_name_taken');
    // The same name in another workspace is its own secret.
    expect((await client(other).create({ name: 'TAKEN', value: 'three' })).statusCode).toBe(201);
  });

  it('lets viewers and members list but only managers of keys change secrets', async () => {
    const secret = value();
    for (const role of ['viewer', 'member'] as const) {
      const response = await client(fixture, fixture.sessions[role]).create({
        name: 'NOT_ALLOWED',
        value: secret,
      });
      expect(response.statusCode, role).toBe(403);
      expect(response.json().error.code).toBe('permission_denied');
    }
    expect(
      (await client(fixture, fixture.tokens.admin).create({ name: 'BY_ADMIN', value: secret })).statusCode,
    ).toBe(201);
    const viewer = client(fixture, fixture.tokens.viewer);
    expect((await viewer.update('BY_ADMIN', { value: 'x' })).statusCode).toBe(403);
    expect((await viewer.remove('BY_ADMIN')).statusCode).toBe(403);
    expect((await viewer.list()).statusCode).toBe(200);
  });

  it("keeps another workspace's secrets out of reach: 404 by route, missing in resolve", async () => {
    const foreignValue = value();
    expect((await client(other).create({ name: 'FOREIGN_ONLY', value: foreignValue })).statusCode).toBe(201);
    const own = client(fixture);
    expect((await own.update('FOREIGN_ONLY', { value: 'x' })).statusCode).toBe(404);
    expect((await own.remove('FOREIGN_ONLY')).statusCode).toBe(404);
    expect((await own.list()).body).not.toContain('FOREIGN_ONLY');
    // The other workspace's owner, on our workspace's routes.
    const intruder = testApp.app.inject({
      method: 'GET',
      url: `/api/workspaces/${fixture.workspaceId}/secrets`,
      headers: headersFor(other.tokens.owner),
    });
    expect((await intruder).statusCode).toBe(404);

    await expect(
      testApp.services.secrets.resolve(fixture.workspaceId, ['FOREIGN_ONLY']),
    ).rejects.toMatchObject({
      code: 'secret_not_found',
      kind: 'invalid',
      details: { name: 'FOREIGN_ONLY' },
    });
    expect(await testApp.services.secrets.resolve(other.workspaceId, ['FOREIGN_ONLY'])).toEqual({
      FOREIGN_ONLY: foreignValue,
    });
  });

  it('resolves several names at once and names the first missing one', async () => {
    const api = client(fixture);
    const [one, two] = [value(), value()];
    await api.create({ name: 'RESOLVE_ONE', value: one });
    await api.create({ name: 'RESOLVE_TWO', value: two });
    expect(
      await testApp.services.secrets.resolve(fixture.workspaceId, [
        'RESOLVE_TWO',
        'RESOLVE_ONE',
        'RESOLVE_TWO',
      ]),
    ).toEqual({ RESOLVE_ONE: one, RESOLVE_TWO: two });
    expect(await testApp.services.secrets.resolve(fixture.workspaceId, [])).toEqual({});
    const error = await testApp.services.secrets
      .resolve(fixture.workspaceId, ['RESOLVE_ONE', 'NOPE'])
      .catch((caught: unknown) => caught);
    expect(FlightdeckError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: 'secret_not_found', details: { name: 'NOPE' } });
    expect((error as Error).message).toContain('no secret named NOPE');
    expect((error as Error).message).toContain(`/api/workspaces/${fixture.workspaceId}/secrets`);
  });

  it('binds each envelope to its row: one copied onto another secret does not decrypt', async () => {
    const api = client(fixture);
    await api.create({ name: 'BOUND_SOURCE', value: value() });
    await api.create({ name: 'BOUND_TARGET', value: value() });
    await testApp.store.database.execute(
      sql`update user_secrets set secret_envelope = (select secret_envelope from user_secrets where workspace_id = ${fixture.workspaceId} and name = 'BOUND_SOURCE') where workspace_id = ${fixture.workspaceId} and name = 'BOUND_TARGET'`,
    );
    await expect(
      testApp.services.secrets.resolve(fixture.workspaceId, ['BOUND_TARGET']),
    ).rejects.toMatchObject({
      code: 'secret_decryption_failed',
    });
    await api.remove('BOUND_TARGET');
  });

  it('re-encrypts workspace secrets when the master key rotates', async () => {
    const secret = value();
    expect((await client(other).create({ name: 'ROTATE_ME', value: secret })).statusCode).toBe(201);
    const rotating = createServices({
      store: testApp.store,
      publicUrl: 'http://127.0.0.1:3000',
      keyring: createKeyring([newKey, oldKey]),
    });
    const result = await rotateMasterKey({
      keyring: rotating.providerKeys.keyring,
      repositories: rotating.repositories,
    });
    expect(result.skipped).toBe(0);
    expect(result.rotated).toBeGreaterThan(0);
    const row = await rotating.repositories.workspaceSecrets.findByName(other.workspaceId, 'ROTATE_ME');
    expect(row?.secretEnvelope.startsWith('v1:new:')).toBe(true);
    for (const workspaceId of [fixture.workspaceId, other.workspaceId]) {
      for (const stored of await rotating.repositories.workspaceSecrets.list(workspaceId))
        expect(stored.secretEnvelope.startsWith('v1:new:'), stored.name).toBe(true);
    }

    const newOnly = createServices({
      store: testApp.store,
      publicUrl: 'http://127.0.0.1:3000',
      keyring: createKeyring([newKey]),
    });
    expect(await newOnly.secrets.resolve(other.workspaceId, ['ROTATE_ME'])).toEqual({ ROTATE_ME: secret });
  });
});
