import type { ExecutionToolCallColumn } from '../../store/repositories/index.ts';

/** What the streamed test panel shows of the loop besides text. */
export type ToolLoopEvent =
  | { type: 'tool-call'; id: string; tool: string; arguments: unknown; turn: number }
  | { type: 'tool-result'; call: ExecutionToolCallColumn }
  | { type: 'tool-approval'; id: string; tool: string; arguments: unknown };

/**
 * How a caller watches one execution run. Its own module so the one-call path and the tool loop
 * need not import the service that calls them.
 */
export interface RunHandlers {
  /** Stream the answer: text deltas go to `onTextDelta` as they arrive. */
  stream: boolean;
  onTextDelta?: (text: string) => void;
  /** The tool loop's calls and results as they happen (streamed to the test panel). */
  onToolEvent?: (event: ToolLoopEvent) => void;
  /** Aborted when the client goes away: the provider call stops and the record ends `client_closed`. */
  abortSignal?: AbortSignal;
}
