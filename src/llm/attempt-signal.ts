/**
 * One attempt's abort signal: fires when the caller aborts, when the attempt times out, or when the
 * attempt is abandoned. `timedOut` tells our timeout apart from the caller's abort, which must not
 * be retried.
 */
export interface AttemptSignal {
  signal: AbortSignal;
  readonly timedOut: boolean;
  /** Restarts the timeout (streams: the timeout bounds silence between chunks, not the whole answer). */
  restart(): void;
  dispose(): void;
}

/**
 * The reason an ended attempt's signal carries. One shared instance: a DOMException captures a
 * stack when made, and every finished attempt aborts its signal (to stop a body nobody reads).
 */
const attemptEnded = new DOMException('The attempt ended', 'AbortError');

export function createAttemptSignal(timeoutMs: number, callerSignal: AbortSignal | undefined): AttemptSignal {
  const controller = new AbortController();
  let timedOut = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const onCallerAbort = () => controller.abort(callerSignal?.reason);
  const arm = () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(() => {
      timedOut = true;
      controller.abort(new DOMException('The provider attempt timed out', 'TimeoutError'));
    }, timeoutMs);
  };
  if (callerSignal?.aborted) controller.abort(callerSignal.reason);
  else callerSignal?.addEventListener('abort', onCallerAbort, { once: true });
  arm();
  return {
    signal: controller.signal,
    get timedOut() {
      return timedOut;
    },
    restart: arm,
    dispose() {
      if (timer !== undefined) clearTimeout(timer);
      callerSignal?.removeEventListener('abort', onCallerAbort);
      if (!controller.signal.aborted) controller.abort(attemptEnded);
    },
  };
}
