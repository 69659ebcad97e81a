import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyWebhookSignature } from '../../src/security/webhook-signature.ts';
import { createWorkspaceFixture, headersFor } from '../support/identity-fixture.ts';
import { createManualClock, createTestApp, type TestApp } from '../support/test-app.ts';

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A webhook receiver that answers with the scripted statuses, then 200. */
async function startReceiver(statuses: number[]) {
  const received: Received[] = [];
  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      received.push({ headers: request.headers, body });
      response.statusCode = statuses.shift() ?? 200;
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/hooks/flightdeck`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('budget alerts and webhooks', () => {
  const clock = createManualClock(new Date('2026-11-10T12:00:00Z'));
  let testApp: TestApp;
  beforeAll(async () => {
    testApp = await createTestApp({
      clock,
      // A fixed jitter: the first retry waits 500 ms, inside the 1 s ceiling the test steps over.
      webhookSettings: { baseDelayMs: 1_000, maxAttempts: 3, random: () => 0.5 },
    });
  });
  afterAll(() => testApp.close());

  it('alerts once per threshold per month, in the app and by a signed, retried webhook', async () => {
    const receiver = await startReceiver([500, 503]);
    try {
      const fixture = await createWorkspaceFixture(testApp.services, 'alerts');
      const owner = headersFor(fixture.sessions.owner);
      const base = `/api/workspaces/${fixture.workspaceId}`;
      const patch = await testApp.app.inject({
        method: 'PATCH',
        url: base,
        headers: owner,
        payload: {
          settings: { monthlyBudgetUsd: 10, alertThresholds: [80, 50, 100], alertWebhookUrl: receiver.url },
        },
      });
      expect(patch.json().settings.alertThresholds).toEqual([50, 80, 100]);
      const secret = await testApp.app.inject({
        method: 'POST',
        url: `${base}/alert-webhook/signing-secret`,
        headers: owner,
      });
      const signingSecret: string = secret.json().signingSecret;
      expect(signingSecret).toMatch(/^whsec_/);

      const spend = async (amount: number) => {
        const reservation = await testApp.services.budgets.reserve({
          workspaceId: fixture.workspaceId,
          agentId: null,
          providerKeyId: null,
          executionId: null,
          estimateUsd: amount,
          holdMs: 60_000,
        });
        await testApp.services.budgets.settle(reservation, amount);
      };
      await spend(4); // 40 %: nothing
      await spend(2); // 60 %: the 50 % alert
      await spend(0.5); // 65 %: nothing new
      await spend(2); // 85 %: the 80 % alert
      const notifications = await testApp.app.inject({
        method: 'GET',
        url: `${base}/notifications`,
        headers: owner,
      });
      const thresholds = notifications
        .json()
        .items.map((item: { data: { threshold: number } }) => item.data.threshold);
      expect(thresholds.sort()).toEqual([50, 80]);

      // First pass: the receiver answers 500 to the first delivery and 503 to the second.
      await testApp.services.webhooks.deliverDue();
      expect(receiver.received).toHaveLength(2);
      let deliveries = await testApp.app.inject({
        method: 'GET',
        url: `${base}/webhook-deliveries`,
        headers: owner,
      });
      expect(deliveries.json().items.map((item: { status: string }) => item.status)).toEqual([
        'pending',
        'pending',
      ]);

      // Not due before the backoff has passed...
      await testApp.services.webhooks.deliverDue();
      expect(receiver.received).toHaveLength(2);
      // ...and delivered after it.
      clock.advance(1_001);
      await testApp.services.webhooks.deliverDue();
      expect(receiver.received).toHaveLength(4);
      deliveries = await testApp.app.inject({
        method: 'GET',
        url: `${base}/webhook-deliveries`,
        headers: owner,
      });
      for (const item of deliveries.json().items) {
        expect(item).toMatchObject({ status: 'delivered', attempts: 2, lastStatusCode: 200 });
      }

      for (const delivery of receiver.received) {
        const header = String(delivery.headers['flightdeck-signature']);
        const nowSeconds = Math.floor(clock.now().getTime() / 1000);
        expect(verifyWebhookSignature(signingSecret, header, delivery.body, { nowSeconds })).toBe(true);
        expect(verifyWebhookSignature('whsec_wrong', header, delivery.body, { nowSeconds })).toBe(false);
        expect(JSON.parse(delivery.body)).toMatchObject({
          event: 'budget.threshold_reached',
          workspaceId: fixture.workspaceId,
        });
      }
      // The same thresholds do not fire again this month.
      await testApp.services.alerts.checkBudget(fixture.workspaceId);
      const again = await testApp.app.inject({ method: 'GET', url: `${base}/notifications`, headers: owner });
      expect(again.json().items).toHaveLength(2);
    } finally {
      await receiver.close();
    }
  });

  it('gives up after the last attempt and records why', async () => {
    const receiver = await startReceiver([500, 500, 500, 500]);
    try {
      const fixture = await createWorkspaceFixture(testApp.services, 'give-up');
      await testApp.services.webhooks.enqueue(fixture.workspaceId, receiver.url, { event: 'test' }, null);
      for (let attempt = 0; attempt < 4; attempt++) {
        await testApp.services.webhooks.deliverDue();
        clock.advance(60_000);
      }
      expect(receiver.received).toHaveLength(3);
      const [delivery] = await testApp.services.repositories.notifications.listDeliveries(
        fixture.workspaceId,
        10,
      );
      expect(delivery).toMatchObject({
        status: 'failed',
        attempts: 3,
        lastStatusCode: 500,
        lastError: 'HTTP 500',
      });
    } finally {
      await receiver.close();
    }
  });

  it('refuses to deliver to link-local addresses', async () => {
    const fixture = await createWorkspaceFixture(testApp.services, 'ssrf');
    await testApp.services.webhooks.enqueue(
      fixture.workspaceId,
      'http://169.254.169.254/latest',
      { event: 'test' },
      null,
    );
    await testApp.services.webhooks.deliverDue();
    clock.advance(60 * 60_000);
    await testApp.services.webhooks.deliverDue();
    const [delivery] = await testApp.services.repositories.notifications.listDeliveries(
      fixture.workspaceId,
      10,
    );
    // The guard's refusal is deterministic: one attempt, recorded, never retried.
    expect(delivery).toMatchObject({ status: 'failed', attempts: 1 });
    expect(delivery?.lastError).toContain('refused');
  });

  it.each([
    'http://169.254.169.254/latest',
    'http://[64:ff9b::a9fe:a9fe]/hook',
    'http://[::ffff:0:a00:1]/hook',
    'http://224.0.0.1/hook',
    'http://255.255.255.255/hook',
  ])('refuses the alert webhook URL %s when it is saved, applying nothing', async (url) => {
    const fixture = await createWorkspaceFixture(testApp.services, 'ssrf-save');
    const owner = headersFor(fixture.sessions.owner);
    const base = `/api/workspaces/${fixture.workspaceId}`;
    const patch = await testApp.app.inject({
      method: 'PATCH',
      url: base,
      headers: owner,
      payload: { name: 'Renamed', settings: { alertWebhookUrl: url, monthlyBudgetUsd: 7 } },
    });
    expect(patch.statusCode).toBe(400);
    expect(patch.json().error.code).toBe('webhook_url_refused');
    expect(patch.json().error.message).toContain('The alert webhook URL');
    const workspace = (await testApp.app.inject({ method: 'GET', url: base, headers: owner })).json();
    expect(workspace.name).not.toBe('Renamed');
    expect(workspace.settings).toMatchObject({ alertWebhookUrl: null, monthlyBudgetUsd: null });
  });
});
