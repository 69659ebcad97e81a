import type { FlightdeckMetrics } from './flightdeck-metrics.ts';
import type { MetricLabels } from './metric-labels.ts';

/** The part of an execution record the metrics read (the execution service's view has it all). */
export interface ObservedExecution {
  id: string;
  agentId: string;
  status: string;
  mode: string;
  trigger: string;
  error: { code: string } | null;
  usage: { inputTokens: number; outputTokens: number };
  costUsd: number | null;
  /** False when the model had no price: `costUsd` is then unknown (null), not 0. */
  costPriced: boolean;
  latencyMs: number | null;
  retries: number;
  fallbackUsed: boolean;
  attempts: ReadonlyArray<{ provider: string; model: string; status: string; errorCode: string | null }>;
  provider: string | null;
  model: string | null;
}

type PreparedLike =
  | { kind: 'replay'; execution: ObservedExecution }
  | { kind: 'run'; execution: ObservedExecution; run(handlers: never): Promise<ObservedExecution> };

/** What runs around one execution's provider calls (the `agent.execute` span). */
export type ExecutionAround = <Result extends ObservedExecution>(
  context: { workspaceId: string; execution: ObservedExecution; labels: Promise<ExecutionLabels> },
  run: () => Promise<Result>,
) => Promise<Result>;

export interface ExecutionLabels {
  workspace: string;
  agent: string;
}

export interface ExecutionObserverDependencies {
  metrics: FlightdeckMetrics;
  labels: MetricLabels;
  around?: ExecutionAround;
  onError: (error: unknown) => void;
}

/**
 * Counts every execution that ran on this node when its record is finished: by status and mode,
 * its duration, error code, retries, fallback, provider attempts, tokens and cost. Replays of an
 * idempotency key ran nothing and count nothing. Wraps `prepare` in place, so the execution
 * service itself knows nothing of metrics; the labels are looked up (cached) while the call runs.
 */
export function observeExecutions<Service extends { prepare(...args: never[]): Promise<PreparedLike> }>(
  service: Service,
  dependencies: ExecutionObserverDependencies,
): Service {
  const { metrics, labels, onError } = dependencies;
  const around: ExecutionAround = dependencies.around ?? ((_context, run) => run());
  const prepare = service.prepare as (...args: unknown[]) => Promise<PreparedLike>;

  const record = (view: ObservedExecution, names: ExecutionLabels) => {
    const { workspace, agent } = names;
    const mode = view.mode;
    metrics.agentRuns.inc({ workspace, agent, status: view.status, mode });
    if (view.latencyMs !== null)
      metrics.agentDuration.observe({ workspace, agent, status: view.status, mode }, view.latencyMs / 1000);
    if (view.status === 'failed')
      metrics.agentErrors.inc({ workspace, agent, mode, code: view.error?.code ?? 'unknown' });
    // Incremented by zero too, so the series exist (and rates read 0) before the first retry.
    metrics.agentRetries.inc({ workspace, agent, mode }, view.retries);
    metrics.agentFallbacks.inc({ workspace, agent, mode }, view.fallbackUsed ? 1 : 0);
    // A replay called no provider and used no tokens: its recorded usage would count them twice.
    if (mode === 'replay') return;
    for (const attempt of view.attempts) {
      metrics.providerAttempts.inc({
        provider: attempt.provider,
        model: attempt.model,
        status: attempt.status,
        code: attempt.errorCode ?? 'none',
      });
    }
    const provider = view.provider ?? view.attempts.at(-1)?.provider ?? 'unknown';
    const model = view.model ?? view.attempts.at(-1)?.model ?? 'unknown';
    metrics.tokens.inc({ workspace, provider, model, type: 'input' }, view.usage.inputTokens);
    metrics.tokens.inc({ workspace, provider, model, type: 'output' }, view.usage.outputTokens);
    // An unknown cost is counted apart, never added to the cost as 0.
    if (view.costPriced) metrics.cost.inc({ workspace, provider, model }, view.costUsd ?? 0);
    else metrics.unpricedExecutions.inc({ workspace, provider, model });
  };

  const observed = async (...args: unknown[]): Promise<PreparedLike> => {
    const prepared = await prepare.apply(service, args);
    if (prepared.kind !== 'run') return prepared;
    const workspaceId = (args[0] as { workspaceId: string }).workspaceId;
    const run = prepared.run.bind(prepared) as (handlers: unknown) => Promise<ObservedExecution>;
    return {
      ...prepared,
      run: (async (handlers: unknown) => {
        const names = Promise.all([
          labels.workspace(workspaceId),
          labels.agent(prepared.execution.agentId),
        ]).then(([workspace, agent]) => ({ workspace, agent }));
        names.catch(() => {});
        const view = await around({ workspaceId, execution: prepared.execution, labels: names }, () =>
          run(handlers),
        );
        try {
          record(view, await names);
        } catch (error) {
          onError(error);
        }
        return view;
      }) as (handlers: never) => Promise<ObservedExecution>,
    };
  };
  service.prepare = observed as Service['prepare'];
  return service;
}
