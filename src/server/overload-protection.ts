import { getHeapStatistics } from 'node:v8';
import underPressure from '@fastify/under-pressure';
import type { FastifyInstance } from 'fastify';
import { FlightdeckError } from '../core/errors.ts';

/** When a node sheds load; 0 turns a check off. */
export interface OverloadLimits {
  /** Mean event-loop delay over one sample, in milliseconds. */
  maxEventLoopDelayMs: number;
  /** Heap in use as a percentage of V8's heap limit (`--max-old-space-size`). */
  maxHeapUsedPercent: number;
  retryAfterSeconds: number;
  /** How often the figures are sampled; tests shorten it. Default 1000 ms. */
  sampleIntervalMs?: number;
}

/**
 * Routes answered even under pressure: a liveness probe that times out gets the node killed,
 * which turns a slow node into a lost one, and metrics are how an operator sees the overload.
 */
const exemptRoutes = new Set(['/healthz', '/metrics']);

/**
 * Sheds load before any work is done (it runs ahead of authentication): while the event loop
 * lags or the heap is nearly full, requests answer 503 `overloaded` with Retry-After at once
 * instead of queueing behind the request that is holding the node.
 */
export async function registerOverloadProtection(
  app: FastifyInstance,
  limits: OverloadLimits,
): Promise<void> {
  if (limits.maxEventLoopDelayMs <= 0 && limits.maxHeapUsedPercent <= 0) return;
  const maxHeapUsedBytes =
    limits.maxHeapUsedPercent > 0
      ? Math.floor((getHeapStatistics().heap_size_limit * limits.maxHeapUsedPercent) / 100)
      : 0;
  const sampleIntervalMs = limits.sampleIntervalMs ?? 1_000;
  // Building the routes and the OpenAPI document can hold the loop for a whole sample while the app
  // starts, which the plugin reads as an infinite delay: the first samples after ready are ignored.
  let servingSince = Number.POSITIVE_INFINITY;
  app.addHook('onReady', async () => {
    servingSince = performance.now();
  });
  await app.register(underPressure, {
    maxEventLoopDelay: limits.maxEventLoopDelayMs,
    maxHeapUsedBytes,
    sampleInterval: sampleIntervalMs,
    retryAfter: limits.retryAfterSeconds,
    // A rejected promise goes to the one error handler, which adds Retry-After from the error.
    pressureHandler: async (request, _reply, type, value) => {
      if (exemptRoutes.has(request.routeOptions.url ?? '')) return;
      if (performance.now() - servingSince < 2 * sampleIntervalMs) return;
      throw overloadedError(type, value, limits.retryAfterSeconds);
    },
  });
}

function overloadedError(
  type: string,
  value: number | undefined,
  retryAfterSeconds: number,
): FlightdeckError {
  const what = type === 'heapUsedBytes' ? 'its memory is nearly full' : 'its event loop is lagging';
  return new FlightdeckError({
    code: 'overloaded',
    kind: 'unavailable',
    message: `This node is overloaded (${what}). Retry after ${retryAfterSeconds} s, or on another node.`,
    details: { reason: type, value: value === undefined ? null : Math.round(value) },
    retryAfterSeconds,
  });
}
