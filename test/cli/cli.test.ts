import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, runCli } from '../support/cli-process.ts';
import { createTemporaryDatabase, type TemporaryDatabase } from '../support/postgres.ts';

describe('flightdeck CLI', () => {
  let dataDirectory: string;
  beforeAll(async () => {
    dataDirectory = await mkdtemp(join(tmpdir(), 'flightdeck-cli-'));
  });
  afterAll(() => rm(dataDirectory, { recursive: true, force: true }));

  it('prints its version and help', async () => {
    const version = runCli(['--version'], {});
    expect(await version.exited).toEqual({ code: 0, signal: null });
    expect(version.output().trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const help = runCli(['serve', '--help'], {});
    expect((await help.exited).code).toBe(0);
    expect(help.output()).toContain('Start the API and console');
    expect(help.output()).toContain('DATABASE_URL');
  });

  it('stops with a message naming each invalid variable', async () => {
    const cli = runCli(['serve'], { PORT: 'eighty', LOG_LEVEL: 'loud', FLIGHTDECK_DATA_DIR: dataDirectory });
    const exit = await cli.exited;
    expect(exit.code).toBe(78);
    expect(cli.output()).toContain('PORT: expected a TCP port');
    expect(cli.output()).toContain('LOG_LEVEL: expected one of');
  });

  it('serves on a new data folder, shuts down on SIGTERM, and reuses the folder on the next start', async () => {
    const instanceIds: string[] = [];
    for (const attempt of ['new', 'existing']) {
      const port = await freePort();
      const cli = runCli(['serve'], { PORT: String(port), FLIGHTDECK_DATA_DIR: dataDirectory });
      await cli.waitFor(`open http://127.0.0.1:${port}`);
      const health = await fetch(`http://127.0.0.1:${port}/readyz`);
      expect(health.status).toBe(200);
      const instanceId = /"instanceId":"([^"]+)"/.exec(cli.output())?.[1];
      expect(instanceId, attempt).toBeDefined();
      instanceIds.push(instanceId ?? '');
      cli.child.kill('SIGTERM');
      expect(await cli.exited).toEqual({ code: 0, signal: null });
      expect(cli.output()).toContain('shutdown complete');
    }
    // The same installation identity proves the second start opened the same database.
    expect(instanceIds[1]).toBe(instanceIds[0]);
  }, 60_000);

  it("runs with a 16 MB young generation and glibc's mmap threshold held, unless the user chose them", async () => {
    const commandLines: string[] = [];
    const tunables: Array<string | undefined> = [];
    const environments: Array<Record<string, string>> = [
      {},
      { NODE_OPTIONS: '--max-semi-space-size=32', GLIBC_TUNABLES: 'glibc.malloc.mmap_threshold=262144' },
      { GLIBC_TUNABLES: 'glibc.malloc.arena_max=2' },
    ];
    for (const environment of environments) {
      const port = await freePort();
      const cli = runCli(['serve'], {
        PORT: String(port),
        FLIGHTDECK_DATA_DIR: dataDirectory,
        ...environment,
      });
      await cli.waitFor(`open http://127.0.0.1:${port}`);
      // The process replaced itself (same pid) with the flag on its command line.
      commandLines.push((await readFile(`/proc/${cli.child.pid}/cmdline`, 'utf8')).split('\0').join(' '));
      // glibc parses GLIBC_TUNABLES in place, writing a NUL over each ':', so the tunables after the
      // first read as entries of their own: join them back.
      const processEnvironment = await readFile(`/proc/${cli.child.pid}/environ`, 'utf8');
      tunables.push(
        /GLIBC_TUNABLES=[^\0]*(?:\0glibc\.[^\0]*)*/.exec(processEnvironment)?.[0].replaceAll('\0', ':'),
      );
      cli.child.kill('SIGTERM');
      expect(await cli.exited).toEqual({ code: 0, signal: null });
    }
    expect(commandLines[0]).toContain('--max-semi-space-size=16');
    expect(commandLines[0]).toMatch(/bin\/flightdeck\.js serve/);
    expect(commandLines[1]).not.toContain('--max-semi-space-size=16');
    expect(tunables).toEqual([
      'GLIBC_TUNABLES=glibc.malloc.mmap_threshold=131072',
      'GLIBC_TUNABLES=glibc.malloc.mmap_threshold=262144',
      'GLIBC_TUNABLES=glibc.malloc.arena_max=2:glibc.malloc.mmap_threshold=131072',
    ]);
  }, 60_000);

  describe('on PostgreSQL', () => {
    let database: TemporaryDatabase;
    beforeAll(async () => {
      database = await createTemporaryDatabase();
    });
    afterAll(() => database.drop());

    it('migrates with `flightdeck migrate` and then has nothing left to apply', async () => {
      const first = runCli(['migrate'], { DATABASE_URL: database.url });
      expect((await first.exited).code).toBe(0);
      expect(first.output()).toMatch(/PostgreSQL: [1-9]\d* migration\(s\) applied/);
      const second = runCli(['migrate'], { DATABASE_URL: database.url });
      expect((await second.exited).code).toBe(0);
      expect(second.output()).toContain('PostgreSQL: 0 migration(s) applied');
    });

    it('runs two nodes started together on one database', async () => {
      const ports = [await freePort(), await freePort()];
      // Scaled-out nodes must share a master key; they refuse to generate one each.
      const masterKey = randomBytes(32).toString('base64');
      const nodes = ports.map((port) =>
        runCli(['serve'], {
          PORT: String(port),
          DATABASE_URL: database.url,
          FLIGHTDECK_MASTER_KEY: masterKey,
        }),
      );
      try {
        await Promise.all(nodes.map((node, index) => node.waitFor(`open http://127.0.0.1:${ports[index]}`)));
        for (const port of ports) {
          const response = await fetch(`http://127.0.0.1:${port}/readyz`);
          expect(response.status).toBe(200);
        }
      } finally {
        for (const node of nodes) node.child.kill('SIGTERM');
        for (const node of nodes) expect((await node.exited).code, node.output()).toBe(0);
      }
    }, 60_000);

    it('refuses to start without a master key, since nodes must share one', async () => {
      const cli = runCli(['serve'], { PORT: String(await freePort()), DATABASE_URL: database.url });
      expect((await cli.exited).code).toBe(1);
      expect(cli.output()).toContain('FLIGHTDECK_MASTER_KEY');
    });
  });
});
