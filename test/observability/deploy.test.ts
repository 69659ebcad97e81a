import { readdirSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dashboardJson, dashboards } from '../../deploy/grafana/generate-dashboards.ts';
import { rulesYaml, testsYaml } from '../../deploy/prometheus/generate-slo-rules.ts';
import { type FakeProvider, startFakeProvider } from '../../src/llm/fake-provider/index.ts';
import { createLogger } from '../../src/telemetry/logger.ts';
import {
  binaries,
  deployDirectory,
  eventually,
  freePort,
  missingBinaries,
  type ObservedServer,
  runTool,
  startObservedServer,
  startProcess,
  temporaryFolder,
} from './observability-kit.ts';
import { runWorkload, type WorkloadResult } from './workload.ts';

const missing = missingBinaries();
const prometheusFolder = join(deployDirectory, 'prometheus');
const ruleFiles = readdirSync(join(prometheusFolder, 'rules')).map((file) =>
  join(prometheusFolder, 'rules', file),
);
const ruleTests = readdirSync(join(prometheusFolder, 'tests')).map((file) =>
  join(prometheusFolder, 'tests', file),
);
const dashboardFiles = readdirSync(join(deployDirectory, 'grafana', 'dashboards')).map((file) =>
  join(deployDirectory, 'grafana', 'dashboards', file),
);

describe('deploy/ files are what their generators write', () => {
  it('SLO rules and their unit tests', () => {
    expect(readFileSync(join(prometheusFolder, 'rules', 'flightdeck-slos.yml'), 'utf8')).toBe(rulesYaml());
    expect(readFileSync(join(prometheusFolder, 'tests', 'flightdeck-slos.test.yml'), 'utf8')).toBe(
      testsYaml(),
    );
  });

  it('four Grafana dashboards with a Prometheus datasource variable', () => {
    expect(dashboardFiles).toHaveLength(4);
    for (const dashboard of dashboards) {
      const committed = readFileSync(join(deployDirectory, 'grafana', 'dashboards', dashboard.file), 'utf8');
      // Compared as data: Biome formats the committed JSON its own way.
      expect(JSON.parse(committed), dashboard.file).toEqual(JSON.parse(dashboardJson(dashboard)));
      const parsed = JSON.parse(committed);
      expect(parsed.templating.list[0]).toMatchObject({
        name: 'datasource',
        type: 'datasource',
        query: 'prometheus',
      });
      for (const panel of parsed.panels) expect(panel.datasource.uid).toBe(`\${datasource}`);
    }
  });
});

describe.skipIf(missing !== null)(`promtool and amtool${missing ? ` (skipped: ${missing})` : ''}`, () => {
  it('promtool check config accepts the scrape configuration (and the rule files it loads)', async () => {
    const checked = await runTool(binaries.promtool, [
      'check',
      'config',
      join(prometheusFolder, 'prometheus.yml'),
    ]);
    expect(checked.output).toContain('SUCCESS');
    expect(checked.code, checked.output).toBe(0);
  });

  it('promtool check rules accepts every rule file', async () => {
    expect(ruleFiles.length).toBeGreaterThanOrEqual(2);
    const checked = await runTool(binaries.promtool, ['check', 'rules', ...ruleFiles]);
    expect(checked.code, checked.output).toBe(0);
    expect(checked.output).toContain('SUCCESS: 13 rules found');
  });

  it('promtool test rules: every alert and SLO burn-rate alert fires when it should and only then', async () => {
    const tested = await runTool(binaries.promtool, ['test', 'rules', ...ruleTests]);
    expect(tested.code, tested.output).toBe(0);
    // Every alert of every rule file has a test.
    const alerts = ruleFiles.flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(/- alert: (\w+)/g)].map((m) => m[1]),
    );
    const testedText = ruleTests.map((file) => readFileSync(file, 'utf8')).join('\n');
    expect(alerts.length).toBe(13 + 12);
    for (const alert of alerts) expect(testedText, alert).toContain(`alertname: ${alert}`);
  });

  it('amtool check-config accepts the Alertmanager configuration', async () => {
    const checked = await runTool(binaries.amtool, [
      'check-config',
      join(deployDirectory, 'alertmanager', 'alertmanager.yml'),
    ]);
    expect(checked.code, checked.output).toBe(0);
    expect(checked.output).toContain('SUCCESS');
  });
});

const metricsToken = 'deploy-suite-metrics-token';
const alertmanagerSecret = 'deploy-suite-alertmanager-secret';

describe.skipIf(missing !== null)(
  `a real Prometheus scraping a real Flightdeck${missing ? ` (skipped: ${missing})` : ''}`,
  () => {
    let server: ObservedServer;
    let fake: FakeProvider;
    let workload: WorkloadResult;
    let folder: Awaited<ReturnType<typeof temporaryFolder>>;
    let prometheus: ReturnType<typeof startProcess>;
    let alertmanager: ReturnType<typeof startProcess>;
    let prometheusUrl: string;
    let alertmanagerUrl: string;

    const query = async (expression: string) => {
      const response = await fetch(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent(expression)}`);
      return (await response.json()) as {
        status: string;
        error?: string;
        data?: { resultType: string; result: unknown[] };
      };
    };

    beforeAll(async () => {
      server = await startObservedServer({
        metricsToken,
        alertmanagerSecret,
        logger: createLogger({ level: 'warn' }),
        stateCacheMs: 1_000,
      });
      fake = await startFakeProvider();
      folder = await temporaryFolder('flightdeck-prometheus-');
      const [prometheusPort, alertmanagerPort] = [await freePort(), await freePort()];
      prometheusUrl = `http://127.0.0.1:${prometheusPort}`;
      alertmanagerUrl = `http://127.0.0.1:${alertmanagerPort}`;
      // YAML is a superset of JSON: the test's configuration is the shipped one's job with a 1 s
      // interval, pointed at this server, with the shipped rule files.
      const configuration = {
        global: { scrape_interval: '1s', evaluation_interval: '1s' },
        rule_files: ruleFiles,
        scrape_configs: [
          {
            job_name: 'flightdeck',
            metrics_path: '/metrics',
            authorization: { type: 'Bearer', credentials: metricsToken },
            static_configs: [{ targets: [new URL(server.url).host] }],
          },
        ],
      };
      await writeFile(join(folder.path, 'prometheus.yml'), JSON.stringify(configuration, null, 2));
      prometheus = startProcess(binaries.prometheus, [
        `--config.file=${join(folder.path, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(folder.path, 'data')}`,
        `--web.listen-address=127.0.0.1:${prometheusPort}`,
        '--log.level=warn',
      ]);

      // The shipped Alertmanager configuration, pointed at this server, with a short group wait.
      const shipped = readFileSync(join(deployDirectory, 'alertmanager', 'alertmanager.yml'), 'utf8');
      const secretFile = join(folder.path, 'alertmanager-secret');
      await writeFile(secretFile, alertmanagerSecret);
      const adapted = shipped
        .replace('http://127.0.0.1:3000/api/alerts/alertmanager', `${server.url}/api/alerts/alertmanager`)
        .replace('/etc/prometheus/flightdeck-alertmanager-secret', secretFile)
        .replaceAll(/group_wait: \d+s/g, 'group_wait: 1s');
      expect(adapted).not.toBe(shipped);
      await writeFile(join(folder.path, 'alertmanager.yml'), adapted);
      alertmanager = startProcess(binaries.alertmanager, [
        `--config.file=${join(folder.path, 'alertmanager.yml')}`,
        `--storage.path=${join(folder.path, 'alertmanager')}`,
        `--web.listen-address=127.0.0.1:${alertmanagerPort}`,
        '--cluster.listen-address=',
        '--log.level=warn',
      ]);

      await eventually(
        async () => ((await fetch(`${prometheusUrl}/-/ready`).catch(() => null))?.ok ? true : undefined),
        `Prometheus ready (${prometheus.output()})`,
      );
      await eventually(async () => {
        const up = await query('up{job="flightdeck"} == 1');
        return up.data?.result.length === 1 ? true : undefined;
      }, 'the first scrape of Flightdeck');
      workload = await runWorkload(server, fake);
      // A few more scrapes and rule evaluations after the workload, so rates see it end.
      await new Promise((resolve) => setTimeout(resolve, 4_000));
    }, 180_000);

    afterAll(async () => {
      await prometheus?.stop();
      await alertmanager?.stop();
      await server?.close();
      await fake?.close();
      await folder?.remove();
    });

    /** Grafana's variables, as the dashboards' defaults (All) resolve them. */
    const resolve = (expression: string) =>
      expression
        .replaceAll('$__rate_interval', '1m')
        .replaceAll('$__range', '5m')
        .replaceAll('$workspace', '.*')
        .replaceAll('$mode', '.*');

    it('evaluates every dashboard panel: each parses and returns data for the workload', async () => {
      const empty: string[] = [];
      let count = 0;
      for (const file of dashboardFiles) {
        const dashboard = JSON.parse(readFileSync(file, 'utf8'));
        for (const panel of dashboard.panels) {
          for (const target of panel.targets) {
            count++;
            const answer = await query(resolve(target.expr));
            expect(answer.status, `${dashboard.title} / ${panel.title}: ${answer.error}`).toBe('success');
            if ((answer.data?.result.length ?? 0) === 0)
              empty.push(`${dashboard.title} / ${panel.title}: ${target.expr}`);
          }
        }
      }
      expect(count).toBeGreaterThan(30);
      if (empty.length > 0) {
        const text = await (
          await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${metricsToken}` } })
        ).text();
        console.log(
          'DEBUG',
          text
            .split('\n')
            .filter((l) => /workflows_active|budget_used|queue_depth/.test(l))
            .join('\n'),
        );
        console.log(
          'DEBUG',
          JSON.stringify(await query('flightdeck_workflows_active')),
          JSON.stringify(await query('flightdeck_queue_depth')),
        );
        console.log(
          'DEBUG',
          JSON.stringify(await query('count_over_time(flightdeck_workflows_active[10m])')),
        );
        console.log('DEBUG', JSON.stringify(await query('count_over_time(flightdeck_queue_depth[10m])')));
      }
      expect(empty).toEqual([]);
    });

    it('loads and evaluates every rule: all healthy, recording rules with data, alert expressions parse', async () => {
      const rules = await eventually(async () => {
        const answer = (await (await fetch(`${prometheusUrl}/api/v1/rules`)).json()) as {
          data: {
            groups: Array<{
              name: string;
              rules: Array<{ type: string; name: string; query: string; health: string; lastError?: string }>;
            }>;
          };
        };
        const all = answer.data.groups.flatMap((group) => group.rules);
        return all.length > 0 && all.every((rule) => rule.health !== 'unknown') ? all : undefined;
      }, 'every rule evaluated once');
      expect(rules.filter((rule) => rule.type === 'alerting')).toHaveLength(25);
      expect(rules.filter((rule) => rule.type === 'recording')).toHaveLength(6 * 10);
      const unhealthy = rules.filter((rule) => rule.health !== 'ok');
      expect(unhealthy.map((rule) => `${rule.name}: ${rule.lastError}`)).toEqual([]);
      const empty: string[] = [];
      for (const rule of rules) {
        const answer = await query(rule.query);
        expect(answer.status, `${rule.name}: ${answer.error}`).toBe('success');
        if (rule.type === 'recording') {
          const recorded = await query(rule.name);
          if ((recorded.data?.result.length ?? 0) === 0) empty.push(rule.name);
        }
      }
      expect(empty).toEqual([]);
    });

    it('sees the workload in Prometheus exactly as the server counted it', async () => {
      const scalar = async (expression: string) => {
        const answer = await query(expression);
        const [first] = (answer.data?.result ?? []) as Array<{ value: [number, string] }>;
        return first ? Number(first.value[1]) : Number.NaN;
      };
      expect(await scalar('sum(flightdeck_workflow_runs_total{status="completed"})')).toBe(
        workload.runs.completed,
      );
      expect(await scalar('sum(flightdeck_workflow_runs_total{status="failed"})')).toBe(workload.runs.failed);
      expect(await scalar('sum(flightdeck_workflow_runs_total{status="cancelled"})')).toBe(
        workload.runs.cancelled,
      );
      expect(await scalar('sum(flightdeck_rate_limit_refusals_total)')).toBe(2);
      expect(await scalar('max(flightdeck_provider_circuit_state{provider="openai"})')).toBe(2);
      expect(await scalar('sum(flightdeck_agent_retries_total)')).toBeGreaterThanOrEqual(
        workload.executions.retried,
      );
    });

    it('routes an alert through Alertmanager into a workspace notification; a wrong secret is refused', async () => {
      const workspace = await server.services.telemetry.labels.workspace(workload.fixture.workspaceId);
      const startsAt = new Date().toISOString();
      const posted = await fetch(`${alertmanagerUrl}/api/v2/alerts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify([
          {
            labels: { alertname: 'FlightdeckBudgetExhausted', severity: 'critical', workspace },
            annotations: {
              summary: `${workspace} has spent its whole monthly budget`,
              runbook_url: 'docs/observability.md#budget',
            },
            startsAt,
          },
        ]),
      });
      expect(posted.status).toBe(200);
      const owner = workload.fixture.tokens.owner;
      const headers: Record<string, string> =
        owner.kind === 'token' ? { authorization: `Bearer ${owner.token}` } : {};
      const notification = await eventually(async () => {
        const response = await fetch(
          `${server.url}/api/workspaces/${workload.fixture.workspaceId}/notifications`,
          {
            headers,
          },
        );
        const items = (
          (await response.json()) as {
            items: Array<{ kind: string; title: string; data: Record<string, unknown> }>;
          }
        ).items;
        return items.find((item) => item.kind === 'alert_firing');
      }, 'the alert as a notification');
      expect(notification.title).toBe(`${workspace} has spent its whole monthly budget`);
      expect(notification.data).toMatchObject({
        alertname: 'FlightdeckBudgetExhausted',
        severity: 'critical',
      });

      const refused = await fetch(`${server.url}/api/alerts/alertmanager`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer wrong-secret-wrong-secret' },
        body: JSON.stringify({ version: '4', status: 'firing', alerts: [] }),
      });
      expect(refused.status).toBe(401);
      expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('alert_secret_invalid');
      const anonymous = await fetch(`${server.url}/api/alerts/alertmanager`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ alerts: [] }),
      });
      expect(anonymous.status).toBe(401);
    });
  },
);
