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
      const fingerprint = fingerprintOf(request);
      if (!chosen) {
        const found = recordings.find(
          (recording) =>
            recording.exchanges[0]?.kind === kind && recording.exchanges[0].fingerprint === fingerprint,
        );
        if (!found) throw mismatch(preferred?.exchanges[0], kind, request);
        chosen = found;
      }
      const expected = chosen.exchanges[position];
      if (!expected || expected.kind !== kind || expected.fingerprint !== fingerprint)
        throw mismatch(expected, kind, request);
      position++;
      return expected;
    },
    replayOf: () => chosen?.executionId ?? preferred?.executionId ?? 'unknown',
  };
}
