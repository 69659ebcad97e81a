import type { FastifyReply, FastifyRequest } from 'fastify';
import { FlightdeckError } from '../core/errors.ts';
import type { Permission } from '../security/permissions.ts';
import type { AuditActor } from '../services/audit/audit-log.ts';
import type { Services } from '../services/create-services.ts';
import type { Principal, WorkspaceAccess } from '../services/identity/principal.ts';
import { requirePermission } from '../services/identity/workspace-access.ts';
import { readCookie, sessionCookieName } from './cookies.ts';
import { createRateLimitCheck, type RateLimitClass } from './rate-limit.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Routes that need no credentials (setup, sign-in). */
    public?: boolean;
    /** What a workspace route needs; required on every route under /api/workspaces/:workspaceId. */
    permission?: Permission;
    /** `execution` for routes that start runs (limited at the workspace's rate); others get ten times it. */
    rateLimit?: RateLimitClass;
  }
  interface FastifyRequest {
    principal: Principal | null;
    workspaceAccess: WorkspaceAccess | null;
  }
}

const safeMethods = new Set(['GET', 'HEAD', 'OPTIONS']);

const unauthenticated = (message: string, code = 'unauthenticated') =>
  new FlightdeckError({ code, kind: 'unauthenticated', message });

/**
 * Runs before body parsing and validation, so a caller without rights learns nothing from
 * validation errors: authenticate, check CSRF for cookie sessions, resolve the workspace (404
 * when not a member), then the route's permission (403).
 */
export function createAuthenticationHook(services: Services) {
  const checkRateLimit = createRateLimitCheck(services);
  return async function authenticate(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const routeUrl = request.routeOptions.url;
    if (!routeUrl?.startsWith('/api/') || routeUrl.startsWith('/api/docs')) return;
    const config = request.routeOptions.config;
    if (config.public) return;

    const principal = await identify(request, services);
    request.principal = principal;

    if (principal.kind === 'user' && !safeMethods.has(request.method)) {
      const presented = request.headers['x-csrf-token'];
      if (typeof presented !== 'string' || presented !== principal.csrfToken) {
        throw new FlightdeckError({
          code: 'csrf_token_invalid',
          kind: 'forbidden',
          message:
            'Requests signed in with a session cookie must send the X-CSRF-Token header from GET /api/me or the sign-in answer.',
        });
      }
    }

    const workspaceId = (request.params as Record<string, string | undefined>).workspaceId;
    if (workspaceId === undefined) return;
    const access = await services.authentication.workspaceAccess(principal, workspaceId);
    request.workspaceAccess = access;
    requirePermission(access, config.permission ?? 'read');
    const tokenLimit =
      principal.kind === 'token' && principal.rateLimitPerMinute !== null
        ? { tokenId: principal.tokenId, limitPerMinute: principal.rateLimitPerMinute }
        : null;
    await checkRateLimit(reply, workspaceId, config.rateLimit ?? 'default', tokenLimit);
  };
}

async function identify(request: FastifyRequest, services: Services): Promise<Principal> {
  const authorization = request.headers.authorization;
  if (authorization !== undefined) {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization);
    const principal = match?.[1] ? await services.authentication.authenticateToken(match[1]) : null;
    if (!principal) {
      throw unauthenticated(
        'The API token is invalid or revoked. Send Authorization: Bearer fd_… with an active token.',
        'invalid_token',
      );
    }
    return principal;
  }
  const sessionId = readCookie(request.headers.cookie, sessionCookieName);
  const principal = sessionId ? await services.authentication.authenticateSession(sessionId) : null;
  if (!principal) {
    throw unauthenticated(
      sessionId
        ? 'Your session has expired. Sign in again.'
        : 'Sign in, or send Authorization: Bearer <API token>.',
    );
  }
  return principal;
}

/** The resolved workspace access of a workspace route (set by the hook). */
export function accessOf(request: FastifyRequest): WorkspaceAccess {
  if (!request.workspaceAccess) throw new Error(`route ${request.routeOptions.url} has no workspace access`);
  return request.workspaceAccess;
}

/** The authenticated caller of a non-public route (set by the hook). */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new Error(`route ${request.routeOptions.url} has no principal`);
  return request.principal;
}

/** The caller's address and user agent, for sessions and audit. */
export function originOf(request: FastifyRequest) {
  const userAgent = request.headers['user-agent'];
  return { address: request.ip ?? null, userAgent: typeof userAgent === 'string' ? userAgent : null };
}

/** The caller as the audit log records it. */
export function actorOf(request: FastifyRequest): AuditActor {
  const principal = request.principal;
  const origin = originOf(request);
  if (!principal) return { userId: null, tokenId: null, email: null, ...origin };
  if (principal.kind === 'token') {
    return { userId: principal.userId, tokenId: principal.tokenId, email: null, ...origin };
  }
  return { userId: principal.userId, tokenId: null, email: principal.email, ...origin };
}
