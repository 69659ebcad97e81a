import { ApiError } from './api-error.ts';
import { applyRunEvent } from './apply-run-event.ts';
import type { WorkflowApi } from './workflow-api.ts';
import type { Run, RunEvent } from './workflow-types.ts';

export type RunConnection = 'connecting' | 'live' | 'reconnecting' | 'ended';

export interface RunMonitorState {
  run: Run | null;
  /** Reading the run failed (a 404 stays; network errors retry). */
  error: unknown;
  connection: RunConnection;
  /** The last event applied: the resume point of the next connection. */
  lastSequence: number;
}

export interface RunMonitor {
  getState(): RunMonitorState;
  subscribe(listener: () => void): () => void;
  start(): void;
  stop(): void;
  /** Follows the run again after it was restarted (retry): the stream ends at `run-end`. */
  resume(): void;
  /** Takes a run the API answered (cancel, retry) as the newest known state. */
  accept(run: Run): void;
}

/**
 * One run kept live outside React: its record, its event stream (resumed from the last sequence
 * after a drop) and a re-read after each burst of events for outputs and costs. React only
 * subscribes (`useRunMonitor`).
 */
export function createRunMonitor(options: {
  api: Pick<WorkflowApi, 'getRun' | 'streamRunEvents'>;
  workspaceId: string;
  runId: string;
  /** Pause before re-reading after events, so a burst costs one request. */
  refreshDelayMs?: number;
  reconnectDelayMs?: number;
}): RunMonitor {
  const refreshDelayMs = options.refreshDelayMs ?? 120;
  const reconnectDelayMs = options.reconnectDelayMs ?? 1_000;
  const listeners = new Set<() => void>();
  let state: RunMonitorState = { run: null, error: null, connection: 'connecting', lastSequence: 0 };
  let controller: AbortController | null = null;
  let refreshTimer: ReturnType<typeof setTimeout> | null = null;
  let refreshing = false;
  let refreshAgain = false;
  /** Events that arrived while a read was in flight: applied again on top of its answer. */
  let eventsSinceRead: RunEvent[] = [];
  let running = false;

  let notifyScheduled = false;
  const notify = () => {
    notifyScheduled = false;
    for (const listener of listeners) listener();
  };
  /**
   * State changes at once; listeners hear of it at most once a frame. A stream delivers a run's
   * stored events in bursts (a 50-step run replays 100 at once), and React re-renders synchronously
   * for each notification of an external store: one render per event took seconds on such a run.
   */
  const set = (change: Partial<RunMonitorState>) => {
    state = { ...state, ...change };
    if (notifyScheduled) return;
    notifyScheduled = true;
    if (typeof requestAnimationFrame === 'function') requestAnimationFrame(notify);
    else setTimeout(notify, 16);
  };

  async function refresh(): Promise<void> {
    if (refreshing) {
      refreshAgain = true;
      return;
    }
    refreshing = true;
    eventsSinceRead = [];
    try {
      let run = shareUnchangedSteps(state.run, await options.api.getRun(options.workspaceId, options.runId));
      for (const event of eventsSinceRead) run = applyRunEvent(run, event);
      if (running) set({ run, error: null });
    } catch (error) {
      if (running && (state.run === null || (ApiError.isInstance(error) && error.status === 404)))
        set({ error });
    } finally {
      refreshing = false;
      if (refreshAgain && running) {
        refreshAgain = false;
        void refresh();
      }
    }
  }

  function scheduleRefresh() {
    if (refreshTimer) return;
    refreshTimer = setTimeout(() => {
      refreshTimer = null;
      void refresh();
    }, refreshDelayMs);
  }

  async function follow(signal: AbortSignal): Promise<void> {
    let delay = reconnectDelayMs;
    while (running && !signal.aborted) {
      let ended = false;
      try {
        for await (const event of options.api.streamRunEvents(options.workspaceId, options.runId, {
          after: state.lastSequence,
          signal,
        })) {
          if (event.sequence <= state.lastSequence) continue;
          if (refreshing) eventsSinceRead.push(event);
          set({
            run: state.run ? applyRunEvent(state.run, event) : null,
            lastSequence: event.sequence,
            connection: 'live',
          });
          delay = reconnectDelayMs;
          if (event.type === 'run-end') ended = true;
          scheduleRefresh();
        }
        if (state.connection === 'connecting') set({ connection: 'live' });
      } catch (error) {
        if (signal.aborted) return;
        // A run that is gone will not come back: stop instead of retrying for ever.
        if (ApiError.isInstance(error) && error.status >= 400 && error.status < 500 && error.status !== 429) {
          set({ error, connection: 'ended' });
          return;
        }
      }
      if (ended) {
        set({ connection: 'ended' });
        return;
      }
      if (signal.aborted) return;
      set({ connection: 'reconnecting' });
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, 15_000);
    }
  }

  function connect() {
    controller?.abort();
    const next = new AbortController();
    controller = next;
    set({ connection: 'connecting' });
    void follow(next.signal);
  }

  return {
    getState: () => state,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    start() {
      if (running) return;
      running = true;
      void refresh();
      connect();
    },
    stop() {
      running = false;
      controller?.abort();
      controller = null;
      if (refreshTimer) clearTimeout(refreshTimer);
      refreshTimer = null;
    },
    resume() {
      if (!running) return;
      connect();
      scheduleRefresh();
    },
    accept(run) {
      set({ run });
    },
  };
}

/**
 * The re-read run with each step that did not change kept as the same object, so components
 * memoised on a step (the graph's nodes, the table's rows) skip the steps a burst did not touch.
 */
function shareUnchangedSteps(previous: Run | null, next: Run): Run {
  if (!previous) return next;
  const before = new Map(previous.steps.map((step) => [step.stepId, step]));
  return {
    ...next,
    steps: next.steps.map((step) => {
      const old = before.get(step.stepId);
      return old && JSON.stringify(old) === JSON.stringify(step) ? old : step;
    }),
  };
}
