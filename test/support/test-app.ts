import { createPasswordHasher } from '../../src/security/password-hashing.ts';
import { type App, createApp } from '../../src/server/create-app.ts';
import { createServices, type ServiceOptions, type Services } from '../../src/services/create-services.ts';
import type { Clock } from '../../src/services/identity/identity-clock.ts';
import { openStore, type Store } from '../../src/store/database.ts';

export interface TestApp {
  app: App;
  store: Store;
  services: Services;
  close(): Promise<void>;
}

export interface TestAppOptions extends Partial<Omit<ServiceOptions, 'store'>> {
  store?: Store;
  bodyLimitBytes?: number;
  beforeReady?: (app: App) => void;
}

/** A clock tests move by hand. */
export function createManualClock(start = new Date('2026-11-22T10:00:00Z')): Clock & { advance(ms: number): void } {
  let current = start.getTime();
  return {
    now: () => new Date(current),
    advance(ms) {
      current += ms;
    },
  };
}

/**
 * An app on a fresh, migrated in-memory PGlite (or the given store), for `inject()` tests.
 * Passwords use a low scrypt cost so suites stay fast; the algorithm is the production one.
 */
export async function createTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const store = options.store ?? (await openStore({ dataDirectory: 'memory://' }));
  await store.migrate();
  const publicUrl = options.publicUrl ?? 'http://127.0.0.1:3000';
  const services = createServices({
    passwordHasher: createPasswordHasher({ cost: 2 ** 10 }),
    ...options,
    store,
    publicUrl,
  });
  const app = await createApp({
    store,
    services,
    version: '0.0.0-test',
    publicUrl,
    bodyLimitBytes: options.bodyLimitBytes,
  });
  options.beforeReady?.(app);
  await app.ready();
  return {
    app,
    store,
    services,
    async close() {
      await app.close();
      await store.close();
    },
  };
}
