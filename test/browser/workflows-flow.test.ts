import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConsoleHarness, chooseOption, screenshot, startConsoleHarness } from './browser-kit.ts';

// Vitest polls for 1 s by default; a busy CI machine running every suite at once needs longer.
const waitLong = { timeout: 30_000, interval: 50 };
/** The fake answers these models after a pause, so the monitor shows steps running before they complete. */
const slowModel = 'fault:hang;ms=700';

const scanOutput = {
  type: 'object',
  properties: {
    summary: {
      type: 'object',
      properties: { total: { type: 'integer' }, critical: { type: 'integer' } },
      required: ['total', 'critical'],
      additionalProperties: false,
    },
  },
  required: ['summary'],
  additionalProperties: false,
};
const verdictOutput = {
  type: 'object',
  properties: { verdict: { type: 'string' } },
  required: ['verdict'],
  additionalProperties: false,
};

/** Calls the API from the signed-in page: the session cookie plus the CSRF token from /api/me. */
async function callApi(page: Page, method: string, path: string, body?: unknown) {
  return page.evaluate(
    async (request) => {
      const me = (await (await fetch('/api/me')).json()) as { csrfToken: string };
      const response = await fetch(request.path, {
        method: request.method,
        headers: { 'content-type': 'application/json', 'x-csrf-token': me.csrfToken },
        body: request.body === undefined ? undefined : JSON.stringify(request.body),
      });
      return { status: response.status, body: (await response.json().catch(() => null)) as unknown };
    },
    { method, path, body },
  );
}

/** Picks a template suggestion after typing the start of it into a step field. */
async function pickSuggestion(page: Page, testId: string, typed: string, suggestion: string) {
  const field = page.getByTestId(testId);
  await field.click();
  await field.pressSequentially(typed);
  await page
    .getByRole('option', { name: new RegExp(suggestion.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) })
    .click();
  await expect.poll(() => field.inputValue(), waitLong).toBe(suggestion);
}

/** Draws an edge by dragging from one step's out-dot to another step's in-dot. */
async function connect(page: Page, from: string, to: string) {
  await page.getByTestId(`step-handle-out-${from}`).dragTo(page.getByTestId(`step-handle-in-${to}`));
}

describe('web console: workflow builder and live run monitor', { timeout: 240_000 }, () => {
  let harness: ConsoleHarness;
  let receiver: Server;
  let receiverUrl: string;
  const received: Array<{ method: string; body: string }> = [];

  beforeAll(async () => {
    harness = await startConsoleHarness({ workflows: { workers: 2 } });
    receiver = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      request.on('end', () => {
        received.push({ method: request.method ?? '', body });
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ delivered: true }));
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/notify`;
  }, 60_000);

  afterAll(async () => {
    await harness?.close();
    await new Promise((resolve) => receiver?.close(resolve));
  });

  it('builds the scan → (compliance, review) → notify diamond, saves, runs it live and watches it complete', async () => {
    const { page, baseUrl, fake } = harness;

    await page.goto(`${baseUrl}/`);
    await page.waitForURL('**/setup');
    await page.getByLabel('Your name').fill('Wanda Owner');
    await page.getByLabel('Email').fill('wanda@example.com');
    await page.locator('input[autocomplete="new-password"]').fill('correct horse battery staple');
    await page.getByLabel('Workspace name').fill('Pipelines');
    await page.getByRole('button', { name: 'Create owner and workspace' }).click();
    await page.waitForURL(/\/w\/[^/]+\/agents$/);
    const workspacePath = new URL(page.url()).pathname.replace(/\/agents$/, '');
    const apiBase = `/api/workspaces/${workspacePath.split('/')[2]}`;

    // The agents come through the API: an openai-compatible key at the fake, priced by a workspace override.
    const key = await callApi(page, 'POST', `${apiBase}/provider-keys`, {
      provider: 'openai-compatible',
      label: 'Fake provider',
      apiKey: 'sk-workflows-fake-1234',
      baseUrl: `${fake.url}/v1`,
    });
    expect(key.status).toBe(201);
    const prices = await callApi(page, 'PATCH', apiBase, {
      settings: {
        priceOverrides: [slowModel, 'gpt-4o-mini'].map((model) => ({
          model,
          provider: 'openai-compatible',
          inputPerMillionUsd: 1_000,
          outputPerMillionUsd: 2_000,
        })),
      },
    });
    expect(prices.status).toBe(200);
    const agents = [
      {
        name: 'Security scanner',
        model: slowModel,
        promptTemplate: 'Scan {{ input.repo }} for vulnerabilities.',
        inputSchema: { type: 'object', properties: { repo: { type: 'string' } }, required: ['repo'] },
        outputSchema: scanOutput,
      },
      {
        name: 'Compliance checker',
        model: slowModel,
        promptTemplate: 'Findings: {{ input.total }}. Is this compliant?',
        inputSchema: { type: 'object', properties: { total: { type: 'integer' } }, required: ['total'] },
        outputSchema: verdictOutput,
      },
      {
        name: 'Code reviewer',
        model: 'gpt-4o-mini',
        promptTemplate: 'Critical findings: {{ input.critical }}. Review the change.',
        inputSchema: {
          type: 'object',
          properties: { critical: { type: 'integer' } },
          required: ['critical'],
        },
        outputSchema: verdictOutput,
      },
    ];
    for (const agent of agents) {
      const created = await callApi(page, 'POST', `${apiBase}/agents`, {
        provider: 'openai-compatible',
        retry: { maxAttempts: 1 },
        ...agent,
      });
      expect(created.status).toBe(201);
    }

    // The empty list says what to do; the builder opens from it.
    await page.getByRole('link', { name: 'Workflows' }).click();
    await page.waitForURL('**/workflows');
    await expect.poll(() => page.getByText('No workflows yet').isVisible(), waitLong).toBe(true);
    await screenshot(page, 'workflows-empty');
    await page.getByRole('link', { name: 'New workflow' }).first().click();
    await page.waitForURL('**/workflows/new');
    await page.getByLabel('Workflow name').fill('Security review');

    // The run input: one field, repo.
    await page.getByRole('tab', { name: 'Settings' }).click();
    await page.getByTestId('workflow-input-schema-fields').getByRole('button', { name: 'Add field' }).click();
    await page.getByLabel('Run input schema field 1 name').fill('repo');
    await page.getByRole('tab', { name: 'Graph' }).click();

    // scan: the run input's repo, picked from the suggestions.
    await page.getByRole('button', { name: 'Add agent step' }).click();
    await page.getByLabel('Step id').fill('scan');
    await page.getByLabel('Step id').press('Enter');
    await chooseOption(page, 'Agent', 'Security scanner');
    await pickSuggestion(page, 'field-scan-repo', '{{', '{{ run.input.repo }}');

    // compliance: the scan's total, suggested from the scanner's output schema.
    await page.getByRole('button', { name: 'Add agent step' }).click();
    await page.getByLabel('Step id').fill('compliance');
    await page.getByLabel('Step id').press('Enter');
    await chooseOption(page, 'Agent', 'Compliance checker');
    await pickSuggestion(page, 'field-compliance-total', '{{ tot', '{{ steps.scan.output.summary.total }}');

    // review: typed in full; a wrong path shows on the field and the node until it is fixed.
    await page.getByRole('button', { name: 'Add agent step' }).click();
    await page.getByLabel('Step id').fill('review');
    await page.getByLabel('Step id').press('Enter');
    await chooseOption(page, 'Agent', 'Code reviewer');
    const critical = page.getByTestId('field-review-critical');
    await critical.fill('{{ steps.scan.output.summary.nope }}');
    await page.keyboard.press('Escape');
    await expect
      .poll(() => page.getByTestId('step-node-review').getAttribute('data-problems'), waitLong)
      .toBe('1');
    await expect
      .poll(() => page.getByTestId('step-inspector').textContent(), waitLong)
      .toContain('template_path_unknown');
    await screenshot(page, 'workflow-builder-problem');
    await critical.fill('{{ steps.scan.output.summary.critical }}');
    await page.keyboard.press('Escape');
    await expect
      .poll(() => page.getByTestId('step-node-review').getAttribute('data-problems'), waitLong)
      .toBe('0');

    // notify: an http step posting both verdicts to a local receiver.
    await page.getByRole('button', { name: 'Add HTTP step' }).click();
    await page.getByLabel('Step id').fill('notify');
    await page.getByLabel('Step id').press('Enter');
    await page.getByTestId('field-notify-url').fill(receiverUrl);
    await page.keyboard.press('Escape');
    for (const [name, template] of [
      ['compliance', '{{ compliance.output.verdict }}'],
      ['review', '{{ review.output.verdict }}'],
    ] as const) {
      await page.getByLabel('New body field name').fill(name);
      await page.getByRole('button', { name: 'Add body field' }).click();
      await page.getByTestId(`field-notify-${name}`).fill(template);
      await page.keyboard.press('Escape');
    }

    // A stray step, deleted from the canvas with the keyboard.
    await page.getByRole('button', { name: 'Add agent step' }).click();
    await page.getByRole('button', { name: 'Auto layout' }).click();
    await expect.poll(() => page.getByTestId('step-node-step1').isVisible(), waitLong).toBe(true);
    await page.getByTestId('step-node-step1').click();
    await page.keyboard.press('Delete');
    await expect.poll(() => page.getByTestId('step-node-step1').count(), waitLong).toBe(0);

    // Edges drawn on the canvas become `needs`.
    await page.getByRole('button', { name: 'Auto layout' }).click();
    await page.waitForTimeout(300);
    await connect(page, 'scan', 'compliance');
    await connect(page, 'scan', 'review');
    await connect(page, 'compliance', 'notify');
    await connect(page, 'review', 'notify');
    await expect.poll(() => page.locator('.react-flow__edge[data-id*="->"]').count(), waitLong).toBe(4);
    await expect
      .poll(() => page.getByTestId('validation-status').textContent(), waitLong)
      .toBe('no problems');
    await screenshot(page, 'workflow-builder-diamond');

    // The JSON view round-trips: it shows the needs, and an edit there changes the graph.
    // CodeMirror draws only the lines on screen: a tall window shows the whole definition.
    await page.setViewportSize({ width: 1280, height: 3200 });
    await page.getByRole('tab', { name: 'JSON' }).click();
    const jsonText = async () =>
      (await page.locator('[data-testid="workflow-json"] .cm-line').allTextContents()).join('\n');
    await expect.poll(async () => JSON.parse(await jsonText()).steps.length, waitLong).toBe(4);
    const definition = JSON.parse(await jsonText()) as {
      steps: Array<{ id: string; needs?: string[]; method?: string }>;
    };
    expect(definition.steps.find((step) => step.id === 'notify')?.needs).toEqual(['compliance', 'review']);
    expect(definition.steps.find((step) => step.id === 'compliance')?.needs).toEqual(['scan']);
    for (const step of definition.steps) if (step.id === 'notify') step.method = 'PUT';
    await page.locator('[data-testid="workflow-json"] .cm-content').click();
    await page.keyboard.press('Control+A');
    await page.keyboard.insertText(JSON.stringify(definition, null, 2));
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.getByRole('tab', { name: 'Graph' }).click();
    await expect.poll(() => page.getByTestId('step-node-notify').textContent(), waitLong).toContain('PUT');

    await page.getByRole('button', { name: 'Save workflow' }).click();
    await page.waitForURL(/\/workflows\/(?!new)[^/]+$/);
    await expect
      .poll(() => page.getByTestId('workflow-saved').textContent(), waitLong)
      .toContain('version 1');

    // Run it live; the monitor follows the events without a page load.
    await page.evaluate(() => {
      const seen: Record<string, string[]> = {};
      (window as unknown as { statusesSeen: typeof seen }).statusesSeen = seen;
      const record = (element: Element) => {
        const id = element.getAttribute('data-testid')?.replace('step-node-', '');
        const status = element.getAttribute('data-status');
        if (!id || !status) return;
        const list = seen[id] ?? [];
        if (list.at(-1) !== status) list.push(status);
        seen[id] = list;
      };
      new MutationObserver(() => {
        for (const element of document.querySelectorAll('[data-testid^="step-node-"]')) record(element);
      }).observe(document.body, {
        subtree: true,
        childList: true,
        attributes: true,
        attributeFilter: ['data-status'],
      });
    });
    await page.getByRole('button', { name: 'Run Security review' }).click();
    await page.getByTestId('input-form').getByLabel('repo').fill('acme/api');
    await page.getByRole('button', { name: 'Start live run' }).click();
    await page.waitForURL(/\/runs\/[^/]+$/);
    const nodes = page.locator('[data-testid^="step-node-"]');
    await expect.poll(() => nodes.count(), waitLong).toBe(4);
    await expect
      .poll(() => page.locator('[data-testid^="step-node-"][data-status="running"]').count(), waitLong)
      .toBeGreaterThan(0);
    await screenshot(page, 'run-monitor-running');
    await expect
      .poll(() => page.locator('[data-testid^="step-node-"][data-status="completed"]').count(), waitLong)
      .toBe(4);
    await expect.poll(() => page.getByTestId('run-status-figure').textContent(), waitLong).toBe('completed');
    const seen = (await page.evaluate(
      () => (window as unknown as { statusesSeen: Record<string, string[]> }).statusesSeen,
    )) as Record<string, string[]>;
    // Still the same document (the observer survived), and each node went through running to completed.
    for (const id of ['scan', 'compliance', 'review', 'notify']) {
      expect(seen[id]?.at(-1)).toBe('completed');
      expect(seen[id]?.length ?? 0).toBeGreaterThan(1);
    }
    expect(seen.scan).toContain('running');
    await expect.poll(() => page.getByTestId('run-connection').textContent(), waitLong).toBe('finished');
    const totalCost = (await page.getByTestId('run-cost').textContent()) ?? '';
    expect(Number(totalCost.replace('$', ''))).toBeGreaterThan(0);
    await screenshot(page, 'run-monitor-completed');

    // The notifier got both verdicts, with the method set in the JSON view.
    expect(received).toHaveLength(1);
    expect(received[0]?.method).toBe('PUT');
    expect(Object.keys(JSON.parse(received[0]?.body ?? '{}'))).toEqual(['compliance', 'review']);

    // A step's drawer: its cost, rendered input and execution.
    await page.getByTestId('step-node-compliance').click();
    const drawer = page.getByTestId('step-drawer');
    await expect.poll(() => drawer.isVisible(), waitLong).toBe(true);
    const stepCost = (await page.getByTestId('step-cost').textContent()) ?? '';
    expect(stepCost).toMatch(/^\$0\.\d+$/);
    expect(Number(stepCost.replace('$', ''))).toBeGreaterThan(0);
    expect(await page.getByTestId('step-input').textContent()).toMatch(/"total": \d+/);
    await expect.poll(() => drawer.textContent(), waitLong).toContain('Tokens in / out');
    await page.waitForTimeout(300);
    await screenshot(page, 'run-step-drawer');
    await page.keyboard.press('Escape');

    // The runs list shows it, filtered by workflow; both pages fit a phone.
    await page.getByRole('link', { name: 'Runs', exact: true }).click();
    await page.waitForURL('**/runs');
    await expect.poll(() => page.getByTestId('run-row').count(), waitLong).toBe(1);
    expect(await page.getByTestId('run-row').getAttribute('data-status')).toBe('completed');
    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot(page, 'runs-phone');
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.getByRole('link', { name: /^Open run / }).click();
    await expect
      .poll(() => page.locator('[data-testid^="step-node-"][data-status="completed"]').count(), waitLong)
      .toBe(4);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await screenshot(page, 'run-monitor-phone');
    await page.goto(`${baseUrl}${workspacePath}/workflows`);
    await expect.poll(() => page.getByTestId('workflow-row').count(), waitLong).toBe(1);
    await page.getByRole('link', { name: 'Security review' }).click();
    await expect.poll(() => nodes.count(), waitLong).toBe(4);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await screenshot(page, 'workflow-builder-phone');
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it('cancels a running run, retries it to completion, and marks a mock run', async () => {
    const { page, baseUrl } = harness;
    const workspacePath = new URL(page.url()).pathname.match(/^\/w\/[^/]+/)?.[0] ?? '';
    const apiBase = `/api${workspacePath.replace(/^\/w/, '/workspaces')}`;
    const agent = await callApi(page, 'POST', `${apiBase}/agents`, {
      name: 'Slow summarizer',
      provider: 'openai-compatible',
      model: 'fault:hang;ms=2500',
      retry: { maxAttempts: 1 },
      promptTemplate: 'Summarize {{ input.text }}',
      inputSchema: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
    });
    expect(agent.status).toBe(201);
    const workflow = await callApi(page, 'POST', `${apiBase}/workflows`, {
      name: 'Slow summary',
      inputSchema: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
      steps: [{ id: 'summarize', agent: 'slow-summarizer', input: { text: '{{ run.input.text }}' } }],
    });
    expect(workflow.status).toBe(201);

    // Started from the list's Run button; cancelled while its step runs.
    await page.goto(`${baseUrl}${workspacePath}/workflows`);
    await page.getByRole('button', { name: 'Run Slow summary' }).click();
    await page.getByTestId('input-form').getByLabel('text').fill('the tides');
    await page.getByRole('button', { name: 'Start live run' }).click();
    await page.waitForURL(/\/runs\/[^/]+$/);
    const node = page.getByTestId('step-node-summarize');
    await expect.poll(() => node.getAttribute('data-status'), waitLong).toBe('running');
    await page.getByRole('button', { name: 'Cancel run' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Cancel run' }).click();
    await expect.poll(() => node.getAttribute('data-status'), waitLong).toBe('cancelled');
    await expect.poll(() => page.getByTestId('run-error').textContent(), waitLong).toContain('run_cancelled');
    await screenshot(page, 'run-monitor-cancelled');

    // Retry: the same page follows the run again until it completes.
    await page.getByRole('button', { name: 'Retry failed steps' }).click();
    await expect.poll(() => node.getAttribute('data-status'), waitLong).toBe('running');
    await expect.poll(() => node.getAttribute('data-status'), waitLong).toBe('completed');
    await expect.poll(() => page.getByTestId('run-status-figure').textContent(), waitLong).toBe('completed');

    // A mock run is marked as one and costs nothing.
    await page.goto(`${baseUrl}${workspacePath}/workflows`);
    await page.getByRole('button', { name: 'Run Slow summary' }).click();
    await page.getByTestId('input-form').getByLabel('text').fill('the tides');
    await page.getByText('Mock (no provider calls, no cost)').click();
    await page.getByRole('button', { name: 'Start mock run' }).click();
    await page.waitForURL(/\/runs\/[^/]+$/);
    await expect.poll(() => node.getAttribute('data-status'), waitLong).toBe('completed');
    expect(await page.getByTestId('mock-badge').isVisible()).toBe(true);
    expect(await page.getByTestId('run-cost').textContent()).toBe('$0.00 (mock)');
    await screenshot(page, 'run-monitor-mock');

    // The list filters by status and shows all three runs' outcomes.
    await page.goto(`${baseUrl}${workspacePath}/runs?status=completed`);
    await expect.poll(() => page.getByTestId('run-row').count(), waitLong).toBe(3);
  });
});
