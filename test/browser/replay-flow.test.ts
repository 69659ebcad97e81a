import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seriousAxeViolations } from './axe-check.ts';
import { type ConsoleHarness, screenshot, startConsoleHarness } from './browser-kit.ts';

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

describe('web console: replaying a recorded run', { timeout: 240_000 }, () => {
  let harness: ConsoleHarness;

  beforeAll(async () => {
    harness = await startConsoleHarness({ workflows: { workers: 2 } });
  }, 60_000);
  afterAll(async () => {
    await harness?.close();
  });

  it('replays a recorded run from its page at no cost, with the provider stopped', async () => {
    const { page, baseUrl, fake } = harness;
    await page.goto(`${baseUrl}/`);
    await page.waitForURL('**/setup');
    await page.getByLabel('Your name').fill('Rhea Replayer');
    await page.getByLabel('Email').fill('rhea@example.com');
    await page.locator('input[autocomplete="new-password"]').fill('correct horse battery staple');
    await page.getByLabel('Workspace name').fill('Replays');
    await page.getByRole('button', { name: 'Create owner and workspace' }).click();
    await page.waitForURL(/\/w\/[^/]+\/agents$/);
    const workspacePath = new URL(page.url()).pathname.replace(/\/agents$/, '');
    const apiBase = `/api/workspaces/${workspacePath.split('/')[2]}`;

    const key = await callApi(page, 'POST', `${apiBase}/provider-keys`, {
      provider: 'openai',
      label: 'Fake provider',
      apiKey: 'sk-replay-browser-1234',
      baseUrl: `${fake.url}/v1`,
    });
    expect(key.status).toBe(201);
    const agent = await callApi(page, 'POST', `${apiBase}/agents`, {
      name: 'Summarizer',
      provider: 'openai',
      model: 'gpt-4o-mini',
      promptTemplate: 'Summarize {{ input.topic }}',
    });
    expect(agent.status).toBe(201);
    const workflow = await callApi(page, 'POST', `${apiBase}/workflows`, {
      name: 'Summary',
      steps: [
        {
          id: 'sum',
          agent: (agent.body as { slug: string }).slug,
          input: { topic: '{{ run.input.topic }}' },
        },
      ],
    });
    expect(workflow.status).toBe(201);
    const workflowId = (workflow.body as { id: string }).id;
    const started = await callApi(page, 'POST', `${apiBase}/workflows/${workflowId}/runs`, {
      input: { topic: 'tides' },
      record: true,
    });
    expect(started.status).toBe(202);
    const runId = (started.body as { id: string }).id;
    await expect
      .poll(
        async () =>
          ((await callApi(page, 'GET', `${apiBase}/runs/${runId}`)).body as { status: string }).status,
        waitLong,
      )
      .toBe('completed');
    const live = (await callApi(page, 'GET', `${apiBase}/runs/${runId}`)).body as { output: unknown };
    await fake.close();

    await page.goto(`${baseUrl}${workspacePath}/runs/${runId}`);
    await page.getByTestId('replay-run').click();
    await page.waitForURL((url) => url.pathname.includes('/runs/') && !url.pathname.endsWith(runId));
    await expect.poll(() => page.getByTestId('replay-badge').isVisible(), waitLong).toBe(true);
    await expect.poll(() => page.getByTestId('replay-notice').textContent(), waitLong).toContain(runId);
    const replayId = new URL(page.url()).pathname.split('/').at(-1) ?? '';
    await expect
      .poll(
        async () =>
          ((await callApi(page, 'GET', `${apiBase}/runs/${replayId}`)).body as { status: string }).status,
        waitLong,
      )
      .toBe('completed');
    const replay = (await callApi(page, 'GET', `${apiBase}/runs/${replayId}`)).body as {
      output: unknown;
      costUsd: number;
    };
    expect(replay).toMatchObject({ output: live.output, costUsd: 0 });
    await screenshot(page, 'run-replay');
    expect(await seriousAxeViolations(page, '[data-testid="replay-notice"]')).toEqual([]);
  });
});
