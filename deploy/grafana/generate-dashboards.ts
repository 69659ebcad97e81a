/**
 * Writes the four Grafana dashboards (workflow overview, agent performance, system health, cost
 * tracking) as JSON with a Prometheus datasource variable, from the compact panel lists below:
 *
 *   node deploy/grafana/generate-dashboards.ts
 *
 * Gauges read from the database are the same on every node, so they are taken with `max without
 * (instance, job)` before summing; counters are summed across nodes. test/observability evaluates
 * every panel's PromQL against a real Prometheus that scraped a real server, and fails when the
 * committed JSON differs from this output.
 */
import { writeFileSync } from 'node:fs';

interface Target {
  expr: string;
  legend: string;
}

interface Panel {
  title: string;
  type?: 'timeseries' | 'stat' | 'bargauge';
  unit?: string;
  description?: string;
  targets: Target[];
  width?: number;
}

interface Dashboard {
  file: string;
  uid: string;
  title: string;
  description: string;
  variables: Array<'workspace' | 'mode'>;
  panels: Panel[];
}

const ws = 'workspace=~"$workspace"';
const rate = (metric: string, selector: string) => `rate(${metric}{${selector}}[$__rate_interval])`;
const state = (metric: string, selector = ws) => `max without (instance, job) (${metric}{${selector}})`;
const budgetLeft = (slo: string, selector: string) =>
  `1 - (flightdeck:slo_${slo}:error_ratio_rate30d${selector} / on (slo) group_left () flightdeck:slo_${slo}:error_budget)`;

export const dashboards: Dashboard[] = [
  {
    file: 'flightdeck-workflows.json',
    uid: 'flightdeck-workflows',
    title: 'Flightdeck / Workflow overview',
    description: 'Workflow runs, their outcomes and durations, approvals, and the workflow SLOs.',
    variables: ['workspace'],
    panels: [
      {
        title: 'Runs ended per minute, by status',
        unit: 'short',
        targets: [
          {
            expr: `sum by (status) (${rate('flightdeck_workflow_runs_total', ws)}) * 60`,
            legend: '{{status}}',
          },
        ],
      },
      {
        title: 'Failure ratio by workflow',
        unit: 'percentunit',
        targets: [
          {
            expr: `sum by (workflow) (${rate('flightdeck_workflow_runs_total', `${ws},status="failed"`)}) / sum by (workflow) (${rate('flightdeck_workflow_runs_total', `${ws},status=~"completed|failed"`)})`,
            legend: '{{workflow}}',
          },
        ],
      },
      {
        title: 'Run duration (completed), p50 and p95',
        unit: 's',
        targets: [0.5, 0.95].map((quantile) => ({
          expr: `histogram_quantile(${quantile}, sum by (le) (${rate('flightdeck_workflow_duration_seconds_bucket', `${ws},status="completed"`)}))`,
          legend: `p${quantile * 100}`,
        })),
      },
      {
        title: 'p95 duration by workflow',
        unit: 's',
        targets: [
          {
            expr: `histogram_quantile(0.95, sum by (workflow, le) (${rate('flightdeck_workflow_duration_seconds_bucket', ws)}))`,
            legend: '{{workflow}}',
          },
        ],
      },
      {
        title: 'Runs not yet ended, by status',
        unit: 'short',
        targets: [
          { expr: `sum by (status) (${state('flightdeck_workflows_active')})`, legend: '{{status}}' },
        ],
      },
      {
        title: 'Approvals pending',
        type: 'stat',
        unit: 'short',
        targets: [{ expr: `sum(${state('flightdeck_workflow_approvals_pending')})`, legend: 'pending' }],
        width: 6,
      },
      {
        title: 'Oldest pending approval',
        type: 'stat',
        unit: 's',
        targets: [
          { expr: `max(${state('flightdeck_workflow_approval_oldest_pending_seconds')})`, legend: 'oldest' },
        ],
        width: 6,
      },
      {
        title: 'Approval wait, p50 and p95',
        unit: 's',
        targets: [0.5, 0.95].map((quantile) => ({
          expr: `histogram_quantile(${quantile}, sum by (le) (${rate('flightdeck_workflow_approval_wait_time_seconds_bucket', ws)}))`,
          legend: `p${quantile * 100}`,
        })),
      },
      {
        title: 'Decisions per hour',
        unit: 'short',
        targets: [
          {
            expr: `sum by (decision) (${rate('flightdeck_workflow_approval_wait_time_seconds_count', ws)}) * 3600`,
            legend: '{{decision}}',
          },
        ],
      },
      {
        title: 'SLO error budget left (30 days)',
        type: 'bargauge',
        unit: 'percentunit',
        description:
          'Workflow success (98%), workflow latency (95% within 5 min), approval response (95% within 4 h).',
        targets: ['workflow_success', 'workflow_latency', 'approval_response'].map((slo) => ({
          expr: budgetLeft(slo, `{${ws}}`),
          legend: `${slo} {{workspace}}`,
        })),
        width: 24,
      },
    ],
  },
  {
    file: 'flightdeck-agents.json',
    uid: 'flightdeck-agents',
    title: 'Flightdeck / Agent performance',
    description:
      'Executions by agent: outcomes, latency, errors, retries, fallbacks, providers and breakers.',
    variables: ['workspace', 'mode'],
    panels: [
      {
        title: 'Executions per minute, by status',
        unit: 'short',
        targets: [
          {
            expr: `sum by (status) (${rate('flightdeck_agent_runs_total', `${ws},mode=~"$mode"`)}) * 60`,
            legend: '{{status}}',
          },
        ],
      },
      {
        title: 'Failure ratio by agent',
        unit: 'percentunit',
        targets: [
          {
            expr: `sum by (agent) (${rate('flightdeck_agent_runs_total', `${ws},mode=~"$mode",status="failed"`)}) / sum by (agent) (${rate('flightdeck_agent_runs_total', `${ws},mode=~"$mode"`)})`,
            legend: '{{agent}}',
          },
        ],
      },
      {
        title: 'p95 execution time by agent',
        unit: 's',
        targets: [
          {
            expr: `histogram_quantile(0.95, sum by (agent, le) (${rate('flightdeck_agent_duration_seconds_bucket', `${ws},mode=~"$mode"`)}))`,
            legend: '{{agent}}',
          },
        ],
      },
      {
        title: 'Errors per minute, by code',
        unit: 'short',
        targets: [
          {
            expr: `sum by (code) (${rate('flightdeck_agent_errors_total', `${ws},mode=~"$mode"`)}) * 60`,
            legend: '{{code}}',
          },
        ],
      },
      {
        title: 'Retries per execution, by agent',
        unit: 'short',
        targets: [
          {
            expr: `sum by (agent) (${rate('flightdeck_agent_retries_total', `${ws},mode=~"$mode"`)}) / sum by (agent) (${rate('flightdeck_agent_runs_total', `${ws},mode=~"$mode"`)})`,
            legend: '{{agent}}',
          },
        ],
      },
      {
        title: 'Executions answered by a fallback, per minute',
        unit: 'short',
        targets: [
          {
            expr: `sum by (agent) (${rate('flightdeck_agent_fallbacks_total', `${ws},mode=~"$mode"`)}) * 60`,
            legend: '{{agent}}',
          },
        ],
      },
      {
        title: 'Provider attempts per minute, by outcome',
        unit: 'short',
        targets: [
          {
            expr: `sum by (provider, status, code) (rate(flightdeck_llm_attempts_total[$__rate_interval])) * 60`,
            legend: '{{provider}} {{status}} {{code}}',
          },
        ],
      },
      {
        title: 'Circuit breakers (0 closed, 1 half-open, 2 open)',
        unit: 'short',
        targets: [
          {
            expr: `max by (workspace, provider) (flightdeck_provider_circuit_state{${ws}})`,
            legend: '{{workspace}} {{provider}}',
          },
        ],
      },
      {
        title: 'SLO error budget left (30 days)',
        type: 'bargauge',
        unit: 'percentunit',
        description: 'Agent success (99% of live executions) and agent latency (95% within 30 s).',
        targets: ['agent_success', 'agent_latency'].map((slo) => ({
          expr: budgetLeft(slo, `{${ws}}`),
          legend: `${slo} {{workspace}}`,
        })),
        width: 24,
      },
    ],
  },
  {
    file: 'flightdeck-system.json',
    uid: 'flightdeck-system',
    title: 'Flightdeck / System health',
    description: 'Nodes, HTTP, event loop, memory, the run queue and rate limits.',
    variables: ['workspace'],
    panels: [
      {
        title: 'Nodes up',
        type: 'stat',
        unit: 'short',
        targets: [{ expr: 'sum by (job) (up{job=~"flightdeck.*"})', legend: '{{job}}' }],
        width: 6,
      },
      {
        title: 'Versions running',
        type: 'stat',
        unit: 'short',
        targets: [{ expr: 'count by (version) (flightdeck_build_info)', legend: '{{version}}' }],
        width: 6,
      },
      {
        title: 'HTTP requests per second, by status',
        unit: 'reqps',
        targets: [
          {
            expr: 'sum by (status_code) (rate(flightdeck_http_request_duration_seconds_count[$__rate_interval]))',
            legend: '{{status_code}}',
          },
        ],
      },
      {
        title: 'HTTP p95 by route',
        unit: 's',
        targets: [
          {
            expr: 'histogram_quantile(0.95, sum by (route, le) (rate(flightdeck_http_request_duration_seconds_bucket[$__rate_interval])))',
            legend: '{{route}}',
          },
        ],
      },
      {
        title: 'Event-loop lag p99',
        unit: 's',
        targets: [
          { expr: 'max by (instance) (flightdeck_nodejs_eventloop_lag_p99_seconds)', legend: '{{instance}}' },
        ],
      },
      {
        title: 'CPU (cores)',
        unit: 'short',
        targets: [
          {
            expr: 'sum by (instance) (rate(flightdeck_process_cpu_seconds_total[$__rate_interval]))',
            legend: '{{instance}}',
          },
        ],
      },
      {
        title: 'Memory',
        unit: 'bytes',
        targets: [
          {
            expr: 'max by (instance) (flightdeck_process_resident_memory_bytes)',
            legend: 'rss {{instance}}',
          },
          { expr: 'sum by (instance) (flightdeck_nodejs_heap_size_used_bytes)', legend: 'heap {{instance}}' },
        ],
      },
      {
        title: 'Run queue',
        unit: 'short',
        targets: [
          { expr: 'max(flightdeck_queue_depth)', legend: 'waiting' },
          { expr: 'max(flightdeck_queue_active_jobs)', legend: 'held by a worker' },
          { expr: 'max(flightdeck_queue_stale_jobs)', legend: 'held, heartbeat lapsed' },
        ],
      },
      {
        title: 'Oldest run waiting for a worker',
        unit: 's',
        targets: [{ expr: 'max(flightdeck_queue_oldest_job_age_seconds)', legend: 'oldest wait' }],
      },
      {
        title: 'Rate-limit refusals per minute',
        unit: 'short',
        targets: [
          {
            expr: `sum by (workspace, limit) (${rate('flightdeck_rate_limit_refusals_total', ws)}) * 60`,
            legend: '{{workspace}} {{limit}}',
          },
        ],
      },
      {
        title: 'API availability: error budget left (30 days, 99.9%)',
        type: 'stat',
        unit: 'percentunit',
        targets: [{ expr: budgetLeft('api_availability', ''), legend: 'api' }],
      },
    ],
  },
  {
    file: 'flightdeck-cost.json',
    uid: 'flightdeck-cost',
    title: 'Flightdeck / Cost tracking',
    description: 'Spend and tokens by workspace, provider and model; budgets.',
    variables: ['workspace'],
    panels: [
      {
        title: 'Spend per hour, by workspace (USD)',
        unit: 'currencyUSD',
        targets: [
          {
            expr: `sum by (workspace) (${rate('flightdeck_llm_cost_usd_total', ws)}) * 3600`,
            legend: '{{workspace}}',
          },
        ],
      },
      {
        title: 'Spend in the range, by provider and model (USD)',
        type: 'bargauge',
        unit: 'currencyUSD',
        targets: [
          {
            expr: `sum by (provider, model) (increase(flightdeck_llm_cost_usd_total{${ws}}[$__range]))`,
            legend: '{{provider}} {{model}}',
          },
        ],
      },
      {
        title: 'Tokens per minute, by model',
        unit: 'short',
        targets: [
          {
            expr: `sum by (model, type) (${rate('flightdeck_llm_tokens_total', ws)}) * 60`,
            legend: '{{model}} {{type}}',
          },
        ],
      },
      {
        title: 'Average cost of a live execution (USD)',
        unit: 'currencyUSD',
        targets: [
          {
            expr: `sum(${rate('flightdeck_llm_cost_usd_total', ws)}) / sum(${rate('flightdeck_agent_runs_total', `${ws},mode="live"`)})`,
            legend: 'per execution',
          },
        ],
      },
      {
        title: 'Monthly budget used',
        type: 'bargauge',
        unit: 'percentunit',
        targets: [
          { expr: `max by (workspace) (flightdeck_budget_used_ratio{${ws}})`, legend: '{{workspace}}' },
        ],
      },
      {
        title: 'Spent and limit this month (USD)',
        unit: 'currencyUSD',
        targets: [
          { expr: `max by (workspace) (flightdeck_budget_spent_usd{${ws}})`, legend: 'spent {{workspace}}' },
          { expr: `max by (workspace) (flightdeck_budget_limit_usd{${ws}})`, legend: 'limit {{workspace}}' },
        ],
      },
    ],
  },
];

const datasource = { type: 'prometheus', uid: `\${datasource}` };

function variable(name: 'workspace' | 'mode') {
  if (name === 'mode') {
    return {
      name: 'mode',
      label: 'Mode',
      type: 'custom',
      query: 'live,mock',
      includeAll: true,
      allValue: '.*',
      multi: true,
      current: { selected: true, text: ['All'], value: ['$__all'] },
    };
  }
  return {
    name: 'workspace',
    label: 'Workspace',
    type: 'query',
    datasource,
    query: { query: 'label_values(flightdeck_agent_runs_total, workspace)', refId: 'workspaces' },
    definition: 'label_values(flightdeck_agent_runs_total, workspace)',
    refresh: 2,
    includeAll: true,
    allValue: '.*',
    multi: true,
    sort: 1,
    current: { selected: true, text: ['All'], value: ['$__all'] },
  };
}

export function dashboardJson(dashboard: Dashboard): string {
  let x = 0;
  let y = 0;
  const panels = dashboard.panels.map((panel, index) => {
    const width = panel.width ?? 12;
    if (x + width > 24) {
      x = 0;
      y += 8;
    }
    const gridPos = { h: 8, w: width, x, y };
    x += width;
    return {
      id: index + 1,
      type: panel.type ?? 'timeseries',
      title: panel.title,
      ...(panel.description ? { description: panel.description } : {}),
      datasource,
      gridPos,
      fieldConfig: { defaults: { unit: panel.unit ?? 'short' }, overrides: [] },
      options:
        (panel.type ?? 'timeseries') === 'timeseries'
          ? {
              legend: { displayMode: 'list', placement: 'bottom', showLegend: true },
              tooltip: { mode: 'multi' },
            }
          : { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false } },
      targets: panel.targets.map((target, targetIndex) => ({
        datasource,
        refId: String.fromCharCode(65 + targetIndex),
        expr: target.expr,
        legendFormat: target.legend,
        range: true,
      })),
    };
  });
  const json = {
    uid: dashboard.uid,
    title: dashboard.title,
    description: dashboard.description,
    tags: ['flightdeck'],
    timezone: 'browser',
    schemaVersion: 39,
    version: 1,
    editable: true,
    graphTooltip: 1,
    refresh: '30s',
    time: { from: 'now-6h', to: 'now' },
    templating: {
      list: [
        {
          name: 'datasource',
          label: 'Prometheus',
          type: 'datasource',
          query: 'prometheus',
          current: {},
          hide: 0,
        },
        ...dashboard.variables.map(variable),
      ],
    },
    annotations: { list: [] },
    links: dashboards
      .filter((other) => other.uid !== dashboard.uid)
      .map((other) => ({ title: other.title, type: 'link', url: `/d/${other.uid}` })),
    panels,
  };
  return `${JSON.stringify(json, null, 2)}\n`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const dashboard of dashboards) {
    writeFileSync(new URL(`dashboards/${dashboard.file}`, import.meta.url), dashboardJson(dashboard));
  }
  process.stdout.write(`wrote ${dashboards.length} dashboards\n`);
}
