import { startExecutionRecovery } from '../../services/executions/execution-recovery.ts';
import { startWorkflowRuntime } from '../../services/workflows/start-workflow-runtime.ts';
import { createLogger } from '../../telemetry/logger.ts';
import { serveMetrics } from '../../telemetry/serve-metrics.ts';
import { startTracing } from '../../telemetry/start-tracing.ts';
import { loadConfiguration } from '../load-configuration.ts';
import { openRuntime } from '../open-runtime.ts';
import { flightdeckVersion } from '../version.ts';

/**
 * `flightdeck worker`: drives workflow runs from the shared queue without serving HTTP (scaled-out
 * mode, beside API nodes started with FLIGHTDECK_WORKERS=0). SIGTERM finishes or hands back what it holds.
 */
export async function workerCommand(options: { concurrency?: string }): Promise<void> {
  const configuration = loadConfiguration();
  const logger = createLogger({ level: configuration.logLevel });
  const tracing = await startTracing({
    endpoint: configuration.tracesEndpoint,
    serviceName: configuration.serviceName,
    version: flightdeckVersion,
  });
  const { store, services } = await openRuntime(configuration, logger);
  await startExecutionRecovery({ store, logger });
  const workers =
    options.concurrency === undefined ? Math.max(1, configuration.workers) : Number(options.concurrency);
  if (!Number.isInteger(workers) || workers < 1 || workers > 1_000) {
    throw new Error('--concurrency must be a whole number from 1 to 1000');
  }
  const runtime = await startWorkflowRuntime({
    store,
    services,
    logger,
    workers,
    queueSettings: {
      heartbeatSeconds: configuration.queueHeartbeatSeconds,
      monitorIntervalSeconds: configuration.queueMonitorSeconds,
    },
  });
  // A worker serves no API, but its counters are the ones that count the runs it drives.
  const metricsServer =
    configuration.metricsPort > 0
      ? await serveMetrics({
          metrics: services.telemetry.metrics,
          host: configuration.host,
          port: configuration.metricsPort,
          token: configuration.metricsToken,
        })
      : null;
  logger.info(
    { workers, nodeId: services.nodeId, metricsPort: metricsServer?.port },
    'workflow worker is ready',
  );
  process.stdout.write(`\nFlightdeck worker is running (${workers} runs at once)\n\n`);

  let signalled = false;
  const stop = async (signal: NodeJS.Signals) => {
    if (signalled) process.exit(1);
    signalled = true;
    logger.info({ signal }, 'worker shutting down: finishing or handing back runs');
    await runtime.stop(configuration.shutdownTimeoutMs);
    await metricsServer?.close();
    await services.close();
    await store.close();
    await tracing?.shutdown();
    logger.flush?.();
    process.exit(0);
  };
  process.on('SIGTERM', (signal) => void stop(signal));
  process.on('SIGINT', (signal) => void stop(signal));
}
