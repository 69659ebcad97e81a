import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seriousAxeViolations } from './axe-check.ts';
import { type ConsoleHarness, chooseOption, screenshot, startConsoleHarness } from './browser-kit.ts';

const waitLong = { timeout: 20_000, interval: 50 };

describe('web console: executions of a model without a price', { timeout: 120_000 }, () => {
  let harness: ConsoleHarness;

  beforeAll(async () => {
    harness = await startConsoleHarness();
  }, 60_000);
  afterAll(async () => {
    await harness?.close();
  });

  it('shows the priced cost plus how many executions are not priced, never $0 for them', async () => {
    const { page, baseUrl, fake } = harness;
    // Set up through the API with the browser's own cookies, as the console would.
    const setup = await page.request.post(`${baseUrl}/api/setup`, {
      data: {
        email: 'unpriced@example.com',
        password: 'correct horse battery staple',
        name: 'Una Priced',
        workspaceName: 'Custom models',
      },
    });
    expect(setup.status()).toBe(201);
    const { workspace, csrfToken } = (await setup.json()) as { workspace: { id: string }; csrfToken: string };
    const post = async (path: string, data: unknown) => {
      const response = await page.request.post(`${baseUrl}/api/workspaces/${workspace.id}${path}`, {
        data,
        headers: { 'x-csrf-token': csrfToken },
      });
      expect(response.status(), await response.text()).toBe(201);
      return (await response.json()) as { id: string; costUsd?: number | null };
    };
    const customKey = await post('/provider-keys', {
      provider: 'openai-compatible',
      label: 'House endpoint',
      apiKey: 'sk-house-0001',
      baseUrl: `${fake.url}/v1`,
    });
    const openAiKey = await post('/provider-keys', {
      provider: 'openai',
      label: 'OpenAI',
      apiKey: 'sk-openai-0001',
      baseUrl: `${fake.url}/v1`,
    });
    const custom = await post('/agents', {
      name: 'House model',
      provider: 'openai-compatible',
      model: 'house-model-13b',
      providerKeyId: customKey.id,
    });
    const catalogued = await post('/agents', {
      name: 'Catalogued',
      provider: 'openai',
      model: 'gpt-4o-mini',
      providerKeyId: openAiKey.id,
    });
    await post(`/agents/${custom.id}/executions`, { input: {}, mode: 'live' });
    await post(`/agents/${custom.id}/executions`, { input: {}, mode: 'live' });
    const priced = await post(`/agents/${catalogued.id}/executions`, { input: {}, mode: 'live' });
    expect(priced.costUsd).toBeGreaterThan(0);

    await page.goto(`${baseUrl}/w/${workspace.id}/executions`);
    await expect
      .poll(() => page.getByTestId('stats-cost').textContent(), waitLong)
      .toContain('+ 2 not priced');
    const cost = (await page.getByTestId('stats-cost').textContent()) ?? '';
    expect(cost).toContain('2 executions of a model without a price');
    expect(cost).not.toContain('$0.00 +');
    expect(await page.getByRole('img', { name: 'Cost per day (priced executions)' }).count()).toBe(1);
    // Each unpriced row of the list says so too.
    await expect
      .poll(() => page.getByTestId('execution-row').filter({ hasText: 'not priced' }).count(), waitLong)
      .toBe(2);
    await screenshot(page, 'executions-unpriced');
    // As the hub suite does: let transitions finish before axe reads the colours. The figures
    // changed here must have no finding (the hub suite judges the whole page).
    await page.waitForLoadState('networkidle');
    await page.waitForTimeout(150);
    const findings = await seriousAxeViolations(page, '[data-testid="stats-totals"]');
    expect(findings, JSON.stringify(findings, null, 2)).toEqual([]);

    // Filtered to the agent whose executions are all unpriced: "not priced", not $0.00.
    await chooseOption(page, 'Agent', 'House model');
    await expect.poll(() => page.getByTestId('stats-cost').textContent(), waitLong).toContain('not priced');
    expect(await page.getByTestId('stats-cost').textContent()).not.toContain('$');

    // The month's usage: the house model's calls are "not priced", not $0.00 of spend.
    await page.goto(`${baseUrl}/w/${workspace.id}/usage`);
    const houseRow = page.getByTestId('usage-by-agent').getByRole('row').filter({ hasText: 'House model' });
    // Cells: agent, spent, reserved (nothing held now), calls.
    await expect.poll(() => houseRow.getByRole('cell').nth(1).textContent(), waitLong).toBe('not priced');
    expect(await page.getByTestId('usage-spent').textContent()).toContain('+ 2 not priced');
  });
});
