import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConsoleHarness, chooseOption, screenshot, startConsoleHarness } from './browser-kit.ts';

const secret = 'sk-browser-secret-7d41f3c9';
// Vitest polls for 1 s by default; a busy CI machine running every suite at once needs longer.
const waitLong = { timeout: 20_000, interval: 50 };

describe('web console: setup to compared runs', { timeout: 120_000 }, () => {
  let harness: ConsoleHarness;

  beforeAll(async () => {
    harness = await startConsoleHarness();
  }, 60_000);

  afterAll(async () => {
    await harness?.close();
  });

  it('sets up, adds a key, builds an agent, runs it live and mock, compares, and finds the runs', async () => {
    const { page, baseUrl, fake } = harness;

    // First run: `/` sends a fresh install to setup.
    await page.goto(`${baseUrl}/`);
    await page.waitForURL('**/setup');
    await page.getByLabel('Your name').fill('Ada Owner');
    await page.getByLabel('Email').fill('ada@example.com');
    await page.locator('input[autocomplete="new-password"]').fill('correct horse battery staple');
    await page.getByLabel('Workspace name').fill('Research');
    await page.getByRole('button', { name: 'Create owner and workspace' }).click();
    await page.waitForURL(/\/w\/[^/]+\/agents$/);
    await expect.poll(() => page.getByText('No agents yet').isVisible(), waitLong).toBe(true);
    const workspacePath = new URL(page.url()).pathname.replace(/\/agents$/, '');
    await screenshot(page, 'agents-empty');

    // An openai-compatible key pointing at the fake provider, tested before it is saved.
    await page.getByRole('link', { name: 'Provider keys' }).click();
    await page.waitForURL('**/settings/keys');
    await chooseOption(page, 'Provider', 'openai-compatible');
    await page.getByLabel('Label').fill('Fake provider');
    await page.locator('input[type="password"]').fill(secret);
    await page.getByLabel('Base URL').fill(`${fake.url}/v1`);
    await page.getByRole('button', { name: 'Test connection' }).click();
    await expect
      .poll(() => page.getByTestId('key-test-result').textContent(), waitLong)
      .toContain('Connection works');
    await page.getByRole('button', { name: 'Save key' }).click();
    await expect
      .poll(() => page.getByTestId('provider-keys-table').textContent())
      .toContain(`••••${secret.slice(-4)}`);
    // After saving, the secret is nowhere in the page: not in the markup, not in an input's value.
    const inputValues = await page.evaluate(() =>
      [...document.querySelectorAll('input')].map((input) => input.value),
    );
    expect(inputValues).not.toContain(secret);
    expect(await page.content()).not.toContain(secret);
    await screenshot(page, 'provider-keys');

    // An agent on that provider, with an output schema built field by field.
    await page.getByRole('link', { name: 'Agents' }).click();
    await page.getByRole('button', { name: 'New agent' }).first().click();
    await page.getByLabel('Name').fill('Summarizer');
    await chooseOption(page, 'Provider', 'OpenAI-compatible');
    await page.getByLabel('Model').and(page.locator('input')).fill('gpt-4o-mini');
    await page.getByRole('button', { name: 'Create and open the builder' }).click();
    await page.waitForURL(/\/agents\/[^/]+$/);
    await expect
      .poll(() => page.getByTestId('template-variables').textContent(), waitLong)
      .toContain('input.text');
    await page.getByTestId('output-schema-fields').getByRole('button', { name: 'Add field' }).click();
    await page.getByLabel('Output schema field 1 name').fill('summary');
    await page.getByRole('button', { name: 'Save new version' }).click();
    await expect.poll(() => page.getByTestId('saved-notice').textContent(), waitLong).toContain('version 2');
    await expect
      .poll(() => page.getByTestId('version-history').textContent(), waitLong)
      .toContain('outputSchema');
    await screenshot(page, 'agent-builder');
    // Saving made a draft: callers still run version 1 until it is published.
    expect(await page.getByTestId('agent-version-state').textContent()).toContain('draft (live: version 1)');

    // Live: the answer streams in, then the metrics of the finished record.
    await page.getByTestId('input-form').getByLabel('text').fill('Flightdeck makes agents observable.');
    await page.getByText('Live', { exact: true }).click();
    await page.getByRole('button', { name: 'Run live' }).click();
    await expect.poll(() => page.getByTestId('run-metrics').isVisible(), waitLong).toBe(true);
    expect(await page.getByTestId('streamed-output').textContent()).toContain('summary');
    expect(Number(await page.getByTestId('metric-tokens-in-value').textContent())).toBeGreaterThan(0);
    expect(Number(await page.getByTestId('metric-tokens-out-value').textContent())).toBeGreaterThan(0);
    // The fake endpoint is not in the price catalog, so the cost says so instead of guessing.
    expect(await page.getByTestId('metric-cost-value').textContent()).toBe('not priced');
    expect(await page.getByTestId('metric-model-value').textContent()).toBe(
      'openai-compatible / gpt-4o-mini',
    );
    const completion = fake.calls.find((call) => call.path.endsWith('/chat/completions'));
    expect(completion?.stream).toBe(true);
    expect(completion?.credential?.last4).toBe(secret.slice(-4));
    await screenshot(page, 'test-panel-live');
    // The test panel ran the draft it shows (the output schema is version 2's); now publish it.
    await page.getByRole('button', { name: 'Publish version 2' }).click();
    await expect
      .poll(() => page.getByTestId('agent-version-state').textContent(), waitLong)
      .toContain('· live');

    // Mock: no provider call, priced at zero.
    const callsBefore = fake.calls.length;
    await page.getByText('Mock', { exact: true }).click();
    await page.getByRole('button', { name: 'Run mock' }).click();
    await expect.poll(() => page.getByTestId('history-row').count(), waitLong).toBe(2);
    await expect.poll(() => page.getByTestId('metric-cost-value').textContent(), waitLong).toBe('$0.00');
    expect(fake.calls.length).toBe(callsBefore);

    // Compare the two runs side by side.
    const checkboxes = page.getByTestId('history-row').getByRole('checkbox');
    await checkboxes.nth(0).check();
    await checkboxes.nth(1).check();
    await page.getByRole('button', { name: 'Compare selected (2/2)' }).click();
    await expect.poll(() => page.getByTestId('metric-deltas').isVisible(), waitLong).toBe(true);
    expect(await page.getByTestId('compare-output-a').textContent()).toContain('summary');
    expect(await page.getByTestId('metric-deltas').textContent()).toContain('Tokens in');
    await screenshot(page, 'run-comparison');
    await page.keyboard.press('Escape');

    // Both runs are in the executions dashboard, one live and one mock.
    await page.getByRole('link', { name: 'Executions' }).click();
    await page.waitForURL('**/executions');
    await expect.poll(() => page.getByTestId('execution-row').count(), waitLong).toBe(2);
    const modes = await page.getByTestId('execution-row').locator('td:nth-child(4)').allTextContents();
    expect(modes.sort()).toEqual(['live', 'mock']);
    await expect
      .poll(() => page.getByTestId('stats-totals').textContent(), waitLong)
      .toContain('Runs (30 days)2');
    await page.getByRole('button', { name: 'Details' }).first().click();
    await expect
      .poll(() => page.getByTestId('execution-drawer').textContent(), waitLong)
      .toContain('Attempts');
    await screenshot(page, 'executions');
    await page.keyboard.press('Escape');

    // The settings pages render with their data.
    await page.goto(`${baseUrl}${workspacePath}/settings/members`);
    await expect
      .poll(() => page.getByTestId('members-table').textContent(), waitLong)
      .toContain('ada@example.com');
    await screenshot(page, 'members');
    await page.goto(`${baseUrl}${workspacePath}/settings/tokens`);
    await expect.poll(() => page.getByText('No API tokens').isVisible(), waitLong).toBe(true);
    await screenshot(page, 'tokens');
    await page.goto(`${baseUrl}${workspacePath}/settings/workspace`);
    await expect.poll(() => page.getByLabel('Name').inputValue(), waitLong).toBe('Research');
    await screenshot(page, 'workspace-settings');
    await page.goto(`${baseUrl}${workspacePath}/settings/audit`);
    await expect
      .poll(() => page.getByTestId('audit-table').textContent(), waitLong)
      .toContain('provider_key');
    expect(await page.content()).not.toContain(secret);
    await screenshot(page, 'audit-log');

    // Phone width: the agents list still renders, navigation behind the menu button.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${baseUrl}${workspacePath}/agents`);
    await expect.poll(() => page.getByTestId('agents-table').textContent(), waitLong).toContain('Summarizer');
    expect(await page.getByRole('button', { name: 'Toggle navigation' }).isVisible()).toBe(true);
    await screenshot(page, 'agents-phone');
  });
});
