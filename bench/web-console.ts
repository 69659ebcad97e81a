// Web console: gzipped bytes of what the first page loads, and the time until the agents page is usable.
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { startConsoleHarness } from '../test/browser/browser-kit.ts';
import buildConsole from '../test/browser/build-console.ts';

buildConsole();
const harness = await startConsoleHarness();
const { page, baseUrl } = harness;
const runs = 5;

try {
  // Bytes: index.html plus every script and stylesheet the browser fetched for the first page.
  const loaded: string[] = [];
  page.on('response', (response) => {
    const type = response.request().resourceType();
    if (['document', 'script', 'stylesheet'].includes(type)) loaded.push(new URL(response.url()).pathname);
  });
  await page.goto(`${baseUrl}/setup`);
  await page.getByRole('button', { name: 'Create owner and workspace' }).waitFor();
  const files = [...new Set(loaded)];
  let rawBytes = 0;
  let gzipBytes = 0;
  for (const path of files) {
    const file = path === '/' || path === '/setup' ? 'index.html' : path.slice(1);
    const content = readFileSync(new URL(`../web/dist/${file}`, import.meta.url));
    rawBytes += content.length;
    gzipBytes += gzipSync(content, { level: 9 }).length;
  }

  // Sign up once, then time cold loads of the agents page: navigation start to the list rendered.
  await page.getByLabel('Your name').fill('Bench Owner');
  await page.getByLabel('Email').fill('bench@example.com');
  await page.locator('input[autocomplete="new-password"]').fill('bench password 123456');
  await page.getByLabel('Workspace name').fill('Bench');
  await page.getByRole('button', { name: 'Create owner and workspace' }).click();
  await page.waitForURL(/\/agents$/);
  const agentsUrl = page.url();
  const workspaceId = new URL(agentsUrl).pathname.split('/')[2] ?? '';
  await page.evaluate(async (id) => {
    const me = await (await fetch('/api/me')).json();
    await fetch(`/api/workspaces/${id}/agents`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-csrf-token': me.csrfToken },
      body: JSON.stringify({ name: 'Bench agent', provider: 'mock', model: 'mock-model' }),
    });
  }, workspaceId);
  const timings: number[] = [];
  for (let run = 0; run < runs; run++) {
    await page.goto('about:blank');
    await page.goto(agentsUrl, { waitUntil: 'commit' });
    await page.getByTestId('agents-table').getByText('Bench agent').waitFor();
    timings.push(await page.evaluate(() => performance.now()));
  }
  timings.sort((a, b) => a - b);
  const median = timings[Math.floor(timings.length / 2)] ?? 0;

  console.log('| figure | value |');
  console.log('|---|---|');
  console.log(`| first page: files (index.html, scripts, styles) | ${files.length} |`);
  console.log(`| first page: raw bytes | ${(rawBytes / 1024).toFixed(1)} KB |`);
  console.log(`| first page: gzipped bytes (target ≤ 300 KB) | ${(gzipBytes / 1024).toFixed(1)} KB |`);
  console.log(
    `| agents page usable, median of ${runs} cold loads (navigation start → list rendered) | ${median.toFixed(0)} ms |`,
  );
  console.log(
    `| agents page usable, fastest / slowest | ${timings[0]?.toFixed(0)} / ${timings.at(-1)?.toFixed(0)} ms |`,
  );
} finally {
  await harness.close();
}
