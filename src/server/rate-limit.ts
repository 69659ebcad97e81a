import type { FastifyReply } from 'fastify';
import { FlightdeckError } from '../core/errors.ts';
import type { Services } from '../services/create-services.ts';

/** `execution`: runs and executions, at the workspace's limit; everything else at ten times it. */
export type RateLimitClass = 'execution' | 'default';

const readMultiplier = 10;

/**
 * Per-workspace request limits with the IETF RateLimit headers. The workspace's limit is cached for
 * a few seconds per node, so a settings change takes effect everywhere within that time.
 */
export function createRateLimitCheck(services: Services) {
  const workspaceLimit = async (workspaceId: string) =>
    (await services.workspaces.settingsOf(workspaceId)).rateLimitPerMinute;

  return async function checkRateLimit(
    reply: FastifyReply,
    workspaceId: string,
    limitClass: RateLimitClass,
    tokenLimit: { tokenId: string; limitPerMinute: number } | null,
  ): Promise<void> {
    const base = await workspaceLimit(workspaceId);
    const limit = limitClass === 'execution' ? base : base * readMultiplier;
    const decisions = [await services.rateLimiter.consume(`ws:${workspaceId}:${limitClass}`, limit)];
    if (tokenLimit && limitClass === 'execution') {
      decisions.push(
        await services.rateLimiter.consume(`token:${tokenLimit.tokenId}`, tokenLimit.limitPerMinute),
      );
    }
    // Report the tighter of the workspace and token windows.
    const tightest = decisions.reduce((first, second) =>
      second.remaining < first.remaining ? second : first,
    );
    const resetSeconds = Math.max(1, Math.ceil(tightest.resetMs / 1000));
    reply.header('ratelimit-limit', String(tightest.limit));
    reply.header('ratelimit-remaining', String(Math.max(0, tightest.remaining)));
    reply.header('ratelimit-reset', String(resetSeconds));
    const refused = decisions.find((decision) => !decision.allowed);
    if (refused) {
      services.telemetry.recordRateLimitRefusal(workspaceId, refused === decisions[0] ? limitClass : 'token');
      throw new FlightdeckError({
        code: 'rate_limited',
        kind: 'rate_limited',
        message: `Too many requests: the limit is ${refused.limit} per minute. Retry in ${resetSeconds} seconds, or raise the workspace's rate limit in its settings.`,
        details: { limitPerMinute: refused.limit, retryAfterSeconds: resetSeconds },
        retryAfterSeconds: resetSeconds,
      });
    }
  };
}
