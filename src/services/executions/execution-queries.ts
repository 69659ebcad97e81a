import type { Clock } from '../../core/clock.ts';
import { invalidError } from '../../core/errors.ts';
import type { WorkspaceAccess } from '../identity/principal.ts';
import type { ExecutionService } from './execution-service.ts';
import { type ExecutionStats, maxSeriesPoints, type StatsQuery } from './execution-stats.ts';

/** A stats query whose range may be left open: it then ends now and starts 30 days earlier. */
export interface StatsRangeQuery extends Omit<StatsQuery, 'from' | 'to'> {
  from?: Date | undefined;
  to?: Date | undefined;
}

const defaultRangeMs = 30 * 86_400_000;

/** Reads of execution history that need more than the store: here, the stats range against the clock. */
export function createExecutionQueries(dependencies: {
  /** Built on first use, like the execution service itself. */
  executions: () => Pick<ExecutionService, 'stats'>;
  clock: Clock;
}) {
  const { clock } = dependencies;
  return {
    /**
     * Totals and series over the range (default: the last 30 days); 400 `range_invalid` when it is
     * empty, `range_too_large` when it would have more points than a series holds.
     */
    async stats(access: WorkspaceAccess, query: StatsRangeQuery): Promise<ExecutionStats> {
      const to = query.to ?? clock.now();
      const from = query.from ?? new Date(to.getTime() - defaultRangeMs);
      if (from.getTime() >= to.getTime()) {
        throw invalidError('range_invalid', '`from` must be before `to`.', { from, to });
      }
      const points = (to.getTime() - from.getTime()) / (query.interval === 'hour' ? 3_600_000 : 86_400_000);
      if (points > maxSeriesPoints) {
        throw invalidError(
          'range_too_large',
          `The range has ${Math.ceil(points)} ${query.interval}s; the limit is ${maxSeriesPoints} points. Use a shorter range or interval=day.`,
        );
      }
      return dependencies.executions().stats(access, { ...query, from, to });
    },
  };
}

export type ExecutionQueries = ReturnType<typeof createExecutionQueries>;
