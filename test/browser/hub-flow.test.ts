import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AxeFinding, seriousAxeViolations } from './axe-check.ts';
import { type ConsoleHarness, chooseOption, screenshot, startConsoleHarness } from './browser-kit.ts';

const waitLong = { timeout: 30_000, interval: 50 };

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
const patchOutput = {
  type: 'object',
  properties: { patch: { type: 'string' }, confidence: { type: 'number' } },
  required: ['patch', 'confidence'],
  additionalProperties: false,
};

/** Waits until the lazily loaded page is in and its first requests have answered. */
async function pageSettled(page: Page) {
  await page.waitForLoadState('networkidle');
  await expect.poll(() => page.getByLabel('Loading page').count(), waitLong).toBe(0);
  await expect.poll(() => page.locator('[aria-busy="true"]').count(), waitLong).toBe(0);
}

describe('web console: approvals, work sessions, dashboard, templates, accessibility', {
  timeout: 300_000,
}, () => {
  let harness: ConsoleHarness;
  let receiver: Server;
  let receiverUrl: string;
  const received: Array<Record<string, unknown>> = [];
  /** Serious and critical axe findings by page, checked at the end so one run shows them all. */
  const accessibility = new Map<string, AxeFinding[]>();

  async function checkAccessibility(page: Page, name: string) {
    await page.waitForTimeout(150);
    accessibility.set(name, await seriousAxeViolations(page));
  }

  beforeAll(async () => {
    harness = await startConsoleHarness({ workflows: { workers: 2 } });
    receiver = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      request.on('end', () => {
        received.push(JSON.parse(body || '{}') as Record<string, unknown>);
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end('{"ok":true}');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/notify`;
  }, 60_000);

  afterAll(async () => {
    await harness?.close();
    await new Promise((resolve) => receiver?.close(resolve));
  });

  it('ticks the checklist, starts a work session from an agent, and decides approvals in the inbox', async () => {
    const { page, baseUrl, fake } = harness;
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(`${baseUrl}/`);
    await page.waitForURL('**/setup');
    await checkAccessibility(page, 'setup');
    await page.getByLabel('Your name').fill('Hana Hub');
    await page.getByLabel('Email').fill('hana@example.com');
    await page.locator('input[autocomplete="new-password"]').fill('correct horse battery staple');
    await page.getByLabel('Workspace name').fill('Hub');
    await page.getByRole('button', { name: 'Create owner and workspace' }).click();
    await page.waitForURL(/\/w\/[^/]+\/agents$/);
    const workspacePath = new URL(page.url()).pathname.replace(/\/agents$/, '');
    const apiBase = `/api/workspaces/${workspacePath.split('/')[2]}`;
    await checkAccessibility(page, 'agents (empty)');

    const nav = (name: string | RegExp) =>
      page
        .getByRole('navigation', { name: 'Main navigation' })
        .getByRole('link', typeof name === 'string' ? { name, exact: true } : { name });
    /** Opens Home and waits for the checklist to show `expected` (the counts are read again on each visit). */
    const expectChecklist = async (
      expected: Record<'key' | 'agent' | 'run' | 'workflow' | 'member', boolean>,
    ) => {
      await nav('Home').click();
      await page.waitForURL('**/home');
      const read = async () =>
        Object.fromEntries(
          await Promise.all(
            Object.keys(expected).map(
              async (id) =>
                [
                  id,
                  (await page.getByTestId(`checklist-${id}`).getAttribute('data-done')) === 'true',
                ] as const,
            ),
          ),
        );
      await expect.poll(read, waitLong).toEqual(expected);
    };
    const ticked = { key: false, agent: false, run: false, workflow: false, member: false };
    await expectChecklist(ticked);
    await checkAccessibility(page, 'home');
    await screenshot(page, 'home-new-workspace');

    // A key at the fake provider: the first item ticks.
    const key = await callApi(page, 'POST', `${apiBase}/provider-keys`, {
      provider: 'openai-compatible',
      label: 'Fake provider',
      apiKey: 'sk-hub-fake-1234',
      baseUrl: `${fake.url}/v1`,
    });
    expect(key.status).toBe(201);
    ticked.key = true;
    await expectChecklist(ticked);

    // An agent from the research template, through the dialog.
    await nav('Agents').click();
    await page.getByRole('button', { name: 'New agent' }).first().click();
    await chooseOption(page, 'Template', 'Research agent');
    await chooseOption(page, 'Provider', 'OpenAI-compatible');
    await page.getByLabel('Model').and(page.locator('input')).fill('gpt-4o-mini');
    await checkAccessibility(page, 'new agent dialog');
    await page.getByRole('button', { name: 'Create and open the builder' }).click();
    await page.waitForURL(/\/agents\/[^/]+$/);
    await pageSettled(page);
    await checkAccessibility(page, 'agent builder');
    ticked.agent = true;
    await expectChecklist(ticked);

    // Run it once from its row: the form follows the template's schema (a required question, an enum with a default).
    await nav('Agents').click();
    await page.getByRole('button', { name: 'Run Research agent' }).click();
    const form = page.getByTestId('input-form');
    await expect.poll(() => form.getByLabel('depth').inputValue(), waitLong).toBe('quick');
    await form.getByLabel('question').fill('Which vector databases support hybrid search?');
    await checkAccessibility(page, 'run agent dialog');
    await page.getByRole('button', { name: 'Run live' }).click();
    await expect
      .poll(() => page.getByTestId('run-agent-output').textContent(), waitLong)
      .toContain('findings');
    await page.keyboard.press('Escape');
    ticked.run = true;
    await expectChecklist(ticked);

    // A work session of the same agent: it waits for review, then its artifact opens by type.
    await nav('Agents').click();
    await page.getByRole('button', { name: 'Run Research agent' }).click();
    await page.getByText('Work session (reviewed, with artifacts)').click();
    await page.getByTestId('input-form').getByLabel('question').fill('Is PGlite fit for tests?');
    await page.getByRole('button', { name: 'Start live work session' }).click();
    await page.waitForURL(/\/runs\/[^/]+$/);
    await expect
      .poll(() => page.getByTestId('run-status-figure').textContent(), waitLong)
      .toBe('waiting approval');
    await page.getByRole('button', { name: 'Review step task' }).click();
    await page.waitForURL(/\/approvals\/[^/]+$/);
    const proposed = page.getByTestId('approval-proposed-output').getByTestId('artifact-view');
    await expect.poll(() => proposed.getAttribute('data-type'), waitLong).toBe('research_finding');
    await checkAccessibility(page, 'approval (work session)');
    await page.getByLabel('Comment (optional)').fill('Looks right.');
    await page.getByRole('button', { name: 'Approve', exact: true }).click();
    await page.waitForURL(/\/runs\/[^/]+$/);
    await expect.poll(() => page.getByTestId('run-status-figure').textContent(), waitLong).toBe('completed');
    await expect
      .poll(() => page.getByTestId('decision-entry').getAttribute('data-status'), waitLong)
      .toBe('approved');
    await checkAccessibility(page, 'run (work session)');
    await page.getByRole('button', { name: 'Open artifact of step task' }).click();
    await page.waitForURL(/\/artifacts\/[^/]+$/);
    const artifact = page.getByTestId('artifact-current').getByTestId('artifact-view');
    await expect
      .poll(
        async () =>
          (await artifact.count()) > 0 ? artifact.getAttribute('data-type') : pageErrors.join('; '),
        waitLong,
      )
      .toBe('research_finding');
    expect(await artifact.getByTestId('artifact-finding').count()).toBeGreaterThan(0);
    expect(await artifact.getByTestId('artifact-confidence').count()).toBeGreaterThan(0);
    await checkAccessibility(page, 'artifact');
    await screenshot(page, 'artifact-research-finding');

    // A workflow whose patch step needs approval, posting the patch to a receiver.
    for (const agent of [
      {
        name: 'Scanner',
        promptTemplate: 'Scan {{ input.repo }}.',
        inputSchema: { type: 'object', properties: { repo: { type: 'string' } }, required: ['repo'] },
        outputSchema: scanOutput,
      },
      {
        name: 'Patcher',
        approval: 'required',
        artifactType: 'patch_proposal',
        promptTemplate: 'Patch {{ input.finding }}.',
        inputSchema: { type: 'object', properties: { finding: { type: 'string' } }, required: ['finding'] },
        outputSchema: patchOutput,
      },
    ]) {
      const created = await callApi(page, 'POST', `${apiBase}/agents`, {
        provider: 'openai-compatible',
        model: 'gpt-4o-mini',
        retry: { maxAttempts: 1 },
        ...agent,
      });
      expect(created.status).toBe(201);
    }
    const workflow = await callApi(page, 'POST', `${apiBase}/workflows`, {
      name: 'Patch review',
      inputSchema: { type: 'object', properties: { repo: { type: 'string' } }, required: ['repo'] },
      steps: [
        { id: 'scan', agent: 'scanner', input: { repo: '{{ run.input.repo }}' } },
        { id: 'patch', agent: 'patcher', input: { finding: 'total {{ steps.scan.output.summary.total }}' } },
        {
          id: 'notify',
          kind: 'http',
          url: receiverUrl,
          body: { patch: '{{ patch.output.patch }}', confidence: '{{ patch.output.confidence }}' },
        },
      ],
    });
    expect(workflow.status).toBe(201);
    ticked.workflow = true;
    await expectChecklist(ticked);

    const startPatchRun = async () => {
      await nav('Workflows').click();
      await page.getByRole('button', { name: 'Run Patch review' }).click();
      await page.getByTestId('input-form').getByLabel('repo').fill('acme/api');
      await page.getByRole('button', { name: 'Start live run' }).click();
      await page.waitForURL(/\/runs\/[^/]+$/);
      await expect.poll(() => page.getByTestId('waiting-approval').isVisible(), waitLong).toBe(true);
    };

    // The badge appears; edit the output in the inbox, a schema mistake is caught before sending.
    await startPatchRun();
    await expect.poll(() => page.getByTestId('approvals-badge').textContent(), waitLong).toBe('1');
    await screenshot(page, 'run-waiting-approval');
    await nav(/^Approvals/).click();
    await page.waitForURL('**/approvals');
    await expect.poll(() => page.getByTestId('approval-row').count(), waitLong).toBe(1);
    await checkAccessibility(page, 'approvals inbox');
    await screenshot(page, 'approvals-inbox');
    await page.getByRole('button', { name: 'Review Patch review step patch' }).click();
    await page.waitForURL(/\/approvals\/[^/]+$/);
    await expect
      .poll(() => page.getByTestId('approval-step-input').textContent(), waitLong)
      .toContain('total');
    expect(await page.getByTestId('approval-earlier-outputs').textContent()).toContain('scan');
    await page.getByText('Edit, then approve').click();
    const editor = page.locator('[data-testid="approval-output-editor"] .cm-content');
    await editor.click();
    await page.keyboard.press('Control+A');
    await page.keyboard.insertText('{ "patch": "guard the null", "confidence": "high" }');
    await expect
      .poll(() => page.getByTestId('approval-output-editor-problems').textContent(), waitLong)
      .toContain('/confidence');
    expect(await page.getByRole('button', { name: 'Approve edited output' }).isDisabled()).toBe(true);
    await checkAccessibility(page, 'approval (editing)');
    await screenshot(page, 'approval-edit-invalid');
    await editor.click();
    await page.keyboard.press('Control+A');
    await page.keyboard.insertText(
      '{ "patch": "--- a/api.ts\\n+++ b/api.ts\\n+if (!user) return;", "confidence": 0.93 }',
    );
    await expect
      .poll(() => page.getByRole('button', { name: 'Approve edited output' }).isDisabled(), waitLong)
      .toBe(false);
    await page.getByRole('button', { name: 'Approve edited output' }).click();
    await page.waitForURL(/\/runs\/[^/]+$/);
    await expect.poll(() => page.getByTestId('run-status-figure').textContent(), waitLong).toBe('completed');
    // The step after the approval received the edited value, not the model's.
    expect(received.at(-1)).toEqual({
      patch: '--- a/api.ts\n+++ b/api.ts\n+if (!user) return;',
      confidence: 0.93,
    });
    await expect.poll(() => page.getByTestId('decision-edit-diff').isVisible(), waitLong).toBe(true);
    await expect.poll(() => page.getByTestId('approvals-badge').count(), waitLong).toBe(0);
    await checkAccessibility(page, 'run (approved with edit)');
    await screenshot(page, 'run-decision-trail');

    // Another run, rejected with feedback: it fails and the trail keeps the feedback.
    await startPatchRun();
    await nav(/^Approvals/).click();
    await page.getByRole('button', { name: 'Review Patch review step patch' }).click();
    await page.waitForURL(/\/approvals\/[^/]+$/);
    await page.getByText('Reject', { exact: true }).click();
    await page.getByLabel('Feedback').fill('Too risky to merge on a Friday.');
    await page.getByRole('button', { name: 'Reject', exact: true }).click();
    await page.waitForURL(/\/runs\/[^/]+$/);
    await expect.poll(() => page.getByTestId('run-status-figure').textContent(), waitLong).toBe('failed');
    await expect
      .poll(() => page.getByTestId('decision-feedback').textContent(), waitLong)
      .toContain('Too risky to merge on a Friday.');
    await expect
      .poll(() => page.locator('[data-testid="run-step-row"][data-status="skipped"]').count(), waitLong)
      .toBe(1);
    expect(received).toHaveLength(1);
    await screenshot(page, 'run-rejected');

    // The last item: a member invited.
    const member = await callApi(page, 'POST', `${apiBase}/members`, {
      email: 'rui@example.com',
      role: 'member',
    });
    expect(member.status).toBe(201);
    ticked.member = true;
    await expectChecklist(ticked);
    await expect.poll(() => page.getByTestId('count-runs').textContent(), waitLong).toBe('3');
    expect(await page.getByTestId('count-approvals').textContent()).toBe('0');
    expect(await page.getByTestId('recent-failures').textContent()).toContain('Patch review');
    await screenshot(page, 'home-set-up');

    // Every other page, for the accessibility check.
    for (const path of [
      'workflows',
      'runs',
      'approvals',
      'executions',
      'usage',
      'settings/keys',
      'settings/members',
      'settings/tokens',
      'settings/workspace',
      'settings/audit',
      'workflows/new',
    ]) {
      await page.goto(`${baseUrl}${workspacePath}/${path}`);
      await pageSettled(page);
      await checkAccessibility(page, path);
    }

    // A phone: the main pages fit 390 px without sideways scrolling.
    await page.setViewportSize({ width: 390, height: 844 });
    for (const path of ['home', 'agents', 'workflows', 'runs', 'approvals']) {
      await page.goto(`${baseUrl}${workspacePath}/${path}`);
      await pageSettled(page);
      expect(await page.evaluate(() => document.documentElement.scrollWidth), path).toBeLessThanOrEqual(390);
      await checkAccessibility(page, `${path} (phone)`);
      await screenshot(page, `phone-${path.replace('/', '-')}`);
    }
    await page.setViewportSize({ width: 1280, height: 900 });

    expect(pageErrors).toEqual([]);
    const failing = [...accessibility].filter(([, findings]) => findings.length > 0);
    expect(failing, JSON.stringify(failing, null, 2)).toEqual([]);
    expect(accessibility.size).toBeGreaterThan(20);
  });
});
