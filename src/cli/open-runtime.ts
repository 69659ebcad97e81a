import cluster from 'node:cluster';
import type { Configuration } from '../core/configuration.ts';
import { parseAllowedHosts } from '../security/ssrf-guard.ts';
import { createServices, type Services } from '../services/create-services.ts';
import { createSmtpEmailSender } from '../services/email/smtp-email-sender.ts';
import { prepareKeyring } from '../services/provider-keys/prepare-keyring.ts';
import { openChangeNotifications } from '../store/change-notifications.ts';
import { openStore, type Store } from '../store/database.ts';
import { createRepositories } from '../store/repositories/index.ts';
import { createInstanceRepository } from '../store/repositories/instance-repository.ts';
import type { Logger } from '../telemetry/logger.ts';

export interface Runtime {
  store: Store;
  services: Services;
  instanceId: string;
}

/**
 * What every command that touches data needs: the database opened and migrated, the keyring
 * ready (refusing to go on if stored secrets cannot be decrypted), and the services wired.
 */
export async function openRuntime(
  configuration: Configuration,
  logger: Logger,
  options: {
    /** A node that authenticates requests listens for revocations, so it may cache credentials. */
    listenForCredentialChanges?: boolean;
  } = {},
): Promise<Runtime> {
  const store = await openStore({
    databaseUrl: configuration.databaseUrl,
    dataDirectory: configuration.dataDirectory,
    pgliteWorker: configuration.pgliteWorker,
  });
  try {
    logger.info(
      store.kind === 'pglite'
        ? {
            database: 'pglite',
            dataDirectory: configuration.dataDirectory,
            pgliteWorker: configuration.pgliteWorker,
          }
        : { database: 'postgres' },
      'database opened',
    );
    const migration = await store.migrate();
    const instance = await createInstanceRepository(store.database).ensure();
    logger.info({ applied: migration.applied, instanceId: instance.id }, 'migrations up to date');
    const keyring = await prepareKeyring({
      masterKeyText: configuration.masterKey,
      dataDirectory: configuration.dataDirectory,
      embedded: configuration.databaseUrl === undefined,
      repositories: createRepositories(store.database),
      logger,
    });
    const changeNotifications = options.listenForCredentialChanges
      ? await openChangeNotifications(store, { log: logger })
      : undefined;
    const services = createServices({
      store,
      changeNotifications,
      publicUrl: configuration.publicUrl,
      keyring,
      allowedProviderHosts: parseAllowedHosts(configuration.allowedProviderHosts),
      redisUrl: configuration.redisUrl,
      rateLimitsInPrimary: cluster.isWorker,
      logger,
      groupCommit: configuration.groupCommit,
      budgetLeases: configuration.budgetLeases ? undefined : false,
      email: configuration.email
        ? createSmtpEmailSender({ url: configuration.email.smtpUrl, from: configuration.email.from, logger })
        : undefined,
    });
    return { store, services, instanceId: instance.id };
  } catch (error) {
    await store.close();
    throw error;
  }
}
