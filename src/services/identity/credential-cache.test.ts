import { describe, expect, it } from 'vitest';
import type { ChangeNotifications, ChangeSubscriber } from '../../store/change-notifications.ts';
import type { ApiTokenRow, SessionRow } from '../../store/repositories/index.ts';
import { type CachedToken, createCredentialCache } from './credential-cache.ts';
import { type CredentialChange, encodeCredentialChange } from './credential-changes.ts';

/** A feed the test drives: whether it listens, and what it delivers. */
function createFakeNotifications() {
  const subscribers: ChangeSubscriber[] = [];
  const fake = {
    listening: true,
    publish: async () => ({ delivered: async () => true }),
    subscribe(subscriber: ChangeSubscriber) {
      subscribers.push(subscriber);
      return () => {};
    },
    close: async () => {},
    deliver(change: CredentialChange | string) {
      const payload = typeof change === 'string' ? change : encodeCredentialChange(change);
      for (const subscriber of subscribers) subscriber.message(payload);
    },
    reset() {
      for (const subscriber of subscribers) subscriber.reset();
    },
  };
  return fake satisfies ChangeNotifications;
}

const tokenRow = (id: string, workspaceId: string, createdBy: string): ApiTokenRow => ({
  id,
  workspaceId,
  name: id,
  role: 'member',
  prefix: 'fd_x',
  rateLimitPerMinute: null,
  tokenHash: `hash-${id}`,
  createdBy,
  createdAt: new Date(0),
  lastUsedAt: null,
  revokedAt: null,
});

/** A loader that counts its calls. */
function loader<Value>(value: Value | undefined) {
  const calls = { count: 0 };
  return {
    calls,
    load: async () => {
      calls.count++;
      return value;
    },
  };
}

describe('credential cache', () => {
  it('serves its copy while listening, and reads every time while not', async () => {
    const notifications = createFakeNotifications();
    const cache = createCredentialCache({ notifications });
    const token = loader<CachedToken>({ token: tokenRow('t1', 'w1', 'u1'), creatorRole: 'owner' });
    await cache.token('hash-t1', token.load);
    await cache.token('hash-t1', token.load);
    expect(token.calls.count).toBe(1);

    notifications.listening = false;
    await cache.token('hash-t1', token.load);
    await cache.token('hash-t1', token.load);
    expect(token.calls.count).toBe(3);
  });

  it('keeps nothing it does not find', async () => {
    const cache = createCredentialCache({ notifications: createFakeNotifications() });
    const missing = loader<CachedToken>(undefined);
    await cache.token('unknown', missing.load);
    await cache.token('unknown', missing.load);
    expect(missing.calls.count).toBe(2);
  });

  it('answers but does not keep a read that was in flight when a change arrived', async () => {
    const notifications = createFakeNotifications();
    const cache = createCredentialCache({ notifications });
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const slow = cache.membership('w1', 'u1', async () => {
      await gate;
      return { role: 'admin' };
    });
    notifications.deliver({ kind: 'membership-changed', workspaceId: 'w1', userId: 'u1' });
    release();
    expect(await slow).toEqual({ role: 'admin' });
    expect(cache.size.memberships).toBe(0);
  });

  it('drops what each change names, and only that', async () => {
    const notifications = createFakeNotifications();
    const cache = createCredentialCache({ notifications });
    const tokens = [tokenRow('t1', 'w1', 'u1'), tokenRow('t2', 'w1', 'u2'), tokenRow('t3', 'w2', 'u1')];
    for (const token of tokens)
      await cache.token(token.tokenHash, async () => ({ token, creatorRole: 'owner' }));
    await cache.membership('w1', 'u1', async () => ({ role: 'owner' }));
    await cache.membership('w2', 'u1', async () => ({ role: 'owner' }));

    notifications.deliver({ kind: 'token-revoked', tokenId: 't2' });
    expect(cache.size.tokens).toBe(2);
    // The member's role in w1 and the rights of the tokens they made there; not w2.
    notifications.deliver({ kind: 'membership-changed', workspaceId: 'w1', userId: 'u1' });
    expect(cache.size).toMatchObject({ tokens: 1, memberships: 1 });
    notifications.deliver({ kind: 'workspace-deleted', workspaceId: 'w2' });
    expect(cache.size).toMatchObject({ tokens: 0, memberships: 0 });
  });

  it('ends sessions one by one or all of a user', async () => {
    const notifications = createFakeNotifications();
    const cache = createCredentialCache({ notifications });
    const session = (idHash: string, userId: string) => ({
      session: {
        idHash,
        userId,
        csrfToken: 'c',
        createdAt: new Date(0),
        lastSeenAt: new Date(0),
        expiresAt: new Date(10),
        address: null,
        userAgent: null,
      } satisfies SessionRow,
      user: { id: userId, email: `${userId}@example.test`, name: userId },
    });
    for (const [idHash, userId] of [
      ['s1', 'u1'],
      ['s2', 'u1'],
      ['s3', 'u2'],
    ] as const)
      await cache.session(
        idHash,
        async () => session(idHash, userId),
        () => true,
      );
    notifications.deliver({ kind: 'session-ended', sessionIdHash: 's3' });
    expect(cache.size.sessions).toBe(2);
    notifications.deliver({ kind: 'user-sessions-ended', userId: 'u1' });
    expect(cache.size.sessions).toBe(0);
  });

  it('rereads a copy that is no longer usable (expired, idle)', async () => {
    const cache = createCredentialCache({ notifications: createFakeNotifications() });
    let usable = true;
    const entry = loader({
      session: { idHash: 's1', userId: 'u1' } as SessionRow,
      user: { id: 'u1', email: 'u1@example.test', name: 'u1' },
    });
    await cache.session('s1', entry.load, () => usable);
    await cache.session('s1', entry.load, () => usable);
    usable = false;
    await cache.session('s1', entry.load, () => usable);
    expect(entry.calls.count).toBe(2);
  });

  it('drops everything on a reset or a notice it cannot read', async () => {
    const notifications = createFakeNotifications();
    const cache = createCredentialCache({ notifications });
    await cache.membership('w1', 'u1', async () => ({ role: 'owner' }));
    notifications.reset();
    expect(cache.size.memberships).toBe(0);
    await cache.membership('w1', 'u1', async () => ({ role: 'owner' }));
    notifications.deliver('{"kind":"something-new"}');
    expect(cache.size.memberships).toBe(0);
  });

  it('holds at most maxEntries of a kind', async () => {
    const cache = createCredentialCache({
      notifications: createFakeNotifications(),
      settings: { maxEntries: 2 },
    });
    for (const userId of ['u1', 'u2', 'u3'])
      await cache.membership('w1', userId, async () => ({ role: 'viewer' }));
    expect(cache.size.memberships).toBe(2);
  });
});
