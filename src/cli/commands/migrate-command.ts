import { openStore } from '../../store/database.ts';
import { loadConfiguration } from '../load-configuration.ts';

/** `flightdeck migrate`: apply pending migrations and report; safe to run beside live nodes. */
export async function migrateCommand(): Promise<void> {
  const configuration = loadConfiguration();
  const store = await openStore({
    databaseUrl: configuration.databaseUrl,
    dataDirectory: configuration.dataDirectory,
  });
  try {
    const before = await store.migrationStatus();
    const after = await store.migrate();
    const newlyApplied = after.applied - before.applied;
    process.stdout.write(
      `${store.kind === 'pglite' ? `PGlite (${configuration.dataDirectory})` : 'PostgreSQL'}: ` +
        `${newlyApplied} migration(s) applied, ${after.applied} of ${after.expected} in total.\n`,
    );
  } finally {
    await store.close();
  }
}
