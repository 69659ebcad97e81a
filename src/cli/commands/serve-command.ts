import cluster from 'node:cluster';
import { createLogger } from '../../telemetry/logger.ts';
import { loadConfiguration } from '../load-configuration.ts';
import { runServingPrimary, servingProcessCount } from './serving-processes.ts';

/**
 * `flightdeck serve`: one serving process, or with FLIGHTDECK_PROCESSES above 1 (PostgreSQL) a
 * primary that forks that many onto the same port. The primary never loads the app.
 */
export async function serveCommand(): Promise<void> {
  const configuration = loadConfiguration();
  const logger = createLogger({ level: configuration.logLevel });
  const count = servingProcessCount(configuration);
  if (count > 1 && cluster.isPrimary) {
    await runServingPrimary(configuration, logger, count);
    return;
  }
  const { serveNode } = await import('./serve-node.ts');
  await serveNode(configuration, logger, { inGroup: cluster.isWorker });
}
