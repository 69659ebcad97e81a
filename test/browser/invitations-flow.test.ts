import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AxeFinding, seriousAxeViolations } from './axe-check.ts';
import { type ConsoleHarness, screenshot, startConsoleHarness } from './browser-kit.ts';

const waitLong = { timeout: 20_000, interval: 50 };

/** An owner acting over HTTP from the test, with the session cookie and CSRF token of setup. */
async function signedInOwner(baseUrl: string) {
  const setup = await fetch(`${baseUrl}/api/setup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      email: 'owner@example.com',
      password: 'owner password is long',
      name: 'Olga Owner',
      workspaceName: 'Alpha',
    }),
  });
  const body = (await setup.json()) as { csrfToken: string; workspace: { id: string } };
  const cookie = (setup.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  const call = async <Body = Record<string, unknown>>(method: string, path: string, payload?: unknown) => {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: { 'content-type': 'application/json', cookie, 'x-csrf-token': body.csrfToken },
      body: payload === undefined ? undefined : JSON.stringify(payload),
    });
    return {
      status: response.status,
      json: (await response.json().catch(() => null)) as Body,
    };
  };
  return { workspaceId: body.workspace.id, call };
}

describe('web console: invitations of an existing, unverified account', { timeout: 120_000 }, () => {
  let harness: ConsoleHarness;
  const accessibility = new Map<string, AxeFinding[]>();
  beforeAll(async () => {
    harness = await startConsoleHarness();
  }, 60_000);
  afterAll(async () => {
    await harness?.close();
  });

  it('shows a pending invitation to its holder, who accepts it, and the account pages pass axe', async () => {
    const { page, baseUrl } = harness;
    const owner = await signedInOwner(baseUrl);
    const invited = await owner.call<{ invitation: { setPasswordUrl: string } }>(
      'POST',
      `/api/workspaces/${owner.workspaceId}/members`,
      {
        email: 'alice@example.com',
        role: 'member',
      },
    );
    expect(invited.status).toBe(201);
    const link = new URL(invited.json.invitation.setPasswordUrl);
    const second = await owner.call<{ id: string }>('POST', '/api/workspaces', { name: 'Beta' });
    const betaId = second.json.id;
    const pending = await owner.call<{ member: { status: string } }>(
      'POST',
      `/api/workspaces/${betaId}/members`,
      {
        email: 'ALICE@example.com',
        role: 'admin',
      },
    );
    expect(pending.json.member.status).toBe('pending');

    // Alice sets her password through the link and lands in Alpha only.
    await page.goto(`${baseUrl}${link.pathname}${link.hash}`);
    await page.locator('input[autocomplete="new-password"]').fill('alice password is long');
    await page.getByRole('button', { name: 'Set password and sign in' }).click();
    await page.waitForURL(/\/w\/[^/]+\/home$/);

    await page.goto(`${baseUrl}/invitations`);
    await expect.poll(() => page.getByText('Beta').isVisible(), waitLong).toBe(true);
    await expect
      .poll(() => page.getByText(/As admin, invited by Olga Owner/).isVisible(), waitLong)
      .toBe(true);
    await page.waitForTimeout(150);
    accessibility.set('invitations', await seriousAxeViolations(page));
    await screenshot(page, 'invitations');
    await page.getByRole('button', { name: 'Accept' }).click();
    await page.waitForURL(`**/w/${betaId}/home`);
    const me = await page.evaluate(
      async () => (await (await fetch('/api/me')).json()) as { workspaces: Array<{ name: string }> },
    );
    expect(me.workspaces.map((workspace) => workspace.name).sort()).toEqual(['Alpha', 'Beta']);

    // The members page tells the owner which addresses are confirmed.
    const members = await owner.call<{ items: Array<{ email: string; status: string }> }>(
      'GET',
      `/api/workspaces/${betaId}/members`,
    );
    expect(members.json.items.find((member) => member.email === 'alice@example.com')?.status).toBe('active');

    // The other account pages: a confirmation link without its token, and the reset form (no SMTP here).
    await page.goto(`${baseUrl}/verify-email`);
    await expect.poll(() => page.getByText('No confirmation token').isVisible(), waitLong).toBe(true);
    await page.waitForTimeout(150);
    accessibility.set('verify-email', await seriousAxeViolations(page));
    await page.goto(`${baseUrl}/reset-password`);
    await page.getByLabel('Email').fill('alice@example.com');
    await page.getByRole('button', { name: 'Email me a link' }).click();
    await expect.poll(() => page.getByText(/no SMTP server configured/).isVisible(), waitLong).toBe(true);
    await page.waitForTimeout(150);
    accessibility.set('reset-password', await seriousAxeViolations(page));

    expect(Object.fromEntries(accessibility)).toEqual({
      invitations: [],
      'verify-email': [],
      'reset-password': [],
    });
  });
});
