import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { type FakeProvider, startFakeProvider } from '../../src/llm/fake-provider/index.ts';
import { type RunningServer, startServer } from '../../src/server/start-server.ts';
import { createSilentLogger } from '../../src/telemetry/logger.ts';
import { createTestApp } from '../support/test-app.ts';

export const chromiumPath = process.env.FLIGHTDECK_CHROMIUM ?? '/usr/bin/chromium';

export interface ConsoleHarness {
  baseUrl: string;
  fake: FakeProvider;
  context: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

/** A real server on a free port serving web/dist, the fake provider, and Debian's Chromium (never downloaded). */
export async function startConsoleHarness(
  options: { chunkDelayMs?: number; workflows?: { workers: number } } = {},
): Promise<ConsoleHarness> {
  const fake = await startFakeProvider({ chunkDelayMs: options.chunkDelayMs ?? 15 });
  // Workflow suites start the run drivers in process, as `flightdeck serve` does.
  const testApp = await createTestApp(options.workflows ? { workflows: options.workflows } : {});
  const server: RunningServer = await startServer({
    app: testApp.app,
    host: '127.0.0.1',
    port: 0,
    shutdownTimeoutMs: 2_000,
    logger: createSilentLogger(),
    afterClose: async () => {
      await testApp.workflowRuntime?.stop(1_000);
      await testApp.store.close();
    },
  });
  const profile = await mkdtemp(join(tmpdir(), 'flightdeck-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    viewport: { width: 1280, height: 900 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    baseUrl: `http://127.0.0.1:${server.address.port}`,
    fake,
    context,
    page,
    async close() {
      await context.close();
      await server.close();
      await fake.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/** Picks an option of a Mantine Select by its label. */
export async function chooseOption(page: Page, label: string, option: string) {
  await page.getByLabel(label, { exact: true }).first().click();
  await page.getByRole('option', { name: option, exact: true }).click();
}

export async function screenshot(page: Page, name: string) {
  await page.screenshot({ path: `test-results/${name}.png`, fullPage: true });
}
