import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorkspaceFixture, headersFor, type WorkspaceFixture } from '../support/identity-fixture.ts';
import { storeTargets } from '../support/store-targets.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

/** A session from a response that set the cookie (login, set-password). */
function sessionOf(response: { headers: Record<string, unknown>; json(): { csrfToken: string } }) {
  const cookie = String(response.headers['set-cookie']).split(';')[0] ?? '';
  return { cookie, 'x-csrf-token': response.json().csrfToken };
}

describe.each(storeTargets)('accounts nobody else can claim (no SMTP) on $name', (target) => {
  let testApp: TestApp;
  let dispose: () => Promise<void>;
  let workspaceA: WorkspaceFixture;
  let workspaceB: WorkspaceFixture;
  beforeAll(async () => {
    const opened = await target.open();
    dispose = opened.dispose;
    testApp = await createTestApp({ store: opened.store });
    workspaceA = await createWorkspaceFixture(testApp.services, 'claim-a');
    workspaceB = await createWorkspaceFixture(testApp.services, 'claim-b');
  });
  afterAll(async () => {
    await testApp.app.close();
    await dispose();
  });

  const inject = (
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    url: string,
    headers: Record<string, string>,
    payload?: Record<string, unknown>,
  ) =>
    payload === undefined
      ? testApp.app.inject({ method, url, headers })
      : testApp.app.inject({ method, url, headers, payload });

  it("does not give workspace B an active member that workspace A's admin controls", async () => {
    const address = `alice-${Date.now()}@example.test`;
    // Admin A invites alice, keeps the link and sets her password himself.
    const invited = await inject(
      'POST',
      `/api/workspaces/${workspaceA.workspaceId}/members`,
      headersFor(workspaceA.sessions.admin),
      { email: address, role: 'member' },
    );
    expect(invited.statusCode).toBe(201);
    expect(invited.json().invitation.delivery).toBe('link');
    const token = new URL(invited.json().invitation.setPasswordUrl).hash.replace('#token=', '');
    const takenOver = await inject(
      'POST',
      '/api/auth/set-password',
      {},
      { token, password: 'admin a owns alice now' },
    );
    expect(takenOver.statusCode).toBe(200);
    const alice = sessionOf(takenOver);

    // Owner B adds ALICE@…: the account exists and is unverified, so the membership waits.
    const added = await inject(
      'POST',
      `/api/workspaces/${workspaceB.workspaceId}/members`,
      headersFor(workspaceB.sessions.owner),
      { email: address.toUpperCase(), role: 'admin' },
    );
    expect(added.statusCode).toBe(201);
    expect(added.json()).toMatchObject({
      existingAccount: true,
      invitation: null,
      member: { email: address, role: 'admin', status: 'pending', emailVerified: false },
    });
    const aliceId: string = added.json().member.userId;

    // Until accepted it grants nothing: workspace B stays invisible to the account.
    const before = await inject('GET', `/api/workspaces/${workspaceB.workspaceId}/agents`, alice);
    expect(before.statusCode).toBe(404);
    const me = await inject('GET', '/api/me', alice);
    expect(me.json().workspaces.map((workspace: { id: string }) => workspace.id)).toEqual([
      workspaceA.workspaceId,
    ]);
    const members = await inject(
      'GET',
      `/api/workspaces/${workspaceB.workspaceId}/members`,
      headersFor(workspaceB.sessions.owner),
    );
    expect(
      members.json().items.find((member: { userId: string }) => member.userId === aliceId),
    ).toMatchObject({
      status: 'pending',
      emailVerified: false,
    });
    // A second add of the same address is a conflict, not a second invitation.
    const again = await inject(
      'POST',
      `/api/workspaces/${workspaceB.workspaceId}/members`,
      headersFor(workspaceB.sessions.owner),
      { email: address, role: 'viewer' },
    );
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe('member_exists');

    // The holder sees the invitation and must accept it; an API token cannot answer for them.
    const listed = await inject('GET', '/api/invitations', alice);
    expect(listed.json().items).toEqual([
      expect.objectContaining({ workspaceId: workspaceB.workspaceId, role: 'admin' }),
    ]);
    const byToken = await inject(
      'POST',
      `/api/invitations/${workspaceB.workspaceId}/accept`,
      headersFor(workspaceA.tokens.owner),
    );
    expect(byToken.statusCode).toBe(403);
    expect(byToken.json().error.code).toBe('user_session_required');
    const accepted = await inject('POST', `/api/invitations/${workspaceB.workspaceId}/accept`, alice);
    expect(accepted.statusCode).toBe(200);
    const after = await inject('GET', `/api/workspaces/${workspaceB.workspaceId}/agents`, alice);
    expect(after.statusCode).toBe(200);
    const twice = await inject('POST', `/api/invitations/${workspaceB.workspaceId}/accept`, alice);
    expect(twice.statusCode).toBe(404);
    expect(twice.json().error.code).toBe('invitation_not_found');
  });

  it('lets the holder decline, which removes the pending membership', async () => {
    const address = `bob-${Date.now()}@example.test`;
    const invited = await inject(
      'POST',
      `/api/workspaces/${workspaceA.workspaceId}/members`,
      headersFor(workspaceA.sessions.owner),
      { email: address, role: 'member' },
    );
    const token = new URL(invited.json().invitation.setPasswordUrl).hash.replace('#token=', '');
    const bob = sessionOf(
      await inject('POST', '/api/auth/set-password', {}, { token, password: 'bob chooses this one' }),
    );
    await inject(
      'POST',
      `/api/workspaces/${workspaceB.workspaceId}/members`,
      headersFor(workspaceB.sessions.owner),
      {
        email: address,
        role: 'member',
      },
    );
    const declined = await inject('POST', `/api/invitations/${workspaceB.workspaceId}/decline`, bob);
    expect(declined.statusCode).toBe(204);
    expect((await inject('GET', '/api/invitations', bob)).json().items).toEqual([]);
    const members = await inject(
      'GET',
      `/api/workspaces/${workspaceB.workspaceId}/members`,
      headersFor(workspaceB.sessions.owner),
    );
    expect(members.json().items.some((member: { email: string }) => member.email === address)).toBe(false);
  });

  it('counts neither a never-activated nor a pending owner for the last-owner check', async () => {
    const fixture = await createWorkspaceFixture(testApp.services, 'owners');
    const owner = headersFor(fixture.sessions.owner);
    const base = `/api/workspaces/${fixture.workspaceId}/members`;
    // An invited owner who never set a password…
    const invited = await inject('POST', base, owner, {
      email: `ghost-${Date.now()}@example.test`,
      role: 'owner',
    });
    expect(invited.json().member.status).toBe('invited');
    // …and an existing, unverified account invited as owner (pending).
    const pending = await inject('POST', base, owner, {
      email: (await testApp.services.repositories.users.findById(workspaceA.users.viewer))?.email,
      role: 'owner',
    });
    expect(pending.json().member.status).toBe('pending');

    const leave = await inject('DELETE', `${base}/${fixture.users.owner}`, owner);
    expect(leave.statusCode).toBe(409);
    expect(leave.json().error.code).toBe('last_owner');
    const demote = await inject('PATCH', `${base}/${fixture.users.owner}`, owner, { role: 'admin' });
    expect(demote.statusCode).toBe(409);
    // The owners that do not count can be demoted or removed without another owner.
    const demoteGhost = await inject('PATCH', `${base}/${invited.json().member.userId}`, owner, {
      role: 'member',
    });
    expect(demoteGhost.statusCode).toBe(200);
    const removePending = await inject('DELETE', `${base}/${pending.json().member.userId}`, owner);
    expect(removePending.statusCode).toBe(204);
  });

  it('keeps a member-role token (or an admin) from revoking tokens of a higher role', async () => {
    const fixture = await createWorkspaceFixture(testApp.services, 'revoke');
    const base = `/api/workspaces/${fixture.workspaceId}/tokens`;
    const listed = await inject('GET', base, headersFor(fixture.sessions.owner));
    const idOf = (name: string): string =>
      listed.json().items.find((token: { name: string }) => token.name === name).id;
    // Every fixture token was made by the owner, so a member token acts as the owner's user.
    for (const target of ['owner token', 'admin token']) {
      const refused = await inject('DELETE', `${base}/${idOf(target)}`, headersFor(fixture.tokens.member));
      expect(refused.statusCode).toBe(403);
      expect(refused.json().error.code).toBe('role_too_high');
    }
    const byAdmin = await inject(
      'DELETE',
      `${base}/${idOf('owner token')}`,
      headersFor(fixture.sessions.admin),
    );
    expect(byAdmin.statusCode).toBe(403);
    // Still allowed: its own role and below, and an owner revoking anything.
    expect(
      (await inject('DELETE', `${base}/${idOf('viewer token')}`, headersFor(fixture.tokens.member)))
        .statusCode,
    ).toBe(204);
    expect(
      (await inject('DELETE', `${base}/${idOf('admin token')}`, headersFor(fixture.sessions.owner)))
        .statusCode,
    ).toBe(204);
    const ownerTokenWorks = await inject('GET', base, headersFor(fixture.tokens.owner));
    expect(ownerTokenWorks.statusCode).toBe(200);
  });

  it('refuses password resets and address confirmation with a clear 409 when no SMTP is configured', async () => {
    const reset = await inject('POST', '/api/auth/password-reset', {}, { email: 'someone@example.test' });
    expect(reset.statusCode).toBe(409);
    expect(reset.json().error.code).toBe('email_not_configured');
    const verify = await inject('POST', '/api/me/email-verification', headersFor(workspaceA.sessions.member));
    expect(verify.statusCode).toBe(409);
    expect(verify.json().error.code).toBe('email_not_configured');
  });
});
