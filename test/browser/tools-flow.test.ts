import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type McpTestServer, startMcpTestServer } from '../tools/mcp-test-server.ts';
import { seriousAxeViolations } from './axe-check.ts';
import { type ConsoleHarness, chooseOption, screenshot, startConsoleHarness } from './browser-kit.ts';

const providerSecret = 'sk-tools-browser-3c9d1e7f';
const mcpToken = 'mcp-browser-token-8a61f0d2c4';
// Vitest polls for 1 s by default; a busy CI machine running every suite at once needs longer.
const waitLong = { timeout: 20_000, interval: 50 };

describe('web console: MCP servers and agent tools', { timeout: 150_000 }, () => {
  let harness: ConsoleHarness;
  let mcp: McpTestServer;

  beforeAll(async () => {
    mcp = await startMcpTestServer({ requiredAuthorization: `Bearer ${mcpToken}` });
    harness = await startConsoleHarness({ chunkDelayMs: 1 });
  }, 60_000);

  afterAll(async () => {
    await harness?.close();
    await mcp?.close();
  });

  it('registers an MCP server, tests its tool, gives it to an agent and shows the loop as it streams', async () => {
    const { page, baseUrl, fake } = harness;

    await page.goto(`${baseUrl}/`);
    await page.waitForURL('**/setup');
    await page.getByLabel('Your name').fill('Tess Owner');
    await page.getByLabel('Email').fill('tess@example.com');
    await page.locator('input[autocomplete="new-password"]').fill('correct horse battery staple');
    await page.getByLabel('Workspace name').fill('Tooling');
    await page.getByRole('button', { name: 'Create owner and workspace' }).click();
    await page.waitForURL(/\/w\/[^/]+\/agents$/);

    await page.getByRole('link', { name: 'Provider keys' }).click();
    await page.waitForURL('**/settings/keys');
    await chooseOption(page, 'Provider', 'openai-compatible');
    await page.getByLabel('Label').fill('Fake provider');
    await page.locator('input[type="password"]').fill(providerSecret);
    await page.getByLabel('Base URL').fill(`${fake.url}/v1`);
    await page.getByRole('button', { name: 'Save key' }).click();
    await expect
      .poll(() => page.getByTestId('provider-keys-table').textContent(), waitLong)
      .toContain('Fake provider');

    // The MCP server, with its credential as a header: masked once saved, gone from the page.
    await page.getByRole('link', { name: 'MCP servers' }).click();
    await page.waitForURL('**/settings/mcp-servers');
    await expect.poll(() => page.getByText('No MCP servers yet').isVisible(), waitLong).toBe(true);
    await page.getByLabel('Server name').fill('calculator');
    await page.getByLabel('Server URL').fill(mcp.url);
    await page.getByRole('button', { name: 'Add header' }).click();
    await page.getByLabel('Header 1 name').fill('Authorization');
    await page.getByLabel('Header 1 value').fill(`Bearer ${mcpToken}`);
    await page.getByRole('button', { name: 'Add server' }).click();
    await expect
      .poll(() => page.getByTestId('mcp-servers-table').textContent(), waitLong)
      .toContain(`Authorization: ••••${mcpToken.slice(-4)}`);
    const inputValues = await page.evaluate(() =>
      [...document.querySelectorAll('input')].map((input) => input.value),
    );
    expect(inputValues.join(' ')).not.toContain(mcpToken);
    expect(await page.content()).not.toContain(mcpToken);

    // Its tools, listed by the server through the stored header, and one tested by hand.
    await page.getByRole('button', { name: 'Tools', exact: true }).click();
    await expect.poll(() => page.getByTestId('mcp-tool').count(), waitLong).toBe(4);
    await page.getByRole('button', { name: /^add\b/ }).click();
    const argumentsEditor = page.locator('[data-testid="tool-test-arguments"] .cm-content');
    await argumentsEditor.click();
    await page.keyboard.press('Control+A');
    await page.keyboard.insertText('{ "a": 2, "b": 3 }');
    await page.getByRole('button', { name: 'Test tool' }).click();
    await expect
      .poll(() => page.getByTestId('tool-test-result').textContent(), waitLong)
      .toContain('"sum": 5');
    expect(mcp.calls).toContainEqual({ tool: 'add', arguments: { a: 2, b: 3 } });
    expect(mcp.requests.every((request) => request.headers.authorization === `Bearer ${mcpToken}`)).toBe(
      true,
    );
    await page.waitForTimeout(150);
    const findings = await seriousAxeViolations(page);
    expect(findings).toEqual([]);
    await screenshot(page, 'mcp-servers');

    // An agent that may call the server's add tool.
    await page.getByRole('link', { name: 'Agents' }).click();
    await page.getByRole('button', { name: 'New agent' }).first().click();
    await page.getByLabel('Name').fill('Calculator');
    await chooseOption(page, 'Provider', 'OpenAI-compatible');
    await page.getByLabel('Model').and(page.locator('input')).fill('gpt-4o-mini');
    await page.keyboard.press('Escape');
    await page.getByRole('button', { name: 'Create and open the builder' }).click();
    await page.waitForURL(/\/agents\/[^/]+$/);
    await page.getByRole('button', { name: 'Add tool' }).click();
    await page.getByRole('menuitem', { name: 'MCP server tool' }).click();
    await chooseOption(page, 'MCP server', 'calculator');
    await chooseOption(page, 'Server tool', 'add');
    await expect.poll(() => page.getByLabel('Tool 1 name').inputValue(), waitLong).toBe('add');
    await expect.poll(() => page.getByTestId('mcp-tool-parameters').textContent(), waitLong).toContain('"b"');
    await page.getByRole('button', { name: 'Save new version' }).click();
    await expect
      .poll(
        async () =>
          (await page.getByTestId('error-alert').allTextContents()).join(' ') ||
          ((await page.getByTestId('saved-notice').count()) > 0 ? 'saved' : ''),
        waitLong,
      )
      .toBe('saved');
    expect(await page.getByTestId('saved-notice').textContent()).toContain('version 2');
    await screenshot(page, 'agent-builder-tools');

    // Live: the model asks for add, the server answers, the model answers from it, all on screen.
    fake.respondWith((conversation) =>
      conversation.toolResults.length === 0
        ? { toolCalls: [{ name: 'add', arguments: { a: 20, b: 22 } }] }
        : { text: `The sum is ${conversation.toolResults.map((result) => result.content).join(' ')}.` },
    );
    await page.getByTestId('input-form').getByLabel('text').fill('What is 20 + 22?');
    await page.getByText('Live', { exact: true }).click();
    await page.getByRole('button', { name: 'Run live' }).click();
    await expect.poll(() => page.getByTestId('run-metrics').isVisible(), waitLong).toBe(true);
    await expect.poll(() => page.getByTestId('loop-tool-call').count(), waitLong).toBe(1);
    expect(await page.getByTestId('loop-tool-call').textContent()).toContain('add');
    expect(await page.getByTestId('loop-tool-status').textContent()).toBe('succeeded');
    expect(await page.getByTestId('loop-tool-result').textContent()).toContain('"sum": 42');
    expect(await page.getByTestId('streamed-output').textContent()).toContain('42');
    expect(mcp.calls).toContainEqual({ tool: 'add', arguments: { a: 20, b: 22 } });
    expect(await page.content()).not.toContain(mcpToken);
    await screenshot(page, 'test-panel-tool-loop');

    // The execution drawer lists the recorded call.
    await page.getByRole('link', { name: 'Executions' }).click();
    await expect.poll(() => page.getByTestId('execution-row').count(), waitLong).toBe(1);
    await page.getByRole('button', { name: 'Details' }).first().click();
    await expect.poll(() => page.getByTestId('execution-tool-call').count(), waitLong).toBe(1);
    const recorded = (await page.getByTestId('execution-tool-call').textContent()) ?? '';
    expect(recorded).toContain('add');
    expect(recorded).toContain('mcp');
    expect(recorded).toContain('succeeded');
    expect(recorded).toContain('"sum": 42');
    await screenshot(page, 'execution-drawer-tool-calls');
  });
});
