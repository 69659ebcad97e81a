import { sql } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/database.ts';
import { queryRows } from '../../src/store/query-rows.ts';
import { createInstanceRepository } from '../../src/store/repositories/instance-repository.ts';
import { storeTargets } from '../support/store-targets.ts';

// The same contract for every store adapter; each test opens its own fresh database.
describe.each(storeTargets)('store contract: $name', (target) => {
  const disposers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    while (disposers.length > 0) await disposers.pop()?.();
  });

  async function open() {
    const opened = await target.open();
    disposers.push(opened.dispose);
    return opened;
  }

  it('starts unmigrated, migrates, and reports itself up to date', async () => {
    const { store } = await open();
    const before = await store.migrationStatus();
    expect(before.applied).toBe(0);
    expect(before.upToDate).toBe(false);
    const after = await store.migrate();
    expect(after.upToDate).toBe(true);
    expect(after.applied).toBe(after.expected);
    expect(after.expected).toBeGreaterThan(0);
  });

  it('migrating twice applies nothing the second time', async () => {
    const { store } = await open();
    const first = await store.migrate();
    const second = await store.migrate();
    expect(second).toEqual(first);
  });

  it('creates the tables the schema declares', async () => {
    const { store } = await open();
    await store.migrate();
    const tables = await queryRows<{ name: string }>(
      store.database,
      sql`select table_name as "name" from information_schema.tables where table_schema = 'public'`,
    );
    expect(tables.map((table) => table.name)).toContain('instance_metadata');
  });

  it('keeps one instance identity however often it is asked for', async () => {
    const { store } = await open();
    await store.migrate();
    const repository = createInstanceRepository(store.database);
    const results = await Promise.all([repository.ensure(), repository.ensure(), repository.ensure()]);
    expect(new Set(results.map((result) => result.id)).size).toBe(1);
    expect(results[0]?.createdAt).toBeInstanceOf(Date);
  });

  it('answers ping while open and fails after close', async () => {
    const { store } = await open();
    await expect(store.ping()).resolves.toBeUndefined();
    await store.close();
    await expect(store.ping()).rejects.toThrow();
  });

  if (target.name === 'postgres') {
    it('applies migrations once when several nodes start at the same moment', async () => {
      const { url } = await open();
      const nodes: Store[] = await Promise.all(
        Array.from({ length: 4 }, () => openStore({ databaseUrl: url, poolSize: 2 })),
      );
      try {
        const statuses = await Promise.all(nodes.map((node) => node.migrate()));
        for (const status of statuses) expect(status.upToDate).toBe(true);
        const [first] = nodes;
        if (!first) throw new Error('no node');
        const rows = await queryRows<{ count: number }>(
          first.database,
          sql`select count(*)::int as "count" from public.flightdeck_migrations`,
        );
        expect(rows[0]?.count).toBe(statuses[0]?.expected);
      } finally {
        await Promise.all(nodes.map((node) => node.close()));
      }
    });
  }
});
