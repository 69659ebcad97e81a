import { type App, createApp } from '../../src/server/create-app.ts';
import { openStore, type Store } from '../../src/store/database.ts';

export interface TestApp {
  app: App;
  store: Store;
  close(): Promise<void>;
}

/** An app on a fresh, migrated in-memory PGlite (or the given store), for `inject()` tests. */
export async function createTestApp(
  options: { store?: Store; bodyLimitBytes?: number; beforeReady?: (app: App) => void } = {},
): Promise<TestApp> {
  const store = options.store ?? (await openStore({ dataDirectory: 'memory://' }));
  await store.migrate();
  const app = await createApp({
    store,
    version: '0.0.0-test',
    publicUrl: 'http://127.0.0.1:3000',
    bodyLimitBytes: options.bodyLimitBytes,
  });
  options.beforeReady?.(app);
  await app.ready();
  return {
    app,
    store,
    async close() {
      await app.close();
      await store.close();
    },
  };
}
