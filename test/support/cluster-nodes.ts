import { changeChannel } from '../../src/store/change-notifications.ts';
import { openStore } from '../../src/store/database.ts';
import {
  createPostgresChangeNotifications,
  type PostgresChangeNotifications,
} from '../../src/store/postgres-change-notifications.ts';
import type { TemporaryDatabase } from './postgres.ts';
import { createTestApp, type TestApp } from './test-app.ts';

/** What a node's store sent: how many statements, and their text (tests look for one kind). */
export interface StatementLog {
  count: number;
  texts: string[];
}

/** A node of a test: an app over its own store, with the statements that store sent. */
export interface ClusterNode {
  name: string;
  testApp: TestApp;
  statements: StatementLog;
  notifications: PostgresChangeNotifications | null;
}

export function countingLogger() {
  const statements: StatementLog = { count: 0, texts: [] };
  const logQuery = (query: string) => {
    statements.count++;
    statements.texts.push(query);
  };
  return { statements, queryLogger: { logQuery } };
}

export async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** One embedded node (PGlite in memory, the in-process change channel). */
export async function openEmbeddedNode(): Promise<ClusterNode> {
  const { statements, queryLogger } = countingLogger();
  const store = await openStore({ dataDirectory: 'memory://', queryLogger });
  return { name: 'embedded', testApp: await createTestApp({ store }), statements, notifications: null };
}

/** One node on the shared database, listening on the change channel. */
export async function openPostgresNode(database: TemporaryDatabase, name: string): Promise<ClusterNode> {
  const { statements, queryLogger } = countingLogger();
  const store = await openStore({ databaseUrl: database.url, poolSize: 4, queryLogger });
  const notifications = createPostgresChangeNotifications({ url: database.url, channel: changeChannel });
  await notifications.ready(5_000);
  return {
    name,
    testApp: await createTestApp({ store, changeNotifications: notifications }),
    statements,
    notifications,
  };
}

/** Migrates the database, then opens a node per name and waits until each knows the others. */
export async function openPostgresNodes(
  database: TemporaryDatabase,
  names: string[],
): Promise<ClusterNode[]> {
  const first = await openStore({ databaseUrl: database.url, poolSize: 2 });
  await first.migrate();
  await first.close();
  const nodes: ClusterNode[] = [];
  for (const name of names) nodes.push(await openPostgresNode(database, name));
  await until(
    () => nodes.every((node) => node.notifications?.peers === names.length - 1),
    'every node to know the others',
  );
  return nodes;
}
