import type { Redis } from 'ioredis';
import {
  RateLimiterCluster,
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
} from 'rate-limiter-flexible';
import type { Logger } from '../../telemetry/logger.ts';

export interface RateLimitDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Milliseconds until the window resets. */
  resetMs: number;
}

export interface RateLimiter {
  /** Counts one request against `key` with a budget of `limitPerMinute`. */
  consume(key: string, limitPerMinute: number): Promise<RateLimitDecision>;
  close(): Promise<void>;
}

/**
 * Fixed one-minute windows per key. In memory in embedded mode; in Redis when a URL is given, so
 * every node shares one count (a limit of 100 stays 100, not 100 × replicas). If Redis fails, each
 * node falls back to its own memory window rather than refusing or admitting everything.
 * `inPrimary` (one of several serving processes, no Redis): the count lives in the serving
 * primary's memory (rate-limiter-flexible's cluster limiter over IPC), with the same fallback.
 */
export function createRateLimiter(options: {
  redisUrl?: string | undefined;
  inPrimary?: boolean | undefined;
  logger: Logger;
  keyPrefix?: string;
}): RateLimiter {
  const prefix = options.keyPrefix ?? 'fd:rl';
  const { redisUrl, logger } = options;
  // The client is imported only when Redis is configured: an embedded node never loads it.
  let redis: Redis | null = null;
  const redisOpened = redisUrl
    ? import('ioredis').then(({ Redis }) => {
        redis = new Redis(redisUrl, {
          enableOfflineQueue: false,
          maxRetriesPerRequest: 1,
          lazyConnect: false,
        });
        redis.on('error', (error) =>
          logger.warn({ err: error }, 'redis unavailable: rate limits fall back to memory'),
        );
        return redis;
      })
    : null;
  const inPrimary = options.inPrimary === true && !redisUrl;
  const limiters = new Map<number, Pick<RateLimiterMemory, 'consume'>>();
  /** The primary's count, or this process's own when the primary does not answer. */
  const withFallback = (
    shared: RateLimiterCluster,
    memory: RateLimiterMemory,
  ): Pick<RateLimiterMemory, 'consume'> => ({
    consume: (key, points) =>
      shared.consume(key, points).catch((rejection: unknown) => {
        if (rejection instanceof RateLimiterRes) throw rejection;
        logger.warn({ err: rejection }, 'serving primary did not answer: rate limits fall back to memory');
        return memory.consume(key, points);
      }),
  });

  function limiterFor(points: number) {
    let limiter = limiters.get(points);
    if (!limiter) {
      // One limiter per limit value: a workspace whose limit changes starts a fresh window.
      const memory = new RateLimiterMemory({ points, duration: 60, keyPrefix: `${prefix}:${points}` });
      limiter = redis
        ? new RateLimiterRedis({
            storeClient: redis,
            points,
            duration: 60,
            keyPrefix: `${prefix}:${points}`,
            insuranceLimiter: memory,
          })
        : inPrimary
          ? withFallback(
              new RateLimiterCluster({
                points,
                duration: 60,
                keyPrefix: `${prefix}:${points}`,
                timeoutMs: 1_000,
              }),
              memory,
            )
          : memory;
      limiters.set(points, limiter);
    }
    return limiter;
  }

  /** Right after start the connection is still opening: wait for it briefly rather than fall back. */
  async function connected(): Promise<void> {
    if (redisOpened === null) return;
    const redis = await redisOpened;
    if (redis.status === 'ready') return;
    if (redis.status !== 'connecting' && redis.status !== 'connect' && redis.status !== 'wait') return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, 1_000);
      function done() {
        clearTimeout(timer);
        redis.off('ready', done);
        resolve();
      }
      redis.once('ready', done);
    });
  }

  return {
    async consume(key, limitPerMinute) {
      const limit = Math.max(1, Math.floor(limitPerMinute));
      await connected();
      try {
        const result = await limiterFor(limit).consume(key, 1);
        return { allowed: true, limit, remaining: result.remainingPoints, resetMs: result.msBeforeNext };
      } catch (rejection) {
        if (rejection instanceof RateLimiterRes) {
          return { allowed: false, limit, remaining: 0, resetMs: rejection.msBeforeNext };
        }
        throw rejection;
      }
    },
    async close() {
      if (redisOpened === null) return;
      const redis = await redisOpened;
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
