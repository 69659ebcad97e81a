import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSmtpEmailSender } from '../../src/services/email/smtp-email-sender.ts';
import { createLogger } from '../../src/telemetry/logger.ts';
import { createWorkspaceFixture, headersFor, type WorkspaceFixture } from '../support/identity-fixture.ts';
import { linkTokenOf, startSmtpInbox } from '../support/smtp-inbox.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

const publicUrl = 'https://flightdeck.example.test';

/** Invitations, resets, address confirmation and alerts through a real SMTP server on loopback. */
describe('email through SMTP', () => {
  let inbox: Awaited<ReturnType<typeof startSmtpInbox>>;
  let testApp: TestApp;
  let workspaceA: WorkspaceFixture;
  let workspaceB: WorkspaceFixture;
  const logLines: string[] = [];

  beforeAll(async () => {
    inbox = await startSmtpInbox();
    const logger = createLogger({
      level: 'info',
      destination: new Writable({
        write(chunk, _encoding, done) {
          logLines.push(String(chunk));
          done();
        },
      }),
    });
    testApp = await createTestApp({
      publicUrl,
      logger,
      email: createSmtpEmailSender({ url: inbox.url, from: 'Flightdeck <flightdeck@example.test>', logger }),
    });
    workspaceA = await createWorkspaceFixture(testApp.services, 'mail-a');
    workspaceB = await createWorkspaceFixture(testApp.services, 'mail-b');
  });
  afterAll(async () => {
    await testApp.close();
    await inbox.close();
  });

  const inject = (
    method: 'GET' | 'POST' | 'PATCH',
    url: string,
    headers: Record<string, string>,
    payload?: Record<string, unknown>,
  ) =>
    payload === undefined
      ? testApp.app.inject({ method, url, headers })
      : testApp.app.inject({ method, url, headers, payload });
  const memberOf = async (fixture: WorkspaceFixture, userId: string) =>
    (
      await inject(
        'GET',
        `/api/workspaces/${fixture.workspaceId}/members`,
        headersFor(fixture.sessions.owner),
      )
    )
      .json()
      .items.find((member: { userId: string }) => member.userId === userId);

  it('emails the invitation link instead of handing it to the admin, and using it verifies the address', async () => {
    const address = `carol-${Date.now()}@example.test`;
    const invited = await inject(
      'POST',
      `/api/workspaces/${workspaceA.workspaceId}/members`,
      headersFor(workspaceA.sessions.admin),
      { email: address, role: 'member' },
    );
    expect(invited.statusCode).toBe(201);
    expect(invited.json().invitation).toMatchObject({
      delivery: 'email',
      setPasswordUrl: null,
      emailProblem: null,
    });
    expect(invited.body).not.toContain('#token=');

    const email = await inbox.waitFor((message) => message.to.includes(address));
    expect(email.from).toContain('flightdeck@example.test');
    expect(email.subject).toContain('invited');
    const link = linkTokenOf(email.text, '/set-password');
    expect(link.url.startsWith(`${publicUrl}/set-password#token=`)).toBe(true);
    const joined = await inject(
      'POST',
      '/api/auth/set-password',
      {},
      { token: link.token, password: 'carol picks hers' },
    );
    expect(joined.statusCode).toBe(200);
    const userId: string = invited.json().member.userId;
    expect(await memberOf(workspaceA, userId)).toMatchObject({ status: 'active', emailVerified: true });

    // A verified account is added to another workspace directly.
    const added = await inject(
      'POST',
      `/api/workspaces/${workspaceB.workspaceId}/members`,
      headersFor(workspaceB.sessions.owner),
      { email: address, role: 'viewer' },
    );
    expect(added.json().member).toMatchObject({ status: 'active', emailVerified: true });
  });

  it('emails a working password reset link, and answers the same for an unknown address', async () => {
    const user = await testApp.services.repositories.users.findById(workspaceA.users.member);
    if (!user) throw new Error('fixture member missing');
    const unknown = await inject(
      'POST',
      '/api/auth/password-reset',
      {},
      { email: 'nobody-here@example.test' },
    );
    expect(unknown.statusCode).toBe(202);
    const asked = await inject('POST', '/api/auth/password-reset', {}, { email: user.email.toUpperCase() });
    expect(asked.statusCode).toBe(202);
    expect(asked.json()).toEqual(unknown.json());

    const email = await inbox.waitFor(
      (message) => message.to.includes(user.email) && /reset/i.test(message.subject),
    );
    const link = linkTokenOf(email.text, '/set-password');
    expect(link.url.startsWith(publicUrl)).toBe(true);
    const reset = await inject(
      'POST',
      '/api/auth/set-password',
      {},
      { token: link.token, password: 'a brand new password' },
    );
    expect(reset.statusCode).toBe(200);
    const oldLogin = await inject(
      'POST',
      '/api/auth/login',
      {},
      { email: user.email, password: 'fixture password long' },
    );
    expect(oldLogin.statusCode).toBe(401);
    const newLogin = await inject(
      'POST',
      '/api/auth/login',
      {},
      { email: user.email, password: 'a brand new password' },
    );
    expect(newLogin.statusCode).toBe(200);
    expect(inbox.messages.some((message) => message.to.includes('nobody-here@example.test'))).toBe(false);
  });

  it('asks for a confirmed address before accepting an invitation, and the emailed confirmation works', async () => {
    const viewer = await testApp.services.repositories.users.findById(workspaceA.users.viewer);
    if (!viewer) throw new Error('fixture viewer missing');
    const added = await inject(
      'POST',
      `/api/workspaces/${workspaceB.workspaceId}/members`,
      headersFor(workspaceB.sessions.owner),
      { email: viewer.email, role: 'member' },
    );
    expect(added.json().member.status).toBe('pending');
    // The holder hears of it by email, with no link that signs anyone in.
    const notice = await inbox.waitFor(
      (message) => message.to.includes(viewer.email) && message.text.includes(`${publicUrl}/invitations`),
    );
    expect(notice.text).not.toContain('#token=');

    const signedIn = headersFor(workspaceA.sessions.viewer);
    const refused = await inject('POST', `/api/invitations/${workspaceB.workspaceId}/accept`, signedIn);
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error.code).toBe('email_unverified');

    const asked = await inject('POST', '/api/me/email-verification', signedIn);
    expect(asked.statusCode).toBe(202);
    expect(asked.json()).toEqual({ alreadyVerified: false });
    const email = await inbox.waitFor(
      (message) => message.to.includes(viewer.email) && /confirm/i.test(message.subject),
    );
    const link = linkTokenOf(email.text, '/verify-email');
    expect(link.url.startsWith(`${publicUrl}/verify-email#token=`)).toBe(true);
    // A confirmation link does not set passwords, and a set-password link does not confirm.
    const wrongUse = await inject(
      'POST',
      '/api/auth/set-password',
      {},
      { token: link.token, password: 'not with this link' },
    );
    expect(wrongUse.statusCode).toBe(400);
    const verified = await inject('POST', '/api/auth/verify-email', {}, { token: link.token });
    expect(verified.statusCode).toBe(200);
    expect(verified.json()).toEqual({ email: viewer.email, emailVerified: true });
    const reused = await inject('POST', '/api/auth/verify-email', {}, { token: link.token });
    expect(reused.statusCode).toBe(400);
    expect(reused.json().error.code).toBe('verification_link_invalid');

    const accepted = await inject('POST', `/api/invitations/${workspaceB.workspaceId}/accept`, signedIn);
    expect(accepted.statusCode).toBe(200);
    expect(await memberOf(workspaceB, viewer.id)).toMatchObject({ status: 'active', emailVerified: true });
  });

  it('emails budget alerts to owners and admins with a verified address', async () => {
    const fixture = await createWorkspaceFixture(testApp.services, 'mail-budget');
    const owner = headersFor(fixture.sessions.owner);
    const ownerUser = await testApp.services.repositories.users.findById(fixture.users.owner);
    const adminUser = await testApp.services.repositories.users.findById(fixture.users.admin);
    if (!ownerUser || !adminUser) throw new Error('fixture users missing');
    // The owner confirms the address through the emailed link; the admin never does.
    await inject('POST', '/api/me/email-verification', owner);
    const confirmation = await inbox.waitFor(
      (message) => message.to.includes(ownerUser.email) && /confirm/i.test(message.subject),
    );
    const verified = await inject(
      'POST',
      '/api/auth/verify-email',
      {},
      {
        token: linkTokenOf(confirmation.text, '/verify-email').token,
      },
    );
    expect(verified.statusCode).toBe(200);

    const patch = await inject('PATCH', `/api/workspaces/${fixture.workspaceId}`, owner, {
      settings: { monthlyBudgetUsd: 10, alertThresholds: [50] },
    });
    expect(patch.statusCode).toBe(200);
    const reservation = await testApp.services.budgets.reserve({
      workspaceId: fixture.workspaceId,
      agentId: null,
      providerKeyId: null,
      executionId: null,
      estimateUsd: 6,
      holdMs: 60_000,
    });
    await testApp.services.budgets.settle(reservation, 6);

    const alert = await inbox.waitFor(
      (message) =>
        message.to.includes(ownerUser.email) && message.subject.includes('50% of the monthly budget'),
    );
    expect(alert.text).toContain('$6.00');
    expect(alert.text).toContain(`${publicUrl}/w/${fixture.workspaceId}/home`);
    await testApp.services.alerts.emailsSettled();
    expect(
      inbox.messages.some(
        (message) => message.to.includes(adminUser.email) && message.subject.includes('monthly budget'),
      ),
    ).toBe(false);
  });

  it('emails approval requests to those who may decide, not to viewers', async () => {
    const fixture = await createWorkspaceFixture(testApp.services, 'mail-approvals');
    const { users } = testApp.services.repositories;
    const addresses: Record<string, string> = {};
    for (const role of ['owner', 'member', 'viewer'] as const) {
      const user = await users.findById(fixture.users[role]);
      if (!user) throw new Error(`fixture ${role} missing`);
      // Verified here through the repository: the emailed-link path is covered above.
      await users.markEmailVerified(user.id, new Date());
      addresses[role] = user.email;
    }
    const sent = await testApp.services.alerts.notify(fixture.workspaceId, {
      kind: 'approval.requested',
      dedupeKey: `approval:${fixture.workspaceId}:test`,
      title: 'Approval needed: publish step',
      body: 'The publish step of a run waits for your decision.',
      data: {},
    });
    expect(sent).toBe(true);
    await testApp.services.alerts.emailsSettled();
    const received = (address: string | undefined) =>
      inbox.messages.some(
        (message) => message.to.includes(address ?? '') && message.subject.includes('Approval needed'),
      );
    expect(received(addresses.owner)).toBe(true);
    expect(received(addresses.member)).toBe(true);
    expect(received(addresses.viewer)).toBe(false);
  });

  it('hands the link to the inviter when the send fails, never fails the request, never logs the token', async () => {
    inbox.refuse(true);
    try {
      const address = `dave-${Date.now()}@example.test`;
      const invited = await inject(
        'POST',
        `/api/workspaces/${workspaceA.workspaceId}/members`,
        headersFor(workspaceA.sessions.owner),
        { email: address, role: 'member' },
      );
      expect(invited.statusCode).toBe(201);
      const invitation = invited.json().invitation;
      expect(invitation.delivery).toBe('link');
      expect(invitation.emailProblem).toMatch(/could not be sent/);
      const token = new URL(invitation.setPasswordUrl).hash.replace('#token=', '');
      expect(token.length).toBeGreaterThan(20);
      const logs = logLines.join('');
      expect(logs).toContain('email not sent');
      expect(logs).not.toContain(token);

      // A link the admin held proves nothing about the address.
      const joined = await inject(
        'POST',
        '/api/auth/set-password',
        {},
        { token, password: 'dave or his admin' },
      );
      expect(joined.statusCode).toBe(200);
      expect(await memberOf(workspaceA, invited.json().member.userId)).toMatchObject({
        emailVerified: false,
      });
    } finally {
      inbox.refuse(false);
    }
  });
});
