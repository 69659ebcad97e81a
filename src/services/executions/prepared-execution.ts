import type { ExecutionView } from './execution-view.ts';
import type { RunHandlers } from './run-handlers.ts';

/** A validated execution, recorded as `running`, waiting to call the provider — or a replay. */
export type PreparedExecution =
  | { kind: 'replay'; execution: ExecutionView }
  | { kind: 'run'; execution: ExecutionView; run(handlers: RunHandlers): Promise<ExecutionView> };
