import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routeTableOf } from '../../src/server/create-app.ts';
import { createWorkspaceFixture, headersFor, type WorkspaceFixture } from '../support/identity-fixture.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

describe('members, tokens and mass assignment', () => {
  let testApp: TestApp;
  beforeAll(async () => {
    testApp = await createTestApp();
  });
  afterAll(() => testApp.close());

  const as = (fixture: WorkspaceFixture, who: keyof WorkspaceFixture['sessions']) =>
    headersFor(fixture.sessions[who]);

  it('never removes or demotes the last owner, and allows it once there is another', async () => {
    const fixture = await createWorkspaceFixture(testApp.services, 'owners');
    const ownerId = fixture.users.owner;
    const base = `/api/workspaces/${fixture.workspaceId}/members`;
    const demote = await testApp.app.inject({
      method: 'PATCH',
      url: `${base}/${ownerId}`,
      headers: as(fixture, 'owner'),
      payload: { role: 'admin' },
    });
    expect(demote.statusCode).toBe(409);
    expect(demote.json().error.code).toBe('last_owner');
    const remove = await testApp.app.inject({
      method: 'DELETE',
      url: `${base}/${ownerId}`,
      headers: as(fixture, 'owner'),
    });
    expect(remove.statusCode).toBe(409);

    const promote = await testApp.app.inject({
      method: 'PATCH',
      url: `${base}/${fixture.users.admin}`,
      headers: as(fixture, 'owner'),
      payload: { role: 'owner' },
    });
    expect(promote.statusCode).toBe(200);
    const nowAllowed = await testApp.app.inject({
      method: 'PATCH',
      url: `${base}/${ownerId}`,
      headers: as(fixture, 'owner'),
      payload: { role: 'viewer' },
    });
    expect(nowAllowed.statusCode).toBe(200);
    expect(nowAllowed.json().role).toBe('viewer');
  });

  it('keeps two owners from demoting each other at the same moment', async () => {
    const fixture = await createWorkspaceFixture(testApp.services, 'race');
    const base = `/api/workspaces/${fixture.workspaceId}/members`;
    await testApp.app.inject({
      method: 'PATCH',
      url: `${base}/${fixture.users.admin}`,
      headers: as(fixture, 'owner'),
      payload: { role: 'owner' },
    });
    const answers = await Promise.all([
      testApp.app.inject({
        method: 'PATCH',
        url: `${base}/${fixture.users.owner}`,
        headers: as(fixture, 'admin'),
        payload: { role: 'member' },
      }),
      testApp.app.inject({
        method: 'PATCH',
        url: `${base}/${fixture.users.admin}`,
        headers: as(fixture, 'owner'),
        payload: { role: 'member' },
      }),
    ]);
    expect(answers.map((answer) => answer.statusCode).sort()).toEqual([200, 409]);
    const members = await testApp.app.inject({ method: 'GET', url: base, headers: as(fixture, 'owner') });
    const owners = members.json().items.filter((member: { role: string }) => member.role === 'owner');
    expect(owners).toHaveLength(1);
  });

  it('lets admins manage members below owner, but not grant or touch the owner role', async () => {
    const fixture = await createWorkspaceFixture(testApp.services, 'admins');
    const base = `/api/workspaces/${fixture.workspaceId}/members`;
    const grant = await testApp.app.inject({
      method: 'PATCH',
      url: `${base}/${fixture.targetUserId}`,
      headers: as(fixture, 'admin'),
      payload: { role: 'owner' },
    });
    expect(grant.statusCode).toBe(403);
    const removeOwner = await testApp.app.inject({
      method: 'DELETE',
      url: `${base}/${fixture.users.owner}`,
      headers: as(fixture, 'admin'),
    });
    expect(removeOwner.statusCode).toBe(403);
    const demoteMember = await testApp.app.inject({
      method: 'PATCH',
      url: `${base}/${fixture.targetUserId}`,
      headers: as(fixture, 'admin'),
      payload: { role: 'viewer' },
    });
    expect(demoteMember.statusCode).toBe(200);
  });

  it('answers 404 for a member of another workspace, even to an owner', async () => {
    const mine = await createWorkspaceFixture(testApp.services, 'mine');
    const theirs = await createWorkspaceFixture(testApp.services, 'theirs');
    const response = await testApp.app.inject({
      method: 'PATCH',
      url: `/api/workspaces/${mine.workspaceId}/members/${theirs.targetUserId}`,
      headers: as(mine, 'owner'),
      payload: { role: 'viewer' },
    });
    expect(response.statusCode).toBe(404);
    const theirMember = await testApp.services.repositories.workspaces.findMember(
      theirs.workspaceId,
      theirs.targetUserId,
    );
    expect(theirMember?.role).toBe('member');
  });

  it('creates tokens no higher than the creator, shows the secret once, lists only the prefix', async () => {
    const fixture = await createWorkspaceFixture(testApp.services, 'tokens');
    const base = `/api/workspaces/${fixture.workspaceId}/tokens`;
    const tooHigh = await testApp.app.inject({
      method: 'POST',
      url: base,
      headers: as(fixture, 'member'),
      payload: { name: 'escalate', role: 'admin' },
    });
    expect(tooHigh.statusCode).toBe(403);
    expect(tooHigh.json().error.code).toBe('role_too_high');

    const created = await testApp.app.inject({
      method: 'POST',
      url: base,
      headers: as(fixture, 'member'),
      payload: { name: 'deploy bot', role: 'member' },
    });
    expect(created.statusCode).toBe(201);
    const { token, prefix, id } = created.json();
    expect(token).toMatch(/^fd_[\w-]{43}$/);
    expect(token.startsWith(prefix)).toBe(true);

    const list = await testApp.app.inject({ method: 'GET', url: base, headers: as(fixture, 'viewer') });
    expect(list.body).not.toContain(token);
    const listed = list.json().items.find((item: { id: string }) => item.id === id);
    expect(listed).toMatchObject({ name: 'deploy bot', role: 'member', prefix, lastUsedAt: null });
    expect(listed.createdBy.id).toBe(fixture.users.member);

    const used = await testApp.app.inject({
      method: 'GET',
      url: `/api/workspaces/${fixture.workspaceId}`,
      headers: { authorization: `Bearer ${token}` },
    });
    expect(used.statusCode).toBe(200);
    const afterUse = await testApp.app.inject({ method: 'GET', url: base, headers: as(fixture, 'viewer') });
    expect(afterUse.json().items.find((item: { id: string }) => item.id === id).lastUsedAt).not.toBeNull();
  });

  it('stops a revoked token on its next request', async () => {
    const fixture = await createWorkspaceFixture(testApp.services, 'revoke');
    const base = `/api/workspaces/${fixture.workspaceId}/tokens`;
    const created = await testApp.app.inject({
      method: 'POST',
      url: base,
      headers: as(fixture, 'owner'),
      payload: { name: 'short-lived', role: 'viewer' },
    });
    const headers = { authorization: `Bearer ${created.json().token}` };
    expect((await testApp.app.inject({ method: 'GET', url: '/api/me', headers })).statusCode).toBe(200);
    const revoke = await testApp.app.inject({
      method: 'DELETE',
      url: `${base}/${created.json().id}`,
      headers: as(fixture, 'owner'),
    });
    expect(revoke.statusCode).toBe(204);
    const after = await testApp.app.inject({ method: 'GET', url: '/api/me', headers });
    expect(after.statusCode).toBe(401);
    expect(after.json().error.code).toBe('invalid_token');
  });

  it("limits a token to its creator's current role", async () => {
    const fixture = await createWorkspaceFixture(testApp.services, 'demoted');
    const created = await testApp.app.inject({
      method: 'POST',
      url: `/api/workspaces/${fixture.workspaceId}/tokens`,
      headers: as(fixture, 'admin'),
      payload: { name: 'admin bot', role: 'admin' },
    });
    const headers = { authorization: `Bearer ${created.json().token}` };
    await testApp.app.inject({
      method: 'PATCH',
      url: `/api/workspaces/${fixture.workspaceId}/members/${fixture.users.admin}`,
      headers: as(fixture, 'owner'),
      payload: { role: 'viewer' },
    });
    const rename = await testApp.app.inject({
      method: 'PATCH',
      url: `/api/workspaces/${fixture.workspaceId}`,
      headers,
      payload: { name: 'not allowed any more' },
    });
    expect(rename.statusCode).toBe(403);
    await testApp.app.inject({
      method: 'DELETE',
      url: `/api/workspaces/${fixture.workspaceId}/members/${fixture.users.admin}`,
      headers: as(fixture, 'owner'),
    });
    expect((await testApp.app.inject({ method: 'GET', url: '/api/me', headers })).statusCode).toBe(401);
  });

  it('shows the alert webhook URL whole only to those who manage settings', async () => {
    const fixture = await createWorkspaceFixture(testApp.services, 'webhook');
    const url = `/api/workspaces/${fixture.workspaceId}`;
    const secretUrl = 'https://203.0.113.10/services/T000/B000/secret-part';
    await testApp.app.inject({
      method: 'PATCH',
      url,
      headers: as(fixture, 'owner'),
      payload: { settings: { alertWebhookUrl: secretUrl } },
    });
    const admin = await testApp.app.inject({ method: 'GET', url, headers: as(fixture, 'admin') });
    expect(admin.json().settings.alertWebhookUrl).toBe(secretUrl);
    for (const role of ['member', 'viewer'] as const) {
      const response = await testApp.app.inject({ method: 'GET', url, headers: as(fixture, role) });
      expect(response.json().settings.alertWebhookUrl).toBe('https://203.0.113.10/…');
      expect(response.body).not.toContain('secret-part');
    }
  });

  it('refuses server-controlled fields on every write route with 400 unknown_field and changes nothing', async () => {
    const fixture = await createWorkspaceFixture(testApp.services, 'mass');
    const serverFields = {
      id: 'forged-id',
      workspaceId: 'forged-workspace',
      createdBy: 'forged-user',
      createdAt: '2000-01-01T00:00:00Z',
      role: 'owner',
      passwordHash: 'scrypt$forged',
    };
    const writeRoutes = routeTableOf(testApp.app).filter(
      (route) => route.hasBody && route.url.includes(':workspaceId'),
    );
    expect(writeRoutes.length).toBeGreaterThanOrEqual(5);
    const before = await testApp.app.inject({
      method: 'GET',
      url: `/api/workspaces/${fixture.workspaceId}`,
      headers: as(fixture, 'owner'),
    });
    for (const route of writeRoutes) {
      const url = route.url
        .replace(':workspaceId', fixture.workspaceId)
        .replace(':userId', fixture.targetUserId)
        .replace(':tokenId', fixture.targetTokenId)
        .replace(':providerKeyId', fixture.targetProviderKeyId)
        .replace(/:\w+/g, 'unknown');
      const response = await testApp.app.inject({
        method: route.method as 'POST',
        url,
        headers: as(fixture, 'owner'),
        payload: { name: 'Legit name', ...serverFields },
      });
      const label = `${route.method} ${route.url}`;
      expect(response.statusCode, label).toBe(400);
      expect(response.json().error.code, label).toBe('unknown_field');
      expect(response.json().error.details.fields, label).toEqual(
        expect.arrayContaining(['id', 'workspaceId']),
      );
    }
    const after = await testApp.app.inject({
      method: 'GET',
      url: `/api/workspaces/${fixture.workspaceId}`,
      headers: as(fixture, 'owner'),
    });
    expect(after.json()).toEqual(before.json());
    const roles = await testApp.app.inject({
      method: 'GET',
      url: `/api/workspaces/${fixture.workspaceId}/members`,
      headers: as(fixture, 'owner'),
    });
    expect(roles.json().items.filter((member: { role: string }) => member.role === 'owner')).toHaveLength(1);
  });
});
