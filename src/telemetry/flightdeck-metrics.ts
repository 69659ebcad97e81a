import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { groupMetricsText, inServingGroup, shareRegistries } from './serving-group-metrics.ts';

/**
 * Every Prometheus metric Flightdeck serves at `/metrics`, on a registry of its own (never the
 * process-global one, so two apps in one test process count apart). Labels are bounded: workspace,
 * workflow and agent slugs, statuses, stable error codes, providers and models; never the id of a
 * run, an execution or a user. Counters count what this process did, so the sum over nodes is the
 * total; gauges read from the database (see `state-gauges.ts`) are the same on every node: take the
 * `max`, not the `sum`, across instances.
 */
export function createFlightdeckMetrics(options: { version?: string } = {}) {
  const registry = new Registry();
  const registers = [registry];
  const buildInfo = new Gauge({
    name: 'flightdeck_build_info',
    help: 'Always 1; the version label says which Flightdeck this process runs.',
    labelNames: ['version'],
    registers,
    aggregator: 'first',
  });
  const setVersion = (version: string) => {
    buildInfo.reset();
    buildInfo.set({ version }, 1);
  };
  setVersion(options.version ?? 'unknown');
  // One of several serving processes on one port: a scrape answers for all of them.
  const grouped = inServingGroup();
  if (grouped) shareRegistries([registry, processRegistry()]);

  return {
    registry,
    /** The exposition text: this registry's metrics, then the process's own figures. */
    async text(): Promise<string> {
      if (grouped) return groupMetricsText();
      const [own, process] = await Promise.all([registry.metrics(), processRegistry().metrics()]);
      return `${own}\n${process}`;
    },
    contentType: registry.contentType,
    /** The version `flightdeck_build_info` reports (the app knows it; the services do not). */
    setVersion,
    workflowRuns: new Counter({
      name: 'flightdeck_workflow_runs_total',
      help: 'Workflow runs that ended on this node, by end status (completed, failed, cancelled).',
      labelNames: ['workspace', 'workflow', 'status', 'mode'],
      registers,
    }),
    workflowDuration: new Histogram({
      name: 'flightdeck_workflow_duration_seconds',
      help: 'From a run starting (or being queued, if it never started) to its end, approval waits included.',
      labelNames: ['workspace', 'workflow', 'status'],
      buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600, 86400],
      registers,
    }),
    approvalWait: new Histogram({
      name: 'flightdeck_workflow_approval_wait_time_seconds',
      help: 'From an approval being requested to its decision (approved, rejected, revision_requested; timeouts included).',
      labelNames: ['workspace', 'workflow', 'decision'],
      buckets: [60, 300, 900, 1800, 3600, 7200, 14400, 28800, 86400, 259200],
      registers,
    }),
    agentRuns: new Counter({
      name: 'flightdeck_agent_runs_total',
      help: 'Executions that finished on this node, by status (completed, failed) and mode (live, mock, replay).',
      labelNames: ['workspace', 'agent', 'status', 'mode'],
      registers,
    }),
    agentDuration: new Histogram({
      name: 'flightdeck_agent_duration_seconds',
      help: 'Wall time of an execution: every provider attempt, backoff and the repair call.',
      labelNames: ['workspace', 'agent', 'status', 'mode'],
      buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
      registers,
    }),
    agentErrors: new Counter({
      name: 'flightdeck_agent_errors_total',
      help: 'Failed executions by their stable error code (provider_timeout, output_invalid, …).',
      labelNames: ['workspace', 'agent', 'mode', 'code'],
      registers,
    }),
    agentRetries: new Counter({
      name: 'flightdeck_agent_retries_total',
      help: 'Provider attempts repeated on the same target after a retryable failure.',
      labelNames: ['workspace', 'agent', 'mode'],
      registers,
    }),
    agentFallbacks: new Counter({
      name: 'flightdeck_agent_fallbacks_total',
      help: 'Executions answered (or last tried) by a fallback target instead of the primary.',
      labelNames: ['workspace', 'agent', 'mode'],
      registers,
    }),
    providerAttempts: new Counter({
      name: 'flightdeck_llm_attempts_total',
      help: 'Provider calls (attempts) by outcome; code is the error code of a failed attempt, "none" otherwise.',
      labelNames: ['provider', 'model', 'status', 'code'],
      registers,
    }),
    tokens: new Counter({
      name: 'flightdeck_llm_tokens_total',
      help: 'Tokens used by executions, by the provider and model that answered; type is input or output.',
      labelNames: ['workspace', 'provider', 'model', 'type'],
      registers,
    }),
    cost: new Counter({
      name: 'flightdeck_llm_cost_usd_total',
      help: 'What executions cost in USD (catalog prices or workspace overrides; unpriced models add nothing).',
      labelNames: ['workspace', 'provider', 'model'],
      registers,
    }),
    unpricedExecutions: new Counter({
      name: 'flightdeck_llm_unpriced_executions_total',
      help: 'Executions of a model without a price (no catalog price, no workspace override): their cost is unknown and not in flightdeck_llm_cost_usd_total.',
      labelNames: ['workspace', 'provider', 'model'],
      registers,
    }),
    rateLimitRefusals: new Counter({
      name: 'flightdeck_rate_limit_refusals_total',
      help: 'Requests refused with 429 rate_limited, by the limit that refused them (execution, default, token).',
      labelNames: ['workspace', 'limit'],
      registers,
    }),
    httpDuration: new Histogram({
      name: 'flightdeck_http_request_duration_seconds',
      help: 'HTTP requests by route pattern (never the raw path), method and status code.',
      labelNames: ['method', 'route', 'status_code'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 120],
      registers,
    }),
  };
}

let processMetrics: Registry | undefined;

/**
 * Event-loop lag, heap, GC, CPU, open handles and file descriptors (flightdeck_process_*,
 * flightdeck_nodejs_*): one set per process, shared by every app in it, so a test process with many
 * apps runs one event-loop monitor, not one each.
 */
function processRegistry(): Registry {
  if (!processMetrics) {
    processMetrics = new Registry();
    collectDefaultMetrics({
      register: processMetrics,
      prefix: 'flightdeck_',
      eventLoopMonitoringPrecision: 10,
    });
    // Gauges named like counters, which promtool's lint refuses; the per-type gauges stay.
    for (const name of ['active_handles_total', 'active_requests_total', 'active_resources_total'])
      processMetrics.removeSingleMetric(`flightdeck_nodejs_${name}`);
  }
  return processMetrics;
}

export type FlightdeckMetrics = ReturnType<typeof createFlightdeckMetrics>;
