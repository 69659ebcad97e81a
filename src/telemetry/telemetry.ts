import type { FastifyReply, FastifyRequest } from 'fastify';
import { createCircuitBreakerRegistry } from '../llm/circuit-breaker-registry.ts';
import { createModelCaller, type ModelCaller } from '../llm/model-caller.ts';
import type { Repositories } from '../store/repositories/index.ts';
import type { TelemetryReadings } from '../store/telemetry-readings.ts';
import { createFlightdeckMetrics } from './flightdeck-metrics.ts';
import { createSilentLogger, type Logger } from './logger.ts';
import { createMemo, createMetricLabels } from './metric-labels.ts';
import { observeExecutions } from './observe-executions.ts';
import { observeWorkflowRepositories } from './observe-workflow-repositories.ts';
import { registerStateGauges } from './state-gauges.ts';
import { traceExecution } from './trace-executions.ts';
import { traceModelCalls } from './trace-model-calls.ts';
import { traceRunDrive } from './tracing.ts';

export interface TelemetryOptions {
  readings: TelemetryReadings;
  version?: string;
  logger?: Logger;
  /** How long one database reading serves the state gauges (default 5 s). */
  stateCacheMs?: number;
  /** How long id → slug lookups are kept (default 30 s). */
  labelTtlMs?: number;
}

/**
 * The metrics of one Flightdeck process and the hooks that feed them. The composition root wraps
 * what it builds with these (`observeRepositories`, `observeExecutions`, `modelCaller`), so the
 * services and the engine carry no metrics code of their own.
 */
export function createTelemetry(options: TelemetryOptions) {
  const logger = options.logger ?? createSilentLogger();
  const metrics = createFlightdeckMetrics({ version: options.version });
  const labels = createMetricLabels(options.readings, options.labelTtlMs);
  /** This process's circuit breakers, shared by its model caller and read by the state gauge. */
  const breakers = createCircuitBreakerRegistry();
  let warned = 0;
  const onError = (error: unknown) => {
    // Metrics never fail a request; say so in the log, but not once per event.
    if (Date.now() - warned > 60_000) {
      warned = Date.now();
      logger.warn({ err: error }, 'a metric could not be recorded');
    }
  };
  registerStateGauges({
    registry: metrics.registry,
    readings: options.readings,
    labels,
    breakers,
    cacheMs: options.stateCacheMs,
    onError,
  });

  const contentMemo = createMemo<boolean>(5_000, 5_000);
  const contentAllowed = (workspaceId: string) =>
    contentMemo(workspaceId, () => options.readings.traceContent(workspaceId));
  const tracedEngines = new WeakSet<object>();

  return {
    metrics,
    labels,
    breakers,
    /**
     * The model caller executions use: its breakers are the ones `/metrics` shows, and each
     * provider attempt is a `chat {model}` span while tracing is on.
     */
    modelCaller: traceModelCalls(createModelCaller({ breakers }), contentAllowed) satisfies ModelCaller,

    /** Makes every drive of a run a `workflow.run` span (in place; once per engine). */
    traceEngine<Engine extends { drive(runId: string, leaseSignal: AbortSignal): Promise<void> }>(
      engine: Engine,
    ): Engine {
      if (tracedEngines.has(engine)) return engine;
      tracedEngines.add(engine);
      const drive = engine.drive.bind(engine);
      engine.drive = (runId, leaseSignal) => traceRunDrive(runId, () => drive(runId, leaseSignal));
      return engine;
    },

    /** Counts run ends and approval waits at the repository transitions (see the observer). */
    observeRepositories(repositories: Pick<Repositories, 'workflowRuns' | 'workflowApprovals'>) {
      observeWorkflowRepositories(repositories, { metrics, labels, readings: options.readings, onError });
      return repositories;
    },

    /** Counts executions when their records finish. */
    observeExecutions<Service extends Parameters<typeof observeExecutions>[0]>(service: Service): Service {
      return observeExecutions(service, { metrics, labels, onError, around: traceExecution });
    },

    /** One 429 from the workspace limit (`execution`, `default`) or a token's own limit (`token`). */
    recordRateLimitRefusal(workspaceId: string, limit: 'execution' | 'default' | 'token'): void {
      labels
        .workspace(workspaceId)
        .then((workspace) => metrics.rateLimitRefusals.inc({ workspace, limit }))
        .catch(onError);
    },

    /** Fastify `onResponse` hook: request duration by route pattern, method and status. */
    recordHttpRequest: async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
      metrics.httpDuration.observe(
        {
          method: request.method,
          route: request.routeOptions.url ?? 'unmatched',
          status_code: String(reply.statusCode),
        },
        reply.elapsedTime / 1000,
      );
    },
  };
}

export type Telemetry = ReturnType<typeof createTelemetry>;
