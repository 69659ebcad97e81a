import { rotateMasterKey } from '../../services/provider-keys/prepare-keyring.ts';
import { createLogger } from '../../telemetry/logger.ts';
import { loadConfiguration } from '../load-configuration.ts';
import { openRuntime } from '../open-runtime.ts';

/**
 * `flightdeck keys rotate-master`: re-encrypt every provider secret under the active (first)
 * master key. Safe while servers run: they decrypt old key ids until every row is rotated.
 */
export async function keysRotateMasterCommand(): Promise<void> {
  const configuration = loadConfiguration();
  const logger = createLogger({ level: configuration.logLevel });
  const { store, services } = await openRuntime(configuration, logger);
  try {
    const keyring = services.providerKeys.keyring;
    const result = await rotateMasterKey({
      keyring,
      repositories: services.repositories,
      onProgress: (progress) => logger.info(progress, 'rotating'),
    });
    // Every workspace's secrets moved to another key: each workspace's log says so.
    await services.audit.record(
      await services.repositories.workspaces.listIds(),
      { userId: null, tokenId: null, address: null, userAgent: 'flightdeck keys rotate-master' },
      'instance.master_key_rotated',
      { type: 'instance', id: null },
      { activeKeyId: keyring.activeKeyId, ...result },
    );
    process.stdout.write(
      `Re-encrypted ${result.rotated} secret(s) under master key ${keyring.activeKeyId}; ` +
        `${result.alreadyCurrent} already used it; ${result.skipped} changed during rotation and were left as written.\n`,
    );
    if (result.rotated + result.alreadyCurrent + result.skipped > 0) {
      process.stdout.write(
        'Once every node runs with the new key list, old key ids can be removed from FLIGHTDECK_MASTER_KEY.\n',
      );
    }
  } finally {
    await services.close();
    await store.close();
  }
}
