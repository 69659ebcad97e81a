import {
  type ExchangeKind,
  fingerprintOf,
  type RecordedExchange,
  type Recording,
} from './recorded-exchange.ts';
import { ReplayMismatchError } from './replay-mismatch-error.ts';
import { requestDifferences } from './request-differences.ts';

/** Walks one execution's recording in order, checking each replayed request against it. */
export interface ReplayCursor {
  /** The recorded exchange for this request, or a ReplayMismatchError saying what differs. */
  next(kind: ExchangeKind, request: Record<string, unknown>): RecordedExchange;
  /** The recorded execution being replayed (the likeliest one until the first call chose). */
  replayOf(): string;
}

/**
 * `recordings` are the candidates, likeliest first: one for an execution, several for a workflow
 * step (every execution the step made: step retries, revisions). The first call picks the
 * candidate whose first request has the same fingerprint; later calls follow it by sequence.
 */
export function createReplayCursor(recordings: readonly Recording[]): ReplayCursor {
  let chosen: Recording | null = null;
  let position = 0;
  /** Tool results of one turn run side by side and were recorded as they ended: matched in any order. */
  const consumed = new Set<number>();
  /**
   * A tool call the recording cannot answer fails inside the tool loop, which hands the failure to
   * the model as a result; the next model call then fails with this mismatch instead of a diff of
   * results the model never saw.
   */
  let toolMismatch: ReplayMismatchError | null = null;
  const preferred = recordings[0];
  const mismatch = (expected: RecordedExchange | undefined, kind: ExchangeKind, request: unknown) =>
    new ReplayMismatchError({
      replayOf: chosen?.executionId ?? preferred?.executionId ?? 'unknown',
      sequence: position,
      kind,
      differences: expected ? requestDifferences(expected.request, request) : [],
      exhausted: expected === undefined,
    });
  return {
    next(kind, request) {
      if (kind === 'model' && toolMismatch) throw toolMismatch;
      try {
        return take(kind, request);
      } catch (error) {
        if (kind === 'tool' && error instanceof ReplayMismatchError) toolMismatch = error;
        throw error;
      }
    },
    replayOf: () => chosen?.executionId ?? preferred?.executionId ?? 'unknown',
  };

  function take(kind: ExchangeKind, request: Record<string, unknown>): RecordedExchange {
    const fingerprint = fingerprintOf(request);
    if (!chosen) {
      const found = recordings.find(
        (recording) =>
          recording.exchanges[0]?.kind === kind && recording.exchanges[0].fingerprint === fingerprint,
      );
      if (!found) throw mismatch(preferred?.exchanges[0], kind, request);
      chosen = found;
    }
    while (consumed.has(position)) position++;
    const exchanges = chosen.exchanges;
    const expected = exchanges[position];
    let index = position;
    if (kind === 'tool') {
      for (let next = position; exchanges[next]?.kind === 'tool'; next++) {
        if (!consumed.has(next) && exchanges[next]?.fingerprint === fingerprint) {
          index = next;
          break;
        }
      }
    }
    const found = exchanges[index];
    if (!found || found.kind !== kind || found.fingerprint !== fingerprint)
      throw mismatch(expected, kind, request);
    consumed.add(index);
    return found;
  }
}
