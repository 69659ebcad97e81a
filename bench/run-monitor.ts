// Run monitor: time to a usable monitor on a 50-step run, and long frames while a 50-step run streams.
import { startConsoleHarness } from '../test/browser/browser-kit.ts';
import buildConsole from '../test/browser/build-console.ts';

buildConsole();
const harness = await startConsoleHarness({ chunkDelayMs: 2, workflows: { workers: 2 } });
const { page, baseUrl, fake } = harness;
const loads = 5;
const streamedRuns = 3;
/** 5 layers of 10 steps; each step needs one step of the layer before, so events keep coming for a while. */
const layers = 5;
const width = 10;

async function callApi(method: string, path: string, body?: unknown) {
  return page.evaluate(
    async (request) => {
      const me = (await (await fetch('/api/me')).json()) as { csrfToken: string };
      const response = await fetch(request.path, {
        method: request.method,
        headers: { 'content-type': 'application/json', 'x-csrf-token': me.csrfToken },
        body: request.body === undefined ? undefined : JSON.stringify(request.body),
      });
      return (await response.json()) as { id: string };
    },
    { method, path, body },
  );
}

try {
  await page.goto(`${baseUrl}/setup`);
  await page.getByLabel('Your name').fill('Bench Owner');
  await page.getByLabel('Email').fill('bench@example.com');
  await page.locator('input[autocomplete="new-password"]').fill('bench password 123456');
  await page.getByLabel('Workspace name').fill('Bench');
  await page.getByRole('button', { name: 'Create owner and workspace' }).click();
  await page.waitForURL(/\/agents$/);
  const workspacePath = new URL(page.url()).pathname.replace(/\/agents$/, '');
  const apiBase = `/api/workspaces/${workspacePath.split('/')[2]}`;
  await callApi('POST', `${apiBase}/provider-keys`, {
    provider: 'openai-compatible',
    label: 'Fake',
    apiKey: 'sk-bench-fake-1234',
    baseUrl: `${fake.url}/v1`,
  });
  // Four runs of 50 steps pass the default per-minute limit; the bench measures the console, not the limiter.
  await callApi('PATCH', apiBase, { settings: { rateLimitPerMinute: 100_000 } });
  await callApi('POST', `${apiBase}/agents`, {
    name: 'Step',
    provider: 'openai-compatible',
    model: 'gpt-4o-mini',
    promptTemplate: 'Step {{ input.n }}',
    inputSchema: { type: 'object', properties: { n: { type: 'string' } }, required: ['n'] },
  });
  const steps = [];
  for (let layer = 0; layer < layers; layer++) {
    for (let index = 0; index < width; index++) {
      steps.push({
        id: `s${layer}-${index}`,
        agent: 'step',
        input: { n: `${layer}.${index}` },
        ...(layer > 0 ? { needs: [`s${layer - 1}-${index}`] } : {}),
      });
    }
  }
  const workflow = await callApi('POST', `${apiBase}/workflows`, { name: 'Fifty steps', steps });
  if (!workflow.id) throw new Error(`the workflow was not saved: ${JSON.stringify(workflow)}`);
  const start = () =>
    callApi('POST', `${apiBase}/workflows/${workflow.id}/runs`, { input: {}, mode: 'live' });

  // Frames while the run streams: a requestAnimationFrame loop and long tasks, from the monitor opening to run-end.
  const frameFigures: Array<{
    frames: number;
    over50: number;
    longest: number;
    longTasks: number;
    ms: number;
  }> = [];
  for (let round = 0; round < streamedRuns; round++) {
    const run = await start();
    if (!run.id) throw new Error(`the run did not start: ${JSON.stringify(run)}`);
    await page.goto(`${baseUrl}${workspacePath}/runs/${run.id}`);
    await page.evaluate(() => {
      const state = {
        last: performance.now(),
        deltas: [] as number[],
        longTasks: 0,
        started: performance.now(),
      };
      (window as unknown as { frameState: typeof state }).frameState = state;
      new PerformanceObserver((list) => {
        state.longTasks += list.getEntries().length;
      }).observe({ type: 'longtask' });
      const tick = (now: number) => {
        state.deltas.push(now - state.last);
        state.last = now;
        requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
    });
    await page
      .getByTestId('run-status-figure')
      .filter({ hasText: /^(completed|failed|cancelled)$/ })
      .waitFor({ timeout: 120_000 });
    const status = await page.getByTestId('run-status-figure').textContent();
    if (status !== 'completed') throw new Error(`the streamed run ended ${status}`);
    const measured = await page.evaluate(() => {
      const state = (
        window as unknown as {
          frameState: { deltas: number[]; longTasks: number; started: number };
        }
      ).frameState;
      return {
        frames: state.deltas.length,
        over50: state.deltas.filter((delta) => delta > 50).length,
        longest: Math.max(...state.deltas),
        longTasks: state.longTasks,
        ms: performance.now() - state.started,
      };
    });
    frameFigures.push(measured);
  }

  // A usable monitor on a finished 50-step run: navigation start → 50 nodes and 50 step rows with their status.
  const finished = await start();
  await page.goto(`${baseUrl}${workspacePath}/runs/${finished.id}`);
  await page
    .getByTestId('run-status-figure')
    .filter({ hasText: /^(completed|failed|cancelled)$/ })
    .waitFor({ timeout: 120_000 });
  if ((await page.getByTestId('run-status-figure').textContent()) !== 'completed')
    throw new Error('the 50-step run did not complete');
  const timings: number[] = [];
  for (let load = 0; load < loads; load++) {
    await page.goto('about:blank');
    await page.goto(`${baseUrl}${workspacePath}/runs/${finished.id}`, { waitUntil: 'commit' });
    await page
      .waitForFunction(
        () =>
          document.querySelectorAll('.react-flow__node [data-status="completed"]').length >= 50 &&
          document.querySelectorAll('[data-testid="run-step-row"][data-status="completed"]').length === 50,
        undefined,
        { timeout: 60_000, polling: 'raf' },
      )
      .catch(async (error: unknown) => {
        const counts = await page.evaluate(() => ({
          nodes: document.querySelectorAll('.react-flow__node').length,
          completedNodes: document.querySelectorAll('.react-flow__node [data-status="completed"]').length,
          rows: document.querySelectorAll('[data-testid="run-step-row"]').length,
        }));
        throw new Error(`monitor not usable: ${JSON.stringify(counts)}`, { cause: error });
      });
    timings.push(await page.evaluate(() => performance.now()));
  }
  timings.sort((a, b) => a - b);

  console.log('| figure | value |');
  console.log('|---|---|');
  console.log(
    `| monitor usable on a finished 50-step run, median of ${loads} cold loads (navigation start → 50 nodes and rows) | ${timings[Math.floor(loads / 2)]?.toFixed(0)} ms |`,
  );
  console.log(`| same, fastest / slowest | ${timings[0]?.toFixed(0)} / ${timings.at(-1)?.toFixed(0)} ms |`);
  for (const [index, figure] of frameFigures.entries()) {
    console.log(
      `| streaming run ${index + 1}: frames / over 50 ms / longest / long tasks / watched | ${figure.frames} / ${figure.over50} / ${figure.longest.toFixed(0)} ms / ${figure.longTasks} / ${(figure.ms / 1000).toFixed(1)} s |`,
    );
  }
} finally {
  await harness.close();
}
