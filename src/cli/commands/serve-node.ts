import type { Configuration } from '../../core/configuration.ts';
import { createApp } from '../../server/create-app.ts';
import { startServer } from '../../server/start-server.ts';
import { startExecutionRecovery } from '../../services/executions/execution-recovery.ts';
import { startWorkflowRuntime } from '../../services/workflows/start-workflow-runtime.ts';
import type { Logger } from '../../telemetry/logger.ts';
import { startTracing } from '../../telemetry/start-tracing.ts';
import { openRuntime } from '../open-runtime.ts';
import { releaseStartMemory } from '../release-start-memory.ts';
import { flightdeckVersion } from '../version.ts';
import { servingMessages } from './serving-processes.ts';

/**
 * One serving process: open the database, migrate, listen, and shut down cleanly on a signal.
 * `inGroup`: one of several on the port (FLIGHTDECK_PROCESSES); the primary prints the ready line
 * and may ask it to shut down.
 */
export async function serveNode(
  configuration: Configuration,
  logger: Logger,
  options: { inGroup: boolean },
): Promise<void> {
  // The primary may ask a process that is still starting to stop (a shutdown during a
  // replacement): remembered, and acted on once it can shut down cleanly.
  let requestStop = (reason: NodeJS.Signals | 'primary') => {
    stopRequested ??= reason;
  };
  let stopRequested: NodeJS.Signals | 'primary' | undefined;
  if (options.inGroup)
    process.on('message', (message: { type?: unknown } | null) => {
      if (message?.type === servingMessages.shutdown) requestStop('primary');
    });
  // Before anything that makes spans; nothing at all without OTEL_EXPORTER_OTLP_ENDPOINT.
  const tracing = await startTracing({
    endpoint: configuration.tracesEndpoint,
    serviceName: configuration.serviceName,
    version: flightdeckVersion,
  });
  const startedAt = performance.now();
  const { store, services } = await openRuntime(configuration, logger, { listenForCredentialChanges: true });
  await startExecutionRecovery({ store, logger });
  const webhookLoop = services.webhooks.start();
  // Workers in process by default; FLIGHTDECK_WORKERS=0 makes an API-only node that only enqueues.
  const workflowRuntime = await startWorkflowRuntime({
    store,
    services,
    logger,
    workers: configuration.workers,
    queueSettings: {
      heartbeatSeconds: configuration.queueHeartbeatSeconds,
      monitorIntervalSeconds: configuration.queueMonitorSeconds,
    },
  });
  // Holds left by a process that died are given back once they expire.
  const reclaimTimer = setInterval(() => {
    services.budgets
      .reclaimExpired(null)
      .catch((error: unknown) => logger.warn({ err: error }, 'budget sweep failed'));
  }, 30_000);
  reclaimTimer.unref();

  const app = await createApp({
    store,
    services,
    logger,
    version: flightdeckVersion,
    publicUrl: configuration.publicUrl,
    bodyLimitBytes: configuration.bodyLimitBytes,
    metricsToken: configuration.metricsToken,
    alertmanagerSecret: configuration.alertmanagerSecret,
    overload: configuration.overload,
    trustedProxies: configuration.trustedProxies,
  });
  releaseStartMemory();
  const server = await startServer({
    app,
    host: configuration.host,
    port: configuration.port,
    shutdownTimeoutMs: configuration.shutdownTimeoutMs,
    logger,
    afterClose: async () => {
      webhookLoop.stop();
      // Runs in hand finish or go back to the queue for another worker.
      await workflowRuntime.stop(configuration.shutdownTimeoutMs);
      clearInterval(reclaimTimer);
      await services.close();
      await store.close();
      await tracing?.shutdown();
    },
  });
  // Signal handlers before the ready lines: a signal sent the moment a supervisor reads them must
  // stop the node gracefully (the CLI test caught SIGTERM landing between the line and the handler).
  let signalled = false;
  let signals = 0;
  const stop = async (signal: NodeJS.Signals | 'primary') => {
    // In a group the primary's request and a signal sent to every process (a terminal's Ctrl-C)
    // are one request to stop; only a second signal means "now".
    if (signal !== 'primary') signals += 1;
    if (signalled) {
      if (signals < 2) return;
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    signalled = true;
    logger.info({ signal }, 'shutting down: finishing in-flight requests');
    const { timedOut } = await server.close();
    logger.info({ timedOut }, 'shutdown complete');
    logger.flush?.();
    process.exit(timedOut ? 1 : 0);
  };
  requestStop = (reason) => void stop(reason);
  process.on('SIGTERM', (signal) => requestStop(signal));
  process.on('SIGINT', (signal) => requestStop(signal));
  if (stopRequested !== undefined) requestStop(stopRequested);
  const readyInMs = Math.round(performance.now() - startedAt);
  if (options.inGroup) {
    logger.info({ port: server.address.port, pid: process.pid, readyInMs }, 'serving process ready');
    process.send?.({ type: servingMessages.ready });
  } else {
    logger.info(
      { url: configuration.publicUrl, port: server.address.port, readyInMs },
      'Flightdeck is ready',
    );
  }
  if (await services.setup.isRequired()) {
    logger.info(
      { url: `${configuration.publicUrl}/setup` },
      'setup pending: create the first owner in the browser, or with `npm run flightdeck -- users create`',
    );
  }
  // The one line a person starting it needs, also when logs are JSON.
  if (!options.inGroup)
    process.stdout.write(`\nFlightdeck ${flightdeckVersion} is running: open ${configuration.publicUrl}\n\n`);
}
