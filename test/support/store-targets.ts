import { openStore, type Store } from '../../src/store/database.ts';
import { createTemporaryDatabase } from './postgres.ts';

/** A database the contract suites run against: each open gets its own fresh, empty database. */
export interface StoreTarget {
  name: 'pglite' | 'pglite-worker' | 'postgres';
  open(): Promise<{ store: Store; url: string | undefined; dispose(): Promise<void> }>;
}

export const storeTargets: StoreTarget[] = [
  {
    name: 'pglite',
    async open() {
      const store = await openStore({ dataDirectory: 'memory://' });
      return { store, url: undefined, dispose: () => store.close() };
    },
  },
  {
    name: 'pglite-worker',
    async open() {
      const store = await openStore({ dataDirectory: 'memory://', pgliteWorker: true });
      return { store, url: undefined, dispose: () => store.close() };
    },
  },
  {
    name: 'postgres',
    async open() {
      const temporary = await createTemporaryDatabase();
      const store = await openStore({ databaseUrl: temporary.url, poolSize: 4 });
      return {
        store,
        url: temporary.url,
        async dispose() {
          await store.close();
          await temporary.drop();
        },
      };
    },
  },
];
