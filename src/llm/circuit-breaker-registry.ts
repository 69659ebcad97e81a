import type { CircuitBreaker, CircuitBreakerSettings, CircuitSnapshot } from './circuit-breaker.ts';
import { createCircuitBreaker } from './circuit-breaker.ts';
import type { Clock } from './clock.ts';
import { systemClock } from './clock.ts';
import type { ProviderKind } from './language-model-provider.ts';

/** One breaker per workspace, provider and base URL: a tenant's broken self-hosted endpoint trips only its own. */
export interface CircuitKey {
  workspaceId: string;
  provider: ProviderKind;
  baseUrl: string;
}

export interface CircuitBreakerRegistry {
  get(key: CircuitKey): CircuitBreaker;
  /** Every breaker's state, for the API and metrics. */
  list(): Array<CircuitKey & CircuitSnapshot>;
}

export function createCircuitBreakerRegistry(
  settings: Partial<CircuitBreakerSettings> = {},
  clock: Pick<Clock, 'now'> = systemClock,
): CircuitBreakerRegistry {
  const breakers = new Map<string, { key: CircuitKey; breaker: CircuitBreaker }>();
  return {
    get(key) {
      const id = `${key.workspaceId}\u0000${key.provider}\u0000${key.baseUrl}`;
      let entry = breakers.get(id);
      if (!entry) {
        entry = { key: { ...key }, breaker: createCircuitBreaker(settings, clock) };
        breakers.set(id, entry);
      }
      return entry.breaker;
    },
    list() {
      return [...breakers.values()].map(({ key, breaker }) => ({ ...key, ...breaker.snapshot() }));
    },
  };
}
