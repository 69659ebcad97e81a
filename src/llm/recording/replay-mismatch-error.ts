import { FlightdeckError } from '../../core/errors.ts';
import type { ExchangeKind } from './recorded-exchange.ts';
import { describeDifferences, type RequestDifference } from './request-differences.ts';

/**
 * A replayed call that the recording cannot answer: the request differs from the recorded one at
 * that point (prompt, input, model, schema…), or the recording has no call left. Never retried and
 * never sent to a fallback: a replay must not hide a change.
 */
export class ReplayMismatchError extends FlightdeckError {
  constructor(options: {
    replayOf: string;
    sequence: number;
    kind: ExchangeKind;
    differences: RequestDifference[];
    exhausted?: boolean;
  }) {
    const where = `call ${options.sequence + 1} of the recording of ${options.replayOf}`;
    super({
      code: 'replay_mismatch',
      kind: 'unprocessable',
      message: options.exhausted
        ? `The replay made more ${options.kind} calls than the recording holds (${where} does not exist). The agent or workflow changed since it was recorded; record it again.`
        : `The request differs from ${where}: ${describeDifferences(options.differences)}. Replay the same agent version and input, or record again after a change.`,
      details: {
        replayOf: options.replayOf,
        sequence: options.sequence,
        kind: options.kind,
        differences: options.differences,
      },
    });
    this.name = 'ReplayMismatchError';
  }
}
