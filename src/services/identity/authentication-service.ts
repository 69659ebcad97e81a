import type { Clock } from '../../core/clock.ts';
import { describeWait } from '../../core/describe-wait.ts';
import { FlightdeckError } from '../../core/errors.ts';
import { newId } from '../../core/ids.ts';
import { checkPasswordStrength, type PasswordHasher } from '../../security/password-hashing.ts';
import { isRole, lowerRole } from '../../security/permissions.ts';
import { apiTokenPattern, hashSecret, randomSecret } from '../../security/secret-tokens.ts';
import { type ChangeNotifications, silentChangeNotifications } from '../../store/change-notifications.ts';
import type { Database } from '../../store/database.ts';
import type { Repositories } from '../../store/repositories/index.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import { type CredentialCacheSettings, createCredentialCache } from './credential-cache.ts';
import { type CredentialChanges, createCredentialChanges } from './credential-changes.ts';
import type { Principal, WorkspaceAccess } from './principal.ts';
import { resolveWorkspaceAccess } from './workspace-access.ts';

export interface SessionPolicy {
  /** A session unused for this long ends. */
  idleTimeoutMs: number;
  /** A session ends this long after sign-in, however active. */
  absoluteTimeoutMs: number;
}

export const defaultSessionPolicy: SessionPolicy = {
  idleTimeoutMs: 7 * 24 * 60 * 60 * 1000,
  absoluteTimeoutMs: 30 * 24 * 60 * 60 * 1000,
};

export interface LoginThrottlePolicy {
  windowMs: number;
  maximumFailuresPerAccount: number;
  maximumFailuresPerAddress: number;
}

export const defaultLoginThrottlePolicy: LoginThrottlePolicy = {
  windowMs: 15 * 60 * 1000,
  maximumFailuresPerAccount: 5,
  maximumFailuresPerAddress: 30,
};

export interface RequestOrigin {
  address: string | null;
  userAgent: string | null;
}

export interface IssuedSession {
  /** The cookie value: shown to the browser once, stored only as a hash. */
  sessionId: string;
  csrfToken: string;
  expiresAt: Date;
}

const invalidCredentials = () =>
  new FlightdeckError({
    code: 'invalid_credentials',
    kind: 'unauthenticated',
    message: 'The email or password is incorrect.',
  });

/** The stores move last-used and idle clocks at most once a minute; a copy touched since needs no round trip. */
const touchIntervalMs = 60_000;
const dueForTouch = (last: Date | null, now: Date): boolean =>
  last === null || now.getTime() - last.getTime() >= touchIntervalMs;

/**
 * Sign-in, sessions and API token authentication. Tokens, sessions and memberships are read
 * through a per-node cache that every node's change notices keep honest (see credential-cache.ts);
 * without `notifications` (services built by hand) nothing is cached.
 */
export function createAuthenticationService(dependencies: {
  database: Database;
  repositories: Repositories;
  passwordHasher: PasswordHasher;
  clock: Clock;
  sessionPolicy?: SessionPolicy | undefined;
  loginThrottlePolicy?: LoginThrottlePolicy | undefined;
  audit: AuditLog;
  /** The feed the cache listens to; silent (no cache) by default. */
  notifications?: ChangeNotifications;
  credentialChanges?: CredentialChanges;
  cacheSettings?: Partial<CredentialCacheSettings>;
}) {
  const { repositories, passwordHasher, clock } = dependencies;
  const cache = createCredentialCache({
    notifications: dependencies.notifications ?? silentChangeNotifications,
    settings: dependencies.cacheSettings,
  });
  const changes =
    dependencies.credentialChanges ?? createCredentialChanges({ database: dependencies.database });
  const memberships = {
    findMembership: (workspaceId: string, userId: string) =>
      cache.membership(workspaceId, userId, () =>
        repositories.workspaces.findMembership(workspaceId, userId),
      ),
  };
  const sessionPolicy = dependencies.sessionPolicy ?? defaultSessionPolicy;
  const throttlePolicy = dependencies.loginThrottlePolicy ?? defaultLoginThrottlePolicy;

  async function issueSession(userId: string, origin: RequestOrigin): Promise<IssuedSession> {
    const sessionId = randomSecret();
    const csrfToken = randomSecret();
    const now = clock.now();
    const expiresAt = new Date(now.getTime() + sessionPolicy.absoluteTimeoutMs);
    await repositories.sessions.insert({
      idHash: hashSecret(sessionId),
      userId,
      csrfToken,
      createdAt: now,
      lastSeenAt: now,
      expiresAt,
      address: origin.address,
      userAgent: origin.userAgent?.slice(0, 512) ?? null,
    });
    return { sessionId, csrfToken, expiresAt };
  }

  /**
   * Counts this attempt against the account and the client address in one atomic statement, then
   * throws 429 when either is over its limit: at most `limit` passwords are ever checked per window,
   * however many nodes the attempts arrive at together. A refused attempt gives back the slot it
   * took from the counter that was not over, so an attacker's address does not use up the account's.
   */
  async function countAttempt(keys: Array<{ key: string; limit: number }>): Promise<void> {
    const now = clock.now();
    const counts = await repositories.loginThrottles.countAttempt(
      keys.map(({ key }) => key),
      now,
      throttlePolicy.windowMs,
    );
    const limitOf = new Map(keys.map(({ key, limit }) => [key, limit]));
    const over = counts.filter((count) => count.attempts > (limitOf.get(count.key) ?? 0));
    if (over.length === 0) return;
    await repositories.loginThrottles.giveBack(
      counts.filter((count) => !over.includes(count)).map((count) => count.key),
    );
    const windowEnds = Math.max(
      ...over.map((count) => count.windowStartedAt.getTime() + throttlePolicy.windowMs),
    );
    const retryAfterSeconds = Math.max(1, Math.ceil((windowEnds - now.getTime()) / 1000));
    throw new FlightdeckError({
      code: 'login_throttled',
      kind: 'rate_limited',
      message: `Too many sign-in attempts. Try again in ${describeWait(retryAfterSeconds)}.`,
      details: { retryAfterSeconds },
      retryAfterSeconds,
    });
  }

  return {
    issueSession,

    /** Verifies credentials; unknown email and wrong password answer the same, equally slowly. */
    async login(input: { email: string; password: string }, origin: RequestOrigin) {
      const accountKey = `account:${input.email.trim().toLowerCase()}`;
      const addressKey = `address:${origin.address ?? 'unknown'}`;
      await countAttempt([
        { key: accountKey, limit: throttlePolicy.maximumFailuresPerAccount },
        { key: addressKey, limit: throttlePolicy.maximumFailuresPerAddress },
      ]);
      const user = await repositories.users.findByEmail(input.email.trim());
      let valid = false;
      if (user?.passwordHash) valid = await passwordHasher.verify(input.password, user.passwordHash);
      else await passwordHasher.verifyAgainstDummy(input.password);
      if (!user || !valid) {
        // The attempt stays counted on both keys: it was a failure.
        if (user) {
          // Admins of the account's workspaces see attempts on it; unknown emails belong to no workspace.
          const workspaces = await repositories.workspaces.listForUser(user.id);
          await dependencies.audit.record(
            workspaces.map((workspace) => workspace.id),
            { userId: null, tokenId: null, email: null, ...origin },
            'auth.login_failed',
            { type: 'user', id: user.id },
            { email: user.email },
          );
        }
        throw invalidCredentials();
      }
      // A success clears the account's count and gives its slot back to the address, so many people
      // signing in from behind one proxy do not use up that address's allowance.
      await repositories.loginThrottles.clear(accountKey);
      await repositories.loginThrottles.giveBack([addressKey]);
      const session = await issueSession(user.id, origin);
      return {
        user: { id: user.id, email: user.email, name: user.name, createdAt: user.createdAt },
        session,
      };
    },

    /** Ends the session on every node before it answers. */
    async logout(sessionIdHash: string): Promise<void> {
      await changes.commit(async (scoped, announce) => {
        await scoped.sessions.delete(sessionIdHash);
        announce({ kind: 'session-ended', sessionIdHash });
      });
    },

    /** The user behind a session cookie, or null when it is unknown, expired or idle too long. */
    async authenticateSession(sessionId: string): Promise<Principal | null> {
      if (sessionId.length === 0 || sessionId.length > 128) return null;
      const idHash = hashSecret(sessionId);
      const now = clock.now();
      const idleCutoff = new Date(now.getTime() - sessionPolicy.idleTimeoutMs);
      const found = await cache.session(
        idHash,
        () => repositories.sessions.findActive(idHash, now, idleCutoff),
        // The copy's clocks decide as the row's would; an idle-looking copy is reread, since
        // another node may have seen the session since.
        (entry) => entry.session.expiresAt > now && entry.session.lastSeenAt > idleCutoff,
      );
      if (!found) return null;
      if (dueForTouch(found.session.lastSeenAt, now)) {
        found.session.lastSeenAt = now;
        await repositories.sessions.touch(idHash, now);
      }
      return {
        kind: 'user',
        userId: found.user.id,
        email: found.user.email,
        name: found.user.name,
        sessionIdHash: idHash,
        csrfToken: found.session.csrfToken,
      };
    },

    /** The workspace access behind a bearer token; a revoked token stops on its next request. */
    async authenticateToken(token: string): Promise<Principal | null> {
      if (!apiTokenPattern.test(token)) return null;
      const tokenHash = hashSecret(token);
      const found = await cache.token(tokenHash, async () => {
        const row = await repositories.apiTokens.findActiveByHash(tokenHash);
        if (!row || row.creatorRole === null) return undefined;
        if (!isRole(row.token.role) || !isRole(row.creatorRole)) return undefined;
        return { token: row.token, creatorRole: row.creatorRole };
      });
      if (!found || !isRole(found.token.role) || !isRole(found.creatorRole)) return null;
      const now = clock.now();
      if (dueForTouch(found.token.lastUsedAt, now)) {
        found.token.lastUsedAt = now;
        await repositories.apiTokens.touch(found.token.id, now);
      }
      return {
        kind: 'token',
        tokenId: found.token.id,
        workspaceId: found.token.workspaceId,
        role: lowerRole(found.token.role, found.creatorRole),
        userId: found.token.createdBy,
        rateLimitPerMinute: found.token.rateLimitPerMinute,
      };
    },

    /** The caller's role in a workspace (404 when not a member), memberships read through the cache. */
    workspaceAccess(principal: Principal, workspaceId: string): Promise<WorkspaceAccess> {
      return resolveWorkspaceAccess(memberships, principal, workspaceId);
    },

    /** Entries this node holds, by kind (tests and diagnostics). */
    get cacheSize() {
      return cache.size;
    },

    /**
     * An operator on the machine (`flightdeck users reset-password`) helps a locked-out user: with a
     * password hash, it is set, every session of the account ends on every node and the account's
     * sign-in throttle is cleared; without one, a one-hour set-password link is made instead.
     */
    async resetPasswordAsOperator(
      email: string,
      passwordHash: string | null,
    ): Promise<{ userId: string; linkToken: string | null }> {
      const user = await repositories.users.findByEmail(email.trim());
      if (!user) {
        throw new FlightdeckError({
          code: 'user_not_found',
          kind: 'not_found',
          message: `No user signs in with ${email.trim()}. Check the address, or create the user with flightdeck users create.`,
        });
      }
      if (passwordHash === null) {
        const link = newPasswordLink(clock, 60 * 60 * 1000);
        await repositories.passwordTokens.insert({
          tokenHash: link.tokenHash,
          userId: user.id,
          expiresAt: link.expiresAt,
        });
        return { userId: user.id, linkToken: link.token };
      }
      await changes.commit(async (scoped, announce) => {
        await scoped.users.setPassword(user.id, passwordHash);
        await scoped.sessions.deleteForUser(user.id);
        announce({ kind: 'user-sessions-ended', userId: user.id });
      });
      await repositories.loginThrottles.clear(`account:${user.email.toLowerCase()}`);
      return { userId: user.id, linkToken: null };
    },

    /**
     * Redeems a one-time set-password link (an invitation or a reset) and signs the user in.
     * A weak password is refused before the link is spent.
     */
    async setPasswordWithLink(input: { token: string; password: string }, origin: RequestOrigin) {
      checkPasswordStrength(input.password);
      const passwordHash = await passwordHasher.hash(input.password);
      const userId = await changes.commit(async (scoped, announce) => {
        const consumed = await scoped.passwordTokens.consume(hashSecret(input.token), clock.now());
        if (!consumed) {
          throw new FlightdeckError({
            code: 'password_link_invalid',
            kind: 'invalid',
            message:
              'This set-password link is unknown, already used or expired. Ask an admin for a new invitation.',
          });
        }
        await scoped.users.setPassword(consumed.userId, passwordHash);
        // A link that went only to the mailbox proves its reader controls the address; one
        // handed to an inviter proves nothing, so the account stays unverified.
        if (consumed.emailed) await scoped.users.markEmailVerified(consumed.userId, clock.now());
        // Any older session of this account predates the new password.
        await scoped.sessions.deleteForUser(consumed.userId);
        announce({ kind: 'user-sessions-ended', userId: consumed.userId });
        return consumed.userId;
      });
      const user = await repositories.users.findById(userId);
      if (!user) throw invalidCredentials();
      const session = await issueSession(user.id, origin);
      return {
        user: { id: user.id, email: user.email, name: user.name, createdAt: user.createdAt },
        session,
      };
    },
  };
}

export type AuthenticationService = ReturnType<typeof createAuthenticationService>;

/** A new invitation link token with its stored hash and expiry. */
export function newPasswordLink(clock: Clock, validForMs = 7 * 24 * 60 * 60 * 1000) {
  const token = randomSecret();
  return {
    token,
    tokenHash: hashSecret(token),
    expiresAt: new Date(clock.now().getTime() + validForMs),
    id: newId(),
  };
}
