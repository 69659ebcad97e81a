import { Gauge, type Registry } from 'prom-client';
import { budgetPeriodStart } from '../core/budget-period.ts';
import type { CircuitBreakerRegistry } from '../llm/circuit-breaker-registry.ts';
import type { TelemetryReadings, TelemetryState } from '../store/telemetry-readings.ts';
import type { MetricLabels } from './metric-labels.ts';

export interface StateGaugeOptions {
  registry: Registry;
  readings: TelemetryReadings;
  labels: MetricLabels;
  breakers: CircuitBreakerRegistry;
  /** How long one reading of the database serves scrapes (default 5 s). */
  cacheMs?: number;
  /** How long a scrape waits for the database before it shows the last reading (default 750 ms). */
  readTimeoutMs?: number;
  now?: () => Date;
  onError?: (error: unknown) => void;
}

const delay = (ms: number) =>
  new Promise<void>((resolve) => {
    setTimeout(resolve, ms).unref();
  });

const circuitValues = { closed: 0, 'half-open': 1, open: 2 } as const;

/**
 * Gauges of state that lives in the database (active runs, pending approvals, budgets, the queue),
 * read when Prometheus scrapes, at most once per `cacheMs` however many scrapers ask. A failed read
 * keeps the last values (and reports through `onError`) instead of failing the scrape. The circuit
 * breakers are this process's own, read from memory.
 */
export function registerStateGauges(options: StateGaugeOptions): void {
  const registers = [options.registry];
  const cacheMs = options.cacheMs ?? 5_000;
  const readTimeoutMs = options.readTimeoutMs ?? 750;
  const now = options.now ?? (() => new Date());
  let cached: { at: number; value: Promise<LabelledState | null> } | undefined;
  let last: LabelledState | null = null;

  const read = (): Promise<LabelledState | null> => {
    const at = Date.now();
    if (cached && at - cached.at < cacheMs) return cached.value;
    const moment = now();
    const value = options.readings
      .state(moment, budgetPeriodStart(moment))
      .then((state) => label(state, options.labels))
      .then((state) => {
        last = state;
        return state;
      })
      .catch((error: unknown) => {
        options.onError?.(error);
        return last;
      });
    cached = { at, value };
    // A database busy for longer than a scrape may wait is answered with the last reading.
    return Promise.race([value, delay(readTimeoutMs).then(() => last)]);
  };

  const stateGauge = (
    name: string,
    help: string,
    labelNames: string[],
    fill: (gauge: Gauge, state: LabelledState) => void,
  ) =>
    new Gauge({
      name,
      help,
      labelNames,
      registers,
      // The same database on every serving process: the group's value is any one's, not the sum.
      aggregator: 'max',
      async collect() {
        const state = await read();
        if (!state) return;
        this.reset();
        fill(this, state);
      },
    });

  stateGauge(
    'flightdeck_workflows_active',
    'Runs not yet ended, by status (queued, running, waiting_approval); from the database, the same on every node.',
    ['workspace', 'workflow', 'status'],
    (gauge, state) => {
      for (const row of state.activeRuns)
        gauge.inc({ workspace: row.workspace, workflow: row.workflow, status: row.status }, row.count);
    },
  );
  stateGauge(
    'flightdeck_workflow_approvals_pending',
    'Approvals waiting for a decision.',
    ['workspace', 'workflow'],
    (gauge, state) => {
      for (const row of state.pendingApprovals)
        gauge.inc({ workspace: row.workspace, workflow: row.workflow }, row.count);
    },
  );
  stateGauge(
    'flightdeck_workflow_approval_oldest_pending_seconds',
    'Age of the oldest approval still waiting for a decision.',
    ['workspace', 'workflow'],
    (gauge, state) => {
      const oldest = new Map<string, { workspace: string; workflow: string; seconds: number }>();
      for (const row of state.pendingApprovals) {
        const key = `${row.workspace}\u0000${row.workflow}`;
        const seen = oldest.get(key);
        if (!seen || seen.seconds < row.oldestSeconds)
          oldest.set(key, { workspace: row.workspace, workflow: row.workflow, seconds: row.oldestSeconds });
      }
      for (const entry of oldest.values())
        gauge.set({ workspace: entry.workspace, workflow: entry.workflow }, entry.seconds);
    },
  );
  stateGauge(
    'flightdeck_budget_used_ratio',
    "Share of the workspace's monthly budget spent this month (1 = all of it); only workspaces with a budget.",
    ['workspace'],
    (gauge, state) => {
      for (const row of state.budgets) gauge.set({ workspace: row.workspace }, row.spentUsd / row.limitUsd);
    },
  );
  stateGauge(
    'flightdeck_budget_spent_usd',
    'USD spent this month by workspaces with a budget.',
    ['workspace'],
    (gauge, state) => {
      for (const row of state.budgets) gauge.set({ workspace: row.workspace }, row.spentUsd);
    },
  );
  stateGauge(
    'flightdeck_budget_limit_usd',
    'The monthly budget of workspaces that have one.',
    ['workspace'],
    (gauge, state) => {
      for (const row of state.budgets) gauge.set({ workspace: row.workspace }, row.limitUsd);
    },
  );
  const queueGauge = (name: string, help: string, value: (queue: TelemetryState['queue']) => number) =>
    stateGauge(name, help, ['queue'], (gauge, state) =>
      gauge.set({ queue: 'workflow-run' }, value(state.queue)),
    );
  queueGauge(
    'flightdeck_queue_depth',
    'Runs waiting for a worker (queued or due for a retry).',
    (q) => q.waiting,
  );
  queueGauge(
    'flightdeck_queue_oldest_job_age_seconds',
    'How long the oldest run waiting for a worker has waited (0 when none waits).',
    (q) => q.oldestWaitingSeconds,
  );
  queueGauge('flightdeck_queue_active_jobs', 'Runs held by a worker right now.', (q) => q.active);
  queueGauge(
    'flightdeck_queue_stale_jobs',
    'Runs held by a worker whose heartbeat lapsed (a worker that died or hangs), until the queue hands them on.',
    (q) => q.stale,
  );

  new Gauge({
    name: 'flightdeck_provider_circuit_state',
    help: "This node's circuit breakers per workspace and provider: 0 closed, 1 half-open, 2 open (the worst over base URLs).",
    labelNames: ['workspace', 'provider'],
    registers,
    aggregator: 'max', // the worst breaker of any serving process
    async collect() {
      const breakers = options.breakers.list();
      const workspaces = await options.labels.workspaces().catch(() => new Map<string, string>());
      this.reset();
      const worst = new Map<string, { workspace: string; provider: string; value: number }>();
      for (const breaker of breakers) {
        const workspace = workspaces.get(breaker.workspaceId) ?? 'unknown';
        const key = `${workspace}\u0000${breaker.provider}`;
        const value = circuitValues[breaker.state];
        const seen = worst.get(key);
        if (!seen || seen.value < value) worst.set(key, { workspace, provider: breaker.provider, value });
      }
      for (const entry of worst.values())
        this.set({ workspace: entry.workspace, provider: entry.provider }, entry.value);
    },
  });
}

type LabelledState = {
  activeRuns: Array<{ workspace: string; workflow: string; status: string; count: number }>;
  pendingApprovals: Array<{ workspace: string; workflow: string; count: number; oldestSeconds: number }>;
  budgets: Array<{ workspace: string; spentUsd: number; limitUsd: number }>;
  queue: TelemetryState['queue'];
};

async function label(state: TelemetryState, labels: MetricLabels): Promise<LabelledState> {
  const workspaces = await labels.workspaces();
  const slug = (workspaceId: string) => workspaces.get(workspaceId) ?? 'unknown';
  return {
    activeRuns: state.activeRuns.map(({ workspaceId, ...row }) => ({ ...row, workspace: slug(workspaceId) })),
    pendingApprovals: state.pendingApprovals.map(({ workspaceId, ...row }) => ({
      ...row,
      workspace: slug(workspaceId),
    })),
    budgets: state.budgets.map(({ workspaceId, ...row }) => ({ ...row, workspace: slug(workspaceId) })),
    queue: state.queue,
  };
}
