/**
 * Writes Flightdeck's SLO recording rules, their multi-window multi-burn-rate alerts and the
 * promtool unit tests of those alerts, from the six SLO definitions below:
 *
 *   node deploy/prometheus/generate-slo-rules.ts
 *
 * Burn rates follow the Google SRE workbook ("Alerting on SLOs", table 5-8): page when the error
 * budget burns 14.4× too fast over 1 h (and 5 m) or 6× over 6 h (and 30 m); open a ticket at 3×
 * over 1 d (and 2 h) or 1× over 3 d (and 6 h). The short window makes an alert stop soon after the
 * burn stops. test/observability/deploy.test.ts fails when the committed files differ from this output.
 */
import { writeFileSync } from 'node:fs';

interface Slo {
  name: string;
  title: string;
  objective: number;
  description: string;
  /** Labels the ratio keeps (and alerts carry): `workspace` routes the alert into it. */
  by: string[];
  /** PromQL of the bad-event ratio over a window; `W` is replaced by the window. */
  errorRatio: string;
  /** A unit-test scenario: input series as [series, bad per minute, good per minute]. */
  scenario: { bad: string[]; total: string[] };
}

const llmRoutes = '/api/workspaces/:workspaceId/agents/:agentId/executions|/v1/chat/completions';

export const slos: Slo[] = [
  {
    name: 'workflow_success',
    title: 'Workflow success',
    objective: 0.98,
    description: '98% of workflow runs that end, end completed (cancelled runs do not count).',
    by: ['workspace'],
    errorRatio: `sum by (workspace) (rate(flightdeck_workflow_runs_total{status="failed"}[W]))
  /
sum by (workspace) (rate(flightdeck_workflow_runs_total{status=~"completed|failed"}[W]))`,
    scenario: {
      bad: ['flightdeck_workflow_runs_total{workspace="acme",workflow="triage",status="failed",mode="live"}'],
      total: [
        'flightdeck_workflow_runs_total{workspace="acme",workflow="triage",status="completed",mode="live"}',
      ],
    },
  },
  {
    name: 'workflow_latency',
    title: 'Workflow p95 latency',
    objective: 0.95,
    description: '95% of completed workflow runs finish within 5 minutes (approval waits included).',
    by: ['workspace'],
    errorRatio: `1 - (
  sum by (workspace) (rate(flightdeck_workflow_duration_seconds_bucket{status="completed",le="300"}[W]))
    /
  sum by (workspace) (rate(flightdeck_workflow_duration_seconds_count{status="completed"}[W]))
)`,
    scenario: {
      bad: [],
      total: [
        'flightdeck_workflow_duration_seconds_count{workspace="acme",workflow="triage",status="completed"}',
      ],
    },
  },
  {
    name: 'agent_success',
    title: 'Agent success',
    objective: 0.99,
    description: '99% of live executions complete.',
    by: ['workspace'],
    errorRatio: `sum by (workspace) (rate(flightdeck_agent_runs_total{status="failed",mode="live"}[W]))
  /
sum by (workspace) (rate(flightdeck_agent_runs_total{mode="live"}[W]))`,
    scenario: {
      bad: ['flightdeck_agent_runs_total{workspace="acme",agent="summarizer",status="failed",mode="live"}'],
      total: [],
    },
  },
  {
    name: 'agent_latency',
    title: 'Agent p95 latency',
    objective: 0.95,
    description: '95% of live executions finish within 30 seconds.',
    by: ['workspace'],
    errorRatio: `1 - (
  sum by (workspace) (rate(flightdeck_agent_duration_seconds_bucket{mode="live",le="30"}[W]))
    /
  sum by (workspace) (rate(flightdeck_agent_duration_seconds_count{mode="live"}[W]))
)`,
    scenario: {
      bad: [],
      total: [
        'flightdeck_agent_duration_seconds_count{workspace="acme",agent="summarizer",status="completed",mode="live"}',
      ],
    },
  },
  {
    name: 'api_availability',
    title: 'API availability',
    objective: 0.999,
    description:
      "99.9% of HTTP requests do not fail on Flightdeck's side: any 5xx, except 502/503/504 from the routes that call providers (their failures belong to the agent SLOs).",
    by: [],
    errorRatio: `(
  (sum(rate(flightdeck_http_request_duration_seconds_count{status_code=~"5..",route!~"${llmRoutes}"}[W])) or vector(0))
  +
  (sum(rate(flightdeck_http_request_duration_seconds_count{status_code="500",route=~"${llmRoutes}"}[W])) or vector(0))
)
  /
sum(rate(flightdeck_http_request_duration_seconds_count[W]))`,
    scenario: {
      bad: [
        'flightdeck_http_request_duration_seconds_count{method="GET",route="/api/workspaces/:workspaceId/runs",status_code="500"}',
      ],
      total: [
        'flightdeck_http_request_duration_seconds_count{method="GET",route="/api/workspaces/:workspaceId/runs",status_code="200"}',
      ],
    },
  },
  {
    name: 'approval_response',
    title: 'Approval response time',
    objective: 0.95,
    description: '95% of approvals are decided within 4 hours of being requested.',
    by: ['workspace'],
    errorRatio: `1 - (
  sum by (workspace) (rate(flightdeck_workflow_approval_wait_time_seconds_bucket{le="14400"}[W]))
    /
  sum by (workspace) (rate(flightdeck_workflow_approval_wait_time_seconds_count[W]))
)`,
    scenario: {
      bad: [],
      total: [
        'flightdeck_workflow_approval_wait_time_seconds_count{workspace="acme",workflow="triage",decision="approved"}',
      ],
    },
  },
];

export const windows = ['5m', '30m', '1h', '2h', '6h', '1d', '3d', '30d'] as const;
const fast = [
  { long: '1h', short: '5m', factor: 14.4 },
  { long: '6h', short: '30m', factor: 6 },
];
const slow = [
  { long: '1d', short: '2h', factor: 3 },
  { long: '3d', short: '6h', factor: 1 },
];

const recordName = (slo: Slo, window: string) => `flightdeck:slo_${slo.name}:error_ratio_rate${window}`;
const pascal = (name: string) =>
  name
    .split('_')
    .map((part) => `${part[0]?.toUpperCase()}${part.slice(1)}`)
    .join('');
const indent = (text: string, spaces: number) =>
  text
    .split('\n')
    .map((line) => `${' '.repeat(spaces)}${line}`)
    .join('\n');
const round = (value: number) => Number(value.toPrecision(6));

/** The alert's annotations; the tests expect them with the workspace filled in. */
function annotations(slo: Slo, speed: 'Fast' | 'Slow'): Record<string, string> {
  const budget = round((1 - slo.objective) * 100);
  const where = slo.by.includes('workspace') ? ' in {{ $labels.workspace }}' : '';
  return {
    summary: `${slo.title}${where}: the error budget burns ${speed === 'Fast' ? 'fast' : 'steadily'}`,
    description: `${slo.description} Objective ${round(slo.objective * 100)}%, error budget ${budget}%; ${speed === 'Fast' ? 'at this rate a 30-day budget lasts less than 5 days.' : 'at this rate the 30-day budget runs out before the month does.'}`,
    runbook_url: `docs/observability.md#slo-${slo.name.replaceAll('_', '-')}`,
  };
}

const quoted = (text: string) => JSON.stringify(text);

function burnCondition(slo: Slo, pairs: typeof fast): string {
  const budget = 1 - slo.objective;
  return pairs
    .map(
      (pair) =>
        `(${recordName(slo, pair.long)} > ${round(pair.factor * budget)} and ${recordName(slo, pair.short)} > ${round(pair.factor * budget)})`,
    )
    .join('\nor\n');
}

export function rulesYaml(): string {
  const lines = [
    '# Generated by deploy/prometheus/generate-slo-rules.ts: edit the SLOs there and run it again.',
    '# Six SLOs, each with its error ratio recorded over every window the burn-rate alerts read,',
    '# its objective and error budget as series (for dashboards), and a fast (page) and a slow',
    '# (ticket) multi-window multi-burn-rate alert.',
    'groups:',
  ];
  for (const slo of slos) {
    const budget = round(1 - slo.objective);
    lines.push(`  - name: flightdeck-slo-${slo.name.replaceAll('_', '-')}`, '    rules:');
    for (const window of windows) {
      lines.push(
        `      - record: ${recordName(slo, window)}`,
        '        expr: |',
        indent(slo.errorRatio.replaceAll('[W]', `[${window}]`), 10),
        '        labels:',
        `          slo: ${slo.name}`,
      );
    }
    lines.push(
      `      - record: flightdeck:slo_${slo.name}:objective`,
      `        expr: vector(${slo.objective})`,
      '        labels:',
      `          slo: ${slo.name}`,
      `      - record: flightdeck:slo_${slo.name}:error_budget`,
      `        expr: vector(${budget})`,
      '        labels:',
      `          slo: ${slo.name}`,
    );
    for (const [speed, pairs, severity, waitFor] of [
      ['Fast', fast, 'critical', '2m'],
      ['Slow', slow, 'warning', '15m'],
    ] as const) {
      lines.push(
        `      - alert: FlightdeckSlo${pascal(slo.name)}BurnRate${speed}`,
        '        expr: |',
        indent(burnCondition(slo, pairs), 10),
        `        for: ${waitFor}`,
        '        labels:',
        `          severity: ${severity}`,
        `          slo: ${slo.name}`,
        '        annotations:',
        ...Object.entries(annotations(slo, speed)).map(
          ([key, value]) => `          ${key}: ${quoted(value)}`,
        ),
      );
    }
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Per SLO: everything bad for two hours fires both alerts; everything good fires neither. Bad
 * events grow by 10 a minute; a latency SLO's good events are its `le` bucket.
 */
export function testsYaml(): string {
  const lines = [
    '# Generated by deploy/prometheus/generate-slo-rules.ts; run with',
    '#   promtool test rules deploy/prometheus/tests/flightdeck-slos.test.yml',
    'rule_files:',
    '  - ../rules/flightdeck-slos.yml',
    'evaluation_interval: 1m',
    'tests:',
  ];
  for (const slo of slos) {
    const expected = slo.by.includes('workspace') ? '{ workspace: acme, ' : '{ ';
    for (const scenario of ['burning', 'healthy'] as const) {
      const series: Array<[string, string]> = [];
      const burning = scenario === 'burning';
      for (const bad of slo.scenario.bad) series.push([bad, burning ? '0+10x180' : '0+0x180']);
      for (const total of slo.scenario.total) {
        series.push([total, burning && slo.scenario.bad.length > 0 ? '0+0x180' : '0+10x180']);
        if (total.includes('_count{')) {
          const bucketLabel =
            slo.name === 'workflow_latency' ? '300' : slo.name === 'agent_latency' ? '30' : '14400';
          const bucket = total.replace('_count{', '_bucket{').replace('}', `,le="${bucketLabel}"}`);
          series.push([bucket, burning ? '0+0x180' : '0+10x180']);
        }
      }
      if (slo.scenario.total.length === 0) {
        for (const bad of slo.scenario.bad)
          series.push([
            bad.replace('status="failed"', 'status="completed"'),
            burning ? '0+0x180' : '0+10x180',
          ]);
      }
      lines.push(`  - name: ${slo.name} ${scenario}`, '    interval: 1m', '    input_series:');
      for (const [name, values] of series)
        lines.push(`      - series: '${name}'`, `        values: '${values}'`);
      lines.push('    alert_rule_test:');
      for (const [speed, severity] of [
        ['Fast', 'critical'],
        ['Slow', 'warning'],
      ] as const) {
        lines.push(
          '      - eval_time: 2h',
          `        alertname: FlightdeckSlo${pascal(slo.name)}BurnRate${speed}`,
          burning ? '        exp_alerts:' : '        exp_alerts: []',
        );
        if (burning) {
          lines.push(
            `          - exp_labels: ${expected}severity: ${severity}, slo: ${slo.name} }`,
            '            exp_annotations:',
            ...Object.entries(annotations(slo, speed)).map(
              ([key, value]) =>
                `              ${key}: ${quoted(value.replaceAll('{{ $labels.workspace }}', 'acme'))}`,
            ),
          );
        }
      }
      if (burning) {
        lines.push(
          '      - eval_time: 1m',
          `        alertname: FlightdeckSlo${pascal(slo.name)}BurnRateFast`,
          '        exp_alerts: []',
        );
      }
    }
  }
  return `${lines.join('\n')}\n`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const folder = new URL('./', import.meta.url);
  writeFileSync(new URL('rules/flightdeck-slos.yml', folder), rulesYaml());
  writeFileSync(new URL('tests/flightdeck-slos.test.yml', folder), testsYaml());
  process.stdout.write('wrote rules/flightdeck-slos.yml and tests/flightdeck-slos.test.yml\n');
}
