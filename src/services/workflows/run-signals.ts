/**
 * What one process tells itself about runs, without a database round trip: "this run has new
 * events" (wakes live views at once) and "stop this run's in-flight calls" (cancel on the node that
 * drives it). Other nodes learn the same from the stored state, by polling (see the engine and the
 * event stream), so nothing here is needed for correctness.
 */
export function createRunSignals() {
  const listeners = new Map<string, Set<() => void>>();
  const drivers = new Map<string, AbortController>();
  return {
    /** Wakes every live view of the run. */
    notify(runId: string): void {
      for (const listener of listeners.get(runId) ?? []) listener();
    },
    /** Calls `listener` on every `notify` of the run until the returned function is called. */
    subscribe(runId: string, listener: () => void): () => void {
      let set = listeners.get(runId);
      if (!set) {
        set = new Set();
        listeners.set(runId, set);
      }
      set.add(listener);
      return () => {
        set.delete(listener);
        if (set.size === 0) listeners.delete(runId);
      };
    },
    /** Registers the controller of the driver holding the run in this process. */
    holdRun(runId: string, controller: AbortController): () => void {
      drivers.set(runId, controller);
      return () => {
        if (drivers.get(runId) === controller) drivers.delete(runId);
      };
    },
    /** Aborts the run's in-flight calls when this process drives it. */
    abortRun(runId: string, reason: string): void {
      drivers.get(runId)?.abort(new Error(reason));
    },
  };
}

export type RunSignals = ReturnType<typeof createRunSignals>;
