import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, runCli } from '../support/cli-process.ts';

describe('flightdeck users and keys', () => {
  let dataDirectory: string;
  const keyA = randomBytes(32).toString('base64');
  const keyB = randomBytes(32).toString('base64');
  beforeAll(async () => {
    dataDirectory = await mkdtemp(join(tmpdir(), 'flightdeck-keys-'));
  });
  afterAll(() => rm(dataDirectory, { recursive: true, force: true }));

  async function serve(masterKey: string | undefined, action: (baseUrl: string) => Promise<void>) {
    const port = await freePort();
    const cli = runCli(['serve'], {
      PORT: String(port),
      FLIGHTDECK_DATA_DIR: dataDirectory,
      ...(masterKey ? { FLIGHTDECK_MASTER_KEY: masterKey } : {}),
    });
    await cli.waitFor(`open http://127.0.0.1:${port}`);
    try {
      await action(`http://127.0.0.1:${port}`);
    } finally {
      cli.child.kill('SIGTERM');
      await cli.exited;
    }
    return cli.output();
  }

  it('creates the first owner headlessly, stores a key, rotates the master key, and refuses a key list that cannot decrypt', async () => {
    const create = runCli(
      ['users', 'create', '--email', 'ops@example.test', '--role', 'owner', '--password-stdin'],
      {
        FLIGHTDECK_DATA_DIR: dataDirectory,
        FLIGHTDECK_MASTER_KEY: `a:${keyA}`,
        LOG_LEVEL: 'warn',
      },
      'a long headless password\n',
    );
    expect((await create.exited).code).toBe(0);
    expect(create.output()).toContain('User ops@example.test is owner of workspace');

    let workspaceId = '';
    const firstRun = await serve(`a:${keyA}`, async (baseUrl) => {
      const login = await fetch(`${baseUrl}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'ops@example.test', password: 'a long headless password' }),
      });
      expect(login.status).toBe(200);
      const { csrfToken } = (await login.json()) as { csrfToken: string };
      const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
      const me = (await (await fetch(`${baseUrl}/api/me`, { headers: { cookie } })).json()) as {
        workspaces: Array<{ id: string }>;
      };
      workspaceId = me.workspaces[0]?.id ?? '';
      const created = await fetch(`${baseUrl}/api/workspaces/${workspaceId}/provider-keys`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', cookie, 'x-csrf-token': csrfToken },
        body: JSON.stringify({ provider: 'openai', label: 'prod', apiKey: 'sk-cli-rotation-9999' }),
      });
      expect(created.status).toBe(201);
    });
    expect(firstRun).toContain('keyring ready');

    const rotate = runCli(['keys', 'rotate-master'], {
      FLIGHTDECK_DATA_DIR: dataDirectory,
      FLIGHTDECK_MASTER_KEY: `b:${keyB},a:${keyA}`,
      LOG_LEVEL: 'warn',
    });
    expect((await rotate.exited).code).toBe(0);
    expect(rotate.output()).toContain('Re-encrypted 1 secret(s) under master key b');

    // After rotation the old key is no longer needed, and the workspace's audit log says it moved...
    await serve(`b:${keyB}`, async (baseUrl) => {
      const login = await fetch(`${baseUrl}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'ops@example.test', password: 'a long headless password' }),
      });
      const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
      const audit = (await (
        await fetch(
          `${baseUrl}/api/workspaces/${workspaceId}/audit-events?action=instance.master_key_rotated`,
          {
            headers: { cookie },
          },
        )
      ).json()) as { items: Array<{ metadata: Record<string, unknown> }> };
      expect(audit.items.map((event) => event.metadata)).toEqual([
        { activeKeyId: 'b', rotated: 1, alreadyCurrent: 0, skipped: 0 },
      ]);
    });
    // ...and a key list without the one in use refuses to start, saying what to add.
    const refused = runCli(['serve'], {
      PORT: String(await freePort()),
      FLIGHTDECK_DATA_DIR: dataDirectory,
      FLIGHTDECK_MASTER_KEY: `a:${keyA}`,
    });
    expect((await refused.exited).code).toBe(1);
    expect(refused.output()).toContain('master key id(s) b');
    expect(refused.output()).not.toContain(keyA);
  }, 180_000);

  it('resets a locked-out owner’s password from the machine, or prints a one-hour link', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'flightdeck-reset-'));
    const environment = {
      FLIGHTDECK_DATA_DIR: folder,
      FLIGHTDECK_MASTER_KEY: `a:${keyA}`,
      LOG_LEVEL: 'warn',
    };
    try {
      const create = runCli(
        ['users', 'create', '--email', 'locked@example.test', '--role', 'owner', '--password-stdin'],
        environment,
        'the forgotten first password\n',
      );
      expect((await create.exited).code).toBe(0);

      const link = runCli(['users', 'reset-password', '--email', 'locked@example.test'], environment);
      expect((await link.exited).code).toBe(0);
      expect(link.output()).toMatch(/valid 1 hour, shown once\): http:\/\/\S+\/set-password#token=\S+/);

      const unknown = runCli(['users', 'reset-password', '--email', 'nobody@example.test'], environment);
      expect((await unknown.exited).code).not.toBe(0);
      expect(unknown.output()).toContain('No user signs in with nobody@example.test');

      const reset = runCli(
        ['users', 'reset-password', '--email', 'locked@example.test', '--password-stdin'],
        environment,
        'a brand new long password\n',
      );
      expect((await reset.exited).code).toBe(0);
      expect(reset.output()).toContain('sessions ended');

      const port = await freePort();
      const server = runCli(['serve'], { ...environment, PORT: String(port) });
      await server.waitFor(`open http://127.0.0.1:${port}`);
      try {
        const login = (password: string) =>
          fetch(`http://127.0.0.1:${port}/api/auth/login`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ email: 'locked@example.test', password }),
          });
        expect((await login('the forgotten first password')).status).toBe(401);
        expect((await login('a brand new long password')).status).toBe(200);
      } finally {
        server.child.kill('SIGTERM');
        await server.exited;
      }
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  }, 180_000);

  it('generates a 0600 master key in an embedded data folder and says to back it up', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'flightdeck-generated-'));
    try {
      const port = await freePort();
      const cli = runCli(['serve'], { PORT: String(port), FLIGHTDECK_DATA_DIR: folder });
      await cli.waitFor(`open http://127.0.0.1:${port}`);
      cli.child.kill('SIGTERM');
      await cli.exited;
      expect(cli.output()).toContain('back this file up');
      expect(cli.output()).toContain('setup pending');
      const info = await stat(join(folder, 'master.key'));
      expect(info.mode & 0o777).toBe(0o600);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  }, 60_000);
});
