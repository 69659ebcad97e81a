import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seriousAxeViolations } from './axe-check.ts';
import { type ConsoleHarness, chooseOption, screenshot, startConsoleHarness } from './browser-kit.ts';

const waitLong = { timeout: 20_000, interval: 50 };
const password = 'correct horse battery staple';

/**
 * Lets transitions finish before axe reads colours, as the hub suite does. The pointer leaves first:
 * a dialog can open under it, and axe then read its button mid-way into the hover colour (white text
 * at #fffefe on red, 4.48:1, about one run in four).
 */
async function expectNoSeriousAxeFindings(page: Page, within?: string) {
  await page.mouse.move(0, 0);
  await page.waitForLoadState('networkidle');
  await page.waitForTimeout(300);
  const findings = await seriousAxeViolations(page, within);
  expect(findings, JSON.stringify(findings, null, 2)).toEqual([]);
}

/** Nothing wider than the window: no page-level horizontal scroll (tables scroll inside their own box). */
async function expectNoHorizontalOverflow(page: Page) {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
}

describe('web console: prices, workspaces, complete lists and field errors', { timeout: 180_000 }, () => {
  let harness: ConsoleHarness;
  let workspaceId: string;
  let csrfToken: string;

  beforeAll(async () => {
    harness = await startConsoleHarness();
    const { page, baseUrl } = harness;
    // Set up through the API with the browser's own cookies, as the console would.
    const setup = await page.request.post(`${baseUrl}/api/setup`, {
      data: { email: 'grace@example.com', password, name: 'Grace Owner', workspaceName: 'First team' },
    });
    expect(setup.status()).toBe(201);
    const body = (await setup.json()) as { workspace: { id: string }; csrfToken: string };
    workspaceId = body.workspace.id;
    csrfToken = body.csrfToken;
  }, 60_000);
  afterAll(async () => {
    await harness?.close();
  });

  const api = (method: 'GET' | 'POST', path: string, data?: unknown) =>
    harness.page.request.fetch(`${harness.baseUrl}/api/workspaces/${workspaceId}${path}`, {
      method,
      data,
      headers: { 'x-csrf-token': csrfToken },
    });

  it('adds, edits and removes a price override, keeping 0.000011 exactly, beside the catalog price', async () => {
    const { page, baseUrl } = harness;
    await page.goto(`${baseUrl}/w/${workspaceId}/settings/prices`);
    await expect.poll(() => page.getByText('No price overrides').isVisible(), waitLong).toBe(true);

    // A catalog model shows its list price while typed.
    await page.getByRole('combobox', { name: 'Model' }).fill('gpt-4o-mini');
    await expect
      .poll(() => page.getByTestId('catalog-price').textContent(), waitLong)
      .toContain('Catalog price of gpt-4o-mini (openai)');

    await page.getByRole('combobox', { name: 'Model' }).fill('house-model-13b');
    await page.keyboard.press('Escape');
    expect(await page.getByTestId('catalog-price').textContent()).toContain('Not in the catalog');
    await chooseOption(page, 'Provider', 'openai-compatible');
    await page.getByLabel('Input (USD per million tokens)').fill('0.000011');
    await page.getByLabel('Output (USD per million tokens)').fill('0.000022');
    await page.getByRole('button', { name: 'Add price' }).click();
    await expect
      .poll(() => page.getByTestId('price-saved').textContent(), waitLong)
      .toContain('house-model-13b');
    const row = page.getByTestId('price-override-row').filter({ hasText: 'house-model-13b' });
    expect(await row.getByTestId('price-input').textContent()).toBe('$0.000011 / M');
    expect(await row.getByTestId('price-output').textContent()).toBe('$0.000022 / M');
    const stored = (await (await api('GET', '')).json()) as {
      settings: { priceOverrides: Array<Record<string, unknown>> };
    };
    expect(stored.settings.priceOverrides).toEqual([
      {
        model: 'house-model-13b',
        provider: 'openai-compatible',
        inputPerMillionUsd: 0.000011,
        outputPerMillionUsd: 0.000022,
      },
    ]);
    await screenshot(page, 'price-overrides');
    await expectNoSeriousAxeFindings(page);

    // Edit: the form starts from the stored prices as they were typed.
    await page.getByRole('button', { name: 'Edit the price of house-model-13b' }).click();
    expect(await page.getByLabel('Input (USD per million tokens)').inputValue()).toBe('0.000011');
    await page.getByLabel('Output (USD per million tokens)').fill('1.25');
    await page.getByRole('button', { name: 'Save price' }).click();
    await expect.poll(() => row.getByTestId('price-output').textContent(), waitLong).toBe('$1.25 / M');
    expect(await row.getByTestId('price-input').textContent()).toBe('$0.000011 / M');

    // A price the server refuses shows under its own field, in a sentence.
    await page.getByRole('combobox', { name: 'Model' }).fill('too-dear');
    await page.keyboard.press('Escape');
    await page.getByLabel('Input (USD per million tokens)').fill('200000');
    await page.getByLabel('Output (USD per million tokens)').fill('1');
    await page.getByRole('button', { name: 'Add price' }).click();
    const inputField = page.getByLabel('Input (USD per million tokens)');
    await expect.poll(() => inputField.getAttribute('aria-invalid'), waitLong).toBe('true');
    const fieldError = page.locator('.mantine-NumberInput-error').first();
    expect(await fieldError.textContent()).toMatch(/^Input price .*100000.*\.$/);
    expect(await page.getByTestId('error-alert').count()).toBe(0);

    // Phone width: nothing overflows the page.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.reload();
    await expect.poll(() => page.getByTestId('price-override-row').count(), waitLong).toBe(1);
    await expectNoHorizontalOverflow(page);
    await page.setViewportSize({ width: 1440, height: 900 });
    await page.reload();
    await expectNoHorizontalOverflow(page);

    await page.getByRole('button', { name: 'Remove the price of house-model-13b' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Remove' }).click();
    await expect.poll(() => page.getByText('No price overrides').isVisible(), waitLong).toBe(true);
  });

  it('shows a validation error under its field as a sentence, and clears it on the next attempt', async () => {
    const { page, baseUrl } = harness;
    await page.goto(`${baseUrl}/w/${workspaceId}/settings/members`);
    const email = page.getByLabel('Email');
    // The browser accepts a dotless domain; the server does not.
    await email.fill('someone@localhost');
    await page.getByRole('button', { name: 'Add or invite' }).click();
    await expect.poll(() => email.getAttribute('aria-invalid'), waitLong).toBe('true');
    expect(await page.locator('.mantine-TextInput-error').first().textContent()).toBe(
      'Email must be an email address.',
    );
    expect(await page.content()).not.toContain('validation_failed');
    await expectNoSeriousAxeFindings(page, 'form[aria-label="Invite a member"]');
    await email.fill('someone@example.com');
    await page.getByRole('button', { name: 'Add or invite' }).click();
    await expect.poll(() => email.getAttribute('aria-invalid'), waitLong).not.toBe('true');
    expect(await page.locator('.mantine-TextInput-error').count()).toBe(0);
  });

  it('lists tokens with creator, date and their own rate limit', async () => {
    const { page, baseUrl } = harness;
    await page.goto(`${baseUrl}/w/${workspaceId}/settings/tokens`);
    await page.getByLabel('Name').fill('CI runner');
    await page.getByLabel('Rate limit (requests per minute)').fill('30');
    await page.getByRole('button', { name: 'Create token' }).click();
    await expect.poll(() => page.getByTestId('created-token').isVisible(), waitLong).toBe(true);
    const row = page.getByTestId('tokens-table').getByRole('row').filter({ hasText: 'CI runner' });
    expect(await row.getByTestId('token-rate-limit').textContent()).toBe('30 / min');
    expect(await row.getByTestId('token-created').textContent()).toContain('by Grace Owner');
    const listed = (await (await api('GET', '/tokens')).json()) as {
      items: Array<{ name: string; rateLimitPerMinute: number | null }>;
    };
    expect(listed.items.find((token) => token.name === 'CI runner')?.rateLimitPerMinute).toBe(30);
    await expectNoSeriousAxeFindings(page);
  });

  it('names the agents that use a key before deleting it, and shows when it was last used', async () => {
    const { page, baseUrl, fake } = harness;
    const key = (await (
      await api('POST', '/provider-keys', {
        provider: 'openai',
        label: 'Shared key',
        apiKey: 'sk-shared-0001',
        baseUrl: `${fake.url}/v1`,
      })
    ).json()) as { id: string };
    const agent = await api('POST', '/agents', {
      name: 'Summarizer',
      provider: 'openai',
      model: 'gpt-4o-mini',
      providerKeyId: key.id,
    });
    expect(agent.status()).toBe(201);
    const { id: agentId } = (await agent.json()) as { id: string };
    expect((await api('POST', `/agents/${agentId}/executions`, { input: {}, mode: 'live' })).status()).toBe(
      201,
    );
    await page.goto(`${baseUrl}/w/${workspaceId}/settings/keys`);
    const row = page.getByTestId('provider-keys-table').getByRole('row').filter({ hasText: 'Shared key' });
    await expect.poll(() => row.getByTestId('key-last-used').textContent(), waitLong).not.toBe('never');
    await row.getByRole('button', { name: 'Delete' }).click();
    const dialog = page.getByRole('dialog');
    await expect.poll(() => dialog.getByTestId('key-users').textContent(), waitLong).toContain('Summarizer');
    await expectNoSeriousAxeFindings(page, '[role="dialog"]');
    await dialog.getByRole('button', { name: 'Delete key' }).click();
    await expect.poll(() => row.count(), waitLong).toBe(0);
    // Usage still names the deleted key by its label.
    await page.goto(`${baseUrl}/w/${workspaceId}/usage`);
    await expect
      .poll(() => page.getByTestId('usage-by-key').textContent(), waitLong)
      .toContain('Shared key (deleted)');
  });

  it('draws the stats charts with a value axis, dates, units and a tooltip per day', async () => {
    const { page, baseUrl } = harness;
    await page.goto(`${baseUrl}/w/${workspaceId}/executions`);
    const chart = page.getByRole('img', { name: /^Runs per day, runs/ });
    await expect.poll(() => chart.count(), waitLong).toBe(1);
    const texts = await chart.locator('text').allTextContents();
    const today = new Date().toLocaleDateString('en-US', { month: 'short', day: 'numeric', timeZone: 'UTC' });
    expect(texts).toContain('runs');
    expect(texts).toContain('day (UTC)');
    expect(texts).toContain(today);
    // The value axis: zero and the peak (one live run today).
    expect(texts).toEqual(expect.arrayContaining(['0', '1']));
    const bars = chart.locator('g > rect:nth-of-type(2)');
    await bars.last().hover();
    await expect.poll(() => page.getByTestId('chart-tooltip').textContent(), waitLong).toBe(`${today}: 1`);
    await expectNoSeriousAxeFindings(page, '[data-testid="stats-totals"]');
  });

  it('test panel starts live with a usable key and remembers the choice; the builder asks before leaving edits', async () => {
    const { page, baseUrl, fake } = harness;
    const key = (await (
      await api('POST', '/provider-keys', {
        provider: 'openai',
        label: 'Panel key',
        apiKey: 'sk-panel-0001',
        baseUrl: `${fake.url}/v1`,
      })
    ).json()) as { id: string };
    const created = await api('POST', '/agents', {
      name: 'Panel agent',
      provider: 'openai',
      model: 'gpt-4o-mini',
      providerKeyId: key.id,
    });
    const { id: agentId } = (await created.json()) as { id: string };
    await page.goto(`${baseUrl}/w/${workspaceId}/agents/${agentId}`);
    await expect.poll(() => page.getByRole('button', { name: 'Run live' }).count(), waitLong).toBe(1);
    await page.getByText('Mock', { exact: true }).click();
    await page.reload();
    await expect.poll(() => page.getByRole('button', { name: 'Run mock' }).count(), waitLong).toBe(1);
    expect(await page.getByRole('button', { name: 'Run live' }).count()).toBe(0);

    // A run that fails before the model answers shows "no output", not `null`.
    const deadKey = (await (
      await api('POST', '/provider-keys', {
        provider: 'openai-compatible',
        label: 'Nowhere',
        apiKey: 'sk-nowhere-0001',
        baseUrl: 'http://127.0.0.1:9/v1',
      })
    ).json()) as { id: string };
    const failing = (await (
      await api('POST', '/agents', {
        name: 'Failing agent',
        provider: 'openai-compatible',
        model: 'house-model-13b',
        providerKeyId: deadKey.id,
        retry: { maxAttempts: 1, baseDelayMs: 0, maxDelayMs: 0 },
      })
    ).json()) as { id: string };
    await page.goto(`${baseUrl}/w/${workspaceId}/agents/${failing.id}`);
    await page.getByRole('button', { name: 'Run live' }).click();
    await expect.poll(() => page.getByTestId('streamed-output').textContent(), waitLong).toBe('no output');
    await page.goto(`${baseUrl}/w/${workspaceId}/agents/${agentId}`);
    await expect.poll(() => page.getByRole('button', { name: 'Run mock' }).count(), waitLong).toBe(1);

    // Unsaved edits: moving to another console page asks; "no" stays, "yes" leaves.
    const agentPath = `/w/${workspaceId}/agents/${agentId}`;
    await page.getByRole('link', { name: 'Usage', exact: true }).click();
    await page.waitForURL(`**/w/${workspaceId}/usage`);
    await page.goBack();
    await page.waitForURL(`**${agentPath}`);
    await page.getByRole('textbox', { name: 'Name' }).fill('Panel agent, edited');
    const questions: string[] = [];
    const dismissNext = () =>
      page.once('dialog', (dialog) => {
        questions.push(dialog.message());
        void dialog.dismiss();
      });
    // The browser's forward button (a console page, so no page load): asked, and "no" stays.
    dismissNext();
    await page.goForward();
    await expect.poll(() => questions.length, waitLong).toBe(1);
    await expect.poll(() => new URL(page.url()).pathname, waitLong).toBe(agentPath);
    expect(await page.getByRole('textbox', { name: 'Name' }).inputValue()).toBe('Panel agent, edited');
    dismissNext();
    await page.getByRole('link', { name: 'Agents', exact: true }).click();
    await expect.poll(() => questions.length, waitLong).toBe(2);
    expect(questions[1]).toContain('unsaved changes');
    expect(new URL(page.url()).pathname).toBe(agentPath);
    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('link', { name: 'Agents', exact: true }).click();
    await page.waitForURL(`**/w/${workspaceId}/agents`);
    // A reload or a closed tab is asked by the browser itself (beforeunload); saved edits ask nothing.
  });

  it('creates a workspace, switches between them, and deletes one after its name is typed', async () => {
    const { page, baseUrl } = harness;
    await page.goto(`${baseUrl}/w/${workspaceId}/home`);
    await page.getByRole('button', { name: 'New workspace' }).click();
    await page.getByRole('dialog').getByLabel('Workspace name').fill('Second team');
    await page.getByRole('button', { name: 'Create workspace' }).click();
    await page.waitForURL((url) => url.pathname.endsWith('/home') && !url.pathname.includes(workspaceId));
    const secondId = new URL(page.url()).pathname.split('/')[2] ?? '';
    await expect
      .poll(() => page.getByTestId('workspace-switcher').inputValue(), waitLong)
      .toBe('Second team');

    await chooseOption(page, 'Workspace', 'First team');
    await page.waitForURL(`**/w/${workspaceId}/home`);
    await chooseOption(page, 'Workspace', 'Second team');
    await page.waitForURL(`**/w/${secondId}/home`);

    await page.goto(`${baseUrl}/w/${secondId}/settings/workspace`);
    // A setting the server refuses: the sentence sits under its field, the form's alert stays away.
    const webhook = page.getByLabel('Alert webhook URL');
    await webhook.fill('ftp://hooks.example.com/x');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await expect.poll(() => webhook.getAttribute('aria-invalid'), waitLong).toBe('true');
    expect(await page.locator('.mantine-TextInput-error').first().textContent()).toBe(
      'Alert webhook URL must be an http(s) URL.',
    );
    expect(await page.getByTestId('error-alert').count()).toBe(0);
    // The next edit clears it: the problem was about the value that is gone.
    await webhook.fill('');
    expect(await webhook.getAttribute('aria-invalid')).not.toBe('true');
    const confirm = page.getByLabel('To confirm, type: Second team');
    const deleteButton = page.getByRole('button', { name: 'Delete workspace' });
    await confirm.fill('second team');
    expect(await deleteButton.isDisabled()).toBe(true);
    await expectNoSeriousAxeFindings(page);
    await confirm.fill('Second team');
    expect(await deleteButton.isDisabled()).toBe(false);
    await deleteButton.click();
    await page.waitForURL(`**/w/${workspaceId}/home`);
    const workspaces = (await (await page.request.get(`${baseUrl}/api/workspaces`)).json()) as {
      items: Array<{ id: string }>;
    };
    expect(workspaces.items.map((workspace) => workspace.id)).toEqual([workspaceId]);
  });

  it('fits the changed pages at 1440 and 390 px: no page overflow, no truncated badge or text', async () => {
    const { page, baseUrl } = harness;
    const paths = [
      'settings/keys',
      'settings/tokens',
      'settings/members',
      'settings/workspace',
      'settings/prices',
      'usage',
      'executions',
    ];
    for (const viewport of [
      { width: 1440, height: 900 },
      { width: 390, height: 844 },
    ]) {
      await page.setViewportSize(viewport);
      for (const path of paths) {
        await page.goto(`${baseUrl}/w/${workspaceId}/${path}`);
        await page.waitForLoadState('networkidle');
        await expectNoHorizontalOverflow(page);
        // Badges and headings whose text is cut: what they hold is wider than what shows.
        const cut = await page.evaluate(() =>
          [...document.querySelectorAll('.mantine-Badge-label, h1, h2, h3, h4')]
            .filter((element) => element.scrollWidth > element.clientWidth + 1)
            .map((element) => element.textContent),
        );
        expect(cut, `${path} at ${viewport.width} px`).toEqual([]);
      }
    }
    await page.setViewportSize({ width: 1280, height: 900 });
  });
});
