import { afterEach, describe, expect, it } from 'vitest';
import { createManualClock, createTestApp, type TestApp } from '../support/test-app.ts';

const owner = {
  email: 'ada@example.test',
  password: 'correct horse battery',
  name: 'Ada',
  workspaceName: 'Acme',
};

function cookieOf(response: { headers: Record<string, unknown> }): string {
  return String(response.headers['set-cookie']).split(';')[0] ?? '';
}

describe('setup and sessions', () => {
  let testApp: TestApp;
  afterEach(() => testApp?.close());

  it('creates the first owner once, then answers 409 setup_already_done', async () => {
    testApp = await createTestApp();
    expect((await testApp.app.inject({ method: 'GET', url: '/api/setup' })).json()).toEqual({
      setupRequired: true,
    });
    const first = await testApp.app.inject({ method: 'POST', url: '/api/setup', payload: owner });
    expect(first.statusCode).toBe(201);
    expect(first.json().workspace.name).toBe('Acme');
    const cookie = String(first.headers['set-cookie']);
    expect(cookie).toMatch(/^flightdeck_session=[\w-]{43}; Path=\/; HttpOnly; SameSite=Lax; Expires=/);
    expect(cookie).not.toContain('Secure');
    const second = await testApp.app.inject({
      method: 'POST',
      url: '/api/setup',
      payload: { ...owner, email: 'eve@example.test' },
    });
    expect(second.statusCode).toBe(409);
    expect(second.json().error.code).toBe('setup_already_done');
    expect((await testApp.app.inject({ method: 'GET', url: '/api/setup' })).json()).toEqual({
      setupRequired: false,
    });
  });

  it('lets only one of several concurrent setups through', async () => {
    testApp = await createTestApp();
    const answers = await Promise.all(
      Array.from({ length: 5 }, (_, index) =>
        testApp.app.inject({
          method: 'POST',
          url: '/api/setup',
          payload: { ...owner, email: `o${index}@example.test` },
        }),
      ),
    );
    expect(answers.map((answer) => answer.statusCode).sort()).toEqual([201, 409, 409, 409, 409]);
    expect(await testApp.services.repositories.users.count()).toBe(1);
  });

  it('refuses a short password with a clear rule and creates nothing', async () => {
    testApp = await createTestApp();
    const response = await testApp.app.inject({
      method: 'POST',
      url: '/api/setup',
      payload: { ...owner, password: 'short' },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toMatchObject({
      code: 'password_too_short',
      message: expect.stringContaining('12'),
    });
    expect(await testApp.services.repositories.users.count()).toBe(0);
  });

  it('marks the cookie Secure when the public URL is https', async () => {
    testApp = await createTestApp({ publicUrl: 'https://flightdeck.example.test' });
    const response = await testApp.app.inject({ method: 'POST', url: '/api/setup', payload: owner });
    expect(String(response.headers['set-cookie'])).toContain('; Secure');
  });

  it('signs in, answers /api/me with a CSRF token, and signs out', async () => {
    testApp = await createTestApp();
    await testApp.app.inject({ method: 'POST', url: '/api/setup', payload: owner });
    const login = await testApp.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { email: 'ADA@example.test', password: owner.password },
    });
    expect(login.statusCode).toBe(200);
    const cookie = cookieOf(login);
    const me = await testApp.app.inject({ method: 'GET', url: '/api/me', headers: { cookie } });
    expect(me.json()).toMatchObject({
      kind: 'user',
      user: { email: owner.email },
      csrfToken: login.json().csrfToken,
    });
    expect(me.json().workspaces[0]).toMatchObject({ name: 'Acme', role: 'owner' });

    const logout = await testApp.app.inject({
      method: 'POST',
      url: '/api/auth/logout',
      headers: { cookie, 'x-csrf-token': login.json().csrfToken },
    });
    expect(logout.statusCode).toBe(204);
    expect(String(logout.headers['set-cookie'])).toContain('Max-Age=0');
    const after = await testApp.app.inject({ method: 'GET', url: '/api/me', headers: { cookie } });
    expect(after.statusCode).toBe(401);
  });

  it('gives the same answer for an unknown email and a wrong password', async () => {
    testApp = await createTestApp();
    await testApp.app.inject({ method: 'POST', url: '/api/setup', payload: owner });
    const unknown = await testApp.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { email: 'nobody@example.test', password: owner.password },
    });
    const wrong = await testApp.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { email: owner.email, password: 'not the password' },
    });
    expect(unknown.statusCode).toBe(401);
    expect(wrong.statusCode).toBe(401);
    expect(unknown.body).toBe(wrong.body);
    expect(unknown.headers['set-cookie']).toBeUndefined();
  });

  it('throttles failed sign-ins per account with Retry-After, and lets the owner back in after the window', async () => {
    const clock = createManualClock();
    testApp = await createTestApp({ clock });
    await testApp.app.inject({ method: 'POST', url: '/api/setup', payload: owner });
    const attempt = (password: string) =>
      testApp.app.inject({
        method: 'POST',
        url: '/api/auth/login',
        payload: { email: owner.email, password },
      });
    for (let index = 0; index < 5; index++) expect((await attempt('wrong password!')).statusCode).toBe(401);
    const throttled = await attempt(owner.password);
    expect(throttled.statusCode).toBe(429);
    expect(throttled.json().error.code).toBe('login_throttled');
    // The wait in the units a person would say, not 897 seconds.
    expect(throttled.json().error.message).toMatch(/Try again in 1[45] minutes\./);
    expect(Number(throttled.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(throttled.headers['retry-after'])).toBeLessThanOrEqual(15 * 60);
    clock.advance(15 * 60 * 1000 + 1);
    expect((await attempt(owner.password)).statusCode).toBe(200);
  });

  it('throttles per address across accounts', async () => {
    testApp = await createTestApp({
      loginThrottlePolicy: { windowMs: 60_000, maximumFailuresPerAccount: 100, maximumFailuresPerAddress: 3 },
    });
    for (let index = 0; index < 3; index++) {
      const response = await testApp.app.inject({
        method: 'POST',
        url: '/api/auth/login',
        payload: { email: `guess${index}@example.test`, password: 'whatever password' },
      });
      expect(response.statusCode).toBe(401);
    }
    const blocked = await testApp.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { email: 'another@example.test', password: 'whatever password' },
    });
    expect(blocked.statusCode).toBe(429);
  });

  it('ends a session after the idle timeout and after the absolute timeout', async () => {
    const clock = createManualClock();
    testApp = await createTestApp({
      clock,
      sessionPolicy: { idleTimeoutMs: 60 * 60 * 1000, absoluteTimeoutMs: 3 * 60 * 60 * 1000 },
    });
    const setup = await testApp.app.inject({ method: 'POST', url: '/api/setup', payload: owner });
    const cookie = cookieOf(setup);
    const me = () => testApp.app.inject({ method: 'GET', url: '/api/me', headers: { cookie } });

    // Active every 50 minutes: the idle clock keeps moving, until the absolute limit.
    for (let step = 0; step < 3; step++) {
      clock.advance(50 * 60 * 1000);
      expect((await me()).statusCode).toBe(200);
    }
    clock.advance(40 * 60 * 1000); // 190 minutes after sign-in
    const expired = await me();
    expect(expired.statusCode).toBe(401);
    expect(expired.json().error.message).toContain('expired');

    const login = await testApp.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { email: owner.email, password: owner.password },
    });
    const idleCookie = cookieOf(login);
    clock.advance(61 * 60 * 1000);
    expect(
      (await testApp.app.inject({ method: 'GET', url: '/api/me', headers: { cookie: idleCookie } }))
        .statusCode,
    ).toBe(401);
  });

  it('requires the CSRF token for unsafe requests with a cookie, but not for tokens', async () => {
    testApp = await createTestApp();
    const setup = await testApp.app.inject({ method: 'POST', url: '/api/setup', payload: owner });
    const cookie = cookieOf(setup);
    const workspaceId = setup.json().workspace.id;
    const without = await testApp.app.inject({
      method: 'PATCH',
      url: `/api/workspaces/${workspaceId}`,
      headers: { cookie },
      payload: { name: 'Renamed' },
    });
    expect(without.statusCode).toBe(403);
    expect(without.json().error.code).toBe('csrf_token_invalid');
    const wrong = await testApp.app.inject({
      method: 'PATCH',
      url: `/api/workspaces/${workspaceId}`,
      headers: { cookie, 'x-csrf-token': 'forged' },
      payload: { name: 'Renamed' },
    });
    expect(wrong.statusCode).toBe(403);
    const unchanged = await testApp.app.inject({
      method: 'GET',
      url: `/api/workspaces/${workspaceId}`,
      headers: { cookie },
    });
    expect(unchanged.json().name).toBe('Acme');

    const token = await testApp.app.inject({
      method: 'POST',
      url: `/api/workspaces/${workspaceId}/tokens`,
      headers: { cookie, 'x-csrf-token': setup.json().csrfToken },
      payload: { name: 'ci', role: 'admin' },
    });
    const withToken = await testApp.app.inject({
      method: 'PATCH',
      url: `/api/workspaces/${workspaceId}`,
      headers: { authorization: `Bearer ${token.json().token}` },
      payload: { name: 'Renamed' },
    });
    expect(withToken.statusCode).toBe(200);
    expect(withToken.json().name).toBe('Renamed');
  });

  it('invites a new member who sets a password through a one-time link', async () => {
    testApp = await createTestApp();
    const setup = await testApp.app.inject({ method: 'POST', url: '/api/setup', payload: owner });
    const headers = { cookie: cookieOf(setup), 'x-csrf-token': setup.json().csrfToken };
    const workspaceId = setup.json().workspace.id;
    const invite = await testApp.app.inject({
      method: 'POST',
      url: `/api/workspaces/${workspaceId}/members`,
      headers,
      payload: { email: 'grace@example.test', role: 'member' },
    });
    expect(invite.statusCode).toBe(201);
    expect(invite.json().member).toMatchObject({
      email: 'grace@example.test',
      role: 'member',
      status: 'invited',
    });
    const link = new URL(invite.json().invitation.setPasswordUrl);
    const token = new URLSearchParams(link.hash.slice(1)).get('token') ?? '';

    // An invited account has no password yet: sign-in fails like any wrong password.
    const early = await testApp.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { email: 'grace@example.test', password: 'anything at all' },
    });
    expect(early.statusCode).toBe(401);

    const set = await testApp.app.inject({
      method: 'POST',
      url: '/api/auth/set-password',
      payload: { token, password: 'graces new password' },
    });
    expect(set.statusCode).toBe(200);
    const me = await testApp.app.inject({
      method: 'GET',
      url: '/api/me',
      headers: { cookie: cookieOf(set) },
    });
    expect(me.json().workspaces[0]).toMatchObject({ id: workspaceId, role: 'member' });

    const reuse = await testApp.app.inject({
      method: 'POST',
      url: '/api/auth/set-password',
      payload: { token, password: 'another new password' },
    });
    expect(reuse.statusCode).toBe(400);
    expect(reuse.json().error.code).toBe('password_link_invalid');
    const members = await testApp.app.inject({
      method: 'GET',
      url: `/api/workspaces/${workspaceId}/members`,
      headers,
    });
    expect(
      members.json().items.find((member: { email: string }) => member.email === 'grace@example.test').status,
    ).toBe('active');
  });
});
