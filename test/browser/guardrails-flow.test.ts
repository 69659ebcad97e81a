import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConsoleHarness, chooseOption, screenshot, startConsoleHarness } from './browser-kit.ts';

const secret = 'sk-guardrails-secret-5b2e9a10';
// Vitest polls for 1 s by default; a busy CI machine running every suite at once needs longer.
const waitLong = { timeout: 20_000, interval: 50 };
/**
 * About 1,500 prompt tokens: at gpt-4o's list price a run costs ~$0.004 and reserves ~$0.006,
 * so a $0.02 budget admits a few runs, crosses the 50 % and 80 % alerts, then refuses with 402.
 */
const longInput = 'Flightdeck keeps every agent inside its monthly budget. '.repeat(110);
const maximumRuns = 15;

describe('web console: spending limits, usage and alerts', { timeout: 180_000 }, () => {
  let harness: ConsoleHarness;

  beforeAll(async () => {
    harness = await startConsoleHarness({ chunkDelayMs: 1 });
  }, 60_000);

  afterAll(async () => {
    await harness?.close();
  });

  it('sets a budget, runs live until 402, and shows the usage, the alerts and the signing secret', async () => {
    const { page, baseUrl, fake } = harness;

    await page.goto(`${baseUrl}/`);
    await page.waitForURL('**/setup');
    await page.getByLabel('Your name').fill('Grace Owner');
    await page.getByLabel('Email').fill('grace@example.com');
    await page.locator('input[autocomplete="new-password"]').fill('correct horse battery staple');
    await page.getByLabel('Workspace name').fill('Budgeted');
    await page.getByRole('button', { name: 'Create owner and workspace' }).click();
    await page.waitForURL(/\/w\/[^/]+\/agents$/);
    const workspacePath = new URL(page.url()).pathname.replace(/\/agents$/, '');

    // An openai key aimed at the fake provider: gpt-4o through it is priced from the catalog.
    await page.getByRole('link', { name: 'Provider keys' }).click();
    await page.waitForURL('**/settings/keys');
    await chooseOption(page, 'Provider', 'openai');
    await page.getByLabel('Label').fill('Fake OpenAI');
    await page.locator('input[type="password"]').fill(secret);
    await page.getByLabel('Base URL').fill(`${fake.url}/v1`);
    await page.getByRole('button', { name: 'Save key' }).click();
    await expect
      .poll(() => page.getByTestId('provider-keys-table').textContent(), waitLong)
      .toContain('Fake OpenAI');

    // A small monthly budget in the workspace settings.
    await page.getByRole('link', { name: 'Workspace' }).click();
    await page.waitForURL('**/settings/workspace');
    await expect.poll(() => page.getByLabel('Name').inputValue(), waitLong).toBe('Budgeted');
    await page.getByLabel('Monthly budget (USD)').fill('0.02');
    await page.getByLabel('Alert webhook URL').fill(`${fake.url}/alert-hook`);
    await page.getByRole('button', { name: 'Save settings' }).click();
    await expect.poll(() => page.getByText('Settings saved.').isVisible(), waitLong).toBe(true);

    // An agent on gpt-4o with a short answer cap, and an agent limit above the workspace's.
    await page.getByRole('link', { name: 'Agents' }).click();
    await page.getByRole('button', { name: 'New agent' }).first().click();
    await page.getByLabel('Name').fill('Budget watcher');
    await chooseOption(page, 'Provider', 'OpenAI');
    await page.getByLabel('Model').and(page.locator('input')).fill('gpt-4o');
    // Close the catalog suggestions, which would cover the button.
    await page.keyboard.press('Escape');
    await page.getByRole('button', { name: 'Create and open the builder' }).click();
    await page.waitForURL(/\/agents\/[^/]+$/);
    await page.getByLabel('Max tokens').fill('100');
    await page.getByRole('button', { name: 'Save new version' }).click();
    await expect.poll(() => page.getByTestId('saved-notice').textContent(), waitLong).toContain('version 2');
    await page.getByLabel('Agent monthly limit (USD)').fill('5');
    await page.getByRole('button', { name: 'Save limit' }).click();
    await expect
      .poll(() => page.getByTestId('agent-budget-saved').textContent(), waitLong)
      .toContain('$5.00');

    // Live runs until the budget refuses one; each finished run adds a history row.
    await page.getByTestId('input-form').getByLabel('text').fill(longInput);
    await page.getByText('Live', { exact: true }).click();
    const refusal = page.getByTestId('run-refused-budget');
    let completedRuns = 0;
    for (let attempt = 0; attempt < maximumRuns; attempt++) {
      await page.getByRole('button', { name: 'Run live' }).click();
      await expect
        .poll(
          async () =>
            (await refusal.isVisible()) || (await page.getByTestId('history-row').count()) > completedRuns,
          waitLong,
        )
        .toBe(true);
      if (await refusal.isVisible()) break;
      completedRuns++;
      await expect
        .poll(() => page.getByRole('button', { name: 'Run live' }).isEnabled(), waitLong)
        .toBe(true);
    }
    expect(completedRuns).toBeGreaterThan(0);
    expect(await refusal.isVisible()).toBe(true);
    const refusalText = (await refusal.textContent()) ?? '';
    expect(refusalText).toContain('Monthly budget reached');
    expect(refusalText).toMatch(/spent \$[\d.]+ of its \$0\.02(00)? monthly budget/);
    expect(refusalText).toContain('resets on');
    await screenshot(page, 'guardrails-test-panel-402');

    // The bell counts the threshold alerts; marking one read lowers the count.
    const bell = page.getByTestId('notification-bell');
    await expect.poll(() => bell.getAttribute('aria-label'), waitLong).toMatch(/\(\d+ unread\)/);
    const unreadBefore = Number((await bell.getAttribute('aria-label'))?.match(/\((\d+) unread\)/)?.[1]);
    expect(unreadBefore).toBeGreaterThanOrEqual(1);
    await bell.click();
    await expect.poll(() => page.getByTestId('notification-item').count(), waitLong).toBeGreaterThan(0);
    await screenshot(page, 'guardrails-notifications');
    await page
      .getByRole('button', { name: /^Mark ".*" read$/ })
      .first()
      .click();
    await expect
      .poll(() => bell.getAttribute('aria-label'), waitLong)
      .toBe(unreadBefore === 1 ? 'Notifications' : `Notifications (${unreadBefore - 1} unread)`);
    await page.keyboard.press('Escape');

    // The usage page: spend above zero against the $0.02 limit, by agent and by key.
    await page.getByRole('link', { name: "See this month's usage" }).click();
    await page.waitForURL('**/usage');
    await expect.poll(() => page.getByTestId('usage-limit').textContent(), waitLong).toBe('$0.02');
    const spent = Number((await page.getByTestId('usage-spent').textContent())?.replace('$', ''));
    expect(spent).toBeGreaterThan(0);
    expect(spent).toBeLessThanOrEqual(0.02);
    await expect
      .poll(() => page.getByTestId('usage-by-agent').textContent(), waitLong)
      .toContain('Budget watcher');
    expect(await page.getByTestId('usage-by-key').textContent()).toContain('Fake OpenAI');
    expect(await page.getByTestId('threshold-mark').count()).toBe(3);
    await screenshot(page, 'guardrails-usage');

    // Rotating the signing secret shows it once, with the header format.
    await page.goto(`${baseUrl}${workspacePath}/settings/workspace`);
    await page.getByRole('button', { name: 'Rotate signing secret' }).click();
    await page.getByRole('button', { name: 'Rotate', exact: true }).click();
    await expect
      .poll(async () => ((await page.getByTestId('signing-secret').textContent()) ?? '').length, waitLong)
      .toBeGreaterThan(15);
    expect(await page.getByTestId('signing-secret-result').textContent()).toContain(
      'Flightdeck-Signature: t=',
    );
    await screenshot(page, 'guardrails-signing-secret');
    await page.getByRole('button', { name: 'Done' }).click();
    await expect.poll(() => page.getByRole('dialog').count(), waitLong).toBe(0);
    expect(await page.getByTestId('signing-secret').count()).toBe(0);
    // Each threshold alert was queued for the webhook (whatever the fake answers, it is listed).
    await expect
      .poll(() => page.getByTestId('webhook-deliveries').textContent(), waitLong)
      .toContain('budget.threshold_reached');
    await screenshot(page, 'guardrails-workspace-settings');

    // Phone width: the usage page and the bell still fit.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${baseUrl}${workspacePath}/usage`);
    await expect.poll(() => page.getByTestId('usage-spent').isVisible(), waitLong).toBe(true);
    expect(await page.getByTestId('notification-bell').isVisible()).toBe(true);
    await screenshot(page, 'guardrails-usage-phone');
  });
});
