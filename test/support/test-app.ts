import { randomBytes } from 'node:crypto';
import type { Clock } from '../../src/core/clock.ts';
import { createKeyring } from '../../src/security/keyring.ts';
import { makeMasterKey } from '../../src/security/keyring-master-keys.ts';
import { createPasswordHasher } from '../../src/security/password-hashing.ts';
import { parseAllowedHosts } from '../../src/security/ssrf-guard.ts';
import { type App, createApp } from '../../src/server/create-app.ts';
import { createServices, type ServiceOptions, type Services } from '../../src/services/create-services.ts';
import {
  startWorkflowRuntime,
  type WorkflowRuntime,
} from '../../src/services/workflows/start-workflow-runtime.ts';
import { openChangeNotifications } from '../../src/store/change-notifications.ts';
import { openStore, type Store } from '../../src/store/database.ts';
import type { Logger } from '../../src/telemetry/logger.ts';

export interface TestApp {
  app: App;
  store: Store;
  services: Services;
  /** The queue, workers and scheduler, when `workflows` was asked for. */
  workflowRuntime: WorkflowRuntime | null;
  close(): Promise<void>;
}

export interface TestAppOptions extends Partial<Omit<ServiceOptions, 'store'>> {
  store?: Store;
  bodyLimitBytes?: number;
  logger?: Logger;
  beforeReady?: (app: App) => void;
  /** FLIGHTDECK_TRUSTED_PROXIES for this app (request.ip from X-Forwarded-For when the peer is listed). */
  trustedProxies?: string;
  /** Starts the workflow queue with this many workers (0: enqueue only); off when absent. */
  workflows?: { workers: number; scheduleIntervalMs?: number };
}

/** A clock tests move by hand; `sleep` moves it instantly, so a backoff never waits. */
export function createManualClock(
  start = new Date('2026-11-22T10:00:00Z'),
): Clock & { advance(ms: number): void } {
  let current = start.getTime();
  return {
    now: () => new Date(current),
    advance(ms) {
      current += ms;
    },
    async sleep(ms, signal) {
      signal?.throwIfAborted();
      current += ms;
    },
  };
}

/** Services for tests that build the app themselves. */
export function createTestServices(store: Store, publicUrl = 'http://127.0.0.1:3000'): Services {
  return createServices({
    store,
    publicUrl,
    passwordHasher: createPasswordHasher({ cost: 2 ** 10 }),
    keyring: createKeyring([makeMasterKey('test', randomBytes(32))]),
    allowedProviderHosts: parseAllowedHosts('127.0.0.1,localhost'),
  });
}

/**
 * An app on a fresh, migrated in-memory PGlite (or the given store), for `inject()` tests.
 * Passwords use a low scrypt cost so suites stay fast; the algorithm is the production one.
 */
export async function createTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const store = options.store ?? (await openStore({ dataDirectory: 'memory://' }));
  await store.migrate();
  const publicUrl = options.publicUrl ?? 'http://127.0.0.1:3000';
  // Like a serving node: on PostgreSQL a listener of its own, so credentials are cached as in production.
  const changeNotifications = options.changeNotifications ?? (await openChangeNotifications(store));
  const services = createServices({
    passwordHasher: createPasswordHasher({ cost: 2 ** 10 }),
    keyring: createKeyring([makeMasterKey('test', randomBytes(32))]),
    // The fake provider listens on loopback, which the SSRF guard refuses unless allowed.
    allowedProviderHosts: parseAllowedHosts('127.0.0.1,localhost'),
    ...options,
    store,
    publicUrl,
    changeNotifications,
  });
  const app = await createApp({
    store,
    services,
    version: '0.0.0-test',
    publicUrl,
    logger: options.logger,
    bodyLimitBytes: options.bodyLimitBytes,
    trustedProxies: options.trustedProxies,
  });
  options.beforeReady?.(app);
  await app.ready();
  const workflowRuntime = options.workflows
    ? await startWorkflowRuntime({
        store,
        services,
        workers: options.workflows.workers,
        scheduleIntervalMs: options.workflows.scheduleIntervalMs ?? 0,
      })
    : null;
  return {
    app,
    store,
    services,
    workflowRuntime,
    async close() {
      await workflowRuntime?.stop(1_000);
      await app.close();
      await changeNotifications.close();
      await store.close();
    },
  };
}
