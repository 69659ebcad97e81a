import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';

const require = createRequire(import.meta.url);
let axeSource: Promise<string> | undefined;

export interface AxeFinding {
  id: string;
  impact: string | null;
  help: string;
  targets: string[];
  /** The first offending element and why it fails, as axe words it. */
  example: { html: string; summary: string } | null;
}

/**
 * Runs axe-core 4.14 on the page as it is and answers its serious and critical violations.
 * The console's CSP allows only its own scripts, so axe is evaluated through the DevTools
 * protocol (as `page.evaluate`) rather than added as a script tag, keeping the CSP under test.
 */
export async function seriousAxeViolations(page: Page, within?: string): Promise<AxeFinding[]> {
  axeSource ??= readFile(require.resolve('axe-core/axe.min.js'), 'utf8');
  const source = await axeSource;
  const present = await page.evaluate(() => 'axe' in window);
  if (!present) await page.evaluate(`${source}\n;void 0`);
  // `within`: a selector that limits the check to one region (a suite checking what it changed).
  const violations = (await page.evaluate(async (selector) => {
    const axe = (
      window as unknown as {
        axe: { run(context: object, options: object): Promise<{ violations: unknown[] }> };
      }
    ).axe;
    const result = await axe.run(selector ? { include: [selector] } : document, {
      resultTypes: ['violations'],
    });
    return result.violations;
  }, within)) as Array<{
    id: string;
    impact: string | null;
    help: string;
    nodes: Array<{ target: string[]; html: string; failureSummary?: string }>;
  }>;
  return violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map((violation) => ({
      id: violation.id,
      impact: violation.impact,
      help: violation.help,
      targets: violation.nodes.slice(0, 5).map((node) => node.target.join(' ')),
      example: violation.nodes[0]
        ? { html: violation.nodes[0].html.slice(0, 300), summary: violation.nodes[0].failureSummary ?? '' }
        : null,
    }));
}
